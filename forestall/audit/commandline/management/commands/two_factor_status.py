"""django-two-factor-auth's ``two_factor_status``: reading who has a second factor."""

from __future__ import annotations

from typing import Any

from two_factor.management.commands import two_factor_status

from forestall.audit.commands import AuditedCommand, accounts_named


class Command(AuditedCommand, two_factor_status.Command):
    def handle(self, *usernames: str, **options: Any) -> None:
        for username in usernames:
            for account in accounts_named([username], options):
                self.record("account.read_two_factor_status", account)
            super().handle(username, **options)
