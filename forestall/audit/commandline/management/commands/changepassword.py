"""Django's ``changepassword``, recorded on the account whose password it changed."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.management.commands import changepassword

from forestall.audit.commandline import reasons
from forestall.audit.commands import AuditedCommand, accounts_named


class Command(AuditedCommand, changepassword.Command):
    def handle(self, *args: Any, **options: Any) -> str | None:
        done = super().handle(*args, **options)
        for account in accounts_named([options["username"] or getpass.getuser()], options):
            self.record("account.password_change", account, reason=reasons.PASSWORD_CHANGED)
        return done
