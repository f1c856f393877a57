"""The public release: the statistics tables after disclosure control.

Everything shown on ``/statistics/``, in the CSV and JSON downloads and in the
API comes from :func:`public_release`; none of those views reads the counts
itself. It takes the tables from their builders (``forestall.stats.tables``,
the same ones the staff dashboards show) and applies disclosure control in
one place, :func:`disclose`. The release covers whole calendar months (the
last 24 before the current one), so it changes once a month and small daily
changes cannot be differenced out of it.

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
suppression and rounding then run exactly as without it. The reach funnel and
the waiting list are then not published (their cells are not in the budget).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from forestall.lib.suppression import (
    SuppressedTable,
    is_sensitive,
    round_to,
    suppress_linked,
    suppress_series,
    suppress_table,
    suppress_value,
)
from forestall.stats import dp, tables
from forestall.stats import figures as fig
from forestall.stats.events import Event
from forestall.stats.tables import CountTable

RELEASE_MONTHS = 24
# The contacts tables that share their monthly totals (and the funnel's first step).
CONTACT_TABLES = tuple(f"contacts_by_{dimension}" for dimension in tables.REACH_DIMENSIONS)


@dataclass(frozen=True)
class Disclosure:
    """The rules every published figure passes: small counts withheld, the rest rounded."""

    threshold: int
    rounding_base: int

    @classmethod
    def configured(cls) -> Disclosure:
        return cls(settings.FORESTALL_SUPPRESSION_THRESHOLD, settings.FORESTALL_STATISTICS_ROUNDING)

    def table(self, cells: list[list[int]], **linked: Any) -> SuppressedTable:
        """``suppress_table`` under these rules (``linked``: its withhold and totals options)."""
        return suppress_table(
            cells, threshold=self.threshold, rounding_base=self.rounding_base, **linked
        )

    def series(self, values: list[int]) -> tuple[list[int | None], int | None]:
        return suppress_series(values, threshold=self.threshold, rounding_base=self.rounding_base)

    def value(self, value: int) -> int | None:
        return suppress_value(value, threshold=self.threshold, rounding_base=self.rounding_base)


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
    tables: dict[str, CountTable] = field(default_factory=dict)
    estimates: dict[str, PublicEstimate] = field(default_factory=dict)
    waiting_list: list[tuple[datetime.date, int | None]] = field(default_factory=list)
    differential_privacy: dp.Budget | None = None


def release_period(today: datetime.date) -> fig.Period:
    """The last ``RELEASE_MONTHS`` whole calendar months before ``today``'s month."""
    end = today.replace(day=1) - datetime.timedelta(days=1)
    start = fig.Period.last_months(RELEASE_MONTHS - 1, end).start
    return fig.Period(start, end)


def public_release(today: datetime.date | None = None) -> Release:
    """The whole public release for the network (a fixed number of queries)."""
    rules = Disclosure.configured()
    period = release_period(today or timezone.localdate())
    budget = dp.configured_budget()
    counts = tables.load_counts(
        fig.Scope(), period, budget=budget, with_reach_funnel=budget is None
    )
    release = Release(
        period=period,
        threshold=rules.threshold,
        rounding_base=rules.rounding_base,
        differential_privacy=budget,
        tables=disclose(tables.all_tables(counts, with_reach_funnel=budget is None), rules),
    )
    release.estimates = _estimates(counts, rules)
    if budget is None:
        # Under differential privacy one person waiting a year would be in
        # twelve month-end figures and use up most of the budget: not published.
        release.waiting_list = [
            (month, rules.value(size)) for month, size in counts.figures.waiting_list.items()
        ]
    return release


# --- disclosure control -----------------------------------------------------------


def disclose(built: dict[str, CountTable], rules: Disclosure) -> dict[str, CountTable]:
    """Every table as it may be published: small counts withheld, linked tables together."""
    published = _disclose_linked(built, rules)
    for table_id, table in built.items():
        if table_id in published:
            continue
        if table.column_totals is None:  # one row: a distribution and its total
            published[table_id] = _disclose_series(table, rules)
        else:
            suppressed = rules.table(
                table.cells,  # type: ignore[arg-type]
                row_totals=table.row_totals is not None,
            )
            published[table_id] = _published(table, suppressed)
    return {table_id: published[table_id] for table_id in built}


def _published(table: CountTable, suppressed: SuppressedTable) -> CountTable:
    """``table`` with the cells and totals that disclosure control let through."""
    return CountTable(
        id=table.id,
        title=table.title,
        row_dimension=table.row_dimension,
        column_dimension=table.column_dimension,
        rows=table.rows,
        columns=table.columns,
        cells=suppressed.cells,
        row_totals=suppressed.row_totals if table.row_totals is not None else None,
        column_totals=suppressed.column_totals if table.column_totals is not None else None,
        total=suppressed.total,
        has_total=table.has_total,
    )


def _disclose_series(table: CountTable, rules: Disclosure) -> CountTable:
    """A one-row table (a distribution) and its total."""
    cells, total = rules.series(table.cells[0])  # type: ignore[arg-type]
    return CountTable(
        id=table.id,
        title=table.title,
        row_dimension=table.row_dimension,
        column_dimension=table.column_dimension,
        rows=table.rows,
        columns=table.columns,
        cells=[cells],
        row_totals=[total],
    )


def _disclose_linked(built: dict[str, CountTable], rules: Disclosure) -> dict[str, CountTable]:
    """The funnel by region and by centre and the contacts tables, suppressed together."""
    region_table, centre_table = built["funnel_by_region"], built["funnel_by_centre"]
    groups = _centre_groups(region_table, centre_table)
    contact_column = [key for key, _label in region_table.columns].index(str(Event.CONTACT))
    region_rows = region_table.cells

    def build(forced: dict[str, set]) -> dict[str, SuppressedTable]:
        results = {
            "region": rules.table(
                region_rows,  # type: ignore[arg-type]
                row_totals=False,
                withhold_cells=forced.get("region:cells", set()),
                withhold_column_totals=forced.get("region:column_totals", set()),
            )
        }
        for index, rows in enumerate(groups):
            results[f"centres:{index}"] = rules.table(
                rows,
                row_totals=False,
                withhold_cells=forced.get(f"centres:{index}:cells", set()),
                withhold_column_totals=forced.get(f"centres:{index}:column_totals", set()),
            )
        for table_id in CONTACT_TABLES:
            results[table_id] = rules.table(
                built[table_id].cells,  # type: ignore[arg-type]
                withhold_row_totals=forced.get("reach:row_totals", set()),
                withhold_total=bool(forced.get("reach:total")),
            )
        return results

    def links(results: dict[str, SuppressedTable]) -> dict[str, set]:
        wanted: dict[str, set] = {"region:cells": set(), "region:column_totals": set()}
        region = results["region"]
        for index in range(len(groups)):
            centres = results[f"centres:{index}"]
            # A region's cell and the column total of its centres' table are one figure.
            hidden_in_region = {j for j, v in enumerate(region.cells[index]) if v is None}
            hidden_in_centres = {j for j, v in enumerate(centres.column_totals) if v is None}
            wanted[f"centres:{index}:column_totals"] = hidden_in_region | hidden_in_centres
            wanted["region:cells"] |= {(index, j) for j in hidden_in_region | hidden_in_centres}
        contact_results = [results[table_id] for table_id in CONTACT_TABLES]
        wanted["reach:row_totals"] = {
            i for table in contact_results for i, v in enumerate(table.row_totals) if v is None
        }
        total_hidden = any(table.total is None for table in contact_results) or (
            region.column_totals[contact_column] is None and any(sum(row) for row in region_rows)  # type: ignore[arg-type]
        )
        if total_hidden:
            wanted["reach:total"] = {True}
            wanted["region:column_totals"].add(contact_column)
        return wanted

    results = suppress_linked(build, links=links)
    published = {
        "funnel_by_region": _published(region_table, results["region"]),
        "funnel_by_centre": CountTable(
            id=centre_table.id,
            title=centre_table.title,
            row_dimension=centre_table.row_dimension,
            column_dimension=centre_table.column_dimension,
            rows=centre_table.rows,
            columns=centre_table.columns,
            cells=[row for i in range(len(groups)) for row in results[f"centres:{i}"].cells],
        ),
    }
    for table_id in CONTACT_TABLES:
        published[table_id] = _published(built[table_id], results[table_id])
    return published


def _centre_groups(region_table: CountTable, centre_table: CountTable) -> list[list[list[int]]]:
    """The centre rows of each region, in the order of the region table's rows.

    The region table's last row (events at no centre) has no centres.
    """
    groups: dict[str, list[list[int]]] = {key: [] for key, _label in region_table.rows[:-1]}
    for group, row in zip(centre_table.row_groups or [], centre_table.cells, strict=True):
        groups[group].append(row)  # type: ignore[arg-type]
    return list(groups.values())


def _estimates(counts: tables.Counts, rules: Disclosure) -> dict[str, PublicEstimate]:
    """The published percentiles and rates, each only if it is safe to publish."""
    estimates: dict[str, PublicEstimate] = {}
    minimum = 4 * rules.threshold
    for event, (table_id, title) in tables.TIME_TABLES.items():
        times = tables.durations(counts, event)
        for name, estimate in (("median", times.median), ("p90", times.p90)):
            shown = estimate if times.total >= minimum else None
            hours = shown.hours if shown is not None else None
            estimates[f"{table_id}_{name}"] = PublicEstimate(
                id=f"{table_id}_{name}",
                label=title,
                unit="hours",
                value=_round_hours(hours) if hours else None,
                open_ended=bool(shown is not None and shown.open_ended),
                note=name,
            )
    labels = {
        "recovery": _("Recovery rate (of courses that started at caseness)"),
        "reliable_improvement": _("Reliable improvement rate"),
        "reliable_deterioration": _("Reliable deterioration rate"),
    }
    for key, proportion in tables.outcome_rates(counts).items():
        estimates[key] = publish_proportion(key, labels[key], proportion, rules)
    estimates["answered_share"] = publish_proportion(
        "answered_share",
        _("Share of first contacts answered"),
        tables.answered_share(counts),
        rules,
    )
    return estimates


def publish_proportion(
    key: str, label: Any, proportion: fig.Proportion, rules: Disclosure
) -> PublicEstimate:
    """A rate, published only if its count, its complement and its base are not small numbers."""
    n, d, threshold = proportion.numerator, proportion.denominator, rules.threshold
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
        numerator=round_to(n, rules.rounding_base),
        denominator=round_to(d, rules.rounding_base),
    )


def _round_hours(hours: float) -> float:
    """Whole hours under a day, whole days (in hours) above: estimates are coarse anyway."""
    if hours < 24:
        return float(max(round(hours), 1))
    return float(round(hours / 24) * 24)
