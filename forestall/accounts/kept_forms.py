"""A staff form sent after the session ended is kept through the sign-in, for its author only.

Staff sessions end after 30 minutes without a request. A clinician who takes
longer over a case note, a lead over a concern's reasons, or a manager over a
referral summary used to press "Save" into a sign-in page, and after signing
in found the empty form: what they wrote was gone. (The inbox's reply box has
its own way back, ``inbox.staff_views.keeps_reply_through_sign_in``.)

Threat model. Nobody is signed in when the form arrives, so whatever is kept
must not become readable by whoever signs in next on that browser (a shared
office computer). The form is therefore kept only when the browser still
carries the cookie of a staff session that had completed both sign-in steps;
its author is read from that session's stored row (expired, not yet purged,
signed by Django). After sign-in, the kept form is shown only to that same
person; anyone else gets a 404. The fields are encrypted with the key ring
(bound to the token's digest) and live in the cache for
``KEPT_FORM_MINUTES``; the random token travels only in the sign-in's
``next`` address, and the cache key is its SHA-256 digest. Nothing is
logged. Sending it again goes through the original view and its access gate,
so a person who lost access meanwhile cannot use it to write anything.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.http import HttpRequest
from django_otp import DEVICE_ID_SESSION_KEY

from forestall.lib.crypto import CryptoError, key_ring

KEPT_FORM_MINUTES = 30
_NOT_KEPT = frozenset({"csrfmiddlewaretoken"})


@dataclass(frozen=True)
class KeptForm:
    path: str
    fields: list[tuple[str, list[str]]]

    def texts(self) -> list[str]:
        """What the person wrote (not the choices and ids around it), for the page."""
        return [
            value
            for _name, values in self.fields
            for value in values
            if value.strip() and (" " in value.strip() or "\n" in value or len(value) > 40)
        ]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _cache_key(digest: str) -> str:
    return f"kept-form:{digest}"


def _author_of_the_ended_session(request: HttpRequest) -> str | None:
    """The user id of the two-factor staff session the browser's cookie names, if it had one."""
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return None
    row = Session.objects.filter(session_key=session_key).only("session_data").first()
    if row is None:  # signed out (the row is deleted) or purged
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore
    data = store().decode(row.session_data)  # {} unless Django's signature holds
    if not data.get(SESSION_KEY) or not data.get(DEVICE_ID_SESSION_KEY):
        return None
    return str(data[SESSION_KEY])


def keep_form_through_sign_in(request: HttpRequest) -> str | None:
    """Keep the POSTed form of an ended staff session; return the token, or None if not kept."""
    fields = [(name, values) for name, values in request.POST.lists() if name not in _NOT_KEPT]
    if not any(value.strip() for _name, values in fields for value in values):
        return None
    author = _author_of_the_ended_session(request)
    if author is None:
        return None
    token = secrets.token_urlsafe(32)
    digest = _digest(token)
    payload = json.dumps({"author": author, "path": request.path, "fields": fields})
    envelope = key_ring().encrypt(payload.encode(), associated_data=_cache_key(digest).encode())
    cache.set(_cache_key(digest), envelope, KEPT_FORM_MINUTES * 60)
    return token


def kept_form_for(user_id: uuid.UUID, token: str) -> KeptForm | None:
    """The form kept under ``token`` if ``user_id`` wrote it and it has not expired, else None."""
    key = _cache_key(_digest(token))
    envelope = cache.get(key)
    if envelope is None:
        return None
    try:
        payload = json.loads(key_ring().decrypt(envelope, associated_data=key.encode()))
    except (CryptoError, ValueError):
        return None
    if payload.get("author") != str(user_id) or not str(payload.get("path", "")).startswith(
        "/staff/"
    ):
        return None
    return KeptForm(
        path=payload["path"],
        fields=[
            (str(name), [str(value) for value in values]) for name, values in payload["fields"]
        ],
    )
