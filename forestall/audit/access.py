"""The gate of the audit page: who may search which part of the log.

Network admins search the whole log, centre managers the entries of their
centres; anyone else gets a 404. Reading the log is itself audited
(``audit.read``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Max, QuerySet
from django.http import Http404

from forestall.accounts.models import Role
from forestall.audit.actions import record_read
from forestall.audit.models import AuditEntry
from forestall.directory.models import Centre

if TYPE_CHECKING:
    from forestall.accounts.models import User


@dataclass(frozen=True)
class AuditView:
    """The entries ``user`` may search and the centres they may filter by."""

    entries: QuerySet[AuditEntry]
    centres: QuerySet[Centre]
    is_network_admin: bool


def access_audit_log(user: User) -> AuditView:
    """The part of the log ``user`` may search, or 404; audited as ``audit.read``."""
    is_admin = user.has_network_role(Role.NETWORK_ADMIN)
    centres = (
        Centre.objects.all() if is_admin else Centre.objects.where_holds(user, Role.CENTRE_MANAGER)
    )
    if not is_admin and not centres.exists():
        raise Http404
    # The log as it stood when it was opened: this read's own entry is not shown.
    last = AuditEntry.objects.aggregate(last=Max("sequence"))["last"] or 0
    record_read(user, "audit.read")
    entries = AuditEntry.objects.visible_to(user).filter(sequence__lte=last)
    return AuditView(entries, centres.order_by("name"), is_admin)
