"""What the public statistics page shows, from the suppressed release only."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext as _

from forestall.stats import charts
from forestall.stats.display import Table, format_hours, format_rate, month_label
from forestall.stats.publish import PublicEstimate, PublicTable, Release

WITHHELD = object()


def _value(value: int | None) -> Any:
    return WITHHELD if value is None else value


def table_for(table: PublicTable, *, with_totals: bool = True) -> Table:
    """A page table from a published one; withheld figures become a marker."""
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
        "reason": _("Reason"),
        "action": _("Action"),
        "measure": _("Measure"),
    }
    return labels.get(dimension, dimension)


def duration_text(estimate: PublicEstimate) -> str:
    if estimate.value is None and not estimate.open_ended:
        return _("not published (too few)")
    return format_hours(estimate.value, estimate.open_ended)


def rate_text(estimate: PublicEstimate) -> dict[str, Any]:
    if estimate.value is None:
        return {"label": str(estimate.label), "published": False}
    return {
        "label": str(estimate.label),
        "published": True,
        "rate": format_rate(estimate.value),
        "lower": format_rate(estimate.lower),
        "upper": format_rate(estimate.upper),
        "numerator": estimate.numerator,
        "denominator": estimate.denominator,
    }


def page(release: Release) -> dict[str, Any]:
    tables = release.tables
    funnel = tables["funnel_by_region"]
    network_steps = funnel.column_totals or []
    steps = [
        (str(label), value)
        for (_key, label), value in zip(funnel.columns, network_steps, strict=True)
    ]
    pathway = tables["contacts_by_pathway"]
    month_labels = [month_label_from_key(key) for key, _label in pathway.rows]
    monthly_contacts = pathway.row_totals or []
    estimates = release.estimates
    times = [
        (
            str(estimates[f"{key}_median"].label),
            duration_text(estimates[f"{key}_median"]),
            duration_text(estimates[f"{key}_p90"]),
        )
        for key in ("first_reply_times", "waiting_times", "concern_decision_times")
    ]
    total_contacts = network_steps[0] if network_steps else None
    return {
        "withheld": WITHHELD,
        "steps": steps,
        "total_contacts": total_contacts,
        "funnel_chart": charts.bar_chart(
            "public-funnel", steps, title=_("From first contact to completed therapy")
        ),
        "funnel_table": Table(
            _("From first contact to completed therapy, whole network"),
            [_("Step"), _("Number")],
            [(label, [_value(value)]) for label, value in steps],
        ),
        "region_table": table_for(funnel),
        "centre_table": table_for(tables["funnel_by_centre"]),
        "trend_chart": charts.line_chart(
            "public-contacts",
            month_labels,
            [(_("First contacts"), monthly_contacts)],
            title=_("First contacts per month"),
        ),
        "reach_tables": [
            table_for(tables[f"contacts_by_{d}"]) for d in ("pathway", "channel", "language")
        ],
        "exits_table": table_for(tables["exits_by_stage"]),
        "reach_funnel_table": (
            table_for(tables["reach_funnel"]) if "reach_funnel" in tables else None
        ),
        "times": times,
        "time_tables": [
            table_for(tables[key])
            for key in ("first_reply_times", "waiting_times", "concern_decision_times")
        ],
        "waiting_chart": charts.line_chart(
            "public-waiting",
            [month_label(m) for m, _size in release.waiting_list],
            [(_("People waiting"), [size for _m, size in release.waiting_list])],
            title=_("People on waiting lists at the end of each month"),
        ),
        "waiting_table": Table(
            _("People on waiting lists at the end of each month"),
            [_("Month"), _("People waiting")],
            [(month_label(m), [_value(size)]) for m, size in release.waiting_list],
        ),
        "answered": rate_text(estimates["answered_share"]),
        "rates": [
            rate_text(estimates[key])
            for key in ("recovery", "reliable_improvement", "reliable_deterioration")
        ],
        "courses_table": table_for(tables["finished_courses"]),
        "protective_table": table_for(tables["protective_actions"]),
        "protective_chart": charts.bar_chart(
            "public-protective",
            [
                (str(label), row[0])
                for (_k, label), row in zip(
                    tables["protective_actions"].rows,
                    tables["protective_actions"].cells,
                    strict=True,
                )
            ],
            title=_("Protective actions agreed"),
            colour=charts.PALETTE[3],
        ),
    }


def month_label_from_key(key: str) -> str:
    year, month = key.split("-")
    return month_label(datetime.date(int(year), int(month), 1))
