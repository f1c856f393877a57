"""Retention: every kind of personal record is kept for a set time after it goes quiet.

Threat model: data that is no longer needed can only leak. Each app declares,
in ``forestall/<app>/retention.py``, a :class:`RetentionPolicy` for each kind
of record it keeps about people: which model, how to find rows that have been
inactive since a cutoff day, and how to erase them (delete them, or a custom
function for records that keep de-identified remains, such as a closed case
whose statistics must stay). The period comes from
``settings.FORESTALL_RETENTION_DAYS[name]`` (configured from the environment),
so operators set it without code changes.

``forestall purge-expired`` shows what is due (dry run, the default) and with
``--apply`` erases it, one transaction per policy, writing only counts to the
audit log. It is idempotent and safe to run from cron at any time.

Declaring a policy::

    from forestall.lib.retention import RetentionPolicy, register

    register(
        RetentionPolicy(
            name="mailbox",                       # key in FORESTALL_RETENTION_DAYS
            model="inbox.Mailbox",
            inactive_since=lambda cutoff: Mailbox.objects.filter(last_active_on__lt=cutoff),
            description="Mailboxes with no activity ...",
        )
    )

``inactive_since(cutoff)`` returns the rows whose last activity was strictly
before ``cutoff`` (a date); ``cutoff`` is today minus the period, so a record
is kept for the whole period and erased the day after it ends.
``erase(queryset) -> int`` (optional) erases the given rows and returns how
many records it erased; without it the rows are deleted (with their cascades).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

# Rows erased per round inside a policy's transaction (bounds memory).
BATCH_SIZE = 500


class RetentionError(Exception):
    """A policy is declared or configured wrongly."""


def _delete(queryset: models.QuerySet[Any]) -> int:
    _total, per_model = queryset.delete()
    return per_model.get(queryset.model._meta.label, 0)


@dataclass(frozen=True)
class RetentionPolicy:
    """How long one kind of record is kept after it becomes inactive, and how it goes."""

    name: str
    model: str
    inactive_since: Callable[[datetime.date], models.QuerySet[Any]]
    erase: Callable[[models.QuerySet[Any]], int] = field(default=_delete)
    description: str = ""

    @property
    def days(self) -> int:
        """The configured retention period in days."""
        configured = settings.FORESTALL_RETENTION_DAYS
        if self.name not in configured:
            raise ImproperlyConfigured(
                f"FORESTALL_RETENTION_DAYS has no period for retention policy {self.name!r}"
            )
        days = int(configured[self.name])
        if days < 1:
            raise ImproperlyConfigured(
                f"the retention period for {self.name!r} must be at least one day"
            )
        return days

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def cutoff(self, today: datetime.date | None = None) -> datetime.date:
        """Rows inactive since before this day are due."""
        today = today or timezone.localdate()
        return today - datetime.timedelta(days=self.days)

    def due(self, today: datetime.date | None = None) -> models.QuerySet[Any]:
        """The rows that are due for erasure on ``today``."""
        queryset = self.inactive_since(self.cutoff(today))
        if queryset.model is not self.model_class():
            raise RetentionError(
                f"retention policy {self.name!r} returned {queryset.model._meta.label} rows, "
                f"not {self.model}"
            )
        return queryset


_registry: dict[str, RetentionPolicy] = {}
_discovered = False


def register(policy: RetentionPolicy) -> RetentionPolicy:
    """Declare a policy (call at import time of ``forestall/<app>/retention.py``)."""
    existing = _registry.get(policy.name)
    if existing is not None and existing is not policy and existing.model != policy.model:
        raise RetentionError(f"two retention policies are called {policy.name!r}")
    _registry[policy.name] = policy
    return policy


def policies() -> list[RetentionPolicy]:
    """Every declared policy, after importing each app's ``retention`` module once."""
    global _discovered
    if not _discovered:
        autodiscover_modules("retention")
        _discovered = True
    return sorted(_registry.values(), key=lambda policy: policy.name)


def get_policy(name: str) -> RetentionPolicy:
    for policy in policies():
        if policy.name == name:
            return policy
    raise RetentionError(f"no retention policy called {name!r}")


def retention_days(name: str) -> int:
    """The configured period of a policy, for pages that tell people how long data stays."""
    return get_policy(name).days


@dataclass(frozen=True)
class PurgeResult:
    policy: str
    due: int
    erased: int
    cutoff: datetime.date


# Called as ``recorder(policy, count)`` after each erasure, inside its
# transaction. ``lib`` knows no app: the audit app registers the writer of the
# audit entry when it is ready (``forestall.audit.apps``).
_erasure_recorders: list[Callable[[RetentionPolicy, int], None]] = []


def record_erasures_with(recorder: Callable[[RetentionPolicy, int], None]) -> None:
    """Have ``recorder(policy, count)`` called for every erasure (once per recorder)."""
    if recorder not in _erasure_recorders:
        _erasure_recorders.append(recorder)


def purge(
    policy: RetentionPolicy, *, apply: bool, today: datetime.date | None = None
) -> PurgeResult:
    """Count (``apply=False``) or erase what ``policy`` says is due, in one transaction.

    Erasing calls every recorder registered with :func:`record_erasures_with`
    in the same transaction (if one fails, nothing is erased). Refuses to erase
    when none is registered: an erasure nobody can account for must not happen.
    The audit app's recorder writes one entry with the count only
    (``retention.purge``, reason ``"<policy>: <count>"``), so the log says
    exactly what was erased and nothing about whom.
    """
    if apply and not _erasure_recorders:
        raise RetentionError("no erasure recorder is registered (is the audit app installed?)")
    cutoff = policy.cutoff(today)
    if not apply:
        return PurgeResult(policy.name, policy.due(today).count(), 0, cutoff)
    erased = 0
    due = 0
    with transaction.atomic():
        while True:
            # Erase in rounds by primary key, so memory stays bounded.
            keys = list(policy.due(today).order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE])
            if not keys:
                break
            due += len(keys)
            erased_now = policy.erase(policy.due(today).filter(pk__in=keys))
            erased += erased_now
            if erased_now == 0:
                # The erase function keeps these rows (de-identified): they no
                # longer count as due, or the loop would never end.
                remaining = policy.due(today).filter(pk__in=keys).count()
                if remaining:
                    raise RetentionError(
                        f"retention policy {policy.name!r} left {remaining} due rows in place; "
                        "its inactive_since() must exclude rows already erased"
                    )
        if erased:
            for recorder in _erasure_recorders:
                recorder(policy, erased)
    return PurgeResult(policy.name, due, erased, cutoff)
