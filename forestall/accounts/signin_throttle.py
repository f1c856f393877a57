"""Progressive delays on failed staff sign-ins: slow a guesser, never lock anyone out.

Threat model: someone guessing a staff password online, and someone who wants
to keep a colleague out (ASVS 2.2.1: a hard per-account lockout lets anyone
who knows a username lock that person out, again and again). So there is no
lockout. Failed passwords are counted per *attempt source*:

- a browser that has completed a full sign-in (password and second factor)
  for this account before carries a signed *device cookie* for it; its
  failures are counted for that device alone, so nobody else's failures ever
  slow it down (the device-cookie defence recommended by OWASP);
- any other browser is counted per account *and* client address where the
  address is a real source (see ``forestall.lib.privacy``), and per account
  alone behind a shared address (an onion service).

After ``FREE_FAILURES`` failures the next attempt from that source is held
back for 1, 2, 4, ... seconds, at most ``MAX_DELAY_SECONDS``; an attempt
during the wait is answered 429 with the wait, without checking the
password (so the answer tells a guesser nothing). A correct password resets
the count for that source. The second factor is required whatever happens
here. Everything lives in the cache under keyed hashes that expire; no
address, username or user agent is stored.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from forestall.lib.privacy import keyed_hash

FREE_FAILURES = 3
MAX_DELAY_SECONDS = 300
# Failures are forgotten after an hour without a new one.
MEMORY_SECONDS = 3600
DEVICE_COOKIE = "forestall_staff_device"
DEVICE_COOKIE_DAYS = 90
_DEVICE_SALT = "forestall.accounts.staff-device"
_PREFIX = "signin-throttle"


def _account(username: str) -> str:
    return keyed_hash("staff-account:" + username.strip().casefold())


def _device(request: HttpRequest, username: str) -> str | None:
    """The device nonce of a valid device cookie for ``username``, else None."""
    value = request.COOKIES.get(DEVICE_COOKIE)
    if not value:
        return None
    try:
        data = signing.loads(value, salt=_DEVICE_SALT, max_age=DEVICE_COOKIE_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("a") != _account(username):
        return None
    nonce = data.get("d")
    return str(nonce) if nonce else None


def _bucket(request: HttpRequest, username: str) -> str:
    device = _device(request, username)
    if device:
        return f"{_PREFIX}:device:{keyed_hash('device:' + device)}"
    source = getattr(request, "rate_limit_source", None) or "shared"
    return f"{_PREFIX}:untrusted:{_account(username)}:{source}"


def delay_after(failures: int) -> int:
    """Seconds to wait after ``failures`` failed passwords in a row."""
    if failures < FREE_FAILURES:
        return 0
    return int(min(MAX_DELAY_SECONDS, 2 ** (failures - FREE_FAILURES)))


def known_browser_key(request: HttpRequest, username: str) -> str | None:
    """The cache key counting wrong *codes* from this browser, if it is a known device.

    The second factor's own delay (``forestall.accounts.models``) counts on
    the authenticator, which anyone with the password can make wait; a
    browser with a valid device cookie for ``username`` is counted here on
    its own instead, so only its own wrong codes ever hold it back.
    """
    device = _device(request, username)
    if not device:
        return None
    return f"{_PREFIX}:code:device:{keyed_hash('device:' + device)}"


def wait_seconds(request: HttpRequest, username: str) -> int:
    """How long this source must still wait before its next password for ``username``."""
    state = cache.get(_bucket(request, username))
    if not state:
        return 0
    _failures, not_before = state
    return max(0, int(not_before - time.time() + 0.999))


def record_failure(request: HttpRequest, username: str) -> None:
    """Count one wrong password from this source and start its delay."""
    key = _bucket(request, username)
    failures, _not_before = cache.get(key) or (0, 0.0)
    failures += 1
    cache.set(key, (failures, time.time() + delay_after(failures)), timeout=MEMORY_SECONDS)


def record_success(request: HttpRequest, username: str) -> None:
    """A correct password: this source starts counting afresh."""
    cache.delete(_bucket(request, username))


def remember_device(response: HttpResponse, username: str) -> HttpResponse:
    """After a complete sign-in, mark this browser as a known device for the account."""
    import secrets

    value = signing.dumps(
        {"a": _account(username), "d": secrets.token_urlsafe(16)}, salt=_DEVICE_SALT
    )
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_COOKIE_DAYS * 86400,
        path="/staff/",
        secure=bool(settings.SESSION_COOKIE_SECURE),
        httponly=True,
        samesite="Strict",
    )
    return response
