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
from forestall.stats import figures as fig
from forestall.stats.events import EXIT_EVENTS, Detail, DurationBucket, Event
from forestall.stats.models import Channel, CountLanguage

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


def _vocabulary_columns(values: dict[str, Any], choices: Any) -> list[tuple[str, Any]]:
    columns = [(value, label) for value, label in choices.choices]
    if "" in values:
        columns.append(("", NOT_RECORDED))
    return columns


def public_release(today: datetime.date | None = None) -> Release:
    """The whole public release for the network (a fixed number of queries)."""
    threshold = settings.FORESTALL_SUPPRESSION_THRESHOLD
    base = getattr(settings, "FORESTALL_STATISTICS_ROUNDING", 1)
    period = release_period(today or timezone.localdate())
    network = fig.Scope()
    figures = fig.figures(network, period)
    details = figures.details
    totals = {event: sum(by_detail.values()) for event, by_detail in details.items()}
    release = Release(period=period, threshold=threshold, rounding_base=base)
    options = {"threshold": threshold, "rounding_base": base}

    # --- the funnel by region and by centre, and the reach tables, linked ---
    steps = list(fig.FUNNEL_STEPS)
    by_region = fig.funnel_by(network, period, "region_id")
    by_centre = fig.funnel_by(network, period, "centre_id")
    centres = {c.pk: c for c in Centre.objects.filter(pk__in=list(by_centre)).order_by("name")}
    regions = list(Region.objects.filter(pk__in=list(by_region)).order_by("name"))
    region_rows = [[by_region[r.pk].get(s, 0) for s in steps] for r in regions]
    unassigned = [
        totals.get(s, 0) - sum(row[j] for row in region_rows) for j, s in enumerate(steps)
    ]
    region_rows.append([max(value, 0) for value in unassigned])
    centres_in = {r.pk: [c for c in centres.values() if c.region_id == r.pk] for r in regions}
    reach = figures.reach
    months = period.months()
    reach_tables = {
        dimension: (
            _vocabulary_columns(reach[dimension], choices),
            reach[dimension],
        )
        for dimension, choices in (
            ("pathway", Pathway),
            ("channel", Channel),
            ("language", CountLanguage),
        )
    }
    contact_column = steps.index(Event.CONTACT)

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
            rows = [[by_centre[c.pk].get(s, 0) for s in steps] for c in centres_in[region.pk]]
            results[f"centres:{index}"] = suppress_table(
                rows,
                row_totals=False,
                withhold_cells=forced.get(f"centres:{index}:cells", set()),
                withhold_column_totals=forced.get(f"centres:{index}:column_totals", set()),
                **options,
            )
        for dimension, (columns, counts) in reach_tables.items():
            rows = [[counts.get(key, {}).get(month, 0) for key, _l in columns] for month in months]
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

    # --- losses: exits by reason and stage ---
    stages = list(fig.EXIT_STAGES)
    exit_rows = [[details.get(e, {}).get(s, 0) for s in stages] for e in EXIT_EVENTS]
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
    kinds = list(fig.PROTECTIVE_KINDS)
    protective_rows = [
        [
            details.get(Event.PROTECTIVE_ACTION_AGREED, {}).get(k, 0),
            details.get(Event.PROTECTIVE_ACTION_TAKEN, {}).get(k, 0),
        ]
        for k in kinds
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
    timed = figures.durations
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
        counts = timed[event].counts
        cells, total = suppress_series([counts.get(b, 0) for b in fig.BUCKETS], **options)
        release.tables[table_id] = PublicTable(
            id=table_id,
            title=title,
            row_dimension="measure",
            column_dimension="duration",
            rows=[("count", _("Number"))],
            columns=[(b, DurationBucket(b).label) for b in fig.BUCKETS],
            cells=[cells],
            row_totals=[total],
        )
        for name, estimate in (("median", timed[event].median), ("p90", timed[event].p90)):
            published = timed[event].total >= minimum and estimate is not None
            release.estimates[f"{table_id}_{name}"] = PublicEstimate(
                id=f"{table_id}_{name}",
                label=title,
                unit="hours",
                value=_round_hours(estimate.hours) if published and estimate.hours else None,
                open_ended=bool(published and estimate.open_ended),
                note="median" if name == "median" else "p90",
            )

    # --- shares and outcome rates, with 95% Wilson intervals ---
    finished = details.get(Event.COURSE_FINISHED, {})
    caseness_cells, finished_total = suppress_series(
        [
            finished.get(Detail.AT_CASENESS, 0),
            finished.get(Detail.NOT_AT_CASENESS, 0),
            sum(
                v
                for k, v in finished.items()
                if k not in (Detail.AT_CASENESS, Detail.NOT_AT_CASENESS)
            ),
        ],
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
    figures_outcomes = fig.outcomes(details)
    labels = {
        "recovery": _("Recovery rate (of courses that started at caseness)"),
        "reliable_improvement": _("Reliable improvement rate"),
        "reliable_deterioration": _("Reliable deterioration rate"),
    }
    for key, proportion in figures_outcomes.items():
        release.estimates[key] = publish_proportion(key, labels[key], proportion, threshold, base)
    answered = fig.Proportion(
        min(totals.get(Event.FIRST_REPLY_SENT, 0), totals.get(Event.CONTACT, 0)),
        totals.get(Event.CONTACT, 0),
    )
    release.estimates["answered_share"] = publish_proportion(
        "answered_share", _("Share of first contacts answered"), answered, threshold, base
    )

    # --- waiting list size at the end of each month ---
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


def _round_hours(hours: float) -> float:
    """Whole hours under a day, whole days (in hours) above: estimates are coarse anyway."""
    if hours < 24:
        return float(max(round(hours), 1))
    return float(round(hours / 24) * 24)
