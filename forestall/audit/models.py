"""The append-only, hash-chained audit log of staff actions.

Threat model: an insider (or an intruder with database access) who reads
records they should not, then tries to hide it by editing, deleting or
inserting audit rows. Every entry carries an HMAC (key outside the database,
``FORESTALL_AUDIT_KEY``) over its content and the previous entry's hash, so
``forestall verify-audit`` finds any change, removal or insertion. The ORM
refuses to update or delete entries; raw SQL can, but is then detected.

The log holds who, what, which object (type and UUID), which centre and a
short reason: never content (no message text, notes or names).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def is_read_action(action: str) -> bool:
    """Reads are actions whose verb is ``read``, ``list``, ``read_…`` or ``list_…``.

    (``case.read_summary``, ``concern.list_raised``.)
    """
    verb = action.rpartition(".")[2]
    return verb in ("read", "list") or verb.startswith(("read_", "list_"))


def read_actions() -> Q:
    """The same rule as a query condition."""
    return (
        Q(action__endswith=".read")
        | Q(action__endswith=".list")
        | Q(action__contains=".read_")
        | Q(action__contains=".list_")
    )


class AuditLogIsAppendOnly(Exception):
    """Raised when code tries to change or remove audit entries through the ORM."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Reads only: bulk updates and deletes are refused."""

    def update(self, **kwargs: Any) -> int:
        raise AuditLogIsAppendOnly("audit entries cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly("audit entries cannot be deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AuditLogIsAppendOnly("audit entries cannot be updated")

    def visible_to(self, user: Any) -> AuditEntryQuerySet:
        """Network admins see the whole log; centre managers their centres' entries."""
        from forestall.accounts.models import Role

        if not user.is_authenticated:
            return self.none()
        if user.has_network_role(Role.NETWORK_ADMIN):
            return self
        centre_ids = user.centre_ids_with(Role.CENTRE_MANAGER)
        if not centre_ids:
            return self.none()
        return self.filter(centre_uuid__in=centre_ids)


class AuditEntry(models.Model):
    """One staff action. Created only by ``forestall.audit.actions.record_event``.

    ``actor`` follows the user row (and becomes empty if the user is ever
    deleted); ``actor_uuid`` and ``actor_username`` are the snapshot that the
    hash covers. ``centre_uuid`` is a plain UUID (no foreign key) so that
    nothing outside the log can rewrite an entry.
    """

    sequence = models.PositiveBigIntegerField(_("sequence"), unique=True)
    created_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    actor_uuid = models.UUIDField(null=True, blank=True, db_index=True)
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("object type"), max_length=100, blank=True)
    target_id = models.UUIDField(_("object id"), null=True, blank=True, db_index=True)
    centre_uuid = models.UUIDField(_("centre"), null=True, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    objects: ClassVar[AuditEntryQuerySet] = AuditEntryQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-sequence"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"audit #{self.sequence} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("audit entries cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly("audit entries cannot be deleted")

    @property
    def is_read(self) -> bool:
        return is_read_action(self.action)


class AuditChainHead(models.Model):
    """The single row naming the newest entry: the append lock and the tail anchor.

    Appends lock this row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
    transactions already take the write lock on ``BEGIN IMMEDIATE``), so
    concurrent writers get consecutive sequence numbers and a valid chain.
    Verification compares the last entry with it, which detects removed
    entries at the end of the log. The head is itself authenticated: ``seal``
    is an HMAC under the audit key over (sequence, hash, time), so cutting the
    tail and rewriting the head, or deleting every entry and the head, needs
    the key to go unnoticed (``forestall.audit.chain.head_seal``).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(null=True, blank=True)
    seal = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"audit head #{self.sequence}"
