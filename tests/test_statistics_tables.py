"""One builder per table: the staff dashboard, the public page and the open data agree.

Every table is built once from counts (``forestall.stats.tables``); the staff
side shows it as it is, the public side after disclosure control. With
disclosure control set to let everything through (threshold 1, no
rounding), the staff dashboard over the release period and the open data
must therefore show the same figures in every shared table.
"""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.utils import timezone

from forestall.stats.release import release_period
from tests.factories_stats import seed_counts

pytestmark = pytest.mark.django_db

SHARED_TABLES = (
    "exits_by_stage",
    "protective_actions",
    "contacts_by_channel",
    "first_reply_times",
    "funnel_by_centre",
)


@pytest.fixture
def counts(centre_a, centre_b, centre_c, settings):
    settings.FORESTALL_SUPPRESSION_THRESHOLD = 1
    settings.FORESTALL_STATISTICS_ROUNDING = 1
    today = timezone.localdate()
    start = today.replace(day=1) - datetime.timedelta(days=200)
    return seed_counts([centre_a, centre_b, centre_c], start=start, days=200, per_day=9, seed=3)


def _staff_figures(client, period, caption: str) -> dict[tuple[str, str], str]:
    query = f"?start={period.start}&end={period.end}"
    response = client.get(f"/staff/statistics/csv/{query}")
    assert response.status_code == 200
    return {
        (row["row"], row["column"]): row["value"]
        for row in csv.DictReader(io.StringIO(response.content.decode()))
        if row["table"] == caption
    }


def test_the_staff_dashboard_and_the_open_data_show_the_same_tables(
    client, sign_in, analyst, counts
):
    published = {t["id"]: t for t in client.get("/statistics/data.json").json()["tables"]}
    staff = sign_in(analyst)
    period = release_period(timezone.localdate())
    for table_id in SHARED_TABLES:
        table = published[table_id]
        figures = _staff_figures(staff, period, table["title"])
        expected = {
            (row["label"], column["label"]): str(value)
            for row, values in zip(table["rows"], table["cells"], strict=True)
            for column, value in zip(table["columns"], values, strict=True)
        }
        assert expected, table_id
        assert {key: figures.get(key) for key in expected} == expected, table_id


def test_the_public_page_shows_the_released_figures(client, counts):
    published = {t["id"]: t for t in client.get("/statistics/data.json").json()["tables"]}
    html = client.get("/statistics/").content.decode()
    exits = published["exits_by_stage"]
    assert exits["title"] in html
    assert f'<td class="number">{exits["total"]}</td>' in html
