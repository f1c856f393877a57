"""The audit log's hash chain: canonical content, HMAC, and verification.

Each entry's hash is ``HMAC-SHA256(FORESTALL_AUDIT_KEY, canonical || previous)``
where ``canonical`` joins the entry's fields with a unit separator in one fixed
text form (UUIDs as 32 hex digits, times as naive UTC ``YYYY-MM-DD HH:MM:SS[.ffffff]``).
That form is exactly how SQLite stores these columns, so verification can read
raw rows without converting them; PostgreSQL rows are converted the same way.

Verification walks the chain in sequence order with keyset pagination (a
bounded amount of memory for any size) and reports the first broken entry:
``changed`` (its hash does not match its content), ``missing`` (a gap in the
sequence, or entries gone from the end), or ``inserted`` (an entry that does
not belong between its neighbours).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connections

GENESIS_HASH = "0" * 64
_SEPARATOR = "\x1f"
_COLUMNS = (
    "sequence",
    "created_at",
    "actor_uuid",
    "actor_username",
    "action",
    "target_type",
    "target_id",
    "centre_uuid",
    "reason",
    "previous_hash",
    "entry_hash",
    "actor_id",
)


@lru_cache(maxsize=4)
def _hmac_template(key: str) -> Any:
    return hmac.new(key.encode(), digestmod=hashlib.sha256)


def hasher() -> Any:
    """A fresh HMAC object under the audit key (copied from a prepared template)."""
    return _hmac_template(settings.FORESTALL_AUDIT_KEY).copy()


def canonical_time(value: datetime.datetime) -> str:
    """Naive UTC ``str()`` form, as Django stores datetimes in SQLite."""
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return str(value)


def canonical_uuid(value: uuid.UUID | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, uuid.UUID):
        return value.hex
    return uuid.UUID(str(value)).hex


def content(
    sequence: int,
    created_at: str,
    actor_uuid: str,
    actor_username: str,
    action: str,
    target_type: str,
    target_id: str,
    centre_uuid: str,
    reason: str,
) -> str:
    """The canonical text of an entry (all values already in canonical form)."""
    return _SEPARATOR.join(
        (
            str(sequence),
            created_at,
            actor_uuid,
            actor_username,
            action,
            target_type,
            target_id,
            centre_uuid,
            reason,
        )
    )


def entry_hash(canonical: str, previous_hash: str) -> str:
    mac = hasher()
    mac.update(f"{canonical}{_SEPARATOR}{previous_hash}".encode())
    return mac.hexdigest()


@dataclass(frozen=True)
class Break:
    """The first place where the chain is broken."""

    sequence: int
    kind: str  # "changed", "missing" or "inserted"
    detail: str


@dataclass
class VerificationResult:
    entries: int = 0
    seconds: float = 0.0
    first_break: Break | None = None

    @property
    def ok(self) -> bool:
        return self.first_break is None

    @property
    def rate(self) -> float:
        return self.entries / self.seconds if self.seconds > 0 else float(self.entries)


def _row_normaliser(vendor: str) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    if vendor == "sqlite":
        # Already canonical: UUIDs as 32 hex characters, times as naive UTC text.
        def same(row: tuple[Any, ...]) -> tuple[Any, ...]:
            return row

        return same

    def convert(row: tuple[Any, ...]) -> tuple[Any, ...]:
        (seq, created, actor, username, action, ttype, tid, centre, reason, prev, digest, fk) = row
        return (
            seq,
            canonical_time(created),
            canonical_uuid(actor),
            username,
            action,
            ttype,
            canonical_uuid(tid),
            canonical_uuid(centre),
            reason,
            prev,
            digest,
            canonical_uuid(fk) if fk is not None else None,
        )

    return convert


def _raw_rows(using: str, chunk_size: int) -> Iterator[tuple[Any, ...]]:
    """Every entry in sequence order, fetched in pages of ``chunk_size``."""
    from forestall.audit.models import AuditEntry

    connection = connections[using]
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    quoted = [connection.ops.quote_name(name) for name in _COLUMNS]
    if connection.vendor == "sqlite":
        # Read the stored text as it is: the driver would otherwise parse every
        # timestamp (declared "datetime") into an object we only format again.
        quoted[1] = f"CAST({quoted[1]} AS TEXT)"
    columns = ", ".join(quoted)
    sql = f"SELECT {columns} FROM {table} WHERE sequence > %s ORDER BY sequence LIMIT %s"  # noqa: S608 (names are our own constants)
    normalise = _row_normaliser(connection.vendor)
    last = -1
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last, chunk_size])
            rows = cursor.fetchall()
        if not rows:
            return
        for row in rows:
            yield normalise(row)
        last = rows[-1][0]


def verify(using: str = "default", chunk_size: int = 20_000) -> VerificationResult:
    """Check the whole chain in sequence order; stop at the first break."""
    result = VerificationResult()
    started = time.perf_counter()
    template = _hmac_template(settings.FORESTALL_AUDIT_KEY)
    separator = _SEPARATOR
    expected_previous = GENESIS_HASH
    expected_sequence = 1
    suspect: tuple[int, str] | None = None  # an entry whose hash failed, awaiting its successor
    count = 0
    for row in _raw_rows(using, chunk_size):
        (seq, created, actor, username, action, ttype, tid, centre, reason, prev, digest, fk) = row
        if suspect is not None:
            # The entry before failed its own hash. If this one links past it to
            # the entry before that, it was inserted; otherwise it was changed.
            suspect_sequence, previous_of_suspect = suspect
            if prev == previous_of_suspect:
                kind, detail = "inserted", "entry does not belong in the chain"
            else:
                kind, detail = "changed", "entry content does not match its hash"
            result.first_break = Break(suspect_sequence, kind, detail)
            break
        count += 1
        mac = template.copy()
        mac.update(
            separator.join(
                (
                    str(seq),
                    created,
                    actor or "",
                    username,
                    action,
                    ttype,
                    tid or "",
                    centre or "",
                    reason,
                    prev,
                )
            ).encode()
        )
        if seq != expected_sequence:
            if seq > expected_sequence:
                missing = (
                    f"entry {expected_sequence} is missing"
                    if seq == expected_sequence + 1
                    else f"entries {expected_sequence} to {seq - 1} are missing"
                )
                result.first_break = Break(expected_sequence, "missing", missing)
            else:
                result.first_break = Break(seq, "inserted", "sequence number out of order")
            break
        if mac.hexdigest() != digest:
            suspect = (seq, expected_previous)
            continue
        if prev != expected_previous:
            result.first_break = Break(
                seq, "inserted", "entry does not link to the entry before it"
            )
            break
        if fk is not None and fk != actor:
            result.first_break = Break(seq, "changed", "user link does not match the entry")
            break
        expected_previous = digest
        expected_sequence = seq + 1
    else:
        result.first_break = _check_tail(using, suspect, expected_sequence, expected_previous)
    result.entries = count
    result.seconds = time.perf_counter() - started
    return result


def _check_tail(
    using: str, suspect: tuple[int, str] | None, expected_sequence: int, last_hash: str
) -> Break | None:
    """Compare the end of the chain with the head row (catches removals at the end)."""
    from forestall.audit.models import AuditChainHead

    head = AuditChainHead.objects.using(using).filter(pk=1).first()
    if suspect is not None:
        if head is not None and suspect[0] > head.sequence:
            return Break(suspect[0], "inserted", "entry was added after the end of the log")
        return Break(suspect[0], "changed", "entry content does not match its hash")
    if head is None:
        return None
    if head.sequence >= expected_sequence:
        return Break(expected_sequence, "missing", f"the log should end at entry {head.sequence}")
    if head.sequence < expected_sequence - 1:
        return Break(head.sequence + 1, "inserted", "entries were added after the end of the log")
    if head.sequence and head.entry_hash != last_hash:
        return Break(head.sequence, "changed", "last entry does not match the chain head")
    return None
