"""``forestall backfill-stats [--apply] [--before DATE]``: rebuild counts from existing records.

It reads the help-seekers' records (mailboxes, conversations, cases,
concerns; their dates and categories, no content). ``--apply`` is recorded in
the audit log (``statistics.backfill``: the day and the number of events
written), in the transaction that writes the counts, with this command as the
actor; a dry run writes nothing and is not recorded.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from forestall.audit.commands import AuditedCommand
from forestall.stats.backfill import backfill
from forestall.stats.events import Event


class Command(AuditedCommand):
    help = (
        "Rebuild de-identified daily counts from the records that exist, for the days before "
        "counting started. Dry run by default; --apply replaces the backfilled counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--apply", action="store_true", help="Write the counts (default: only report)."
        )
        parser.add_argument(
            "--before",
            help="Backfill days before this date (YYYY-MM-DD); default: the first live count.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        before = None
        if options["before"]:
            try:
                before = datetime.date.fromisoformat(options["before"])
            except ValueError:
                raise CommandError("--before must be a date like 2025-01-31") from None
        with transaction.atomic():
            before, totals = backfill(before, apply=options["apply"])
            if options["apply"]:
                self.record(
                    "statistics.backfill",
                    reason=f"before {before.isoformat()}: {sum(totals.values())} events",
                )
        verb = "Backfilled" if options["apply"] else "Would backfill"
        self.stdout.write(f"{verb} {sum(totals.values())} events before {before.isoformat()}:")
        for event in Event:
            if totals.get(event.value):
                self.stdout.write(f"  {event.value}: {totals[event.value]}")
        if not options["apply"]:
            self.stdout.write("Dry run: nothing written. Run again with --apply to write.")
