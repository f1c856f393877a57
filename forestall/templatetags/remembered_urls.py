"""``{% url %}`` with the shape of each address worked out once per process.

Why: a staff page links the object it shows many times over (the case page:
fifteen ``{% url %}`` tags, a note form, each task's "done", each
appointment), and Django's ``reverse()`` matches the view name against the
URL patterns on every call — about a tenth of the case page's time. For a
given view name and number of arguments the address only differs in the
arguments themselves, so this tag reverses once with stand-in UUIDs, keeps
the address with holes where they went, and afterwards fills in the
arguments.

It replaces Django's ``url`` tag for every template (``TEMPLATES`` builtins in
``forestall/settings.py``), with the same syntax and output. Calls with
positional arguments only are remembered: each UUID is a hole (a UUID
converter accepts every UUID, and ``str()`` of a UUID is what it puts into
the address, so the stand-in's place is exactly the argument's), and short
text (an instrument's id) or a whole number is part of the key, reversed
once per value. Anything else — keyword arguments, long text, other
objects, a view name that does not reverse with the stand-ins — goes to
Django's ``reverse()`` every time, as before. The key includes everything
else the address can depend on: the URLconf, the script prefix, the active
language (prefixed public addresses) and the current app; at most
``MAX_SHAPES`` shapes are kept, so no page can grow the memory by the
arguments it passes.
``tests/test_remembered_urls.py`` compares the two for every URL pattern.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import template
from django.conf import settings
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()

# Stand-ins no real object has (a fixed, recognisable value per position).
_STAND_INS = [uuid.UUID(f"5eed5eed-0000-4000-8000-{index:012x}") for index in range(8)]

# key → the address cut at each stand-in (pieces), or None: not remembered.
_shapes: dict[tuple[Any, ...], list[str] | None] = {}
# At most this many shapes are kept; past it, addresses are reversed as before
# (short text arguments are part of a shape's key, so the number of shapes
# is bounded by this, not by what arguments pages pass).
MAX_SHAPES = 10_000
# Text arguments at most this long may be part of a key (an instrument's id,
# a page's slug); longer ones are never remembered.
_FIXED_TEXT = 64


def _shape(view_name: str, args: tuple[Any, ...], current_app: str | None) -> list[str] | None:
    """The address of ``view_name`` cut where each UUID of ``args`` goes (``None``: in none).

    ``args`` has ``None`` where a UUID goes and the argument itself elsewhere.
    """
    key = (
        view_name,
        args,
        current_app,
        get_urlconf(),
        settings.ROOT_URLCONF,
        get_script_prefix(),
        get_language(),
    )
    try:
        return _shapes[key]
    except KeyError:
        pass
    pieces: list[str] | None = None
    holes = sum(1 for arg in args if arg is None)
    if holes <= len(_STAND_INS):
        stand_ins = iter(_STAND_INS)
        filled = [next(stand_ins) if arg is None else arg for arg in args]
        try:
            address = reverse(view_name, args=filled, current_app=current_app)
        except NoReverseMatch:  # the real arguments will say what is wrong
            pieces = None
        else:
            used = [str(stand_in) for stand_in in _STAND_INS[:holes]]
            # One place per argument in the whole address (a text argument
            # that spelled a stand-in would make two): else never remembered.
            if all(address.count(text) == 1 for text in used):
                pieces = [address]
                for text in used:
                    before, found, after = pieces[-1].partition(text)
                    if not found:  # the arguments' places are not in their order
                        pieces = None
                        break
                    pieces[-1:] = [before, after]
    if len(_shapes) < MAX_SHAPES:
        _shapes[key] = pieces
    return pieces


def _fixed(arg: Any) -> bool:
    """Whether ``arg`` may be part of a shape's key: short text or a whole number."""
    if isinstance(arg, str):
        return len(arg) <= _FIXED_TEXT
    return type(arg) is int


def remembered_reverse(view_name: str, args: list[Any], current_app: str | None) -> str:
    """``reverse(view_name, args=args)``, remembered for UUID arguments and short fixed ones.

    Each UUID is a hole in the remembered address; short text and whole
    numbers are part of the key (the address is reversed once per value).
    """
    if all(isinstance(arg, uuid.UUID) or _fixed(arg) for arg in args):
        shape_args = tuple(None if isinstance(arg, uuid.UUID) else arg for arg in args)
        pieces = _shape(view_name, shape_args, current_app)
        if pieces is not None:
            joined = [pieces[0]]
            uuids = [arg for arg in args if isinstance(arg, uuid.UUID)]
            for arg, piece in zip(uuids, pieces[1:], strict=True):
                joined += [str(arg), piece]
            return "".join(joined)
    return reverse(view_name, args=args, current_app=current_app)


class RememberedURLNode(URLNode):
    def render(self, context: Any) -> str:
        if self.kwargs:
            return str(super().render(context))
        args = [arg.resolve(context) for arg in self.args]
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = remembered_reverse(view_name, args, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return str(conditional_escape(url)) if context.autoescape else url


@register.tag
def url(parser: Any, token: Any) -> RememberedURLNode:
    """Django's ``{% url %}`` (same syntax), with addresses remembered as above."""
    node = django_url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
