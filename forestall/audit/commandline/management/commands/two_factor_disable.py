"""django-two-factor-auth's ``two_factor_disable``, recorded on each account it changes."""

from __future__ import annotations

from typing import Any

from two_factor.management.commands import two_factor_disable

from forestall.audit.commandline import reasons
from forestall.audit.commands import AuditedCommand, accounts_named


class Command(AuditedCommand, two_factor_disable.Command):
    def handle(self, *usernames: str, **options: Any) -> None:
        # One account at a time: an unknown name stops the command, and every
        # account changed before it has its entry.
        for username in usernames:
            super().handle(username, **options)
            for account in accounts_named([username], options):
                self.record(
                    "account.two_factor.reset",
                    account,
                    reason=reasons.SECOND_FACTORS_REMOVED,
                )
