"""``forestall export-research --study SLUG --out DIR``: a study's research export.

Options: ``--from YYYY-MM --to YYYY-MM``, ``--centre SLUG`` (repeatable), ``--k N``;
see docs/research.md. The export is recorded in the audit log
(``research.export``, with the filters and the number of cases) with this
command as the actor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from forestall.audit.commands import AuditedCommand
from forestall.research.actions import export_research
from forestall.research.export import (
    ExportError,
    ExportRequest,
    centre_slugs,
    disclosure_summary,
    parse_month,
)
from forestall.research.models import Study


class Command(AuditedCommand):
    help = "Write a study's pseudonymised research export (CSV files, codebook, manifest)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--study", required=True, help="the study's short name (slug)")
        parser.add_argument("--out", required=True, help="a new or empty directory")
        parser.add_argument("--from", dest="from_month", help="first month (YYYY-MM)")
        parser.add_argument("--to", dest="to_month", help="last month (YYYY-MM)")
        parser.add_argument(
            "--centre", action="append", default=[], help="only this centre (repeatable)"
        )
        parser.add_argument("--k", type=int, default=None, help="smallest group (default: setting)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            study = Study.objects.get(slug=options["study"])
        except Study.DoesNotExist:
            raise CommandError(
                f"no study {options['study']!r}: a network admin sets studies up in the "
                "administration, /staff/admin/research/study/ (docs/research.md)"
            ) from None
        try:
            request = ExportRequest(
                study=study,
                out_dir=Path(options["out"]),
                from_month=parse_month(options["from_month"]) if options["from_month"] else None,
                to_month=parse_month(options["to_month"]) if options["to_month"] else None,
                centre_slugs=centre_slugs(options["centre"]),
                k=options["k"],
            )
            manifest = export_research(None, request)
        except (ValueError, ExportError) as error:
            raise CommandError(str(error)) from None
        counts = ", ".join(f"{name} {n}" for name, n in manifest["row_counts"].items())
        self.stdout.write(f"wrote {options['out']}: {counts}; {disclosure_summary(manifest)}")
