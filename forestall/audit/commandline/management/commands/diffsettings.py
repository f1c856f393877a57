"""Django's ``diffsettings``, recorded: it prints every key that opens the personal data.

Its output holds ``FORESTALL_KEYS`` (with a copy of the database, every
encrypted message and note can be read elsewhere, where nothing records it),
``FORESTALL_AUDIT_KEY`` (which authenticates this log's chain), the
codename pepper and ``SECRET_KEY``. The server's configuration holds them
too; what is recorded is that they were printed, and by whom the server's
accounts know, as for a shell.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import diffsettings

from forestall.audit.commandline import reasons
from forestall.audit.commands import AuditedCommand, audit_log_exists


class Command(AuditedCommand, diffsettings.Command):
    def handle(self, **options: Any) -> str:
        # An empty, unmigrated database holds nothing to record (nor a log to
        # record in); any other failure to record stops the command.
        if audit_log_exists():
            self.record("operator.diffsettings", reason=reasons.SETTINGS_PRINTED)
        return str(super().handle(**options))
