"""Django's ``shell``: what is done in it cannot be recorded one by one, so its opening is."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import shell

from forestall.audit.commandline import reasons
from forestall.audit.commands import AuditedCommand, audit_log_exists


class Command(AuditedCommand, shell.Command):
    def handle(self, **options: Any) -> None:
        reason = reasons.SHELL_COMMAND if options.get("command") else reasons.SHELL_OPENED
        # An empty, unmigrated database holds nothing to record (nor a log to
        # record in); any other failure to record stops the shell.
        if audit_log_exists():
            self.record("operator.shell", reason=reason)
        return super().handle(**options)
