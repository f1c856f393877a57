from django import template
from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from forestall.lib.i18n import LANGUAGE_SWITCH_FIELD, carried_entries
from forestall.lib.i18n import path_in_language as _path_in_language
from forestall.lib.recorded_texts import shown

register = template.Library()


@register.filter
def recorded_text(stored: str) -> str:
    """A stored reason in the reader's language if the code recorded it, else as typed."""
    return shown(stored or "")


@register.simple_tag(takes_context=True)
def path_in_language(context: template.Context, language: str) -> str:
    """The current public page's address in another language, query string kept."""
    request: HttpRequest = context["request"]
    target = _path_in_language(request.path, language)
    query = request.GET.urlencode()
    return f"{target}?{query}" if query else target


def _token_field(request: HttpRequest) -> SafeString:
    """A CSRF token for a form that sends a POST on, if that POST carried one.

    A form that had none (a self-help exercise of a reader without a mailbox)
    must not gain one: the page would take it for a signed-in reader's.
    """
    if "csrfmiddlewaretoken" not in request.POST:
        return mark_safe("")
    return format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
    )


@register.simple_tag(takes_context=True)
def language_switch(context: template.Context) -> SafeString:
    """The public pages' language switch: this page in each language, the current one marked.

    Written here rather than as a template loop (with ``get_language_info``
    and ``path_in_language`` per language): it is on every public page and
    was a tenth of a rendered page's time.
    """
    current = translation.get_language() or settings.LANGUAGE_CODE
    request: HttpRequest = context["request"]
    # A page that answers a form shows what was typed: a link would drop it.
    # There each language is a form that carries every entry to the same
    # address in that language, where nothing is done with them but to show
    # them again (forestall.errors.LanguageSwitchKeepsEntriesMiddleware).
    entries = carried_entries(request) if context.get("carry_entries", True) else []
    # A page whose form someone is typing into (``typing_form``: the form's
    # id and its action) has not sent anything yet, and a link would drop
    # what is typed there. Each language is then a button that sends that
    # form's entries, without JavaScript (the ``form`` attribute), to the
    # form's address in that language: the same round trip as above.
    typing = None if entries else context.get("typing_form")
    items = []
    for code, _name in settings.LANGUAGES:
        name = translation.get_language_info(code)["name_local"]
        if code == current:
            items.append(
                format_html('<li><span aria-current="true" lang="{}">{}</span></li>', code, name)
            )
        elif entries:
            items.append(
                format_html(
                    '<li><form method="post" action="{}" class="inline">{}'
                    '<input type="hidden" name="{}" value="{}">{}'
                    '<button type="submit" class="link" lang="{}">{}</button></form></li>',
                    path_in_language(context, code),
                    _token_field(request),
                    LANGUAGE_SWITCH_FIELD,
                    code,
                    format_html_join("", '<input type="hidden" name="{}" value="{}">', entries),
                    code,
                    name,
                )
            )
        elif typing:
            items.append(
                format_html(
                    '<li><button type="submit" form="{}" formaction="{}" formnovalidate '
                    'name="{}" value="{}" class="link" lang="{}">{}</button></li>',
                    typing["id"],
                    _path_in_language(typing["action"], code),
                    LANGUAGE_SWITCH_FIELD,
                    code,
                    code,
                    name,
                )
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
