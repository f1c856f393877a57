"""The Django admin, for network admins who completed two-factor sign-in.

Threat model: the admin can read and change every account, centre and role,
so a stolen password alone, or an account with a lesser role, must never open
it. Every admin view passes :meth:`StaffAdminSite.has_permission`, which asks
for a verified second factor in this session and the network admin role.
Everyone else is sent to the staff sign-in; the admin's own password-only
login form is never shown.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from forestall.accounts.models import User


def admin_user(request: HttpRequest) -> User:
    """The staff member using the admin (the site admits only verified network admins)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def may_use_admin(user: Any) -> bool:
    """True for an active network admin whose session is 2FA-verified."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_verified()
        and user.is_network_admin
    )


class AuditedAdminMixin:
    """Every add, change and delete made in the admin also goes into the audit chain.

    Django's own admin log (``LogEntry``) is an ordinary, editable table; the
    audit chain is tamper-evident. The entry is written in the admin view's
    own transaction, so it commits or rolls back with the change.
    """

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        from forestall.accounts.actions import record_admin_change

        record_admin_change(admin_user(request), "add", obj, _message_text(message))
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        from forestall.accounts.actions import record_admin_change

        record_admin_change(admin_user(request), "change", obj, _message_text(message))
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        from forestall.accounts.actions import record_admin_change

        for obj in queryset:
            record_admin_change(admin_user(request), "delete", obj)
        return super().log_deletions(request, queryset)  # type: ignore[misc]


def _message_text(message: Any) -> str:
    """The admin's change message as short text: which fields changed, never values."""
    if isinstance(message, list):
        import json

        return json.dumps(message, separators=(",", ":"), default=str)
    return str(message or "")


class StaffAdminSite(admin.AdminSite):
    site_header = _("forestall administration")
    site_title = _("forestall administration")
    index_title = _("Network administration")
    site_url = "/staff/"

    def has_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user)

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        """Register as usual, with every admin class audited (``AuditedAdminMixin``)."""
        base = admin_class or admin.ModelAdmin
        if not issubclass(base, AuditedAdminMixin):
            base = type(f"Audited{base.__name__}", (AuditedAdminMixin, base), {})
        super().register(model_or_iterable, base, **options)

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Send everyone to the staff sign-in (password, then the second factor)."""
        if self.has_permission(request):
            return redirect("admin:index")
        if request.user.is_authenticated and request.user.is_verified():
            messages.info(
                request,
                gettext(
                    "The administration is only open to network admins. "
                    "Sign in as a network admin to use it."
                ),
            )
        index = reverse("admin:index", current_app=self.name)
        wanted = request.GET.get(REDIRECT_FIELD_NAME, "")
        target = wanted if wanted.startswith(index) else index
        return redirect_to_login(target, resolve_url("two_factor:login"))
