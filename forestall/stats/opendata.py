"""The open data formats of the public release (CSV and JSON), also served by the API.

Schema ``forestall-statistics/1`` (documented in docs/statistics.md): every
figure is a count of events in the release period after disclosure control;
``null`` (JSON) or an empty ``value`` with status ``withheld`` (CSV) marks a
figure withheld to protect small numbers. With differential privacy on,
``differential_privacy`` (JSON) and the rows of the table
``differential_privacy`` (CSV, first) give the budget; otherwise it is
``null`` and the CSV has no such rows.
"""

from __future__ import annotations

import io
from typing import Any

from forestall.lib import spreadsheet
from forestall.stats.release import Release
from forestall.stats.tables import CountTable

SCHEMA = "forestall-statistics/1"
CSV_COLUMNS = ("table", "row", "column", "value", "status")


def table_json(table: CountTable) -> dict[str, Any]:
    return {
        "id": table.id,
        "title": str(table.title),
        "row_dimension": table.row_dimension,
        "column_dimension": table.column_dimension,
        "rows": [{"key": key, "label": str(label)} for key, label in table.rows],
        "columns": [{"key": key, "label": str(label)} for key, label in table.columns],
        "cells": table.cells,
        "row_totals": table.row_totals,
        "column_totals": table.column_totals,
        "total": table.total if table.has_total else None,
    }


def release_json(release: Release) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "period": {
            "start": release.period.start.isoformat(),
            "end": release.period.end.isoformat(),
        },
        "disclosure_control": {
            "threshold": release.threshold,
            "rounding_base": release.rounding_base,
            "withheld_marker": None,
        },
        "differential_privacy": (
            release.differential_privacy.as_json() if release.differential_privacy else None
        ),
        "tables": [table_json(table) for table in release.tables.values()],
        "estimates": [
            {
                "id": e.id,
                "label": str(e.label),
                "statistic": str(e.note) if e.unit == "hours" else "proportion",
                "unit": e.unit,
                "value": e.value,
                "lower": e.lower,
                "upper": e.upper,
                "numerator": e.numerator,
                "denominator": e.denominator,
                "open_ended": e.open_ended,
            }
            for e in release.estimates.values()
        ],
        "waiting_list": [
            {"month": month.strftime("%Y-%m"), "people_waiting": size}
            for month, size in release.waiting_list
        ],
    }


def release_rows(release: Release):
    """The release in long form, one figure per row (the CSV's rows)."""

    def row(table: str, row_key: str, column: str, value: Any) -> tuple[str, str, str, str, str]:
        status = "withheld" if value is None else "published"
        return (table, row_key, column, "" if value is None else str(value), status)

    if release.differential_privacy is not None:
        budget = release.differential_privacy.as_json()
        for name in ("epsilon", "mechanism", "per_cell_epsilon", "sensitivity", "scale"):
            yield row("differential_privacy", name, "value", budget[name])
    for table in release.tables.values():
        for row_key, column, value in table.records():
            yield row(table.id, row_key, column, value)
    for e in release.estimates.values():
        if e.value is None and not e.open_ended:
            yield row("estimates", e.id, "value", None)
            continue
        yield row("estimates", e.id, "value", ">4380" if e.open_ended else e.value)
        for name in ("lower", "upper", "numerator", "denominator"):
            if getattr(e, name) is not None:
                yield row("estimates", e.id, name, getattr(e, name))
    for month, size in release.waiting_list:
        yield row("waiting_list", month.strftime("%Y-%m"), "people_waiting", size)


def release_csv(release: Release) -> str:
    buffer = io.StringIO()
    writer = spreadsheet.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(release_rows(release))
    return buffer.getvalue()
