""" "Arrived through reach": the one thing a browser keeps after a landing.

Threat model: a warning shown after a search must not turn into a trace of
that search. The landing page sets a browser-session cookie whose value is
the same for everyone ("1"): no partner, no variant, no time, nothing that
tells one visitor from another. It lets the steps that follow be counted with
source "reach" in the daily counts, and it keeps a reload from counting the
landing twice. It ends when the browser closes.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

COOKIE_NAME = "forestall_reach"
COOKIE_VALUE = "1"


def arrived_through_reach(request: HttpRequest) -> bool:
    return request.COOKIES.get(COOKIE_NAME) == COOKIE_VALUE


def stats_source(request: HttpRequest) -> str:
    """The ``source`` of a funnel count made in this request: "reach" or "live"."""
    from forestall.stats.models import Source

    return Source.REACH if arrived_through_reach(request) else Source.LIVE


def remember_arrival(response: HttpResponse) -> None:
    response.set_cookie(
        COOKIE_NAME,
        COOKIE_VALUE,
        max_age=None,
        path="/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
