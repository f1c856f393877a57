"""The staff side's language: the person's choice, else their browser's.

Public pages carry their language in the URL (``/de/...``); staff pages have
no prefix, so Django's LocaleMiddleware would always answer in English there.
This middleware runs after authentication and, for ``/staff/`` only,
activates the signed-in person's chosen language or, if they chose none (and
before sign-in), the language their browser asks for.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

STAFF_PREFIX = "/staff/"


def staff_language(request: HttpRequest) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    user = getattr(request, "user", None)
    chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
    if chosen in supported:
        return chosen
    return translation.get_language_from_request(request, check_path=False)


class StaffLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(STAFF_PREFIX):
            return self.get_response(request)
        language = staff_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers["Content-Language"] = language
        return response
