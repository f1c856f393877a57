"""Django's ``dbshell``, recorded as it opens (encrypted fields stay encrypted there)."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import dbshell

from forestall.audit.commandline import reasons
from forestall.audit.commands import AuditedCommand, audit_log_exists


class Command(AuditedCommand, dbshell.Command):
    def handle(self, **options: Any) -> None:
        # An empty, unmigrated database holds nothing to record (nor a log to
        # record in); any other failure to record stops the shell.
        if audit_log_exists():
            self.record("operator.dbshell", reason=reasons.DBSHELL_OPENED)
        return super().handle(**options)
