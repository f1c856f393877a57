"""Staff accounts and their roles in the Django admin (network admins only, see admin_site)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from forestall.accounts.models import Membership, User
from forestall.audit.actions import record_event

# Access follows roles (memberships), not Django's groups: hide them, so that
# nobody believes a group grants anything. django-otp's device pages would show
# every person's TOTP secret and backup codes to any admin, which would let an
# admin who learns a password pass that person's second factor too; the
# "Reset two-factor sign-in" action below is all the administration needs.
for _model in (Group, TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


def _where(membership: Membership) -> str:
    return membership.centre.name if membership.centre else str(_("network"))


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    fields = ["role", "centre"]
    autocomplete_fields = []
    verbose_name = _("role")
    verbose_name_plural = _("roles (leave the centre empty for a network-wide role)")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "is_active", "roles"]
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
                record_event(request.user, "account.two_factor.reset", user)
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
