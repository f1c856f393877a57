"""Rate limits that never see an address.

Threat model: brute force on codenames and staff sign-ins, and floods of
public forms, without keeping anything that identifies a visitor. The privacy
middleware has already replaced the client address by
``request.rate_limit_key``, a keyed hash (pepper outside the database); the
buckets here are fixed-window counters in the Django cache named
``ratelimit:<scope>:<rate_limit_key>:<window>`` that expire with their
window. Nothing is written to the database, and the counters are plain
integers. The local-memory cache serves the one-process default; production
sets ``REDIS_URL`` so that every worker shares the counts.

Use ``@rate_limit("mailbox-signin", limit=10, period=300)`` on a view (it
counts POSTs by default and answers the translated 429 page when over), or
``hit(request, scope, limit, period)`` inside a view, which counts one attempt
and returns True when the limit is exceeded.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

_SCOPE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
KEY_PREFIX = "ratelimit"


def _bucket_name(request: HttpRequest) -> str:
    key = getattr(request, "rate_limit_key", None)
    if not key:
        # Only without the privacy middleware (a RequestFactory in a test):
        # hash whatever address there is, exactly as the middleware would.
        from forestall.lib.privacy import rate_limit_key_for

        key = rate_limit_key_for(request.META.get("REMOTE_ADDR", ""))
        request.rate_limit_key = key  # type: ignore[attr-defined]
    return str(key)


def _window(period: int, now: float | None = None) -> tuple[int, int]:
    """The current window number and the seconds left in it."""
    now = time.time() if now is None else now
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


def hit(request: HttpRequest, scope: str, limit: int, period: int) -> bool:
    """Count one attempt in ``scope``; True if it is over the limit (refuse it).

    At most ``limit`` attempts per ``period`` seconds are allowed per bucket;
    the ``limit + 1``-th and later return True until the window ends.
    """
    _check(scope, limit, period)
    number, left = _window(period)
    key = f"{KEY_PREFIX}:{scope}:{_bucket_name(request)}:{number}"
    # The key lives a little past its window end at most; never longer than a period.
    timeout = min(period, left + 1)
    if cache.add(key, 1, timeout=timeout):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:
            # Expired between add() and incr(): start a new bucket.
            cache.add(key, 1, timeout=timeout)
            count = 1
    over = count > limit
    if over:
        request.rate_limit_retry_after = left  # type: ignore[attr-defined]
    return over


def too_many(request: HttpRequest) -> HttpResponse:
    """The translated 429 page, with ``Retry-After`` set to the window's end."""
    from forestall.errors import too_many_requests

    response = too_many_requests(request)
    retry_after = getattr(request, "rate_limit_retry_after", None)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


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
