"""Staff accounts and their roles in the Django admin (network admins only, see admin_site)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    SetUnusablePasswordMixin,
    UserChangeForm,
)
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from forestall.accounts.actions import (
    SelfGrantRefused,
    check_role_grant,
    revoke_role,
    save_membership,
)
from forestall.accounts.admin_site import admin_user, refused_input
from forestall.accounts.models import Membership, User
from forestall.audit.actions import record_event

# Access follows roles (memberships), not Django's groups: hide them, so that
# nobody believes a group grants anything. django-otp's device pages would show
# every person's TOTP secret and backup codes to any admin, which would let an
# admin who learns a password pass that person's second factor too; the
# "Reset two-factor sign-in" action below is all the administration needs.
# forestall's own devices (TOTPAuthenticator, BackupCodeSet and its hashed
# BackupCode rows) are deliberately never registered, for the same reason.
for _model in (Group, TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


def _where(membership: Membership) -> str:
    return membership.centre.name if membership.centre else str(_("network"))


class _MembershipFormSet(BaseInlineFormSet):
    """Refuses a role that opens case data when the person edits their own account,
    and the same role listed twice (Django's own check skips a network-wide pair,
    whose empty centre the database's conditional constraint would refuse as a 500)."""

    granted_by: Any = None

    def clean(self) -> None:
        super().clean()
        listed: set[tuple[str, Any]] = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            role = form.cleaned_data.get("role")
            if role:
                centre = form.cleaned_data.get("centre")
                key = (role, centre.pk if centre is not None else None)
                if key in listed:
                    form.add_error("role", _("This role is already listed for this person."))
                    continue
                listed.add(key)
            if not role or not form.has_changed():
                continue
            try:
                check_role_grant(self.instance, role, by=self.granted_by)
            except SelfGrantRefused:
                form.add_error(
                    "role",
                    _(
                        "You cannot give yourself a role that opens case data. "
                        "To look into a case, break the glass with a reason instead."
                    ),
                )


# Stacked, not tabular: Django's table layout gives an inline row's selects and
# "delete" box no label (axe: critical), and is too wide for a phone.
class MembershipInline(admin.StackedInline):
    model = Membership
    formset = _MembershipFormSet
    extra = 1
    fields = ["role", "centre"]
    autocomplete_fields = []
    verbose_name = _("role")
    verbose_name_plural = _("roles (leave the centre empty for a network-wide role)")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.granted_by = request.user  # type: ignore[attr-defined]  # read by the formset's save
        return formset


class _UserChangeForm(UserChangeForm):
    """Django's form, without the password's help text.

    Django's admin prints that help without the id its read-only password
    widget points ``aria-describedby`` at, so a screen reader would be
    sent to nothing; the widget itself says what it is and offers the reset.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "password" in self.fields:
            self.fields["password"].help_text = ""


class _PasswordChangeForm(AdminPasswordChangeForm):
    """Django's "change password" form, its help in the reader's language.

    Django appends a warning to the translatable help when the module is
    imported, which turns the whole help into English text: a German page
    said it in English.
    """

    # Lazy, translated when the page is shown (Django declares it a str).
    usable_password_help_text = format_lazy(  # type: ignore[assignment]
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        SetUnusablePasswordMixin.usable_password_help_text,
        _("If disabled, the current password for this user will be lost."),
    )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = _UserChangeForm
    change_password_form = _PasswordChangeForm
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "active", "roles"]
    list_filter = ["is_active", "memberships__role"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "email", "language")}),
        (_("Access"), {"fields": ("is_active",)}),
        (_("History"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    actions = ["reset_two_factor"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("memberships__centre")

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        """The account; on a POST, its next save names the admin (``User.changed_by``).

        Django's "change password" page saves the account through its own
        form, never through ``save_model``: without this the new password
        moved ``updated_at`` and named nobody (before: whoever saved last).
        """
        user = super().get_object(request, object_id, from_field)
        if user is not None and request.method == "POST":
            user.changed_by(admin_user(request))
        return user

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Django's "change password" page; a refused password answers 400 (as the other forms)."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and refused_input(response):
            response.status_code = 400
        return response

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.changed_by(admin_user(request))
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Roles go through the accounts actions: checked, and each one into the audit chain."""
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        memberships = formset.save(commit=False)
        for membership in formset.deleted_objects:
            revoke_role(membership, by=admin_user(request))
        changed = {id(obj) for obj, _fields in formset.changed_objects}
        for membership in memberships:
            save_membership(
                membership, by=admin_user(request), created=id(membership) not in changed
            )

    @admin.display(description=_("active"), ordering="is_active")
    def active(self, user: User) -> SafeString:
        """Django's yes/no icon, named in the reader's language (Django's says "True")."""
        icon = "yes" if user.is_active else "no"
        said = gettext("yes") if user.is_active else gettext("no")
        return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), said)

    @admin.display(description=_("roles"))
    def roles(self, user: User) -> str:
        return ", ".join(
            f"{membership.get_role_display()} ({_where(membership)})"
            for membership in user.memberships.all()
        )

    @admin.action(
        description=_("Reset two-factor sign-in (they set it up again at the next sign-in)")
    )
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        with transaction.atomic():
            for user in queryset:
                for device in devices_for_user(user, confirmed=None):
                    device.delete()
                record_event(admin_user(request), "account.two_factor.reset", user)
        count = queryset.count()
        self.message_user(
            request,
            ngettext(
                "Two-factor sign-in was reset for %(count)d account.",
                "Two-factor sign-in was reset for %(count)d accounts.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
