"""Django's ``shell``: what is done in it cannot be recorded one by one, so its opening is."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import shell

from forestall.audit.commands import AuditedCommand, audit_log_exists


class Command(AuditedCommand, shell.Command):
    def handle(self, **options: Any) -> None:
        if options.get("command"):
            what = "a command run through the Python shell"
        else:
            what = "an interactive Python shell opened"
        # An empty, unmigrated database holds nothing to record (nor a log to
        # record in); any other failure to record stops the shell.
        if audit_log_exists():
            self.record(
                "operator.shell",
                reason=f"{what}: what it reads or changes is not recorded one by one",
            )
        return super().handle(**options)
