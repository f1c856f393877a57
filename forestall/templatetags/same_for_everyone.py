"""``{% same_for_everyone "name" [part ...] %}…{% end_same_for_everyone %}``

A part of a public page that is the same for every visitor in a language
(and in the listed ``part`` values, for example the pathway) is rendered
once and then kept like a cached public page: the same lifetime
(``FORESTALL_PAGE_CACHE_SECONDS``) and the same ``public_pages_changed()``
invalidation (``forestall.lib.pagecache.remember_for_public_pages``). The
page cache serves whole pages only to visitors without any cookie; this lets
a visitor who carries one — a mailbox session, a reach visit — get the
page's unchanging parts without rendering them again, while what is theirs
(their messages, the form they are filling in, the language switch of their
address) is rendered for them.

Only for markup that depends on nothing but the language and the listed
parts: never a visitor's data, a form's submitted values or errors, or
anything from the session or the query string. A ``{% csrf_token %}``
inside is the one exception: it is rendered as a stand-in and replaced with
the visitor's own token on the way out, so a kept form still works and no
visitor ever gets another's token.

The ``part`` values must come from a small fixed set (a pathway, say),
never from what a visitor typed or put in the address: each value is one
more copy kept in every server thread's memory.

With the page cache off (development, tests) the part is rendered every
time, through the same stand-in replacement.
"""

from __future__ import annotations

import secrets

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from forestall.lib.pagecache import remember_for_public_pages

register = template.Library()

# Unguessable and unchanged by HTML escaping: never in any real output.
_CSRF_STAND_IN = "csrf-stand-in-" + secrets.token_hex(16)


class SameForEveryoneNode(template.Node):
    def __init__(
        self, nodelist: NodeList, name: FilterExpression, parts: list[FilterExpression]
    ) -> None:
        self.nodelist = nodelist
        self.name = name
        self.parts = parts

    def render(self, context: template.Context) -> SafeString:
        key = ":".join(
            [
                "fragment",
                str(self.name.resolve(context)),
                get_language() or "",
                *(str(part.resolve(context)) for part in self.parts),
            ]
        )

        def render_part() -> str:
            with context.push(csrf_token=_CSRF_STAND_IN):
                return str(self.nodelist.render(context))

        html = remember_for_public_pages(key, render_part)
        if _CSRF_STAND_IN in html:
            html = html.replace(_CSRF_STAND_IN, escape(str(context.get("csrf_token", ""))))
        return mark_safe(html)  # noqa: S308 - rendered by the template engine, which escaped it


@register.tag("same_for_everyone")
def same_for_everyone(parser: Parser, token: Token) -> SameForEveryoneNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("same_for_everyone needs a name")
    nodelist = parser.parse(("end_same_for_everyone",))
    parser.delete_first_token()
    return SameForEveryoneNode(
        nodelist, parser.compile_filter(bits[1]), [parser.compile_filter(bit) for bit in bits[2:]]
    )
