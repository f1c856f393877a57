"""Recording staff actions in the append-only, hash-chained audit log."""

from __future__ import annotations

import hmac
import uuid
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connections, models, router, transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from forestall.audit import chain
from forestall.audit.commands import running_command
from forestall.audit.models import AuditChainHead, AuditEntry, is_read_action

if TYPE_CHECKING:
    from forestall.accounts.models import User
    from forestall.directory.models import Centre

_Model = TypeVar("_Model", bound=models.Model)
_REASON_LENGTH = 500
# Prepares UUIDs for the database at hand (text on SQLite, uuid on PostgreSQL).
_UUID_FIELD = models.UUIDField()


def _target_of(target: Any) -> tuple[str, uuid.UUID | None]:
    if target is None:
        return "", None
    meta = getattr(target, "_meta", None)
    if meta is None:
        raise TypeError("record_event(target=...) takes a model instance")
    pk = target.pk
    if pk is None:
        raise ValueError(f"record_event: the {meta.label} has no primary key yet")
    if not isinstance(pk, uuid.UUID):
        pk = uuid.UUID(str(pk))
    return meta.label_lower, pk


def _centre_id(centre: Any) -> uuid.UUID | None:
    if centre is None:
        return None
    value = getattr(centre, "pk", centre)
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


_INSERT_COLUMNS = (
    "sequence",
    "created_at",
    "actor_id",
    "actor_uuid",
    "actor_username",
    "action",
    "target_type",
    "target_id",
    "centre_uuid",
    "reason",
    "previous_hash",
    "entry_hash",
)


_statements_by_vendor: dict[str, tuple[str, str, str]] = {}


def _statements(connection: Any) -> tuple[str, str, str]:
    statements = _statements_by_vendor.get(connection.vendor)
    if statements is None:
        statements = _statements_by_vendor[connection.vendor] = _build_statements(
            connection.vendor, connection.ops.quote_name
        )
    return statements


def _build_statements(vendor: str, quote: Any) -> tuple[str, str, str]:
    """The three statements of an append, built once per database vendor.

    Appends are frequent (every staff read), so they skip the ORM's query
    building: plain SQL with values prepared by the model fields.
    """
    head = quote(AuditChainHead._meta.db_table)
    entries = quote(AuditEntry._meta.db_table)
    lock = " FOR UPDATE" if vendor != "sqlite" else ""
    select_head = (
        f"SELECT {quote('sequence')}, {quote('entry_hash')}, {quote('sealed_at')}, "  # noqa: S608
        f"{quote('seal')} FROM {head} "
        f"WHERE {quote('id')} = 1{lock}"
    )
    columns = ", ".join(quote(name) for name in _INSERT_COLUMNS)
    placeholders = ", ".join(["%s"] * len(_INSERT_COLUMNS))
    insert = f"INSERT INTO {entries} ({columns}) VALUES ({placeholders})"  # noqa: S608
    advance = (
        f"UPDATE {head} SET {quote('sequence')} = %s, {quote('entry_hash')} = %s, "  # noqa: S608
        f"{quote('sealed_at')} = %s, {quote('seal')} = %s WHERE {quote('id')} = 1"
    )
    return select_head, insert, advance


def _create_head(using: str) -> None:
    """The head row was lost: continue from the newest entry, but unauthenticated.

    The head is created (sealed) by the audit app's migration; a missing head
    means someone removed it. Appends go on so that the service keeps
    working, but the new head carries no seal, so ``verify-audit`` keeps
    reporting it until an operator has looked (see docs/security.md).
    """
    last = AuditEntry.objects.using(using).order_by("-sequence").first()
    AuditChainHead.objects.using(using).bulk_create(
        [
            AuditChainHead(
                pk=1,
                sequence=last.sequence if last else 0,
                entry_hash=last.entry_hash if last else chain.GENESIS_HASH,
                seal="",
            )
        ],
        ignore_conflicts=True,
    )


def _seal_holds(row: tuple[Any, ...]) -> bool:
    sequence, digest, sealed_at, seal = row
    if not seal or sealed_at is None:
        return False
    sealed_text = sealed_at if isinstance(sealed_at, str) else chain.canonical_time(sealed_at)
    return hmac.compare_digest(seal, chain.head_seal(sequence, digest, sealed_text))


def record_read(
    actor: User,
    action: str,
    target: Any = None,
    *,
    centre: Centre | uuid.UUID | None = None,
) -> None:
    """Append the audit entry of a staff read (``case.read``, ``concern.list``, …).

    Only the access layer calls this: each app's ``access.py`` writes the read
    entry in the same helper that fetches the object through its
    ``visible_to`` gate, so a view cannot show an object without it being
    audited. ``tests/test_access_layer.py`` fails if a view module calls it
    (or ``record_event``) itself. An action that is not a read is refused:
    changes are recorded by the actions that make them.
    """
    if not is_read_action(action):
        raise ValueError(f"record_read: {action!r} is not a read action")
    record_event(actor, action, target, centre=centre)


def read_or_404(
    user: User,
    gated: QuerySet[_Model],
    pk: object,
    action: str,
    *,
    centre: str | None = "centre",
) -> _Model:
    """The object ``pk`` of ``gated`` (a ``visible_to`` queryset), its read recorded; or 404.

    The common form of an ``access_*`` helper: missing and forbidden give the
    same 404 (``get_object_or_404`` on the gate), and the read is recorded as
    ``action`` on the object, at the centre named by its attribute ``centre``
    (``None`` for objects of no centre; ``"pk"`` for a centre itself).
    """
    found = get_object_or_404(gated, pk=pk)
    record_read(user, action, found, centre=getattr(found, centre) if centre else None)
    return found


def record_event(
    actor: User | None,
    action: str,
    target: Any = None,
    *,
    centre: Centre | uuid.UUID | None = None,
    reason: str = "",
) -> None:
    """Append one audit entry: who did ``action`` (e.g. ``"case.read"``) to what.

    ``target`` is any model instance with a UUID primary key (its type and id
    are recorded, never its content); ``centre`` (a Centre or its UUID) scopes
    the entry for centre managers; ``reason`` is the short justification where
    an action needs one (for example "break the glass"), cut to 500
    characters. Actions ending in ``.read`` are reads (also ``.list`` and
    ``.read_…``, see ``audit.models.is_read_action``). ``actor`` None means the
    system; inside an audited management command (``audit.commands``) the
    entry names the command as its actor (``"forestall purge-expired"``).

    Appends are serialised on the chain head row, so concurrent writers get
    consecutive sequence numbers; called inside an action's transaction, the
    entry commits or rolls back with it.
    """
    target_type, target_id = _target_of(target)
    centre_uuid = _centre_id(centre)
    actor_uuid: uuid.UUID | None = None
    username = ""
    if actor is not None and getattr(actor, "pk", None) is not None:
        actor_uuid = actor.pk
        username = actor.get_username()
    else:
        username = running_command()
    reason = (reason or "")[:_REASON_LENGTH]
    now = timezone.now()
    using = router.db_for_write(AuditEntry)
    connection = connections[using]
    select_head, insert, advance = _statements(connection)
    prepare_uuid = _UUID_FIELD.get_db_prep_value
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # Locks the head row until commit (SQLite: the transaction already
        # holds the write lock from BEGIN IMMEDIATE).
        cursor.execute(select_head)
        row = cursor.fetchone()
        if row is None:
            _create_head(using)
            cursor.execute(select_head)
            row = cursor.fetchone()
        sequence, previous_hash = row[0] + 1, row[1]
        # Only a head whose seal holds is sealed again: a forged or lost head
        # stays unauthenticated, so a cut tail can never be laundered by the
        # next append.
        row_sealed = _seal_holds(row)
        canonical = chain.content(
            sequence,
            chain.canonical_time(now),
            chain.canonical_uuid(actor_uuid),
            username,
            action,
            target_type,
            chain.canonical_uuid(target_id),
            chain.canonical_uuid(centre_uuid),
            reason,
        )
        digest = chain.entry_hash(canonical, previous_hash)
        actor_value = prepare_uuid(actor_uuid, connection)
        cursor.execute(
            insert,
            [
                sequence,
                connection.ops.adapt_datetimefield_value(now),
                actor_value,
                actor_value,
                username,
                action,
                target_type,
                prepare_uuid(target_id, connection),
                prepare_uuid(centre_uuid, connection),
                reason,
                previous_hash,
                digest,
            ],
        )
        # The head is sealed unless it was found lost (then it stays unsealed).
        sealed_at = chain.canonical_time(now)
        seal = chain.head_seal(sequence, digest, sealed_at) if row_sealed else ""
        cursor.execute(
            advance,
            [sequence, digest, connection.ops.adapt_datetimefield_value(now), seal],
        )
