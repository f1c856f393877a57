"""The figures of the statistics, aggregated in the database.

Every function here runs a handful of ``GROUP BY`` queries over
``DailyCount`` and returns small, plain data structures; nothing loops over
count rows in Python (only over the few aggregated groups). The tables are
built from these counts by ``forestall.stats.tables`` (the same builders for
both sides); ``forestall.stats.release`` passes them through disclosure
control before anything leaves the staff side.

Estimating a median or 90th percentile from duration buckets: the buckets'
counts form a cumulative distribution; the percentile is found in the bucket
where the cumulative count reaches p * N and interpolated linearly between
that bucket's lower and upper bound (the usual grouped-data estimate). A
percentile that falls into the open-ended bucket ("over 6 months") is reported
as "over 6 months", not as a number.
"""

from __future__ import annotations

import datetime
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from forestall.stats.events import BUCKET_BOUNDS, EXIT_EVENTS, Detail, DurationBucket, Event
from forestall.stats.models import DailyCount, MonthlyCount

# The funnel, from first contact to completed therapy (the steps of the
# published Kein-Täter-werden funnel, with the opening of a case in between).
FUNNEL_STEPS: tuple[Event, ...] = (
    Event.CONTACT,
    Event.CASE_OPENED,
    Event.ASSESSED,
    Event.THERAPY_STARTED,
    Event.THERAPY_COMPLETED,
)
FUNNEL_LABELS = {
    Event.CONTACT: _("First contacts"),
    Event.CASE_OPENED: _("Cases opened"),
    Event.ASSESSED: _("Assessed"),
    Event.THERAPY_STARTED: _("Started therapy"),
    Event.THERAPY_COMPLETED: _("Completed therapy"),
}
EXIT_STAGES: tuple[str, ...] = (
    Detail.ENQUIRY,
    Detail.SCREENING,
    Detail.ASSESSMENT,
    Detail.WAITING_LIST,
    Detail.IN_TREATMENT,
    Detail.AFTERCARE,
)
PROTECTIVE_KINDS: tuple[str, ...] = (
    Detail.STOP_SITES,
    Detail.BLOCKING_SOFTWARE,
    Detail.TELL_TRUSTED_PERSON,
    Detail.CONTACT_CENTRE,
    Detail.AVOID_ALONE_WITH_CHILDREN,
    Detail.SELF_HELP,
    Detail.SEE_DOCTOR,
    Detail.OTHER,
)
TIMED_EVENTS = (Event.FIRST_REPLY_SENT, Event.THERAPY_STARTED, Event.CONCERN_DECIDED)
BUCKETS: tuple[str, ...] = tuple(bucket for bucket, _lower, _upper in BUCKET_BOUNDS)
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Period:
    """Whole days from ``start`` to ``end``, both included."""

    start: datetime.date
    end: datetime.date

    @classmethod
    def last_months(cls, months: int, today: datetime.date) -> Period:
        """The ``months`` whole calendar months before ``today``'s month, plus this month so far."""
        first = today.replace(day=1)
        year, month = divmod(first.year * 12 + first.month - 1 - months, 12)
        return cls(datetime.date(year, month + 1, 1), today)

    def months(self) -> list[datetime.date]:
        """The first day of every month the period touches."""
        result = []
        current = self.start.replace(day=1)
        while current <= self.end:
            result.append(current)
            year, month = divmod(current.year * 12 + current.month, 12)
            current = datetime.date(year, month + 1, 1)
        return result


@dataclass(frozen=True)
class Scope:
    """Which counts: the network (nothing set), a region, or some centres."""

    region_id: object = None
    centre_ids: tuple[object, ...] | None = None

    def counts(self, period: Period | None = None):  # -> DailyCountQuerySet
        """The daily rows of this scope (and period): the record, not the fast path."""
        queryset = DailyCount.objects.for_scope(
            region_id=self.region_id, centre_ids=self.centre_ids
        )
        if period is not None:
            queryset = queryset.filter(day__range=(period.start, period.end))
        return queryset

    def pieces(self, start: datetime.date | None, end: datetime.date) -> list[tuple[Any, Any]]:
        """Querysets that together hold exactly the counts from ``start`` to ``end``.

        Whole calendar months come from ``MonthlyCount``; the days of a
        partly covered month at either end from ``DailyCount``. Each comes
        with the expression of its month (annotated as ``period_month``).
        ``start=None`` means "from the first count".
        """
        scope = {"region_id": self.region_id, "centre_ids": self.centre_ids}
        after_end = end + datetime.timedelta(days=1)
        whole_until = after_end if after_end.day == 1 else after_end.replace(day=1)
        whole_from = start if start is None or start.day == 1 else _next_month(start)
        if whole_from is not None and whole_from >= whole_until:
            daily = DailyCount.objects.for_scope(**scope).filter(day__range=(start, end))
            return [(daily, TruncMonth("day"))]
        monthly = MonthlyCount.objects.for_scope(**scope).filter(month__lt=whole_until)
        if whole_from is not None:
            monthly = monthly.filter(month__gte=whole_from)
        result: list[tuple[Any, Any]] = [(monthly, F("month"))]
        if start is not None and whole_from is not None and start < whole_from:
            head = DailyCount.objects.for_scope(**scope).filter(day__gte=start, day__lt=whole_from)
            result.append((head, TruncMonth("day")))
        if whole_until <= end:
            tail = DailyCount.objects.for_scope(**scope).filter(day__range=(whole_until, end))
            result.append((tail, TruncMonth("day")))
        return result


def _next_month(day: datetime.date) -> datetime.date:
    year, month = divmod(day.year * 12 + day.month, 12)
    return datetime.date(year, month + 1, 1)


@dataclass(frozen=True)
class Proportion:
    """``numerator`` of ``denominator`` with a 95% Wilson score interval."""

    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.numerator, self.denominator)


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a binomial proportion (95% by default).

    Better than the normal approximation for small samples and for rates
    near 0 or 1, which outcome rates of small centres often are.
    """
    if trials <= 0:
        return None
    if not 0 <= successes <= trials:
        raise ValueError("successes must lie between 0 and trials")
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class DurationEstimate:
    """A percentile estimated from bucket counts: hours, or ``None`` if over 6 months."""

    hours: float | None
    open_ended: bool = False


def percentile_from_buckets(counts: dict[str, int], p: float) -> DurationEstimate | None:
    """The p-quantile (0 < p < 1) by linear interpolation inside the bucket that holds it."""
    total = sum(counts.get(bucket, 0) for bucket in BUCKETS)
    if total == 0:
        return None
    target = p * total
    cumulative = 0
    for bucket, lower, upper in BUCKET_BOUNDS:
        n = counts.get(bucket, 0)
        if n and cumulative + n >= target:
            if bucket == DurationBucket.OVER_6M:
                return DurationEstimate(None, open_ended=True)
            return DurationEstimate(lower + (target - cumulative) / n * (upper - lower))
        cumulative += n
    return DurationEstimate(None, open_ended=True)  # pragma: no cover - rounding only


@dataclass
class Funnel:
    steps: dict[str, int]
    exits: dict[str, dict[str, int]]  # exit event → stage → count

    def losses(self) -> list[tuple[str, str, int]]:
        """(from step, to step, how many fewer) for each pair of consecutive steps."""
        pairs = itertools.pairwise(FUNNEL_STEPS)
        return [(a, b, self.steps.get(a, 0) - self.steps.get(b, 0)) for a, b in pairs]

    def exit_total(self, stage: str) -> int:
        return sum(by_stage.get(stage, 0) for by_stage in self.exits.values())


@dataclass
class Durations:
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def median(self) -> DurationEstimate | None:
        return percentile_from_buckets(self.counts, 0.5)

    @property
    def p90(self) -> DurationEstimate | None:
        return percentile_from_buckets(self.counts, 0.9)


@dataclass
class Figures:
    """Everything the dashboards show for one scope and period."""

    period: Period
    totals: dict[str, int]
    details: dict[str, dict[str, int]]
    funnel: Funnel
    monthly: dict[str, dict[datetime.date, int]]  # event → month → count
    reach: dict[str, dict[str, dict[datetime.date, int]]]  # dimension → value → month → count
    durations: dict[str, Durations]
    waiting_list: dict[datetime.date, int]  # month → size at the end of the month
    outcomes: dict[str, Proportion]

    @property
    def answered_share(self) -> Proportion:
        contacts = self.totals.get(Event.CONTACT, 0)
        return Proportion(min(self.totals.get(Event.FIRST_REPLY_SENT, 0), contacts), contacts)


def _grouped(queryset, *fields: str) -> Iterable[tuple]:
    return queryset.values_list(*fields).annotate(total=Sum("count")).order_by()


def _sum_grouped(
    scope: Scope,
    start: datetime.date | None,
    end: datetime.date,
    *fields: str,
    where: Q | None = None,
) -> dict[tuple, int]:
    """``SUM(count) GROUP BY fields`` over the period, merged across the monthly
    and daily pieces (``period_month`` is the month of a count)."""
    result: dict[tuple, int] = defaultdict(int)
    month_index = fields.index("period_month") if "period_month" in fields else None
    for queryset, month in scope.pieces(start, end):
        if where is not None:
            queryset = queryset.filter(where)
        if month_index is not None:
            queryset = queryset.annotate(period_month=month)
        for *key, total in _grouped(queryset, *fields):
            if month_index is not None:
                key[month_index] = _as_date(key[month_index])
            result[tuple(key)] += total
    return result


@dataclass(frozen=True)
class EventTable:
    """``SUM(count)`` by event, detail, duration bucket and month over a period.

    One ``GROUP BY`` per piece of the period (see ``Scope.pieces``): a few
    thousand groups from which the totals, the monthly series, the duration
    distributions and the waiting list changes are all read.
    """

    groups: dict[tuple[str, str, str, datetime.date], int]

    @classmethod
    def load(cls, scope: Scope, period: Period) -> EventTable:
        grouped = _sum_grouped(
            scope, period.start, period.end, "event", "detail", "duration_bucket", "period_month"
        )
        return cls(dict(grouped))  # type: ignore[arg-type]

    def details(self) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (event, detail, _bucket, _month), total in self.groups.items():
            result[event][detail] += total
        return {event: dict(by_detail) for event, by_detail in result.items()}

    def monthly(self, events: Sequence[str]) -> dict[str, dict[datetime.date, int]]:
        result: dict[str, dict[datetime.date, int]] = {event: defaultdict(int) for event in events}
        for (event, _detail, _bucket, month), total in self.groups.items():
            if event in result:
                result[event][month] += total
        return {event: dict(by_month) for event, by_month in result.items()}

    def durations(self) -> dict[str, Durations]:
        result: dict[str, Durations] = {
            str(event): Durations(defaultdict(int)) for event in TIMED_EVENTS
        }
        for (event, _detail, bucket, _month), total in self.groups.items():
            if bucket and event in result:
                result[event].counts[bucket] += total
        for value in result.values():
            value.counts = dict(value.counts)
        return result

    def waiting_list_changes(self) -> dict[datetime.date, int]:
        changes: dict[datetime.date, int] = defaultdict(int)
        for (event, detail, bucket, month), total in self.groups.items():
            changes[month] += _waiting_list_change(event, detail, bucket, total)
        return dict(changes)


def _waiting_list_change(event: str, detail: str, bucket: str, total: int) -> int:
    """Joined: ``waitlisted``. Left: ``therapy_started`` with a waiting time (a start
    straight from assessment carries none) and exits at the stage ``waiting_list``."""
    if event == Event.WAITLISTED:
        return total
    if (event == Event.THERAPY_STARTED and bucket) or (
        event in EXIT_EVENTS and detail == Detail.WAITING_LIST
    ):
        return -total
    return 0


_WAITING_LIST_EVENTS = (
    Q(event=Event.WAITLISTED)
    | (Q(event=Event.THERAPY_STARTED) & ~Q(duration_bucket=""))
    | Q(event__in=EXIT_EVENTS, detail=Detail.WAITING_LIST)
)


def reach_by_month(scope: Scope, period: Period) -> dict[str, dict[str, dict[datetime.date, int]]]:
    """Contacts per month by pathway, channel and language (one GROUP BY over all three)."""
    grouped = _sum_grouped(
        scope,
        period.start,
        period.end,
        "pathway",
        "channel",
        "language",
        "period_month",
        where=Q(event=Event.CONTACT),
    )
    result: dict[str, dict[str, dict[datetime.date, int]]] = {
        dimension: defaultdict(lambda: defaultdict(int))
        for dimension in ("pathway", "channel", "language")
    }
    for (pathway, channel, language, month), total in grouped.items():
        result["pathway"][pathway][month] += total
        result["channel"][channel][month] += total
        result["language"][language][month] += total
    return {
        dimension: {value: dict(by_month) for value, by_month in table.items()}
        for dimension, table in result.items()
    }


def waiting_list_by_month(
    scope: Scope, period: Period, table: EventTable | None = None
) -> dict[datetime.date, int]:
    """People on waiting lists at the end of each month.

    The size is the running sum of joined minus left (see
    ``_waiting_list_change``) since the first count, so the counts before the
    period are summed once too.
    """
    before = period.start - datetime.timedelta(days=1)
    history = _sum_grouped(
        scope, None, before, "event", "detail", "duration_bucket", where=_WAITING_LIST_EVENTS
    )
    size = sum(
        _waiting_list_change(event, detail, bucket, total)
        for (event, detail, bucket), total in history.items()
    )
    changes = (table or EventTable.load(scope, period)).waiting_list_changes()
    result = {}
    for month in period.months():
        size += changes.get(month, 0)
        result[month] = max(size, 0)
    return result


def funnel_by(scope: Scope, period: Period, dimension: str) -> dict[object, dict[str, int]]:
    """The funnel steps per ``centre_id`` or per ``region_id`` (``dimension``)."""
    where = Q(event__in=FUNNEL_STEPS, **{f"{dimension}__isnull": False})
    result: dict[object, dict[str, int]] = defaultdict(dict)
    grouped = _sum_grouped(scope, period.start, period.end, dimension, "event", where=where)
    for (key, event), total in grouped.items():
        result[key][event] = total
    return dict(result)


def replies_within_target(
    scope: Scope, period: Period
) -> dict[tuple[UUID | None, datetime.date], Proportion]:
    """Replies within the reply-time target, of all replies to a waiting person,
    per ``(centre_id, month)`` (``centre_id`` None: conversations addressed to
    the network)."""
    grouped = _sum_grouped(
        scope,
        period.start,
        period.end,
        "centre_id",
        "period_month",
        "detail",
        where=Q(event=Event.REPLY_SENT),
    )
    within: dict[tuple[UUID | None, datetime.date], int] = defaultdict(int)
    total: dict[tuple[UUID | None, datetime.date], int] = defaultdict(int)
    for (centre_id, month, detail), count in grouped.items():
        total[(centre_id, month)] += count
        if detail == Detail.WITHIN_TARGET:
            within[(centre_id, month)] += count
    return {key: Proportion(within[key], total[key]) for key in sorted(total, key=str)}


def outcomes(details: dict[str, dict[str, int]]) -> dict[str, Proportion]:
    """Recovery, reliable improvement and deterioration rates of finished courses.

    Recovery counts only courses that started at caseness (NHS Talking
    Therapies definition); the other rates use all finished courses.
    """
    finished = sum(details.get(Event.COURSE_FINISHED, {}).values())
    at_caseness = details.get(Event.COURSE_FINISHED, {}).get(Detail.AT_CASENESS, 0)

    def count(event: str) -> int:
        return sum(details.get(event, {}).values())

    return {
        "recovery": Proportion(min(count(Event.RECOVERED), at_caseness), at_caseness),
        "reliable_improvement": Proportion(min(count(Event.RELIABLY_IMPROVED), finished), finished),
        "reliable_deterioration": Proportion(
            min(count(Event.RELIABLY_DETERIORATED), finished), finished
        ),
    }


def figures(scope: Scope, period: Period) -> Figures:
    """All dashboard figures for ``scope`` over ``period`` (a fixed, small number of queries)."""
    table = EventTable.load(scope, period)
    details = table.details()
    totals = {event: sum(by_detail.values()) for event, by_detail in details.items()}
    funnel = Funnel(
        steps={step: totals.get(step, 0) for step in FUNNEL_STEPS},
        exits={
            exit_event: {stage: details.get(exit_event, {}).get(stage, 0) for stage in EXIT_STAGES}
            for exit_event in EXIT_EVENTS
        },
    )
    return Figures(
        period=period,
        totals=totals,
        details=details,
        funnel=funnel,
        monthly=table.monthly((*FUNNEL_STEPS, Event.MAILBOX_STARTED, Event.SELF_CHECK_COMPLETED)),
        reach=reach_by_month(scope, period),
        durations=table.durations(),
        waiting_list=waiting_list_by_month(scope, period, table),
        outcomes=outcomes(details),
    )


def _as_date(value: datetime.date | datetime.datetime) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value
