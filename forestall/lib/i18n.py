"""Language selection for the public side without a cookie.

The public contract accepts ``?lang=de`` as well as a language prefix
(``/de/…``). The prefix is canonical: ``?lang=`` redirects to the prefixed
address, so a language choice lives in the URL and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from forestall.lib.redirects import safe_redirect


def _language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def strip_language_prefix(path: str) -> str:
    """``/de/centres/`` → ``/centres/``; paths without a prefix are returned as they are."""
    for code in _language_codes():
        prefix = f"/{code}/"
        if path.startswith(prefix):
            return "/" + path[len(prefix) :]
        if path == f"/{code}":
            return "/"
    return path


def path_in_language(path: str, language: str) -> str:
    """The same public page in another language (English has no prefix)."""
    bare = strip_language_prefix(path)
    if language == settings.LANGUAGE_CODE:
        return bare
    return f"/{language}{bare}"


class LanguageParameterMiddleware:
    """Turn ``?lang=xx`` on a public page into a redirect to its prefixed address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.GET.get("lang")
        if (
            language
            and request.method in ("GET", "HEAD")
            and not request.path.startswith(("/staff/", "/api/", "/static/"))
        ) and language in _language_codes():
            rest = request.GET.copy()
            rest.pop("lang")
            target = path_in_language(request.path, language)
            if rest:
                target += "?" + urlencode(list(rest.lists()), doseq=True)
            return safe_redirect(target, request)
        return self.get_response(request)
