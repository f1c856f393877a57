"""``forestall backfill-stats [--apply] [--before DATE]``: rebuild counts from existing records."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forestall.stats.backfill import backfill
from forestall.stats.events import Event


class Command(BaseCommand):
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
        before, totals = backfill(before, apply=options["apply"])
        verb = "Backfilled" if options["apply"] else "Would backfill"
        self.stdout.write(f"{verb} {sum(totals.values())} events before {before.isoformat()}:")
        for event in Event:
            if totals.get(event.value):
                self.stdout.write(f"  {event.value}: {totals[event.value]}")
        if not options["apply"]:
            self.stdout.write("Dry run: nothing written. Run again with --apply to write.")
