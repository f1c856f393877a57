"""What the statistics pages show: the tables as page tables, charts and readable figures.

Both sides render the same tables from the same builders
(``forestall.stats.tables``): the staff dashboard as they are, for its scope
and period; the public page after disclosure control (``forestall.stats.release``).
The staff dashboard adds figures that are never published (the funnel with
its losses, monthly trends, outcome counts); the two sides keep their own
views and templates.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from forestall.stats import charts, tables
from forestall.stats import figures as fig
from forestall.stats.events import Detail, Event
from forestall.stats.release import PublicEstimate, Release
from forestall.stats.tables import Counts, CountTable

DASH = "\u2013"
# A figure withheld by disclosure control (the public templates show a mark).
WITHHELD = object()
TIME_TABLE_IDS = tuple(table_id for table_id, _title in tables.TIME_TABLES.values())


@dataclass
class Table:
    """A page table: a caption, column headings, and rows of (heading, values)."""

    caption: str
    columns: list[str]
    rows: list[tuple[str, list[Any]]] = field(default_factory=list)


def month_label(month: datetime.date) -> str:
    return date_format(month, "M Y")


def month_label_from_key(key: str) -> str:
    year, month = key.split("-")
    return month_label(datetime.date(int(year), int(month), 1))


def format_hours(hours: float | None, open_ended: bool = False) -> str:
    """A duration in words at a sensible unit: hours, days or weeks."""
    if open_ended:
        return _("over 6 months")
    if hours is None:
        return DASH
    if hours < 24:
        value = max(round(hours), 1)
        return ngettext("%(n)s hour", "%(n)s hours", value) % {"n": value}
    days = hours / 24
    if days < 14:
        value = max(round(days), 1)
        return ngettext("%(n)s day", "%(n)s days", value) % {"n": value}
    value = round(days / 7)
    return ngettext("%(n)s week", "%(n)s weeks", value) % {"n": value}


def format_rate(value: float | None) -> str:
    if value is None:
        return DASH
    # In the page's language: "92.6 %" in English, "92,6 %" in German.
    return f"{number_format(value * 100, 1)}\u00a0%"


def estimate(value: fig.DurationEstimate | None) -> str:
    if value is None:
        return DASH
    return format_hours(value.hours, value.open_ended)


def _value(value: int | None) -> Any:
    return WITHHELD if value is None else value


def table_for(table: CountTable, *, with_totals: bool = True) -> Table:
    """A page table from a statistics table; withheld figures become ``WITHHELD``."""
    columns = [_dimension_label(table.row_dimension)] + [
        str(label) for _key, label in table.columns
    ]
    if with_totals and table.row_totals is not None:
        columns.append(_("Total"))
    result = Table(str(table.title), columns)
    for _key, label, cells, total in table.rows_with_cells():
        values = [_value(v) for v in cells]
        if with_totals and table.row_totals is not None:
            values.append(_value(total))
        result.rows.append((str(label), values))
    if with_totals and table.column_totals is not None:
        values = [_value(v) for v in table.column_totals]
        if table.row_totals is not None:
            values.append(_value(table.total))
        result.rows.append((_("Total"), values))
    return result


def _dimension_label(dimension: str) -> str:
    labels = {
        "region": _("Region"),
        "centre": _("Centre"),
        "month": _("Month"),
        "reason": pgettext("cause", "Reason"),
        "action": pgettext("protective action", "Action"),
        "measure": _("Measure"),
    }
    return labels.get(dimension, dimension)


def _labelled_row(table: CountTable, row: int = 0) -> list[tuple[str, Any]]:
    """(column label, value) of one row: what a bar chart of it shows."""
    return [
        (str(label), value)
        for (_key, label), value in zip(table.columns, table.cells[row], strict=True)
    ]


def _labelled_column(table: CountTable, column: int = 0) -> list[tuple[str, Any]]:
    """(row label, value) of one column: what a bar chart of it shows."""
    return [(str(label), cells[column]) for _key, label, cells, _total in table.rows_with_cells()]


# --- the staff dashboard ----------------------------------------------------


def staff_dashboard(counts: Counts, *, by_region: bool, by_centre: bool) -> dict[str, Any]:
    """Everything the staff dashboard template needs, from unsuppressed counts."""
    figures = counts.figures
    built = tables.all_tables(counts, with_reach_funnel=False)
    time_tables = {event: built[table_id] for event, (table_id, _t) in tables.TIME_TABLES.items()}
    breakdowns = [built["funnel_by_region"]] if by_region else []
    breakdowns += [built["funnel_by_centre"]] if by_centre else []
    answered = figures.answered_share
    context = {
        **_funnel(figures),
        **_trend(figures),
        **_waiting_list(figures),
        **_outcomes(figures),
        "breakdown_tables": [table_for(table) for table in breakdowns],
        "reach_tables": [table_for(built[table_id]) for table_id in tables_of_contacts()],
        "exits_table": table_for(built["exits_by_stage"]),
        "exits_chart": charts.bar_chart(
            "chart-exits",
            [(str(Detail(s).label), figures.funnel.exit_total(s)) for s in fig.EXIT_STAGES],
            title=_("Losses by the stage people left at"),
            colour=charts.PALETTE[1],
        ),
        "answered": answered,
        "answered_rate": format_rate(answered.rate),
        "protective_table": table_for(built["protective_actions"]),
        "protective_chart": charts.bar_chart(
            "chart-protective",
            _labelled_column(built["protective_actions"]),
            title=_("Protective actions agreed"),
            colour=charts.PALETTE[3],
        ),
    }
    for prefix, event in (
        ("reply", Event.FIRST_REPLY_SENT),
        ("wait", Event.THERAPY_STARTED),
        ("concern", Event.CONCERN_DECIDED),
    ):
        table = time_tables[event]  # type: ignore[index]
        context[f"{prefix}_table"] = table_for(table)
        context[f"{prefix}_chart"] = charts.bar_chart(
            f"chart-{event}", _labelled_row(table), title=str(table.title), colour=charts.PALETTE[2]
        )
        context[f"{prefix}_median"] = estimate(figures.durations[event].median)
        context[f"{prefix}_p90"] = estimate(figures.durations[event].p90)
    return context


def tables_of_contacts() -> list[str]:
    return [f"contacts_by_{dimension}" for dimension in tables.REACH_DIMENSIONS]


def _funnel(figures: fig.Figures) -> dict[str, Any]:
    """The funnel with the losses between its steps (staff only: never published so)."""
    funnel_table = Table(
        _("The funnel: how many reached each step"),
        [_("Step"), _("Number"), _("Fewer than the step before")],
    )
    fewer = {to_step: lost for _from_step, to_step, lost in figures.funnel.losses()}
    items = []
    for step in fig.FUNNEL_STEPS:
        label, value = str(fig.FUNNEL_LABELS[step]), figures.funnel.steps.get(step, 0)
        funnel_table.rows.append((label, [value, fewer.get(step, "")]))
        items.append((label, value))
    return {
        "funnel_table": funnel_table,
        "funnel_chart": charts.bar_chart("chart-funnel", items, title=funnel_table.caption),
    }


def _trend(figures: fig.Figures) -> dict[str, Any]:
    """Contacts, mailboxes and self-checks per month (staff only)."""
    months = figures.period.months()
    labels = [month_label(m) for m in months]
    events = (Event.CONTACT, Event.MAILBOX_STARTED, Event.SELF_CHECK_COMPLETED)
    series = [[figures.monthly.get(e, {}).get(m, 0) for m in months] for e in events]
    trend_table = Table(
        _("Contacts, mailboxes and self-checks per month"),
        [_("Month"), *[str(Event(e).label) for e in events]],
        [(label, [values[i] for values in series]) for i, label in enumerate(labels)],
    )
    return {
        "trend_table": trend_table,
        "trend_chart": charts.line_chart(
            "chart-trend",
            labels,
            [(str(Event(e).label), values) for e, values in zip(events, series, strict=True)],
            title=trend_table.caption,
        ),
    }


def _waiting_list(figures: fig.Figures) -> dict[str, Any]:
    """People on waiting lists at the end of each month (staff view)."""
    months = figures.period.months()
    labels = [month_label(m) for m in months]
    sizes = [figures.waiting_list.get(m, 0) for m in months]
    waiting_table = Table(
        _("People on waiting lists at the end of each month"),
        [_("Month"), _("People waiting")],
        [(label, [size]) for label, size in zip(labels, sizes, strict=True)],
    )
    return {
        "waiting_table": waiting_table,
        "waiting_chart": charts.line_chart(
            "chart-waiting", labels, [(_("People waiting"), sizes)], title=waiting_table.caption
        ),
    }


def _outcomes(figures: fig.Figures) -> dict[str, Any]:
    """Outcome rates of finished courses with their intervals (staff view)."""
    labels = {
        "recovery": _("Recovery (of courses that started at caseness)"),
        "reliable_improvement": _("Reliable improvement"),
        "reliable_deterioration": _("Reliable deterioration"),
    }
    outcomes_table = Table(
        _("Outcomes of finished courses, with 95 per cent confidence intervals"),
        [_("Measure"), _("Number"), _("Of"), _("Rate"), _("95 per cent interval")],
    )
    for key, proportion in figures.outcomes.items():
        interval = proportion.interval
        shown = (
            f"{format_rate(interval[0])} {DASH} {format_rate(interval[1])}" if interval else DASH
        )
        outcomes_table.rows.append(
            (
                str(labels[key]),
                [
                    proportion.numerator,
                    proportion.denominator,
                    format_rate(proportion.rate),
                    shown,
                ],
            )
        )
    return {
        "outcomes_table": outcomes_table,
        "courses_finished": figures.totals.get(Event.COURSE_FINISHED, 0),
    }


# --- the public page ----------------------------------------------------------


def duration_text(published: PublicEstimate) -> str:
    if published.value is None and not published.open_ended:
        return _("not published (too few)")
    return format_hours(published.value, published.open_ended)


def rate_text(published: PublicEstimate) -> dict[str, Any]:
    if published.value is None:
        return {"label": str(published.label), "published": False}
    return {
        "label": str(published.label),
        "published": True,
        "rate": format_rate(published.value),
        "lower": format_rate(published.lower),
        "upper": format_rate(published.upper),
        "numerator": published.numerator,
        "denominator": published.denominator,
    }


def public_page(release: Release) -> dict[str, Any]:
    """Everything the public statistics page shows, from the release only."""
    published = release.tables
    funnel = published["funnel_by_region"]
    network_steps = funnel.column_totals or []
    steps = [
        (str(label), value)
        for (_key, label), value in zip(funnel.columns, network_steps, strict=True)
    ]
    pathway = published["contacts_by_pathway"]
    estimates = release.estimates
    return {
        "withheld": WITHHELD,
        "steps": steps,
        "total_contacts": network_steps[0] if network_steps else None,
        "funnel_chart": charts.bar_chart(
            "public-funnel", steps, title=_("From first contact to completed therapy")
        ),
        "funnel_table": Table(
            _("From first contact to completed therapy, whole network"),
            [_("Step"), _("Number")],
            [(label, [_value(value)]) for label, value in steps],
        ),
        "region_table": table_for(funnel),
        "centre_table": table_for(published["funnel_by_centre"]),
        "trend_chart": charts.line_chart(
            "public-contacts",
            [month_label_from_key(key) for key, _label in pathway.rows],
            [(_("First contacts"), pathway.row_totals or [])],
            title=_("First contacts per month"),
        ),
        "reach_tables": [table_for(published[table_id]) for table_id in tables_of_contacts()],
        "exits_table": table_for(published["exits_by_stage"]),
        "reach_funnel_table": (
            table_for(published["reach_funnel"]) if "reach_funnel" in published else None
        ),
        "times": [
            (
                str(estimates[f"{key}_median"].label),
                duration_text(estimates[f"{key}_median"]),
                duration_text(estimates[f"{key}_p90"]),
            )
            for key in TIME_TABLE_IDS
        ],
        "time_tables": [table_for(published[key]) for key in TIME_TABLE_IDS],
        **_public_waiting_list(release),
        "answered": rate_text(estimates["answered_share"]),
        "rates": [
            rate_text(estimates[key])
            for key in ("recovery", "reliable_improvement", "reliable_deterioration")
        ],
        "courses_table": table_for(published["finished_courses"]),
        "protective_table": table_for(published["protective_actions"]),
        "protective_chart": charts.bar_chart(
            "public-protective",
            _labelled_column(published["protective_actions"]),
            title=_("Protective actions agreed"),
            colour=charts.PALETTE[3],
        ),
    }


def _public_waiting_list(release: Release) -> dict[str, Any]:
    title = _("People on waiting lists at the end of each month")
    return {
        "waiting_chart": charts.line_chart(
            "public-waiting",
            [month_label(m) for m, _size in release.waiting_list],
            [(_("People waiting"), [size for _m, size in release.waiting_list])],
            title=title,
        ),
        "waiting_table": Table(
            title,
            [_("Month"), _("People waiting")],
            [(month_label(m), [_value(size)]) for m, size in release.waiting_list],
        ),
    }
