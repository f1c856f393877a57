"""Retention: every kind of personal record is kept for a set time after it goes quiet.

Threat model: data that is no longer needed can only leak. This module is
the one framework for it, and knows no app. Each app declares its rules in
``forestall/<app>/retention.py`` (found by :func:`policies`, which imports
every installed app's ``retention`` module once):

- a :class:`RetentionPolicy` per kind of record it keeps about people: what
  (the model, and any other models whose personal data its erase function
  handles), how long (a Django setting holding the period, in days or
  minutes) and how it goes (deleted with its cascades, or a custom erase
  function for records that keep de-identified remains, such as a closed case
  whose statistics must stay); optionally the sentence that tells a
  help-seeker how long it is kept (``public_notice``);
- an :func:`exempt` entry, with the reason, for a model that holds personal
  data but is not erased on a timer (a staff member's second factor, deleted
  with the account).

``forestall purge-expired`` shows what is due (dry run, the default) and with
``--apply`` erases it, one transaction per policy, writing only counts to the
audit log. It is idempotent and safe to run from cron at any time. The public
pages' "how long is it kept" sentences come from the same declarations, and
``tests/test_layering.py`` checks that every model holding personal data is
covered by a rule or exempted.

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
before ``cutoff``: today minus the period (a date) for periods in days, now
minus the period (a datetime) for periods in minutes; so a record is kept for
the whole period and erased after it ends. ``erase(queryset) -> int``
(optional) erases the given rows and returns how many records it erased;
without it the rows are deleted (with their cascades).
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

from forestall.lib.locking import lock_rows

# Rows erased per round inside a policy's transaction (bounds memory).
BATCH_SIZE = 500


class RetentionError(Exception):
    """A policy is declared or configured wrongly."""


def _delete(queryset: models.QuerySet[Any]) -> int:
    """Delete the due rows of ``queryset`` that are still due once locked.

    The rows are locked first (``lib.locking.lock_rows``), which on
    PostgreSQL waits for anyone writing to them and then checks the
    inactivity condition again: a mailbox opened (or written to) at the
    moment of the purge is no longer due and stays. Before, the purge chose
    its rows, then deleted them whatever had happened in between.
    """
    keys = lock_rows(queryset)
    if not keys:
        return 0
    _total, per_model = queryset.model._default_manager.filter(pk__in=keys).delete()
    return per_model.get(queryset.model._meta.label, 0)


UNITS = {"days": "day", "minutes": "minute"}


@dataclass(frozen=True)
class RetentionPolicy:
    """How long one kind of record is kept after it becomes inactive, and how it goes.

    ``setting`` names the Django setting that holds the period in ``unit``
    (``"days"`` or ``"minutes"``); a dictionary setting holds it under the
    policy's ``name`` (``FORESTALL_RETENTION_DAYS``, set from the
    ``FORESTALL_RETAIN_…_DAYS`` variables). ``covers`` lists the other models
    whose personal data ``erase`` removes (cascades of a plain delete are
    found without it). ``public_notice(period)`` is the sentence that tells a
    help-seeker how long this is kept, if they are told.
    """

    name: str
    model: str
    inactive_since: Callable[[datetime.date], models.QuerySet[Any]]
    erase: Callable[[models.QuerySet[Any]], int] = field(default=_delete)
    description: str = ""
    setting: str = "FORESTALL_RETENTION_DAYS"
    unit: str = "days"
    covers: tuple[str, ...] = ()
    public_notice: Callable[[int], str] | None = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise RetentionError(f"retention policy {self.name!r}: unit must be days or minutes")

    @property
    def period(self) -> int:
        """The configured retention period, in ``unit``."""
        configured = getattr(settings, self.setting)
        if isinstance(configured, dict):
            if self.name not in configured:
                raise ImproperlyConfigured(
                    f"{self.setting} has no period for retention policy {self.name!r}"
                )
            configured = configured[self.name]
        period = int(configured)
        if period < 1:
            raise ImproperlyConfigured(
                f"the retention period for {self.name!r} must be at least one {UNITS[self.unit]}"
            )
        return period

    @property
    def days(self) -> int:
        """The configured period in whole days (at least one), for pages and reports."""
        if self.unit == "days":
            return self.period
        return max(1, self.period // (24 * 60))

    def period_text(self) -> str:
        """The period as the purge report prints it: "180 days", "60 minutes"."""
        return f"{self.period} {self.unit}"

    def notice(self) -> str | None:
        """The help-seeker's sentence about this record, with the configured period."""
        return self.public_notice(self.period) if self.public_notice else None

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def cutoff(self, today: datetime.date | None = None) -> datetime.date:
        """Rows inactive since before this are due: a day, or a moment for minutes."""
        if self.unit == "minutes":
            return timezone.now() - datetime.timedelta(minutes=self.period)
        today = today or timezone.localdate()
        return today - datetime.timedelta(days=self.period)

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
_exemptions: dict[str, str] = {}
_discovered = False


def register(policy: RetentionPolicy) -> RetentionPolicy:
    """Declare a policy (call at import time of ``forestall/<app>/retention.py``)."""
    existing = _registry.get(policy.name)
    if existing is not None and existing is not policy and existing.model != policy.model:
        raise RetentionError(f"two retention policies are called {policy.name!r}")
    _registry[policy.name] = policy
    return policy


def exempt(model: str, reason: str) -> None:
    """Declare that ``model`` holds personal data but is not erased on a timer, and why."""
    if not reason.strip():
        raise RetentionError(f"an exemption from retention needs a reason ({model})")
    _exemptions[model] = reason


def _discover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("retention")
        _discovered = True


def policies() -> list[RetentionPolicy]:
    """Every declared policy, after importing each app's ``retention`` module once."""
    _discover()
    return sorted(_registry.values(), key=lambda policy: policy.name)


def exemptions() -> dict[str, str]:
    """Every declared exemption: model label → reason."""
    _discover()
    return dict(_exemptions)


def coverage() -> dict[str, str]:
    """Which rule erases each model's personal data: model label → policy name.

    A policy covers its model and its ``covers``; a policy that deletes its
    rows (the default ``erase``) also covers every model deleted with them by
    ``on_delete=CASCADE``, however deep.
    """
    covered: dict[str, str] = {}
    for policy in policies():
        for label in (policy.model, *policy.covers):
            covered.setdefault(label, policy.name)
        if policy.erase is _delete:
            pending = [policy.model_class()]
            while pending:
                model = pending.pop()
                for relation in model._meta.related_objects:
                    child = relation.related_model
                    if relation.on_delete is models.CASCADE and child._meta.label not in covered:
                        covered[child._meta.label] = policy.name
                        pending.append(child)
    return covered


def get_policy(name: str) -> RetentionPolicy:
    for policy in policies():
        if policy.name == name:
            return policy
    raise RetentionError(f"no retention policy called {name!r}")


def retention_days(name: str) -> int:
    """The configured period of a policy in days, for pages that tell people how long data stays."""
    return get_policy(name).days


def public_notices() -> dict[str, str]:
    """Policy name → the help-seeker's sentence about it, for every policy that has one."""
    return {policy.name: notice for policy in policies() if (notice := policy.notice()) is not None}


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
