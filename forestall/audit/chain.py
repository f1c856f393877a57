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
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connections

GENESIS_HASH = "0" * 64
_SEPARATOR = "\x1f"


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


def head_seal(sequence: int, entry_hash_value: str, sealed_at: str) -> str:
    """The chain head's authentication: HMAC under the audit key of sequence, hash and time.

    ``sealed_at`` is in canonical form (``canonical_time``). Without the key
    nobody can move the head back after cutting entries off the end, nor
    make a fresh head for an emptied log.
    """
    mac = hasher()
    mac.update(
        _SEPARATOR.join(
            ("forestall-audit-head", str(sequence), entry_hash_value, sealed_at)
        ).encode()
    )
    return mac.hexdigest()


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
    last_hash: str = GENESIS_HASH

    @property
    def ok(self) -> bool:
        return self.first_break is None

    @property
    def rate(self) -> float:
        return self.entries / self.seconds if self.seconds > 0 else float(self.entries)


# Columns in canonical order; the message that is hashed is these joined by the
# separator, followed by the previous hash.
_CANONICAL_COLUMNS = (
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
)


def _sqlite_select(connection: Any, table: str) -> str:
    """Let SQLite build the canonical message: its stored text is already canonical."""
    quote = connection.ops.quote_name
    parts = []
    for name in _CANONICAL_COLUMNS:
        column = quote(name)
        if name == "created_at":
            parts.append(f"CAST({column} AS TEXT)")
        elif name in ("actor_uuid", "target_id", "centre_uuid"):
            parts.append(f"IFNULL({column}, '')")
        else:
            parts.append(column)
    message = " || char(31) || ".join(parts)
    sequence, actor_id, actor_uuid = quote("sequence"), quote("actor_id"), quote("actor_uuid")
    return (
        f"SELECT {sequence}, {message}, {quote('entry_hash')}, "  # noqa: S608 - our own column names
        f"({actor_id} IS NULL OR {actor_id} = {actor_uuid}) FROM {table} "
        f"WHERE {sequence} > %s ORDER BY {sequence} LIMIT %s"
    )


def _generic_select(connection: Any, table: str) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in (*_CANONICAL_COLUMNS, "entry_hash", "actor_id"))
    return (
        f"SELECT {columns} FROM {table} WHERE {quote('sequence')} > %s "  # noqa: S608
        f"ORDER BY {quote('sequence')} LIMIT %s"
    )


def _generic_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """(sequence, message, hash, user link intact) from typed column values."""
    (seq, created, actor, username, action, ttype, tid, centre, reason, prev, digest, fk) = row
    actor_hex = canonical_uuid(actor)
    message = _SEPARATOR.join(
        (
            str(seq),
            canonical_time(created),
            actor_hex,
            username,
            action,
            ttype,
            canonical_uuid(tid),
            canonical_uuid(centre),
            reason,
            prev,
        )
    )
    return (seq, message, digest, fk is None or canonical_uuid(fk) == actor_hex)


def _rows(using: str, chunk_size: int) -> Iterator[tuple[Any, ...]]:
    """Every entry in sequence order as (sequence, message, hash, user link intact).

    The message ends with the previous entry's hash (64 hex digits).
    Fetched in pages of ``chunk_size`` by sequence (keyset pagination), so the
    memory used is bounded whatever the size of the log.
    """
    from forestall.audit.models import AuditEntry

    connection = connections[using]
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    sqlite = connection.vendor == "sqlite"
    sql = _sqlite_select(connection, table) if sqlite else _generic_select(connection, table)
    last = -1
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last, chunk_size])
            rows = cursor.fetchall()
        if not rows:
            return
        if sqlite:
            yield from rows
        else:
            yield from map(_generic_row, rows)
        last = rows[-1][0]


def verify(using: str = "default", chunk_size: int = 20_000) -> VerificationResult:
    """Check the whole chain in sequence order; stop at the first break."""
    result = VerificationResult()
    started = time.perf_counter()
    template = _hmac_template(settings.FORESTALL_AUDIT_KEY)
    expected_previous = GENESIS_HASH
    expected_sequence = 1
    suspect: tuple[int, str] | None = None  # an entry whose hash failed, awaiting its successor
    count = 0
    for seq, message, digest, link_intact in _rows(using, chunk_size):
        prev = message[-64:]
        if suspect is not None:
            # The entry before failed its own hash. If this one links past it to
            # the entry before that, it was inserted; otherwise it was changed.
            if prev == suspect[1]:
                kind, detail = "inserted", "entry does not belong in the chain"
            else:
                kind, detail = "changed", "entry content does not match its hash"
            result.first_break = Break(suspect[0], kind, detail)
            break
        count += 1
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
        mac = template.copy()
        mac.update(message.encode())
        if mac.hexdigest() != digest:
            suspect = (seq, expected_previous)
            continue
        if prev != expected_previous:
            result.first_break = Break(
                seq, "inserted", "entry does not link to the entry before it"
            )
            break
        if not link_intact:
            result.first_break = Break(seq, "changed", "user link does not match the entry")
            break
        expected_previous = digest
        expected_sequence = seq + 1
    else:
        result.first_break = _check_tail(using, suspect, expected_sequence, expected_previous)
    result.entries = count
    result.last_hash = expected_previous
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
        return Break(
            max(expected_sequence - 1, 0),
            "missing",
            "the chain head is gone, so removals from the end cannot be ruled out",
        )
    sealed_at = canonical_time(head.sealed_at) if head.sealed_at else ""
    expected_seal = head_seal(head.sequence, head.entry_hash, sealed_at)
    if not head.seal or not hmac.compare_digest(head.seal, expected_seal):
        return Break(
            head.sequence, "changed", "the chain head is not authenticated by the audit key"
        )
    if head.sequence >= expected_sequence:
        return Break(expected_sequence, "missing", f"the log should end at entry {head.sequence}")
    if head.sequence < expected_sequence - 1:
        return Break(head.sequence + 1, "inserted", "entries were added after the end of the log")
    if head.sequence and head.entry_hash != last_hash:
        return Break(head.sequence, "changed", "last entry does not match the chain head")
    return None


def contains(sequence: int, digest: str, using: str = "default") -> bool:
    """True if the chain holds entry ``sequence`` with hash ``digest`` (an external anchor)."""
    from forestall.audit.models import AuditEntry

    return (
        AuditEntry.objects.using(using)
        .filter(sequence=sequence, entry_hash=digest.lower())
        .exists()
    )
