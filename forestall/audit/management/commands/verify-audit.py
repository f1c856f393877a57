"""``forestall verify-audit``: check the audit log's hash chain from start to end.

It also checks the chain head's seal (an HMAC under the audit key), so a cut
tail, an emptied log and a head rewritten without the key are reported.
Every run ends with the head as ``SEQUENCE:HASH``: kept outside the server
(a log server, a ticket), it is an anchor that ``--expect SEQUENCE:HASH``
checks on a later run. Failures are one line on stderr and exit status 1.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from forestall.audit import chain


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chain. Reports the first changed, missing or "
        "inserted entry and exits non-zero if there is one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=20_000,
            help="Entries fetched per query (memory stays bounded for any log size).",
        )
        parser.add_argument("--database", default="default", help="Database alias.")
        parser.add_argument(
            "--expect",
            action="append",
            default=[],
            metavar="SEQUENCE:HASH",
            help="Fail unless the chain still holds this entry (an anchor kept elsewhere).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        anchors = [_anchor(text) for text in options["expect"]]
        try:
            result = chain.verify(using=options["database"], chunk_size=options["chunk_size"])
        except DatabaseError as error:
            raise CommandError(
                f"audit chain cannot be read: {str(error).splitlines()[0]}", returncode=1
            ) from None
        rate = (
            f"{result.entries} entries checked in {result.seconds:.2f} s "
            f"({result.rate:,.0f} entries/s)"
        )
        if result.first_break is not None:
            broken = result.first_break
            self.stderr.write(rate)
            raise CommandError(
                f"audit chain broken at entry {broken.sequence}: {broken.kind} ({broken.detail})",
                returncode=1,
            )
        for sequence, digest in anchors:
            if not chain.contains(sequence, digest, using=options["database"]):
                raise CommandError(
                    f"audit chain does not hold the expected entry {sequence}:{digest} "
                    "(entries were removed or rewritten)",
                    returncode=1,
                )
        self.stdout.write(f"audit chain intact: {rate}")
        # Kept outside the database (cron mail, a log), this anchors the
        # chain: a later run with --expect must still find this entry.
        self.stdout.write(f"head {result.entries}:{result.last_hash}")


def _anchor(text: str) -> tuple[int, str]:
    sequence, _colon, digest = text.strip().partition(":")
    if not sequence.isdigit() or len(digest) != 64 or not _is_hex(digest):
        raise CommandError(
            f"--expect needs SEQUENCE:HASH (a number, a colon, 64 hex digits), not {text!r}",
            returncode=2,
        )
    return int(sequence), digest.lower()


def _is_hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True
