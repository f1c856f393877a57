"""Django's ``i18n`` tag library, with each fixed ``{% translate %}`` remembered per language.

Why: a page says most of its words with ``{% translate "…" %}`` (the case
page 36 times, a public page 30 to 60), and Django's tag looks the words up,
escapes them and undoes ``%%`` on every render: about 7 µs each, a quarter
of a millisecond per page, for an answer that only depends on the words, the
active language and whether the page escapes. This library is loaded by
``{% load i18n %}`` everywhere (``TEMPLATES`` ``libraries`` in
``forestall/settings.py``): every tag and filter of Django's library, with
``translate`` (and its old name ``trans``) replaced by a node that keeps its
rendered output per (language, escaping) on the node itself.

Only a tag with fixed words is remembered: a quoted string, no filters, and a
``context`` (if any) that is a quoted string too. Anything else (a variable,
``|upper``…) renders through Django's node every time. Catalogues only change
when a test changes ``LANGUAGES``, ``LANGUAGE_CODE`` or ``LOCALE_PATHS``;
then everything remembered is forgotten (``setting_changed``).
``tests/test_remembered_i18n.py`` compares the output with Django's for every
``{% translate %}`` in forestall's templates, in English and German.
"""

from __future__ import annotations

import itertools
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import Variable
from django.templatetags import i18n as django_i18n
from django.utils.formats import number_format
from django.utils.translation import get_language

register = template.Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)


@register.filter
def grouped(value: Any) -> Any:
    """A whole number in the page's language, its digits grouped: "12,345" / "12.345".

    For counts shown to people (statistics tables, reach results); anything
    else (a withheld marker, a dash, a rate already formatted) is left as it is.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return number_format(value, force_grouping=True)
    return value


# Changes whenever the catalogues may have changed: part of every key.
_generation = itertools.count()
_current = [next(_generation)]


@receiver(setting_changed)
def _forget(setting: str, **kwargs: Any) -> None:
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"}:
        _current[0] = next(_generation)


class RememberedTranslateNode(django_i18n.TranslateNode):
    """``TranslateNode`` that keeps what fixed words render to, per language and escaping."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        expression = self.filter_expression
        words = expression.var
        context = self.message_context
        self.fixed = (
            not expression.filters
            and isinstance(words, Variable)
            and isinstance(words.literal, str)
            and (context is None or (isinstance(context.var, str) and not context.filters))
        )
        self.remembered: dict[tuple[Any, ...], Any] = {}

    def render(self, context: Any) -> str:
        if not self.fixed:
            return str(super().render(context))
        key = (get_language(), context.autoescape, _current[0])
        try:
            value = self.remembered[key]
        except KeyError:
            rendered = super().render(context)
            value = context[self.asvar] if self.asvar else rendered
            self.remembered[key] = value
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value  # type: ignore[no-any-return]


def _remembering(tag: Any) -> Any:
    def compile_tag(parser: Any, token: Any) -> Any:
        node = tag(parser, token)
        return RememberedTranslateNode(
            node.filter_expression, node.noop, node.asvar, node.message_context
        )

    compile_tag.__doc__ = tag.__doc__
    return compile_tag


register.tag("translate", _remembering(django_i18n.do_translate))
register.tag("trans", _remembering(django_i18n.do_translate))
