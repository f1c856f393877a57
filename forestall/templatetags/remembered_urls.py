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
``forestall/settings.py``), with the same syntax and output. Only two kinds
of calls are remembered: no arguments at all, and positional arguments that
are all UUIDs (a UUID converter accepts every UUID, and ``str()`` of a UUID
is what it puts into the address, so the stand-in's place is exactly the
argument's). Anything else — text or numbers, keyword arguments, a view
name that does not reverse with the stand-ins — goes to Django's
``reverse()`` every time, as before. The key includes everything else the
address can depend on: the URLconf, the script prefix, the active language
(prefixed public addresses) and the current app.
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


def _shape(view_name: str, count: int, current_app: str | None) -> list[str] | None:
    key = (
        view_name,
        count,
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
    if count <= len(_STAND_INS):
        stand_ins = _STAND_INS[:count]
        try:
            address = reverse(view_name, args=stand_ins, current_app=current_app)
        except NoReverseMatch:  # the real arguments will say what is wrong
            _shapes[key] = None
            return None
        pieces = [address]
        for stand_in in stand_ins:
            before, found, after = pieces[-1].partition(str(stand_in))
            if not found or str(stand_in) in after:
                pieces = None  # not one place per argument: never remembered
                break
            pieces[-1:] = [before, after]
    _shapes[key] = pieces
    return pieces


def remembered_reverse(view_name: str, args: list[Any], current_app: str | None) -> str:
    """``reverse(view_name, args=args)``, remembered for UUID arguments (or none)."""
    if all(isinstance(arg, uuid.UUID) for arg in args):
        pieces = _shape(view_name, len(args), current_app)
        if pieces is not None:
            joined = [pieces[0]]
            for arg, piece in zip(args, pieces[1:], strict=True):
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
