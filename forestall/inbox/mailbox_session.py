"""The mailbox session: an opaque browser-session cookie, revocable on the server.

Threat model: a shared or seized device, and a cookie copied off one. The
Django session belongs to the staff side (its cookie is sent only to
``/staff/``). A help-seeker's sign-in lives in its own cookie that holds
nothing but a random token, signed with the secret key and the time of the
last activity (``django.core.signing.TimestampSigner``): it names no mailbox
and cannot be forged. The server keeps a ``MailboxSession`` row per signed-in
browser with a keyed hash of the token, so that:

- signing out deletes the row: the old cookie opens nothing from that moment
  (a copy replayed later is refused);
- deleting the mailbox deletes all its rows;
- a session ends after ``FORESTALL_MAILBOX_IDLE_MINUTES`` without activity
  (every response to the person's use of it re-signs the token with a fresh
  time and an older signature is refused) and after
  ``MailboxSession.MAX_AGE_HOURS`` at most;
- a HEAD request is not activity (``is_use``): a link checker, a preview or
  a prefetch that asks for a page's headers renews nothing, so it cannot
  keep a session alive on a shared device after the person walked away.

The cookie has no ``Max-Age``/``Expires``, so the browser drops it when it
closes; it is ``HttpOnly`` and ``SameSite=Strict`` (and ``Secure`` in
production). An expired or revoked session is simply "not signed in": the
visitor is sent to the codename sign-in, as before.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import connection
from django.db.models import Field
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from forestall.inbox.models import Mailbox, MailboxSession
from forestall.lib.privacy import keyed_hash
from forestall.lib.rows import Statement

COOKIE_NAME = "forestall_mailbox"
# The value from when the mailbox was the public app's: a new one would sign everyone out.
_SALT = "forestall.public.mailbox-session"
# Where a mailbox read through a session keeps its token, for refreshing it.
_TOKEN_ATTRIBUTE = "_forestall_session_token"  # noqa: S105 - an attribute name


# Methods with which a browser only looks at a page (a link checker, a chat
# app's preview, a prefetch asking for the headers): they are not the person
# using their mailbox. OPTIONS is answered 405 by the mailbox pages today; it
# is here so that it never becomes activity either.
_ONLY_LOOKS = frozenset({"HEAD", "OPTIONS"})


def is_use(request: HttpRequest) -> bool:
    """Whether ``request`` is the person using the mailbox: anything but HEAD (or OPTIONS).

    Only use renews the session, counts as the day's activity (what the
    retention period is measured from) and marks replies read. A request
    that only looks changes nothing: renewing on it would let an unattended
    tab's prefetch, or anyone replaying the cookie with HEAD, keep a session
    open past its idle limit and a mailbox past its retention.
    """
    return request.method not in _ONLY_LOOKS


def idle_seconds() -> int:
    """How long a mailbox session survives without activity."""
    return settings.FORESTALL_MAILBOX_IDLE_MINUTES * 60


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SALT)


def _token_hash(token: str) -> str:
    return keyed_hash("mailbox-session:" + token)


def _oldest_allowed() -> Any:
    return timezone.now() - timedelta(hours=MailboxSession.MAX_AGE_HOURS)


def _mailbox_fields() -> list[Field]:
    return list(Mailbox._meta.concrete_fields)


def _session_sql(using: Any) -> str:
    quote = using.ops.quote_name
    mailboxes = quote(Mailbox._meta.db_table)
    sessions = quote(MailboxSession._meta.db_table)
    join = f"s.{quote('mailbox_id')} = m.{quote('id')}"
    columns = ", ".join(f"m.{quote(str(field.column))}" for field in _mailbox_fields())
    return (
        f"SELECT {columns} FROM {mailboxes} m JOIN {sessions} s ON {join} "  # noqa: S608 - our own names
        f"WHERE s.{quote('token_hash')} = %s AND s.{quote('created_at')} > %s LIMIT 1"
    )


# Every mailbox request runs this: one plain join on the unique token hash
# (the ORM's related lookup, and even ``raw()``, cost several times the query
# itself), its columns converted as the ORM would; written once per connection.
_SESSION_MAILBOX = Statement(_session_sql, _mailbox_fields)


@functools.cache
def _mailbox_attnames() -> list[str]:
    return [field.attname for field in _SESSION_MAILBOX.fields]


def _oldest_param() -> Any:
    return connection.ops.adapt_datetimefield_value(_oldest_allowed())


def _token(request: HttpRequest) -> str | None:
    value = request.COOKIES.get(COOKIE_NAME)
    if not value:
        return None
    try:
        return _signer().unsign(value, max_age=idle_seconds())
    except signing.BadSignature:  # includes SignatureExpired
        return None


def signed_in_mailbox(request: HttpRequest) -> Mailbox | None:
    """The mailbox whose valid, recent, unrevoked session cookie came with ``request``."""
    token = _token(request)
    if not token:
        return None
    found = _SESSION_MAILBOX.rows([_token_hash(token), _oldest_param()])
    if not found:
        return None
    mailbox = Mailbox.from_db(connection.alias, _mailbox_attnames(), found[0])
    setattr(mailbox, _TOKEN_ATTRIBUTE, token)
    return mailbox


def sign_in(response: HttpResponse, mailbox: Mailbox) -> HttpResponse:
    """Set (or refresh) the session cookie for ``mailbox`` on ``response``.

    A mailbox read through ``signed_in_mailbox`` keeps its session (only the
    time in the cookie is renewed); any other sign-in starts a new session.
    """
    token = getattr(mailbox, _TOKEN_ATTRIBUTE, None)
    if not token:
        token = secrets.token_urlsafe(32)
        # Sessions past their maximum age are of no use to anyone: remove them.
        MailboxSession.objects.filter(created_at__lte=_oldest_allowed()).delete()
        MailboxSession.objects.create(token_hash=_token_hash(token), mailbox=mailbox)
        setattr(mailbox, _TOKEN_ATTRIBUTE, token)
    response.set_cookie(
        COOKIE_NAME,
        _signer().sign(token),
        max_age=None,
        path="/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


def renew(request: HttpRequest, response: HttpResponse, mailbox: Mailbox) -> HttpResponse:
    """Renew ``mailbox``'s session on ``response`` if ``request`` used it (``is_use``)."""
    return sign_in(response, mailbox) if is_use(request) else response


def end_session(request: HttpRequest) -> None:
    """End the session of this request's cookie on the server (if it has one)."""
    value = request.COOKIES.get(COOKIE_NAME)
    if not value:
        return
    try:
        # Even an idle-expired cookie's session is ended: it must never come back.
        token = _signer().unsign(value)
    except signing.BadSignature:
        return
    MailboxSession.objects.filter(token_hash=_token_hash(token)).delete()


def sign_out(response: HttpResponse, request: HttpRequest | None = None) -> HttpResponse:
    """Delete the session cookie, and with ``request`` end its session on the server."""
    if request is not None:
        end_session(request)
    response.delete_cookie(COOKIE_NAME, path="/", samesite="Strict")
    return response


def mailbox_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Admit only a request with a live mailbox session; renew it on the way out (not on HEAD).

    Without one (never signed in, idle too long, or the mailbox deleted) the
    visitor is sent to the sign-in page and any stale cookie is removed.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        mailbox = signed_in_mailbox(request)
        if mailbox is None:
            to_sign_in: HttpResponse = redirect("mailbox:mailbox")
            if COOKIE_NAME in request.COOKIES:
                sign_out(to_sign_in)
            return to_sign_in
        request.mailbox = mailbox  # type: ignore[attr-defined]
        response = view(request, *args, **kwargs)
        if getattr(request, "mailbox_signed_out", False):
            return response
        return renew(request, response, mailbox)

    return wrapper


# Fields of a form that are not what the person wrote.
_NOT_TYPED = frozenset({"csrfmiddlewaretoken", "codename", "centre"})


def tells_when_deleted_meanwhile(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 410 in words when the mailbox was deleted while this request was on its way.

    The person deleted everything in another tab or window at the same
    moment (``inbox.actions.MailboxDeleted``): nothing was sent or saved. The
    page says so, signs out and shows what they wrote, exactly as they wrote
    it, so that they can copy it; the server keeps none of it.
    """
    from django.shortcuts import render

    from forestall.inbox.actions import MailboxDeleted

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except MailboxDeleted:
            typed = [
                value[:20000]
                for name, values in request.POST.lists()
                if name not in _NOT_TYPED
                for value in values
                if value.strip()
            ][:50]
            response = render(
                request, "inbox/mailbox/deleted_meanwhile.html", {"typed": typed}, status=410
            )
            request.mailbox_signed_out = True  # type: ignore[attr-defined]
            return sign_out(response, request)

    return wrapper
