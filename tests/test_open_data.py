"""Open data: the CSV and JSON downloads follow their schema and publish nothing small."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.utils import timezone

from forestall.lib.suppression import SuppressedTable, is_protected
from forestall.stats.events import Event
from forestall.stats.opendata import CSV_COLUMNS, SCHEMA
from forestall.stats.release import public_release, release_period
from tests.factories_stats import seed_counts


@pytest.fixture
def counts(centre_a, centre_b, centre_c):
    today = timezone.localdate()
    start = today.replace(day=1) - datetime.timedelta(days=400)
    return seed_counts([centre_a, centre_b, centre_c], start=start, days=400, per_day=9, seed=11)


def test_the_json_download_follows_the_schema(client, counts):
    response = client.get("/statistics/data.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["schema"] == SCHEMA
    assert set(data) == {
        "schema",
        "period",
        "disclosure_control",
        "differential_privacy",
        "tables",
        "estimates",
        "waiting_list",
    }
    assert data["disclosure_control"]["threshold"] == 5
    datetime.date.fromisoformat(data["period"]["start"])
    ids = {table["id"] for table in data["tables"]}
    assert {
        "funnel_by_region",
        "funnel_by_centre",
        "contacts_by_pathway",
        "contacts_by_channel",
        "contacts_by_language",
        "exits_by_stage",
        "protective_actions",
        "first_reply_times",
        "waiting_times",
        "concern_decision_times",
        "finished_courses",
    } <= ids
    for table in data["tables"]:
        assert set(table) == {
            "id",
            "title",
            "row_dimension",
            "column_dimension",
            "rows",
            "columns",
            "cells",
            "row_totals",
            "column_totals",
            "total",
        }
        assert len(table["cells"]) == len(table["rows"])
        for row in table["cells"]:
            assert len(row) == len(table["columns"])
    for estimate in data["estimates"]:
        assert estimate["unit"] in ("hours", "proportion")
        if estimate["value"] is not None and estimate["unit"] == "proportion":
            assert estimate["lower"] <= estimate["value"] <= estimate["upper"]


def test_the_csv_download_is_one_figure_per_row(client, counts):
    response = client.get("/statistics/data.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert tuple(rows[0]) == CSV_COLUMNS
    for _table, _row, _column, value, status in rows[1:]:
        assert status in ("published", "withheld")
        assert (value == "") == (status == "withheld")
    tables = {row[0] for row in rows[1:]}
    assert {"funnel_by_region", "estimates", "waiting_list"} <= tables


def test_csv_and_json_carry_the_same_figures(client, counts):
    data = client.get("/statistics/data.json").json()
    rows = list(csv.reader(io.StringIO(client.get("/statistics/data.csv").content.decode())))[1:]
    from_csv = {(t, r, c): v for t, r, c, v, _s in rows}
    for table in data["tables"]:
        for row, cells in zip(table["rows"], table["cells"], strict=True):
            for column, value in zip(table["columns"], cells, strict=True):
                expected = "" if value is None else str(value)
                assert from_csv[(table["id"], row["key"], column["key"])] == expected


def _all_counts(data):
    for table in data["tables"]:
        for row in table["cells"]:
            yield from row
        yield from table["row_totals"] or []
        yield from table["column_totals"] or []
        if table["total"] is not None:
            yield table["total"]
    for month in data["waiting_list"]:
        yield month["people_waiting"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_published_count_lies_between_one_and_the_threshold(
    client, centre_a, centre_b, centre_c, seed
):
    today = timezone.localdate()
    start = today.replace(day=1) - datetime.timedelta(days=300)
    # Sparse data: most cells are small.
    seed_counts([centre_a, centre_b, centre_c], start=start, days=300, per_day=2, seed=seed)
    data = client.get("/statistics/data.json").json()
    for value in _all_counts(data):
        assert value is None or value == 0 or value >= 5
    for estimate in data["estimates"]:
        for name in ("numerator", "denominator"):
            assert estimate[name] is None or estimate[name] == 0 or estimate[name] >= 5


def test_every_published_table_is_protected(counts):
    release = public_release()
    for table in release.tables.values():
        suppressed = SuppressedTable(
            cells=table.cells,
            row_totals=table.row_totals or [None] * len(table.rows),
            column_totals=table.column_totals or [None] * len(table.columns),
            total=table.total if table.has_total else None,
            has_row_totals=table.row_totals is not None,
            has_column_totals=table.column_totals is not None,
        )
        assert is_protected(suppressed), table.id


def test_a_region_row_and_its_centres_hide_together(client, centre_a, centre_b):
    # North holds A and B: a small count at A must not be the region's count minus B's.
    day = timezone.localdate().replace(day=1) - datetime.timedelta(days=10)
    from forestall.stats import actions

    actions.record(Event.THERAPY_COMPLETED, centre=centre_a, day=day, count=2)
    actions.record(Event.THERAPY_COMPLETED, centre=centre_b, day=day, count=30)
    data = client.get("/statistics/data.json").json()
    tables = {t["id"]: t for t in data["tables"]}
    by_centre = tables["funnel_by_centre"]
    step = [c["key"] for c in by_centre["columns"]].index("therapy_completed")
    values = {
        row["key"]: cells[step]
        for row, cells in zip(by_centre["rows"], by_centre["cells"], strict=True)
    }
    assert values[centre_a.slug] is None
    assert values[centre_b.slug] is None
    region = tables["funnel_by_region"]
    region_values = [cells[step] for cells in region["cells"]]
    # North (A + B = 32) may be published: with both centres withheld, nothing is recoverable.
    assert 32 in region_values or None in region_values


def test_the_release_covers_whole_months_before_this_one():
    period = release_period(datetime.date(2026, 3, 14))
    assert period.start == datetime.date(2024, 3, 1)
    assert period.end == datetime.date(2026, 2, 28)


def test_the_downloads_exist_in_german_with_german_labels(client, counts):
    data = client.get("/de/statistics/data.json").json()
    assert data["schema"] == SCHEMA
    titles = [t["title"] for t in data["tables"]]
    assert "Der Trichter nach Region" in titles
