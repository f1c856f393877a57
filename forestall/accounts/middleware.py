"""The staff side's language: the person's choice, else their browser's.

Public pages carry their language in the URL (``/de/...``); staff pages have
no prefix, so Django's LocaleMiddleware would always answer in English there.
This middleware runs after authentication and, for ``/staff/`` only,
activates the signed-in person's chosen language or, if they chose none (and
before sign-in), the language their browser asks for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django_otp.middleware import OTPMiddleware

from forestall.lib.prepared import PreparedLookup

_AUTHENTICATOR_BY_ID: PreparedLookup[Any] = PreparedLookup(
    "accounts.TOTPAuthenticator", where=["id"]
)

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


class StaffOTPMiddleware(OTPMiddleware):
    """django-otp's middleware; an authenticator app is read with a prepared statement.

    The session names the device that verified the sign-in
    (``<app.model>/<id>``). For forestall's authenticator app the row is read
    with a statement compiled once (``forestall.lib.prepared``); any other
    device (``accounts.BackupCodeSet``, the hashed backup codes) goes through
    django-otp's own lookup. django-otp
    then checks, as always, that the device belongs to the signed-in user
    and is confirmed.
    """

    def _device_from_persistent_id(self, persistent_id: str) -> Any:
        label, _slash, device_id = self._normalize_persistent_id(persistent_id).rpartition("/")
        if label != "accounts.totpauthenticator":
            return super()._device_from_persistent_id(persistent_id)
        try:
            found = _AUTHENTICATOR_BY_ID.instances(int(device_id))
        except ValueError:
            return None
        return found[0] if found else None
