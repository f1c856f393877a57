"""``forestall rotate-keys``: re-encrypt every encrypted field under the newest key.

Rotation procedure (docs/security.md): append a new key to
``FORESTALL_KEYS`` (the last key encrypts), restart, run this command, then
remove the old key. Rows are found by their envelope's key id and rewritten in
batches, each batch in its own transaction, so an interrupted run loses
nothing and a second run carries on where the first stopped. A row changed by
someone else while it is being rotated is left alone (the update only applies
if the stored envelope is still the one that was read); it is already under
the newest key anyway, since every save encrypts with it.

Each batch is recorded in the audit log in its own transaction
(``keys.rotate``: the model, how many rows and values were re-encrypted and
under which key id; this command is the actor), so the log says exactly what
was rewritten even when a run is interrupted. A dry run only compares
envelope headers (nothing is decrypted) and is not recorded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.core.management.base import CommandError, CommandParser, OutputWrapper
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Substr

from forestall.audit.commands import AuditedCommand
from forestall.lib.crypto import CryptoError, encrypted_models, envelope_header, key_ring


@dataclass
class _Tally:
    rows: int = 0
    values: int = 0
    skipped: int = 0


def _outdated(manager: models.Manager, fields: list[models.Field], header: bytes) -> Any:
    """Rows with at least one envelope not under the newest key.

    An envelope's first bytes name its key (``envelope_header``), so the
    database compares them; nothing is decrypted to find the rows.
    """
    condition = Q()
    annotations = {}
    for field in fields:
        alias = f"_rotation_header_{field.attname}"
        annotations[alias] = Substr(
            field.attname, 1, len(header), output_field=models.BinaryField()
        )
        condition |= Q(
            Q(**{f"{field.attname}__isnull": False})
            & ~Q(**{field.attname: b""})
            & ~Q(**{alias: header})
        )
    return manager.alias(**annotations).filter(condition)


class _Progress:
    """A plain-text progress bar on stderr (redrawn in place on a terminal)."""

    WIDTH = 30

    def __init__(self, stream: OutputWrapper, label: str, total: int) -> None:
        self.stream, self.label, self.total = stream, label, total
        self.tty = stream.isatty()
        self.last_drawn = 0.0
        self.last_line = ""

    def update(self, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last_drawn < (0.1 if self.tty else 2.0):
            return
        self.last_drawn = now
        total = max(self.total, 1)
        filled = min(self.WIDTH, self.WIDTH * done // total)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        line = f"{self.label:<28} [{bar}] {done}/{self.total}"
        if line == self.last_line and not (final and self.tty):
            return
        self.last_line = line
        end = "\n" if final or not self.tty else ""
        self.stream.write(("\r" if self.tty else "") + line, ending=end)
        self.stream.flush()


class Command(AuditedCommand):
    help = (
        "Re-encrypt every encrypted field under the newest key of FORESTALL_KEYS "
        "(batched and resumable; --dry-run only counts)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be re-encrypted."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        ring = key_ring()
        current_header = envelope_header(ring.current_id)
        progress_stream = None if options["no_progress"] else self.stderr
        report: list[tuple[str, _Tally, int]] = []
        for model, fields in encrypted_models():
            label = model._meta.label
            manager = model._base_manager
            total = manager.count()
            todo = _outdated(manager, fields, current_header).count()
            tally = _Tally()
            if options["dry_run"] or todo == 0:
                tally.rows = todo
                report.append((label, tally, total))
                continue
            progress = _Progress(progress_stream, label, todo) if progress_stream else None
            try:
                self._rotate_model(
                    model, fields, current_header, ring.current_id, batch_size, tally, progress
                )
            except CryptoError as error:
                raise CommandError(f"rotation stopped: {error}") from None
            if progress:
                progress.update(tally.rows + tally.skipped, final=True)
            report.append((label, tally, total))
        self._report(report, ring.current_id, options["dry_run"])

    def _rotate_model(
        self,
        model: type[models.Model],
        fields: list[models.Field],
        current_header: bytes,
        key_id: str,
        batch_size: int,
        tally: _Tally,
        progress: _Progress | None,
    ) -> None:
        manager = model._base_manager
        attnames = [field.attname for field in fields]
        last_pk: Any = None
        while True:
            batch = _outdated(manager, fields, current_header).order_by("pk")
            if last_pk is not None:
                batch = batch.filter(pk__gt=last_pk)
            rows = list(batch.values_list("pk", *attnames)[:batch_size])
            if not rows:
                return
            with transaction.atomic():
                batch_tally = _Tally()
                for pk, *envelopes in rows:
                    self._rotate_row(model, fields, pk, envelopes, current_header, batch_tally)
                if batch_tally.rows:
                    self.record(
                        "keys.rotate",
                        reason=f"{model._meta.label}: {batch_tally.rows} rows, "
                        f"{batch_tally.values} values re-encrypted under key {key_id}",
                    )
            tally.rows += batch_tally.rows
            tally.values += batch_tally.values
            tally.skipped += batch_tally.skipped
            last_pk = rows[-1][0]
            if progress:
                progress.update(tally.rows + tally.skipped)

    @staticmethod
    def _rotate_row(
        model: type[models.Model],
        fields: list[models.Field],
        pk: Any,
        envelopes: list[bytes | None],
        current_header: bytes,
        tally: _Tally,
    ) -> None:
        old: dict[str, bytes] = {}
        new: dict[str, bytes] = {}
        for field, envelope in zip(fields, envelopes, strict=True):
            if not envelope or envelope.startswith(current_header):
                continue
            old[field.attname] = envelope
            new[field.attname] = field.reseal(model, pk, envelope)  # type: ignore[attr-defined]
        if not new:
            return
        # Compare-and-set: only if nobody rewrote the row since it was read.
        updated = model._base_manager.filter(pk=pk, **old).update(**new)
        if updated:
            tally.rows += 1
            tally.values += len(new)
        else:
            tally.skipped += 1

    def _report(
        self, report: list[tuple[str, _Tally, int]], current_id: str, dry_run: bool
    ) -> None:
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        self.stdout.write(f"Newest key: {current_id}")
        rows = 0
        for label, tally, total in report:
            rows += tally.rows
            line = f"{label}: {verb} {tally.rows} of {total} rows"
            if not dry_run and tally.values:
                line += f" ({tally.values} values)"
            if tally.skipped:
                line += f", {tally.skipped} changed meanwhile (already under the newest key)"
            self.stdout.write(line)
        self.stdout.write(f"Total: {verb} {rows} rows.")
        if not dry_run:
            self.stdout.write(
                "Every encrypted value is now under the newest key; older keys can be "
                "removed from FORESTALL_KEYS."
            )
