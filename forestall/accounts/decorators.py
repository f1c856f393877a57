"""The staff side's entry check: signed in, second factor verified, active."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Admit only active staff who completed two-factor sign-in this session.

    A signed-in user without any second-factor device is sent to enrolment;
    nobody reaches a staff page on a password alone.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not user.is_verified():  # type: ignore[union-attr]
            from django_otp import user_has_device

            if not user_has_device(user):
                return redirect("two_factor:setup")
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return view(request, *args, **kwargs)

    return wrapper
