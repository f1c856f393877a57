"""Rate limits that never see an address.

Threat model: brute force on codenames and staff sign-ins, and floods of
public forms, without keeping anything that identifies a visitor. The privacy
middleware has already replaced the client address by
``request.rate_limit_key``, a keyed hash (pepper outside the database), and
only when the operator declared the proxies in front (or there are none) is
that address a real source; behind an onion service every visitor shares one
address, which is then no source at all (``request.rate_limit_source`` is
None). So limits are keyed on what an attacker cannot rotate cheaply as well:
the target tried (a codename hash, a username), the session, and global
ceilings. The buckets are fixed-window counters in the Django cache named
``ratelimit:<scope>:<kind>:<hash>:<window>`` that expire with their
window. Nothing is written to the database, and the counters are plain
integers. The local-memory cache serves the one-process default; production
sets ``REDIS_URL`` so that every worker shares the counts.

Use ``@rate_limit("mailbox-signin", limit=10, period=300)`` on a view (it
counts POSTs per source by default and answers the translated 429 page when
over), ``hit(request, scope, limit, period)`` inside a view, which counts one
attempt per source and returns True when the limit is exceeded, or
``over_any(request, scope, Per.source(...), Per.session(...), ...)`` for a
policy with several keys. Every refusal records the real wait in
``request.rate_limit_retry_after``, which the 429 answer sends as
``Retry-After`` and names in its message.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

_SCOPE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
KEY_PREFIX = "ratelimit"


def _bucket_name(request: HttpRequest) -> str:
    key = getattr(request, "rate_limit_key", None)
    if not key:
        # Only without the privacy middleware (a RequestFactory in a test):
        # hash whatever address there is, exactly as the middleware would.
        from forestall.lib.privacy import is_shared_address, rate_limit_key_for

        address = request.META.get("REMOTE_ADDR", "")
        key = rate_limit_key_for(address)
        request.rate_limit_key = key  # type: ignore[attr-defined]
        request.rate_limit_source = None if is_shared_address(address) else key  # type: ignore[attr-defined]
    return str(key)


def _source(request: HttpRequest) -> str | None:
    _bucket_name(request)
    source = getattr(request, "rate_limit_source", None)
    return str(source) if source else None


def session_key(request: HttpRequest) -> str | None:
    """A bucket name for the browser session, or None for a browser without one.

    The public side keeps no session of its own before a mailbox exists; the
    CSRF cookie that every form needs plays that part (a script that throws
    it away must fetch a new form for every attempt). Only a keyed hash of it
    is used.
    """
    from forestall.lib.privacy import keyed_hash

    for name in (settings.CSRF_COOKIE_NAME, settings.SESSION_COOKIE_NAME):
        value = request.COOKIES.get(name)
        if value:
            return keyed_hash(f"session:{name}:{value}")
    return None


def target_key(text: str) -> str:
    """A bucket name for the target of an attempt (a username, a codename hash)."""
    from forestall.lib.privacy import keyed_hash

    return keyed_hash("target:" + text)


# The limiter's clock (seconds since the epoch). Tests pin it, so that a
# test's attempts never straddle the end of a window (tests/conftest.py).
clock: Callable[[], float] = time.time


def _window(period: int, now: float | None = None) -> tuple[int, int]:
    """The current window number and the seconds left in it."""
    now = clock() if now is None else now
    number = int(now // period)
    return number, max(1, int((number + 1) * period - now))


def cache_key(request: HttpRequest, scope: str, period: int) -> str:
    """The cache key of the current bucket (for tests and diagnostics)."""
    number, _left = _window(period)
    return f"{KEY_PREFIX}:{scope}:{_bucket_name(request)}:{number}"


def _check(scope: str, limit: int, period: int) -> None:
    if not _SCOPE.match(scope):
        raise ValueError(f"rate limit scope {scope!r} must be a short lower-case name")
    if limit < 1 or period < 1:
        raise ValueError("rate limit needs limit >= 1 and period >= 1 second")


def _count(request: HttpRequest, name: str, limit: int, period: int) -> bool:
    number, left = _window(period)
    key = f"{KEY_PREFIX}:{name}:{number}"
    # The key lives a little past its window end at most; never longer than a period.
    timeout = min(period, left + 1)
    # The bucket usually exists already (the global ceiling always does, and
    # an attacker's do): one increment then, instead of a failed add() first.
    try:
        count = cache.incr(key)
    except ValueError:
        if cache.add(key, 1, timeout=timeout):
            count = 1
        else:
            try:
                count = cache.incr(key)  # another request started it meanwhile
            except ValueError:
                # Expired in between: start a new bucket.
                cache.add(key, 1, timeout=timeout)
                count = 1
    over = count > limit
    if over:
        waited = getattr(request, "rate_limit_retry_after", 0) or 0
        request.rate_limit_retry_after = max(waited, left)  # type: ignore[attr-defined]
    return over


def hit(request: HttpRequest, scope: str, limit: int, period: int) -> bool:
    """Count one attempt in ``scope`` per source; True if it is over the limit (refuse it).

    At most ``limit`` attempts per ``period`` seconds are allowed per source;
    the ``limit + 1``-th and later return True until the window ends. Behind a
    shared address (an onion service) there is no source and nothing is
    counted here: combine with ``over_any`` for keys that still hold there.
    """
    _check(scope, limit, period)
    source = _source(request)
    if source is None:
        return False
    return _count(request, f"{scope}:{source}", limit, period)


@dataclass(frozen=True)
class Per:
    """One rule of a policy: at most ``limit`` per ``period`` seconds per ``kind`` key."""

    kind: str
    limit: int
    period: int
    key: str = ""

    @classmethod
    def source(cls, limit: int, period: int) -> Per:
        """Per client address (only where it is a real source, see ``hit``)."""
        return cls("source", limit, period)

    @classmethod
    def session(cls, limit: int, period: int) -> Per:
        """Per browser session (see ``session_key``); a browser without one shares a bucket."""
        return cls("session", limit, period)

    @classmethod
    def target(cls, key: str, limit: int, period: int) -> Per:
        """Per thing tried: a username, a codename hash, a mailbox."""
        return cls("target", limit, period, target_key(key))

    @classmethod
    def everyone(cls, limit: int, period: int) -> Per:
        """A global ceiling over all visitors together."""
        return cls("global", limit, period)


def over_any(request: HttpRequest, scope: str, *rules: Per) -> bool:
    """Count one attempt under every rule; True if any of them is over its limit.

    Every rule is counted even after one is over, so that a client cannot
    keep one bucket fresh by tripping another first.
    """
    over = False
    for rule in rules:
        _check(scope, rule.limit, rule.period)
        if rule.kind == "source":
            name = _source(request)
            if name is None:
                continue
        elif rule.kind == "session":
            name = session_key(request) or "none"
        elif rule.kind == "target":
            name = rule.key
        else:
            name = "all"
        over = _count(request, f"{scope}:{rule.kind}:{name}", rule.limit, rule.period) or over
    return over


def retry_after(request: HttpRequest) -> int:
    """Seconds until the refused attempt may be made again (at least 1)."""
    return max(1, int(getattr(request, "rate_limit_retry_after", 0) or 0))


def with_retry_after(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """``response`` (a page answering 429) with ``Retry-After`` set to the real wait."""
    response["Retry-After"] = str(retry_after(request))
    return response


def wait_phrase(seconds: int) -> str:
    """How long a wait of ``seconds`` is, translated: "45 seconds", "3 minutes" (rounded up)."""
    from django.utils.translation import ngettext

    if seconds < 120:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = -(-seconds // 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def wait_message(request: HttpRequest) -> str:
    """The translated "please wait" sentence that says how long."""
    from django.utils.translation import gettext

    return gettext(
        "There were too many attempts in a short time. Please wait %(wait)s and try again."
    ) % {"wait": wait_phrase(retry_after(request))}


def too_many(request: HttpRequest) -> HttpResponse:
    """The translated 429 page, with ``Retry-After`` set to the real wait."""
    from forestall.errors import too_many_requests

    return too_many_requests(request)


def rate_limit(
    scope: str,
    limit: int,
    period: int,
    methods: Iterable[str] = ("POST",),
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a view: over ``limit`` requests per ``period`` seconds answer 429.

    Only requests whose method is in ``methods`` are counted (POST by default,
    so reading a form is never limited, only sending it).
    """
    _check(scope, limit, period)
    counted = frozenset(method.upper() for method in methods)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in counted and hit(request, scope, limit, period):
                return too_many(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
