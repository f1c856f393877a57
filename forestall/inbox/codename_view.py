"""Showing a new codename again on reload, without ever creating a second mailbox.

Threat model: a frightened person reloads the page that shows their new
codename. Before, the reload re-posted the start form: a second mailbox, a
different codename, on a page that says it is "shown only once". Now the POST
creates the mailbox and redirects (post/redirect/get) to a page that shows the
same codename to this browser only, until the person confirms they wrote it
down or ``FORESTALL_MAILBOX_IDLE_MINUTES`` pass; then it is gone for good.

How, without storing the codename anywhere readable:

- the browser gets a random 256-bit token in a cookie (``HttpOnly``,
  ``SameSite=Strict``, no ``Max-Age``: gone when the browser closes). The
  cookie holds the token, never the codename;
- the cache holds the codename encrypted (AES-GCM) under a key derived from
  that token, filed under another value derived from it. Neither the cache,
  nor the database, nor the key ring can decrypt it without the browser's
  cookie, and the entry expires on its own;
- confirming deletes the entry and the cookie.
"""

from __future__ import annotations

import hashlib
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from forestall.inbox.mailbox_session import idle_seconds

COOKIE_NAME = "forestall_new_codename"
_NONCE_BYTES = 12


def _derive(token: str, purpose: bytes) -> bytes:
    return hashlib.sha256(b"forestall.codename-view." + purpose + b"\0" + token.encode()).digest()


def _cache_key(token: str) -> str:
    return "codename-view:" + _derive(token, b"id").hex()


def keep(response: HttpResponse, codename: str, token: str | None = None) -> HttpResponse:
    """Keep ``codename`` for this browser's next views of the codename page.

    ``token`` (a random one if None) is the cookie's value; a form sent once
    but arriving twice (``forestall.inbox.start_once``) gives both answers
    the same one, derived from the form's own one-time token.
    """
    token = token or secrets.token_urlsafe(32)
    nonce = os.urandom(_NONCE_BYTES)
    sealed = nonce + AESGCM(_derive(token, b"key")).encrypt(nonce, codename.encode(), None)
    cache.set(_cache_key(token), sealed, timeout=idle_seconds())
    return show_kept(response, token)


def show_kept(response: HttpResponse, token: str) -> HttpResponse:
    """Give this browser the cookie of a codename already kept under ``token``."""
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=None,
        path="/",
        secure=bool(settings.SESSION_COOKIE_SECURE),
        httponly=True,
        samesite="Strict",
    )
    return response


def shown(request: HttpRequest) -> str | None:
    """The codename kept for this browser, or None if there is none (any more)."""
    token = request.COOKIES.get(COOKIE_NAME, "")
    if not token or len(token) > 100:
        return None
    sealed = cache.get(_cache_key(token))
    if not isinstance(sealed, bytes) or len(sealed) <= _NONCE_BYTES:
        return None
    try:
        plain = AESGCM(_derive(token, b"key")).decrypt(
            sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], None
        )
    except (InvalidTag, ValueError):
        return None
    return plain.decode()


def forget(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Delete the kept codename and its cookie (after the person confirmed)."""
    token = request.COOKIES.get(COOKIE_NAME, "")
    if token:
        cache.delete(_cache_key(token))
        response.delete_cookie(COOKIE_NAME, path="/", samesite="Strict")
    return response
