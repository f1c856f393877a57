"""Django's ``flush``: it empties every table, the audit log too; its entry begins the log again.

The chain head goes with the log, so ``verify-audit`` reports the head
unauthenticated from then on, as it does for any emptied log: the entry
says how it happened, the check still says that it did.

Django's test framework empties the tables between tests with this command
(``call_command``); only a flush asked for on the command line is recorded,
so that a test's teardown leaves no entry behind.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush

from forestall.audit.commandline import reasons
from forestall.audit.commands import AuditedCommand


class Command(AuditedCommand, flush.Command):
    from_command_line = False

    def run_from_argv(self, argv: list[str]) -> None:
        self.from_command_line = True
        super().run_from_argv(argv)

    def handle(self, **options: Any) -> None:
        if not self.from_command_line:
            super().handle(**options)
            return
        if options["interactive"]:
            confirm = input(
                "This empties every table of the database, the audit log included.\n"
                "Type 'yes' to continue, or 'no' to cancel: "
            )
            if confirm != "yes":
                self.stdout.write("Flush cancelled.")
                return
        super().handle(**{**options, "interactive": False})
        self.record("data.flush", reason=reasons.FLUSHED)
