from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from forestall.lib.retention import RetentionPolicy


class AuditConfig(AppConfig):
    name = "forestall.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forestall.lib import retention

        # lib/ knows no app: the audit log is told of every retention purge.
        retention.record_erasures_with(_record_erasure)


def _record_erasure(policy: RetentionPolicy, erased: int) -> None:
    """The audit entry of a retention purge: the policy and the count, nothing about whom."""
    from forestall.audit.actions import record_event

    record_event(None, "retention.purge", reason=f"{policy.name}: {erased}")
