from django import template
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from forestall.lib.i18n import path_in_language as _path_in_language

register = template.Library()


@register.simple_tag(takes_context=True)
def path_in_language(context: template.Context, language: str) -> str:
    """The current public page's address in another language, query string kept."""
    request: HttpRequest = context["request"]
    target = _path_in_language(request.path, language)
    query = request.GET.urlencode()
    return f"{target}?{query}" if query else target


@register.simple_tag(takes_context=True)
def language_switch(context: template.Context) -> SafeString:
    """The public pages' language switch: this page in each language, the current one marked.

    Written here rather than as a template loop (with ``get_language_info``
    and ``path_in_language`` per language): it is on every public page and
    was a tenth of a rendered page's time.
    """
    current = translation.get_language() or settings.LANGUAGE_CODE
    items = []
    for code, _name in settings.LANGUAGES:
        name = translation.get_language_info(code)["name_local"]
        if code == current:
            items.append(
                format_html('<li><span aria-current="true" lang="{}">{}</span></li>', code, name)
            )
        else:
            items.append(
                format_html(
                    '<li><a href="{}" lang="{}" hreflang="{}">{}</a></li>',
                    path_in_language(context, code),
                    code,
                    code,
                    name,
                )
            )
    return format_html(
        '<nav class="languages" aria-label="{}">\n  <ul>\n    {}\n  </ul>\n</nav>',
        translation.gettext("Language"),
        mark_safe("\n    ".join(items)),  # noqa: S308 - each item built with format_html
    )
