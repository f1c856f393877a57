from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "forestall.accounts"
    label = "accounts"
    verbose_name = _("Staff")
    default = True
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # forestall's own deploy checks (secrets, proxies, Redis, secure delete).
        # Enrolment and sign-in use forestall's encrypted TOTP authenticator.
        from forestall.accounts import (
            checks,  # noqa: F401  (no TOTP secret or backup code in clear)
            two_factor_method,
        )
        from forestall.accounts.models import Membership
        from forestall.lib import deploy_checks  # noqa: F401
        from forestall.lib.requestmemo import forget_on_change

        two_factor_method.register()
        # A request remembers the reader's roles (User.role_holdings).
        forget_on_change(Membership)


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin, served by the 2FA- and role-gated :class:`StaffAdminSite`."""

    default = False
    default_site = "forestall.accounts.admin_site.StaffAdminSite"
