"""``forestall purge-expired``: erase records whose retention period has ended.

Dry run by default (prints what is due per policy); ``--apply`` erases, one
transaction per policy, and records only the counts in the audit log (one
entry per policy, in the policy's transaction, with this command as the actor;
a dry run only counts and is not recorded). Safe to
run from cron at any time and as often as wanted: a second run finds nothing
more to do.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from forestall.audit.commands import AuditedCommand
from forestall.lib import erasure, retention


class Command(AuditedCommand):
    help = (
        "Show (default) or erase (--apply) the records whose retention period has ended, "
        "per retention policy."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--apply", action="store_true", help="Erase what is due (default: only count)."
        )
        parser.add_argument(
            "--policy", action="append", default=[], help="Only this policy (repeatable)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            selected = (
                [retention.get_policy(name) for name in options["policy"]]
                if options["policy"]
                else retention.policies()
            )
        except retention.RetentionError as error:
            raise CommandError(str(error)) from None
        apply = options["apply"]
        if not selected:
            self.stdout.write("No retention policies are declared.")
            return
        failures: list[str] = []
        total = 0
        for policy in selected:
            try:
                result = retention.purge(policy, apply=apply)
            except (ProtectedError, RestrictedError) as error:
                objects = (
                    getattr(error, "protected_objects", None)
                    or getattr(error, "restricted_objects", None)
                    or ()
                )
                blocking = sorted({obj._meta.label for obj in objects})
                failures.append(
                    f"{policy.name}: not erased, still referenced by {', '.join(blocking)}"
                )
                continue
            except retention.RetentionError as error:
                failures.append(f"{policy.name}: {error}")
                continue
            if apply:
                total += result.erased
                self.stdout.write(
                    f"{policy.name}: erased {result.erased} "
                    f"(inactive before {_moment(result.cutoff)}, kept {policy.period_text()})"
                )
            else:
                total += result.due
                self.stdout.write(
                    f"{policy.name}: {result.due} due "
                    f"(inactive before {_moment(result.cutoff)}, kept {policy.period_text()})"
                )
        if apply:
            self.stdout.write(f"Erased {total} records in all.")
            if total:
                # Dead row versions (PostgreSQL) and old pages in the SQLite
                # log still hold what was erased until this runs.
                tables: set[str] = set()
                for policy in selected:
                    tables |= erasure.cascade_tables(policy.model_class())
                erasure.vacuum_tables(tables)
        else:
            self.stdout.write(f"{total} records are due. Dry run: nothing erased (use --apply).")
        if failures:
            for failure in failures:
                self.stderr.write(failure)
            raise CommandError(f"{len(failures)} retention policies could not run")


def _moment(cutoff: datetime.date) -> str:
    """A day as an ISO date; a moment in the configured time zone, to the minute."""
    if isinstance(cutoff, datetime.datetime):
        return timezone.localtime(cutoff).strftime("%Y-%m-%d %H:%M %Z")
    return cutoff.isoformat()
