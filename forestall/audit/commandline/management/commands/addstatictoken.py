"""django-otp's ``addstatictoken``: a second factor added here, recorded on its account."""

from __future__ import annotations

from typing import Any

from django_otp.plugins.otp_static.management.commands import addstatictoken

from forestall.audit.commandline import reasons
from forestall.audit.commands import AuditedCommand, accounts_named


class Command(AuditedCommand, addstatictoken.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
        for account in accounts_named([options["username"]], options):
            self.record(
                "account.two_factor.static_token",
                account,
                reason=reasons.STATIC_TOKEN_ADDED,
            )
