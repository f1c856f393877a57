"""The Django admin, for network admins who completed two-factor sign-in.

Threat model: the admin can read and change every account, centre and role,
so a stolen password alone, or an account with a lesser role, must never open
it. Every admin view passes :meth:`StaffAdminSite.has_permission`, which asks
for a verified second factor in this session and the network admin role.
Everyone else is sent to the staff sign-in; the admin's own password-only
login form is never shown.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from forestall.accounts.models import User
from forestall.lib.stale_edits import (
    EDITED_FROM,
    ChangedMeanwhile,
    GuardsStaleEdits,
    check_unchanged,
    refuse_as_changed,
    was_changed_meanwhile,
)


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


def refused_input(response: HttpResponse) -> bool:
    """True for an admin form page shown again because what was posted was refused.

    Django's admin answers such a page 200, like the empty form; the add and
    change pages list every refusal of the form and its inlines in
    ``errors`` (``AdminErrorList``), the password page has only its ``form``.
    """
    context = getattr(response, "context_data", None) or {}
    errors = context.get("errors")
    if errors is not None:
        return bool(errors)
    form = context.get("form")
    return bool(form is not None and form.is_bound and form.errors)


class AnswersRefusedInputWith400Mixin:
    """An add or change form refused as posted answers 400, with everything typed shown back.

    The rule for every forestall form (bad input: a translated message, a
    4xx, nothing typed lost); Django's admin showed the refusal with 200, so
    a client, a proxy or a test could not tell it from the empty form.
    ``StaffAdminSite.register`` adds this to every admin class; a stale
    save's 409 (``StaleGuardedAdminMixin``) is decided after it and wins.
    """

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().changeform_view(request, *args, **kwargs)  # type: ignore[misc]
        if request.method == "POST" and refused_input(response):
            response.status_code = 400
        return response


class _StaleGuardedAdminForm(GuardsStaleEdits):
    """An admin change form refused when the object was saved after it was opened.

    The check runs in ``clean()``, inside the admin view's transaction, so the
    row stays locked (``check_unchanged``) until the change is saved.
    """

    instance: Any
    # The username of whoever has the page open (set by ``get_form``): the
    # refusal says "you" when they made the newer save themselves.
    viewer = ""

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if self.instance.pk is not None:
            try:
                check_unchanged(type(self.instance), self.instance.pk, self.edited_from)
            except ChangedMeanwhile as changed:
                # Saving again from this answer replaces the newer save on purpose.
                data = cast("QueryDict", self.data).copy()
                data[self.add_prefix(EDITED_FROM)] = changed.version
                self.data = data
                refuse_as_changed(self, changed, self.viewer)
        return cleaned


def guards_stale_edits(model: Any) -> bool:
    """True for a model that records who changed it last and when (``lib.stale_edits``)."""
    names = {field.name for field in model._meta.get_fields()}
    return {"updated_at", "updated_by"} <= names


class StaleGuardedAdminMixin:
    """A change saved from an admin page opened before someone else's save is refused (409).

    The change form carries the object's version (``edited_from``, rendered
    by ``admin/stale_guarded_change_form.html``), the form's ``clean()``
    compares it under the row lock, the answer is 409 with every typed field
    (the form and its inlines) kept, and each save records ``updated_by``.
    ``StaffAdminSite.register`` adds this to every model with ``updated_at``
    and ``updated_by``.
    """

    change_form_template = "admin/stale_guarded_change_form.html"

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        if obj is None:
            return form
        return type(
            f"StaleGuarded{form.__name__}",
            (_StaleGuardedAdminForm, form),
            {"viewer": request.user.get_username()},
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.updated_by = admin_user(request)
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().changeform_view(request, *args, **kwargs)  # type: ignore[misc]
        adminform = (getattr(response, "context_data", None) or {}).get("adminform")
        if adminform is not None and was_changed_meanwhile(adminform.form):
            response.status_code = 409
        return response


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
        """Register as usual, with every admin class audited (``AuditedAdminMixin``)
        and answering refused input with 400 (``AnswersRefusedInputWith400Mixin``)."""
        base = admin_class or admin.ModelAdmin
        if not issubclass(base, AuditedAdminMixin):
            base = type(f"Audited{base.__name__}", (AuditedAdminMixin, base), {})
        if not issubclass(base, AnswersRefusedInputWith400Mixin):
            base = type(base.__name__, (AnswersRefusedInputWith400Mixin, base), {})
        models = [model_or_iterable] if isinstance(model_or_iterable, type) else model_or_iterable
        for model in models:
            registered = base
            if guards_stale_edits(model) and not issubclass(base, StaleGuardedAdminMixin):
                registered = type(
                    f"StaleGuarded{base.__name__}", (StaleGuardedAdminMixin, base), {}
                )
            super().register(model, registered, **options)

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
