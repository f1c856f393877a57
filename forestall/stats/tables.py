"""The statistics tables: one builder per table, from counts.

Every table the statistics show (the staff dashboards, the public page, the
open data files and the API) is built here by exactly one function, from a
:class:`Counts`: the count of every cell under a stable key, and the layout
(months, regions, centres, vocabulary columns). Builders never suppress or
round: they return what they were given, with its totals. The staff side
shows them as they are; the public release (``forestall.stats.release``)
passes them through disclosure control, in one place, first.

Cell keys (the same with and without differential privacy, whose noise is
drawn per key): ``funnel:<centre pk|none>:<step>``,
``region:<region pk|none>:<step>``, ``reach:<dimension>:<value>:<YYYY-MM>``,
``exits:<event>:<stage>``, ``protective:<kind>:<agreed|taken>``,
``times:<event>:<bucket>``, ``finished:<at_caseness|not_at_caseness|>``,
``outcomes:<event>``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from forestall.directory.models import Centre, Region
from forestall.public.models import Pathway
from forestall.stats import dp
from forestall.stats import figures as fig
from forestall.stats.events import EXIT_EVENTS, Detail, DurationBucket, Event
from forestall.stats.models import CountChannel, CountLanguage, MonthlyCount, Source

NOT_RECORDED = _("Not recorded")
NO_CENTRE = _("Network (no centre)")
REACH_DIMENSIONS = {"pathway": Pathway, "channel": CountChannel, "language": CountLanguage}
OUTCOME_EVENTS = (Event.RECOVERED, Event.RELIABLY_IMPROVED, Event.RELIABLY_DETERIORATED)
# The reach funnel: warnings shown (partners' reported impressions), arrivals through
# them and what followed (source "reach").
WARNINGS_SHOWN = "reach_impressions"
REACH_STEPS = (
    Event.REACH_LANDING,
    Event.SELF_CHECK_COMPLETED,
    Event.MAILBOX_STARTED,
    Event.CONTACT,
    Event.CASE_OPENED,
    Event.THERAPY_STARTED,
)
# The three distributions of durations: table id and title per timed event.
TIME_TABLES = {
    Event.FIRST_REPLY_SENT: ("first_reply_times", _("Time to the first reply")),
    Event.THERAPY_STARTED: ("waiting_times", _("Time on the waiting list before therapy")),
    Event.CONCERN_DECIDED: (
        "concern_decision_times",
        _("Time from a safeguarding concern to its decision"),
    ),
}
CONTACT_TITLES = {
    "pathway": _("First contacts by month and pathway"),
    "channel": _("First contacts by month and channel"),
    "language": _("First contacts by month and language"),
}


@dataclass
class CountTable:
    """One table: labelled rows and columns of counts, ``None`` where withheld.

    ``row_groups`` (the funnel by centre only) gives each row's region (the
    key of its row in the funnel by region), so that disclosure control can
    link a region's centres to the region's row.
    """

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
    row_groups: list[str] | None = field(default=None, repr=False)

    def records(self) -> Iterator[tuple[str, str, int | None]]:
        """Long form: (row key, column key, value); totals under the key ``total``."""
        for index, ((row_key, _label), row) in enumerate(zip(self.rows, self.cells, strict=True)):
            for (column_key, _clabel), value in zip(self.columns, row, strict=True):
                yield row_key, column_key, value
            if self.row_totals is not None:
                yield row_key, "total", self.row_totals[index]
        if self.column_totals is not None:
            for (column_key, _clabel), value in zip(self.columns, self.column_totals, strict=True):
                yield "total", column_key, value
        if self.has_total:
            yield "total", "total", self.total

    def rows_with_cells(self) -> Iterator[tuple[str, Any, list[int | None], int | None]]:
        for index, ((key, label), row) in enumerate(zip(self.rows, self.cells, strict=True)):
            total = self.row_totals[index] if self.row_totals is not None else None
            yield key, label, row, total


@dataclass
class Counts:
    """The cells every table is built from, and the layout of the tables.

    ``cells`` are true counts, or under differential privacy the noisy ones;
    ``regions`` and ``centres_in`` (region pk → its centres) are the rows of
    the funnel tables; ``vocabulary`` the columns of each contacts table.
    """

    period: fig.Period
    cells: dict[str, int]
    regions: list[Region]
    centres_in: dict[Any, list[Centre]]
    vocabulary: dict[str, list[tuple[str, Any]]]
    figures: fig.Figures

    @property
    def months(self) -> list[datetime.date]:
        return self.period.months()

    def get(self, key: str) -> int:
        return self.cells.get(key, 0)


def load_counts(
    scope: fig.Scope,
    period: fig.Period,
    *,
    budget: dp.Budget | None = None,
    with_reach_funnel: bool = False,
) -> Counts:
    """The cells of every table for ``scope`` over ``period`` (a fixed number of queries).

    With a differential privacy ``budget`` the cells are the noisy ones, and
    the rows and columns do not depend on the data (a centre appearing would
    say someone came): every centre, every vocabulary value.
    """
    figures = fig.figures(scope, period)
    by_region = fig.funnel_by(scope, period, "region_id")
    by_centre = fig.funnel_by(scope, period, "centre_id")
    centre_query = Centre.objects.all() if budget else Centre.objects.filter(pk__in=list(by_centre))
    centres = list(centre_query.order_by("name"))
    region_ids = {centre.region_id for centre in centres} if budget else set(by_region)
    regions = list(Region.objects.filter(pk__in=list(region_ids)).order_by("name"))
    vocabulary = {
        dimension: _vocabulary(figures.reach[dimension], choices, always=budget is not None)
        for dimension, choices in REACH_DIMENSIONS.items()
    }
    true = _true_cells(figures, centres, by_centre, vocabulary)
    cells = dp.privatise(period, true, budget) if budget else true
    counts = Counts(
        period=period,
        cells=cells,
        regions=regions,
        centres_in={r.pk: [c for c in centres if c.region_id == r.pk] for r in regions},
        vocabulary=vocabulary,
        figures=figures,
    )
    _add_region_rows(counts, by_region, figures.totals, noisy=budget is not None)
    if budget is None:
        cells["first_replies"] = figures.totals.get(Event.FIRST_REPLY_SENT, 0)
    if with_reach_funnel:
        cells.update(_reach_funnel_cells(period))
    return counts


def _vocabulary(values: dict[str, Any], choices: Any, *, always: bool) -> list[tuple[str, Any]]:
    """The columns of a contacts table: every value, and "not recorded" if any was."""
    columns = [(value, label) for value, label in choices.choices]
    if always or "" in values:
        columns.append(("", NOT_RECORDED))
    return columns


def _true_cells(
    figures: fig.Figures,
    centres: list[Centre],
    by_centre: dict[Any, dict[str, int]],
    vocabulary: dict[str, list[tuple[str, Any]]],
) -> dict[str, int]:
    """Every count cell the differential privacy budget covers, under its key."""
    details, totals = figures.details, figures.totals
    true: dict[str, int] = {}
    for step in fig.FUNNEL_STEPS:
        at_centres = 0
        for centre in centres:
            value = by_centre.get(centre.pk, {}).get(step, 0)
            true[f"funnel:{centre.pk}:{step}"] = value
            at_centres += value
        true[f"funnel:none:{step}"] = max(totals.get(step, 0) - at_centres, 0)
    for dimension, columns in vocabulary.items():
        counts = figures.reach[dimension]
        for month in figures.period.months():
            for key, _label in columns:
                true[f"reach:{dimension}:{key}:{month:%Y-%m}"] = counts.get(key, {}).get(month, 0)
    for event in EXIT_EVENTS:
        for stage in fig.EXIT_STAGES:
            true[f"exits:{event}:{stage}"] = details.get(event, {}).get(stage, 0)
    for kind in fig.PROTECTIVE_KINDS:
        for state, event in (
            ("agreed", Event.PROTECTIVE_ACTION_AGREED),
            ("taken", Event.PROTECTIVE_ACTION_TAKEN),
        ):
            true[f"protective:{kind}:{state}"] = details.get(event, {}).get(kind, 0)
    for event in fig.TIMED_EVENTS:
        for bucket in fig.BUCKETS:
            true[f"times:{event}:{bucket}"] = figures.durations[event].counts.get(bucket, 0)
    finished = details.get(Event.COURSE_FINISHED, {})
    true["finished:at_caseness"] = finished.get(Detail.AT_CASENESS, 0)
    true["finished:not_at_caseness"] = finished.get(Detail.NOT_AT_CASENESS, 0)
    true["finished:"] = sum(
        v for k, v in finished.items() if k not in (Detail.AT_CASENESS, Detail.NOT_AT_CASENESS)
    )
    for event in OUTCOME_EVENTS:
        true[f"outcomes:{event}"] = totals.get(event, 0)
    return true


def _add_region_rows(
    counts: Counts, by_region: dict[Any, dict[str, int]], totals: dict[str, int], *, noisy: bool
) -> None:
    """The cells ``region:<pk|none>:<step>``.

    Under differential privacy a region's row is the sum of its centres'
    noisy rows (so the tables stay additive) and events at no centre are
    their own noisy row; otherwise the regions' true counts, and the rest of
    the network's total as the row ``none``.
    """
    cells = counts.cells
    for step in fig.FUNNEL_STEPS:
        assigned = 0
        for region in counts.regions:
            if noisy:
                value = sum(cells[f"funnel:{c.pk}:{step}"] for c in counts.centres_in[region.pk])
            else:
                value = by_region[region.pk].get(step, 0)
            cells[f"region:{region.pk}:{step}"] = value  # type: ignore[index]
            assigned += value
        none = cells[f"funnel:none:{step}"] if noisy else max(totals.get(step, 0) - assigned, 0)
        cells[f"region:none:{step}"] = none  # type: ignore[index]


def _reach_funnel_cells(period: fig.Period) -> dict[str, int]:
    """``reach_funnel:<step>:<YYYY-MM>``: counts of the source "reach" (whole months).

    The first step is the warnings shown, as partners report them (impressions).
    """
    from django.db.models.functions import TruncMonth

    from forestall.reach.models import ImpressionCount

    cells: dict[str, int] = {}
    for item in (
        ImpressionCount.objects.filter(day__range=(period.start, period.end))
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(total=Sum("impressions"))
        .order_by()
    ):
        month = item["month"]
        month = month.date() if isinstance(month, datetime.datetime) else month
        cells[f"reach_funnel:{WARNINGS_SHOWN}:{month:%Y-%m}"] = int(item["total"])
    rows = (
        MonthlyCount.objects.filter(
            source=Source.REACH, event__in=REACH_STEPS, month__range=(period.start, period.end)
        )
        .values("month", "event")
        .annotate(total=Sum("count"))
        .order_by()
    )
    cells.update({f"reach_funnel:{r['event']}:{r['month']:%Y-%m}": int(r["total"]) for r in rows})
    return cells


def _with_totals(table: CountTable, *, rows: bool = True, columns: bool = True) -> CountTable:
    """Fill in the row totals, column totals and grand total of ``table``'s cells."""
    cells = [[value or 0 for value in row] for row in table.cells]
    if rows:
        table.row_totals = [sum(row) for row in cells]
    if columns:
        table.column_totals = [sum(column) for column in zip(*cells, strict=True)] or [
            0 for _column in table.columns
        ]
    table.total = sum(map(sum, cells))
    return table


def _step_columns() -> list[tuple[str, Any]]:
    return [(str(step), fig.FUNNEL_LABELS[step]) for step in fig.FUNNEL_STEPS]


def _month_rows(months: list[datetime.date]) -> list[tuple[str, str]]:
    return [(month.strftime("%Y-%m"), month.strftime("%Y-%m")) for month in months]


def funnel_by_region(counts: Counts) -> CountTable:
    """Each region's funnel, with events at no centre as the row ``network``."""
    keys = [str(region.pk) for region in counts.regions] + ["none"]
    table = CountTable(
        id="funnel_by_region",
        title=_("The funnel by region"),
        row_dimension="region",
        column_dimension="step",
        rows=[(region.slug, region.display_name) for region in counts.regions]
        + [("network", NO_CENTRE)],
        columns=_step_columns(),
        cells=[[counts.get(f"region:{key}:{step}") for step in fig.FUNNEL_STEPS] for key in keys],
    )
    return _with_totals(table, rows=False)


def funnel_by_centre(counts: Counts) -> CountTable:
    """Each centre's funnel, centres grouped by region (in the regions' order)."""
    rows, cells, groups = [], [], []
    for region in counts.regions:
        for centre in counts.centres_in[region.pk]:
            rows.append((centre.slug, centre.display_name))
            cells.append([counts.get(f"funnel:{centre.pk}:{step}") for step in fig.FUNNEL_STEPS])
            groups.append(region.slug)
    table = CountTable(
        id="funnel_by_centre",
        title=_("The funnel by centre"),
        row_dimension="centre",
        column_dimension="step",
        rows=rows,
        columns=_step_columns(),
        cells=cells,  # type: ignore[arg-type]
        row_groups=groups,
    )
    return _with_totals(table, rows=False)


def contacts_by(counts: Counts, dimension: str) -> CountTable:
    """First contacts by month and ``dimension`` (pathway, channel or language)."""
    columns = counts.vocabulary[dimension]
    table = CountTable(
        id=f"contacts_by_{dimension}",
        title=CONTACT_TITLES[dimension],
        row_dimension="month",
        column_dimension=dimension,
        rows=_month_rows(counts.months),
        columns=columns,
        cells=[
            [counts.get(f"reach:{dimension}:{key}:{month:%Y-%m}") for key, _label in columns]
            for month in counts.months
        ],
        has_total=True,
    )
    return _with_totals(table)


def reach_funnel(counts: Counts) -> CountTable:
    """Warnings shown, arrivals through them and what followed, by month (source "reach")."""
    steps = (WARNINGS_SHOWN, *REACH_STEPS)
    table = CountTable(
        id="reach_funnel",
        title=_("Arrivals from warnings on partner platforms, and what followed, by month"),
        row_dimension="month",
        column_dimension="step",
        rows=_month_rows(counts.months),
        columns=[
            (WARNINGS_SHOWN, _("Warnings shown on partner platforms (as they report)")),
            *((str(step), Event(step).label) for step in REACH_STEPS),
        ],
        cells=[
            [counts.get(f"reach_funnel:{step}:{month:%Y-%m}") for step in steps]
            for month in counts.months
        ],
    )
    return _with_totals(table, rows=False)


def exits_by_stage(counts: Counts) -> CountTable:
    """Who left before completing therapy, by reason (exit event) and stage."""
    table = CountTable(
        id="exits_by_stage",
        title=_("Who left before completing therapy, by reason and stage"),
        row_dimension="reason",
        column_dimension="stage",
        rows=[(str(event), Event(event).label) for event in EXIT_EVENTS],
        columns=[(str(stage), Detail(stage).label) for stage in fig.EXIT_STAGES],
        cells=[
            [counts.get(f"exits:{event}:{stage}") for stage in fig.EXIT_STAGES]
            for event in EXIT_EVENTS
        ],
        has_total=True,
    )
    return _with_totals(table)


def protective_actions(counts: Counts) -> CountTable:
    """Protective actions agreed and taken, by kind."""
    table = CountTable(
        id="protective_actions",
        title=_("Protective actions agreed and taken"),
        row_dimension="action",
        column_dimension="state",
        rows=[(str(kind), Detail(kind).label) for kind in fig.PROTECTIVE_KINDS],
        columns=[("agreed", _("Agreed")), ("taken", _("Taken"))],
        cells=[
            [counts.get(f"protective:{kind}:agreed"), counts.get(f"protective:{kind}:taken")]
            for kind in fig.PROTECTIVE_KINDS
        ],
    )
    return _with_totals(table, rows=False)


def time_distribution(counts: Counts, event: str) -> CountTable:
    """How long ``event`` took (a timed event), as counts per duration bucket."""
    table_id, title = TIME_TABLES[event]  # type: ignore[index]
    table = CountTable(
        id=table_id,
        title=title,
        row_dimension="measure",
        column_dimension="duration",
        rows=[("count", _("Number"))],
        columns=[(bucket, DurationBucket(bucket).label) for bucket in fig.BUCKETS],
        cells=[[counts.get(f"times:{event}:{bucket}") for bucket in fig.BUCKETS]],
    )
    return _with_totals(table, columns=False)


def finished_courses(counts: Counts) -> CountTable:
    """Finished courses of outcome measures, by caseness at the start."""
    table = CountTable(
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
        cells=[
            [
                counts.get("finished:at_caseness"),
                counts.get("finished:not_at_caseness"),
                counts.get("finished:"),
            ]
        ],
    )
    return _with_totals(table, columns=False)


def all_tables(counts: Counts, *, with_reach_funnel: bool = True) -> dict[str, CountTable]:
    """Every table, in the order the release publishes them."""
    tables = [
        funnel_by_region(counts),
        funnel_by_centre(counts),
        *(contacts_by(counts, dimension) for dimension in REACH_DIMENSIONS),
    ]
    if with_reach_funnel:
        tables.append(reach_funnel(counts))
    tables += [exits_by_stage(counts), protective_actions(counts)]
    tables += [time_distribution(counts, event) for event in TIME_TABLES]
    tables.append(finished_courses(counts))
    return {table.id: table for table in tables}


# --- the same figures as single numbers --------------------------------------


def durations(counts: Counts, event: str) -> fig.Durations:
    """The bucket counts of a timed event (for its median and 90th percentile)."""
    return fig.Durations({bucket: counts.get(f"times:{event}:{bucket}") for bucket in fig.BUCKETS})


def outcome_rates(counts: Counts) -> dict[str, fig.Proportion]:
    """Recovery, reliable improvement and deterioration of finished courses."""
    details: dict[str, dict[str, int]] = {
        Event.COURSE_FINISHED: {
            Detail.AT_CASENESS: counts.get("finished:at_caseness"),
            Detail.NOT_AT_CASENESS: counts.get("finished:not_at_caseness"),
            "": counts.get("finished:"),
        },
        **{event: {"": counts.get(f"outcomes:{event}")} for event in OUTCOME_EVENTS},
    }
    return fig.outcomes(details)


def answered_share(counts: Counts) -> fig.Proportion:
    """First contacts that had a first reply.

    ``first_replies`` is every first reply where the counts are true; under
    differential privacy (no such cell) the timed ones, whose cells are noisy.
    """
    contacts = sum(counts.get(f"region:{key}:{Event.CONTACT}") for key in _region_keys(counts))
    replies = counts.cells.get("first_replies")
    if replies is None:
        replies = sum(counts.get(f"times:{Event.FIRST_REPLY_SENT}:{b}") for b in fig.BUCKETS)
    return fig.Proportion(min(replies, contacts), contacts)


def _region_keys(counts: Counts) -> list[str]:
    return [str(region.pk) for region in counts.regions] + ["none"]
