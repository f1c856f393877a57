"""The mailbox session: a signed browser-session cookie, separate from Django's.

Threat model: a shared or seized device. The Django session belongs to the
staff side (its cookie is sent only to ``/staff/``). A help-seeker's sign-in
lives in its own cookie that holds nothing but the mailbox id and the time of
the last activity, signed with the secret key (``django.core.signing``) so
that it cannot be forged. It has no ``Max-Age``/``Expires``, so the browser
drops it when it closes; it is ``HttpOnly`` and ``SameSite=Strict`` (and
``Secure`` in production); and it stops working after
``FORESTALL_MAILBOX_IDLE_MINUTES`` without activity, because every response
re-signs it with a fresh time and an older signature is refused. Nothing is
kept on the server: signing out deletes the cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from forestall.public.models import Mailbox

COOKIE_NAME = "forestall_mailbox"
_SALT = "forestall.public.mailbox-session"


def idle_seconds() -> int:
    """How long a mailbox session survives without activity."""
    return settings.FORESTALL_MAILBOX_IDLE_MINUTES * 60


def signed_in_mailbox(request: HttpRequest) -> Mailbox | None:
    """The mailbox whose valid, recent session cookie came with ``request``."""
    value = request.COOKIES.get(COOKIE_NAME)
    if not value:
        return None
    try:
        data = signing.loads(value, salt=_SALT, max_age=idle_seconds())
    except signing.BadSignature:  # includes SignatureExpired
        return None
    mailbox_id = data.get("m") if isinstance(data, dict) else None
    if not mailbox_id:
        return None
    try:
        return Mailbox.objects.filter(pk=mailbox_id).first()
    except (ValueError, TypeError):
        return None


def sign_in(response: HttpResponse, mailbox: Mailbox) -> HttpResponse:
    """Set (or refresh) the session cookie for ``mailbox`` on ``response``."""
    # signing.dumps stamps the time itself; loads(max_age=...) checks it.
    value = signing.dumps({"m": str(mailbox.pk)}, salt=_SALT, compress=False)
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=None,
        path="/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


def sign_out(response: HttpResponse) -> HttpResponse:
    """Delete the session cookie."""
    response.delete_cookie(COOKIE_NAME, path="/", samesite="Strict")
    return response


def mailbox_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Admit only a request with a live mailbox session; refresh it on the way out.

    Without one (never signed in, idle too long, or the mailbox deleted) the
    visitor is sent to the sign-in page and any stale cookie is removed.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        mailbox = signed_in_mailbox(request)
        if mailbox is None:
            to_sign_in: HttpResponse = redirect("public:mailbox")
            if COOKIE_NAME in request.COOKIES:
                sign_out(to_sign_in)
            return to_sign_in
        request.mailbox = mailbox  # type: ignore[attr-defined]
        response = view(request, *args, **kwargs)
        if getattr(request, "mailbox_signed_out", False):
            return response
        return sign_in(response, mailbox)

    return wrapper
