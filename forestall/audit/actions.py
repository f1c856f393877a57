"""Recording staff actions in the append-only, hash-chained audit log."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.db import router, transaction
from django.utils import timezone

from forestall.audit import chain
from forestall.audit.models import AuditChainHead, AuditEntry

if TYPE_CHECKING:
    from forestall.accounts.models import User
    from forestall.directory.models import Centre

_REASON_LENGTH = 500


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


def _locked_head(using: str) -> AuditChainHead:
    """The chain head, locked for this transaction (created on first use)."""
    heads = AuditChainHead.objects.using(using)
    head = heads.select_for_update().filter(pk=1).first()
    if head is None:
        # First entry ever (or the head row was lost): start from the newest
        # entry, if any, so that sequence numbers continue.
        last = AuditEntry.objects.using(using).order_by("-sequence").first()
        heads.bulk_create(
            [
                AuditChainHead(
                    pk=1,
                    sequence=last.sequence if last else 0,
                    entry_hash=last.entry_hash if last else chain.GENESIS_HASH,
                )
            ],
            ignore_conflicts=True,
        )
        head = heads.select_for_update().get(pk=1)
    return head


def record_event(
    actor: User | None,
    action: str,
    target: Any = None,
    *,
    centre: Centre | None = None,
    reason: str = "",
) -> None:
    """Append one audit entry: who did ``action`` (e.g. ``"case.read"``) to what.

    ``target`` is any model instance with a UUID primary key (its type and id
    are recorded, never its content); ``centre`` (a Centre or its UUID) scopes
    the entry for centre managers; ``reason`` is the short justification where
    an action needs one (for example "break the glass"), cut to 500
    characters. Actions ending in ``.read`` are reads. ``actor`` None means the
    system (for example ``forestall purge-expired``).

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
    reason = (reason or "")[:_REASON_LENGTH]
    now = timezone.now()
    using = router.db_for_write(AuditEntry)
    with transaction.atomic(using=using):
        head = _locked_head(using)
        sequence = head.sequence + 1
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
        digest = chain.entry_hash(canonical, head.entry_hash)
        AuditEntry.objects.using(using).bulk_create(
            [
                AuditEntry(
                    sequence=sequence,
                    created_at=now,
                    actor_id=actor_uuid,
                    actor_uuid=actor_uuid,
                    actor_username=username,
                    action=action,
                    target_type=target_type,
                    target_id=target_id,
                    centre_uuid=centre_uuid,
                    reason=reason,
                    previous_hash=head.entry_hash,
                    entry_hash=digest,
                )
            ]
        )
        AuditChainHead.objects.using(using).filter(pk=1).update(
            sequence=sequence, entry_hash=digest
        )
