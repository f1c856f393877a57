from django import template
from django.http import HttpRequest

from forestall.lib.i18n import path_in_language as _path_in_language

register = template.Library()


@register.simple_tag(takes_context=True)
def path_in_language(context: template.Context, language: str) -> str:
    """The current public page's address in another language, query string kept."""
    request: HttpRequest = context["request"]
    target = _path_in_language(request.path, language)
    query = request.GET.urlencode()
    return f"{target}?{query}" if query else target
