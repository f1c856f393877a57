"""The public release: the figures that leave the staff side, after disclosure control.

Everything shown on ``/statistics/``, in the CSV and JSON downloads and in the
API comes from ``public_release()``; none of those views reads ``DailyCount``
itself. The release covers whole calendar months (the last 24 before the
current one), so it changes once a month and small daily changes cannot be
differenced out of it.

Tables that share figures are suppressed together (``suppress_linked``):

- the funnel by region and each region's funnel by centre (a region's row is
  the total of its centres' rows), with the network's funnel as the totals;
- the contacts by month and pathway, channel and language (the same monthly
  totals), whose grand total is also the funnel's first step.

Single figures (rates, the waiting list size) are published only when neither
the count nor its complement is a small number; percentiles only from at
least ``4 * threshold`` timed events.

With ``FORESTALL_STATISTICS_DP_EPSILON`` set, every count cell that feeds the
release is first replaced by its differentially private value
(``forestall.stats.dp``: discrete Laplace noise, drawn once per period and
stored); totals, rates and percentiles are computed from the noisy cells, and
suppression and rounding then run exactly as without it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from forestall.directory.models import Centre, Region
from forestall.lib.suppression import (
    SuppressedTable,
    is_sensitive,
    round_to,
    suppress_linked,
    suppress_series,
    suppress_table,
    suppress_value,
)
from forestall.public.models import Pathway
from forestall.stats import dp
from forestall.stats import figures as fig
from forestall.stats.events import EXIT_EVENTS, Detail, DurationBucket, Event
from forestall.stats.models import CountChannel, CountLanguage

RELEASE_MONTHS = 24
NOT_RECORDED = _("Not recorded")
NO_CENTRE = _("Network (no centre)")


@dataclass
class PublicTable:
    """One published table: labelled rows and columns, ``None`` where withheld."""

    id: str
    title: Any
    row_dimension: str
    column_dimension: str
    rows: list[tuple[str, Any]]
    columns: list[tuple[str, Any]]
    cells: list[list[int | None]]
    row_totals: list[int | None] | None = None
    column_totals: list[int | None] | None = None
    total: int | None = None
    has_total: bool = False

    def records(self):
        """Long form: (row key, column key, value); totals under the key ``total``."""
        for (row_key, _label), row in zip(self.rows, self.cells, strict=True):
            for (column_key, _clabel), value in zip(self.columns, row, strict=True):
                yield row_key, column_key, value
            if self.row_totals is not None:
                yield row_key, "total", self.row_totals[self.rows.index((row_key, _label))]
        if self.column_totals is not None:
            for (column_key, _clabel), value in zip(self.columns, self.column_totals, strict=True):
                yield "total", column_key, value
        if self.has_total:
            yield "total", "total", self.total

    def rows_with_cells(self):
        for index, ((key, label), row) in enumerate(zip(self.rows, self.cells, strict=True)):
            total = self.row_totals[index] if self.row_totals is not None else None
            yield key, label, row, total


@dataclass
class PublicEstimate:
    """A published rate or duration: ``value`` is ``None`` when withheld."""

    id: str
    label: Any
    unit: str  # "proportion" or "hours"
    value: float | None
    lower: float | None = None
    upper: float | None = None
    numerator: int | None = None
    denominator: int | None = None
    note: Any = ""
    open_ended: bool = False


@dataclass
class Release:
    period: fig.Period
    threshold: int
    rounding_base: int
    tables: dict[str, PublicTable] = field(default_factory=dict)
    estimates: dict[str, PublicEstimate] = field(default_factory=dict)
    waiting_list: list[tuple[datetime.date, int | None]] = field(default_factory=list)
    differential_privacy: dp.Budget | None = None


def release_period(today: datetime.date) -> fig.Period:
    """The last ``RELEASE_MONTHS`` whole calendar months before ``today``'s month."""
    end = today.replace(day=1) - datetime.timedelta(days=1)
    start = fig.Period.last_months(RELEASE_MONTHS - 1, end).start
    return fig.Period(start, end)


def _wrap(table: SuppressedTable, **kwargs: Any) -> PublicTable:
    return PublicTable(
        cells=table.cells,
        row_totals=table.row_totals if kwargs.pop("row_totals", True) else None,
        column_totals=table.column_totals if kwargs.pop("column_totals", True) else None,
        total=table.total,
        **kwargs,
    )


def _vocabulary_columns(
    values: dict[str, Any], choices: Any, always_unrecorded: bool = False
) -> list[tuple[str, Any]]:
    columns = [(value, label) for value, label in choices.choices]
    if always_unrecorded or "" in values:
        columns.append(("", NOT_RECORDED))
    return columns


def public_release(today: datetime.date | None = None) -> Release:
    """The whole public release for the network (a fixed number of queries)."""
    threshold = settings.FORESTALL_SUPPRESSION_THRESHOLD
    base = settings.FORESTALL_STATISTICS_ROUNDING
    period = release_period(today or timezone.localdate())
    network = fig.Scope()
    figures = fig.figures(network, period)
    details = figures.details
    totals = {event: sum(by_detail.values()) for event, by_detail in details.items()}
    budget = dp.configured_budget()
    release = Release(
        period=period, threshold=threshold, rounding_base=base, differential_privacy=budget
    )
    options = {"threshold": threshold, "rounding_base": base}

    # --- the funnel by region and by centre, and the reach tables, linked ---
    steps = list(fig.FUNNEL_STEPS)
    by_region = fig.funnel_by(network, period, "region_id")
    by_centre = fig.funnel_by(network, period, "centre_id")
    # Under differential privacy the rows and columns must not depend on the
    # data (a centre appearing would say someone came): every centre, every
    # vocabulary value.
    centre_query = Centre.objects.all() if budget else Centre.objects.filter(pk__in=list(by_centre))
    centres = {c.pk: c for c in centre_query.order_by("name")}
    region_ids = {c.region_id for c in centres.values()} if budget else set(by_region)
    regions = list(Region.objects.filter(pk__in=list(region_ids)).order_by("name"))
    centres_in = {r.pk: [c for c in centres.values() if c.region_id == r.pk] for r in regions}
    reach = figures.reach
    months = period.months()
    reach_tables = {
        dimension: (
            _vocabulary_columns(reach[dimension], choices, always_unrecorded=budget is not None),
            reach[dimension],
        )
        for dimension, choices in (
            ("pathway", Pathway),
            ("channel", CountChannel),
            ("language", CountLanguage),
        )
    }
    contact_column = steps.index(Event.CONTACT)
    stages = list(fig.EXIT_STAGES)
    kinds = list(fig.PROTECTIVE_KINDS)
    timed = figures.durations
    finished = details.get(Event.COURSE_FINISHED, {})
    outcome_events = (Event.RECOVERED, Event.RELIABLY_IMPROVED, Event.RELIABLY_DETERIORATED)

    # Every count cell that feeds the release, under a stable key. Without
    # differential privacy these are the true counts; with it, the noisy ones.
    true: dict[str, int] = {}
    for step in steps:
        at_centres = 0
        for centre in centres.values():
            value = by_centre.get(centre.pk, {}).get(step, 0)
            true[f"funnel:{centre.pk}:{step}"] = value
            at_centres += value
        true[f"funnel:none:{step}"] = max(totals.get(step, 0) - at_centres, 0)
    for dimension, (columns, counts) in reach_tables.items():
        for month in months:
            for key, _label in columns:
                true[f"reach:{dimension}:{key}:{month:%Y-%m}"] = counts.get(key, {}).get(month, 0)
    for event in EXIT_EVENTS:
        for stage in stages:
            true[f"exits:{event}:{stage}"] = details.get(event, {}).get(stage, 0)
    for kind in kinds:
        true[f"protective:{kind}:agreed"] = details.get(Event.PROTECTIVE_ACTION_AGREED, {}).get(
            kind, 0
        )
        true[f"protective:{kind}:taken"] = details.get(Event.PROTECTIVE_ACTION_TAKEN, {}).get(
            kind, 0
        )
    for event in fig.TIMED_EVENTS:
        for bucket in fig.BUCKETS:
            true[f"times:{event}:{bucket}"] = timed[event].counts.get(bucket, 0)
    true["finished:at_caseness"] = finished.get(Detail.AT_CASENESS, 0)
    true["finished:not_at_caseness"] = finished.get(Detail.NOT_AT_CASENESS, 0)
    true["finished:"] = sum(
        v for k, v in finished.items() if k not in (Detail.AT_CASENESS, Detail.NOT_AT_CASENESS)
    )
    for event in outcome_events:
        true[f"outcomes:{event}"] = totals.get(event, 0)
    cells = dp.privatise(period, true, budget) if budget else true

    if budget:
        # A region's row is the sum of its centres' noisy rows (so the tables
        # stay additive); events at no centre are their own noisy row.
        region_rows = [
            [sum(cells[f"funnel:{c.pk}:{s}"] for c in centres_in[r.pk]) for s in steps]
            for r in regions
        ]
        region_rows.append([cells[f"funnel:none:{s}"] for s in steps])
    else:
        region_rows = [[by_region[r.pk].get(s, 0) for s in steps] for r in regions]
        unassigned = [
            totals.get(s, 0) - sum(row[j] for row in region_rows) for j, s in enumerate(steps)
        ]
        region_rows.append([max(value, 0) for value in unassigned])

    def build(forced: dict[str, set]) -> dict[str, SuppressedTable]:
        results = {
            "region": suppress_table(
                region_rows,
                row_totals=False,
                withhold_cells=forced.get("region:cells", set()),
                withhold_column_totals=forced.get("region:column_totals", set()),
                **options,
            )
        }
        for index, region in enumerate(regions):
            rows = [[cells[f"funnel:{c.pk}:{s}"] for s in steps] for c in centres_in[region.pk]]
            results[f"centres:{index}"] = suppress_table(
                rows,
                row_totals=False,
                withhold_cells=forced.get(f"centres:{index}:cells", set()),
                withhold_column_totals=forced.get(f"centres:{index}:column_totals", set()),
                **options,
            )
        for dimension, (columns, _counts) in reach_tables.items():
            rows = [
                [cells[f"reach:{dimension}:{key}:{month:%Y-%m}"] for key, _l in columns]
                for month in months
            ]
            results[f"reach:{dimension}"] = suppress_table(
                rows,
                withhold_row_totals=forced.get("reach:row_totals", set()),
                withhold_total=bool(forced.get("reach:total")),
                **options,
            )
        return results

    def links(results: dict[str, SuppressedTable]) -> dict[str, set]:
        wanted: dict[str, set] = {"region:cells": set(), "region:column_totals": set()}
        region = results["region"]
        for index in range(len(regions)):
            centre_table = results[f"centres:{index}"]
            # A region's cell and the column total of its centres' table are one figure.
            hidden_in_region = {j for j, v in enumerate(region.cells[index]) if v is None}
            hidden_in_centres = {j for j, v in enumerate(centre_table.column_totals) if v is None}
            wanted[f"centres:{index}:column_totals"] = hidden_in_region | hidden_in_centres
            wanted["region:cells"] |= {(index, j) for j in hidden_in_region | hidden_in_centres}
        reach_results = [results[f"reach:{d}"] for d in reach_tables]
        wanted["reach:row_totals"] = {
            i for table in reach_results for i, v in enumerate(table.row_totals) if v is None
        }
        total_hidden = any(table.total is None for table in reach_results) or (
            region.column_totals[contact_column] is None and any(map(sum, region_rows))
        )
        if total_hidden:
            wanted["reach:total"] = {True}
            wanted["region:column_totals"].add(contact_column)
        return wanted

    results = suppress_linked(build, links=links)
    step_columns = [(str(s), fig.FUNNEL_LABELS[s]) for s in steps]
    region_table = _wrap(
        results["region"],
        id="funnel_by_region",
        title=_("The funnel by region"),
        row_dimension="region",
        column_dimension="step",
        rows=[(r.slug, r.name) for r in regions] + [("network", NO_CENTRE)],
        columns=step_columns,
        row_totals=False,
    )
    release.tables["funnel_by_region"] = region_table
    centre_rows, centre_cells = [], []
    for index, region in enumerate(regions):
        centre_rows += [(c.slug, c.name) for c in centres_in[region.pk]]
        centre_cells += results[f"centres:{index}"].cells
    release.tables["funnel_by_centre"] = PublicTable(
        id="funnel_by_centre",
        title=_("The funnel by centre"),
        row_dimension="centre",
        column_dimension="step",
        rows=centre_rows,
        columns=step_columns,
        cells=centre_cells,
    )
    month_rows = [(m.strftime("%Y-%m"), m.strftime("%Y-%m")) for m in months]
    titles = {
        "pathway": _("First contacts by month and pathway"),
        "channel": _("First contacts by month and channel"),
        "language": _("First contacts by month and language"),
    }
    for dimension, (columns, _counts) in reach_tables.items():
        release.tables[f"contacts_by_{dimension}"] = _wrap(
            results[f"reach:{dimension}"],
            id=f"contacts_by_{dimension}",
            title=titles[dimension],
            row_dimension="month",
            column_dimension=dimension,
            rows=month_rows,
            columns=columns,
            has_total=True,
        )

    # --- reach: arrivals from partner warnings and what followed ---
    if not budget:
        release.tables["reach_funnel"] = _reach_funnel(period, months, options)

    # --- losses: exits by reason and stage ---
    exit_rows = [[cells[f"exits:{e}:{s}"] for s in stages] for e in EXIT_EVENTS]
    release.tables["exits_by_stage"] = _wrap(
        suppress_table(exit_rows, **options),
        id="exits_by_stage",
        title=_("Who left before completing therapy, by reason and stage"),
        row_dimension="reason",
        column_dimension="stage",
        rows=[(str(e), Event(e).label) for e in EXIT_EVENTS],
        columns=[(str(s), Detail(s).label) for s in stages],
        has_total=True,
    )

    # --- protective actions ---
    protective_rows = [
        [cells[f"protective:{k}:agreed"], cells[f"protective:{k}:taken"]] for k in kinds
    ]
    release.tables["protective_actions"] = _wrap(
        suppress_table(protective_rows, row_totals=False, **options),
        id="protective_actions",
        title=_("Protective actions agreed and taken"),
        row_dimension="action",
        column_dimension="state",
        rows=[(str(k), Detail(k).label) for k in kinds],
        columns=[("agreed", _("Agreed")), ("taken", _("Taken"))],
        row_totals=False,
    )

    # --- times: distributions and percentiles ---
    time_tables = {
        Event.FIRST_REPLY_SENT: ("first_reply_times", _("Time to the first reply")),
        Event.THERAPY_STARTED: ("waiting_times", _("Time on the waiting list before therapy")),
        Event.CONCERN_DECIDED: (
            "concern_decision_times",
            _("Time from a safeguarding concern to its decision"),
        ),
    }
    minimum = 4 * threshold
    for event, (table_id, title) in time_tables.items():
        times = (
            fig.Durations({b: cells[f"times:{event}:{b}"] for b in fig.BUCKETS})
            if budget
            else timed[event]
        )
        bucket_cells, total = suppress_series(
            [cells[f"times:{event}:{b}"] for b in fig.BUCKETS], **options
        )
        release.tables[table_id] = PublicTable(
            id=table_id,
            title=title,
            row_dimension="measure",
            column_dimension="duration",
            rows=[("count", _("Number"))],
            columns=[(b, DurationBucket(b).label) for b in fig.BUCKETS],
            cells=[bucket_cells],
            row_totals=[total],
        )
        for name, estimate in (("median", times.median), ("p90", times.p90)):
            published = times.total >= minimum and estimate is not None
            release.estimates[f"{table_id}_{name}"] = PublicEstimate(
                id=f"{table_id}_{name}",
                label=title,
                unit="hours",
                value=_round_hours(estimate.hours) if published and estimate.hours else None,
                open_ended=bool(published and estimate.open_ended),
                note="median" if name == "median" else "p90",
            )

    # --- shares and outcome rates, with 95% Wilson intervals ---
    caseness_cells, finished_total = suppress_series(
        [cells["finished:at_caseness"], cells["finished:not_at_caseness"], cells["finished:"]],
        **options,
    )
    release.tables["finished_courses"] = PublicTable(
        id="finished_courses",
        title=_("Finished courses of outcome measures"),
        row_dimension="measure",
        column_dimension="caseness_at_start",
        rows=[("count", _("Number"))],
        columns=[
            ("at_caseness", Detail.AT_CASENESS.label),
            ("not_at_caseness", Detail.NOT_AT_CASENESS.label),
            ("", NOT_RECORDED),
        ],
        cells=[caseness_cells],
        row_totals=[finished_total],
    )
    if budget:
        noisy_details = {
            Event.COURSE_FINISHED: {
                Detail.AT_CASENESS: cells["finished:at_caseness"],
                Detail.NOT_AT_CASENESS: cells["finished:not_at_caseness"],
                "": cells["finished:"],
            },
            **{event: {"": cells[f"outcomes:{event}"]} for event in outcome_events},
        }
        figures_outcomes = fig.outcomes(noisy_details)
    else:
        figures_outcomes = fig.outcomes(details)
    labels = {
        "recovery": _("Recovery rate (of courses that started at caseness)"),
        "reliable_improvement": _("Reliable improvement rate"),
        "reliable_deterioration": _("Reliable deterioration rate"),
    }
    for key, proportion in figures_outcomes.items():
        release.estimates[key] = publish_proportion(key, labels[key], proportion, threshold, base)
    if budget:
        contacts = sum(row[contact_column] for row in region_rows)
        replies = sum(cells[f"times:{Event.FIRST_REPLY_SENT}:{b}"] for b in fig.BUCKETS)
    else:
        contacts = totals.get(Event.CONTACT, 0)
        replies = totals.get(Event.FIRST_REPLY_SENT, 0)
    answered = fig.Proportion(min(replies, contacts), contacts)
    release.estimates["answered_share"] = publish_proportion(
        "answered_share", _("Share of first contacts answered"), answered, threshold, base
    )

    # --- waiting list size at the end of each month ---
    if budget:
        # One person waiting a year is counted in twelve month-end figures:
        # under differential privacy they would use up most of the budget, so
        # they are not published at all.
        return release
    release.waiting_list = [
        (month, suppress_value(size, **options)) for month, size in figures.waiting_list.items()
    ]
    return release


def publish_proportion(
    key: str, label: Any, proportion: fig.Proportion, threshold: int, rounding_base: int = 1
) -> PublicEstimate:
    """A rate, published only if its count, its complement and its base are not small numbers."""
    n, d = proportion.numerator, proportion.denominator
    safe = d >= threshold and not is_sensitive(n, threshold) and not is_sensitive(d - n, threshold)
    if not safe:
        return PublicEstimate(id=key, label=label, unit="proportion", value=None)
    lower, upper = proportion.interval or (None, None)
    return PublicEstimate(
        id=key,
        label=label,
        unit="proportion",
        value=round(proportion.rate or 0.0, 3),
        lower=round(lower, 3) if lower is not None else None,
        upper=round(upper, 3) if upper is not None else None,
        numerator=round_to(n, rounding_base),
        denominator=round_to(d, rounding_base),
    )


REACH_STEPS = (
    Event.REACH_LANDING,
    Event.SELF_CHECK_COMPLETED,
    Event.MAILBOX_STARTED,
    Event.CONTACT,
    Event.CASE_OPENED,
)


def _reach_funnel(
    period: fig.Period, months: list[datetime.date], options: dict[str, int]
) -> PublicTable:
    """Arrivals through reach warnings and what followed them, by month (source "reach").

    Not linked to the other tables: these are counts of their own source (a
    person who arrived through reach is in these and in the network's
    totals), suppressed and rounded like every other table. Under
    differential privacy it is not published (its cells are not in the budget).
    """
    from django.db.models import Sum

    from forestall.stats.models import MonthlyCount, Source

    counts: dict[tuple[datetime.date, str], int] = {}
    for item in (
        MonthlyCount.objects.filter(
            source=Source.REACH,
            event__in=REACH_STEPS,
            month__range=(period.start, period.end),
        )
        .values("month", "event")
        .annotate(total=Sum("count"))
        .order_by()
    ):
        counts[(item["month"], item["event"])] = int(item["total"])
    rows = [[counts.get((month, step), 0) for step in REACH_STEPS] for month in months]
    return _wrap(
        suppress_table(rows, row_totals=False, **options),
        id="reach_funnel",
        title=_("Arrivals from warnings on partner platforms, and what followed, by month"),
        row_dimension="month",
        column_dimension="step",
        rows=[(m.strftime("%Y-%m"), m.strftime("%Y-%m")) for m in months],
        columns=[(str(step), Event(step).label) for step in REACH_STEPS],
        row_totals=False,
    )


def _round_hours(hours: float) -> float:
    """Whole hours under a day, whole days (in hours) above: estimates are coarse anyway."""
    if hours < 24:
        return float(max(round(hours), 1))
    return float(round(hours / 24) * 24)
