"""Django's ``migrate``, recorded when it migrates backwards: that drops what was stored.

Forward migrations are code reviewed like every other change. Unapplying
one is not: ``forestall migrate inbox zero`` drops the tables of every
mailbox, message and case (and those of the apps that depend on them)
with what they hold, as thoroughly as ``flush``, and it left no trace. The
entry is written before the first migration is unapplied, while the audit
log is still there (``migrate audit zero`` drops the log itself); it names
the target asked for and the first migration unapplied, never anything
about a person. ``--fake`` changes only the list of applied migrations and
``--plan`` only prints: neither is recorded.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import migrate

from forestall.audit.commands import AuditedCommand, audit_log_exists


class Command(AuditedCommand, migrate.Command):
    _backwards_recorded = False
    _target = ""

    def handle(self, *args: Any, **options: Any) -> None:
        self._backwards_recorded = False
        self._target = " ".join(
            str(part) for part in (options.get("app_label"), options.get("migration_name")) if part
        )
        super().handle(*args, **options)

    def migration_progress_callback(
        self, action: str, migration: Any = None, fake: bool = False
    ) -> None:
        if action == "unapply_start" and not fake and not self._backwards_recorded:
            # Before anything is dropped; a failure to record stops the command.
            if audit_log_exists():
                self.record(
                    "data.migrate_backwards",
                    reason=f"migrations unapplied (to {self._target or 'the latest'}, "
                    f"from {migration}): the tables and columns they created are dropped "
                    "with what they held",
                )
            self._backwards_recorded = True
        super().migration_progress_callback(action, migration, fake)
