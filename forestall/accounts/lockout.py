"""Which account a failed sign-in counts against (django-axes hook).

forestall locks out per username only and never per address (see
``forestall.lib.privacy``). django-axes sees the username in two shapes: the
credentials Django's ``authenticate()`` reports on failure (``username``) and
the prefixed field of the two-factor sign-in wizard (``auth-username``). Both
must resolve to the same account, or failures would go uncounted.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def username_for_lockout(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The username a sign-in attempt is about, or ``None`` if there is none."""
    form_field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        for key in ("username", form_field):
            value = credentials.get(key)
            if value:
                return str(value).strip()
    data = getattr(request, "data", None) or getattr(request, "POST", {})
    value = data.get(form_field) if data else None
    return str(value).strip() if value else None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """The translated "sign-in paused" page (429), shown instead of the sign-in form.

    It names neither the account nor whether it exists, and says how long to wait.
    """
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = max(1, math.ceil(float(cool_off) * 60)) if cool_off else 0
    return render(
        request,
        settings.AXES_LOCKOUT_TEMPLATE,
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes},
        status=429,
    )
