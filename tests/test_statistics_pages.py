"""The statistics pages: who sees the dashboards, and that every page renders in EN and DE."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from forestall.stats import actions
from forestall.stats.events import Event
from tests.factories_stats import seed_counts


@pytest.fixture
def counts(centre_a, centre_b, centre_c):
    start = timezone.localdate() - datetime.timedelta(days=200)
    return seed_counts([centre_a, centre_b, centre_c], start=start, days=190, per_day=20)


def _assert_no_inline_style_or_script(html: str) -> None:
    assert " style=" not in html
    assert "<script>" not in html
    assert not re.search(r"""(src|href)=["']https?://(?!(de|en)\.wikipedia\.org)""", html)


# --- who sees which dashboard ------------------------------------------------


def test_an_analyst_sees_the_whole_network(sign_in, analyst, counts):
    response = sign_in(analyst).get("/staff/statistics/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "The whole network" in html
    assert "The funnel by region" in html
    assert "Centre C" in html
    _assert_no_inline_style_or_script(html)


def test_a_network_admin_may_filter_by_region_and_centre(
    sign_in, network_admin, north, centre_c, counts
):
    client = sign_in(network_admin)
    assert client.get(f"/staff/statistics/regions/{north.pk}/").status_code == 200
    response = client.get(f"/staff/statistics/centres/{centre_c.pk}/?months=24")
    assert response.status_code == 200
    assert "Centre C" in response.content.decode()


def test_a_centre_manager_sees_their_centre(sign_in, manager_a, centre_a, counts):
    client = sign_in(manager_a)
    response = client.get("/staff/statistics/")
    assert response.status_code == 200
    assert "Centre A" in response.content.decode()
    assert client.get(f"/staff/statistics/centres/{centre_a.pk}/").status_code == 200


def test_a_centre_manager_gets_404_for_another_centre_and_for_regions(
    sign_in, manager_a, centre_b, north, counts
):
    client = sign_in(manager_a)
    assert client.get(f"/staff/statistics/centres/{centre_b.pk}/").status_code == 404
    assert client.get(f"/staff/statistics/regions/{north.pk}/").status_code == 404


@pytest.mark.parametrize(
    "persona",
    ["clinician_a", "counsellor_a", "network_counsellor", "safeguarding_lead_a", "outsider"],
)
def test_everyone_else_gets_404(request, sign_in, persona, centre_a, counts):
    client = sign_in(request.getfixturevalue(persona))
    assert client.get("/staff/statistics/").status_code == 404
    assert client.get(f"/staff/statistics/centres/{centre_a.pk}/").status_code == 404


def test_an_unknown_centre_is_404_even_for_analysts(sign_in, analyst):
    response = sign_in(analyst).get(
        "/staff/statistics/centres/7f8c3b1e-0000-4000-8000-000000000000/"
    )
    assert response.status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/staff/statistics/")
    assert response.status_code == 302
    assert "/staff/login/" in response["Location"]


def test_a_bad_period_is_a_clear_400(sign_in, analyst):
    response = sign_in(analyst).get("/staff/statistics/?months=7")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_the_staff_dashboard_shows_unsuppressed_small_numbers(sign_in, analyst, centre_a):
    day = timezone.localdate() - datetime.timedelta(days=3)
    actions.record(Event.THERAPY_COMPLETED, centre=centre_a, day=day, count=2)
    html = sign_in(analyst).get(f"/staff/statistics/centres/{centre_a.pk}/").content.decode()
    assert re.search(r"Completed therapy</th><td class=\"number\">2</td>", html)


def test_the_staff_dashboard_renders_in_german(sign_in, analyst, counts):
    analyst.language = "de"
    analyst.save()
    client = sign_in(analyst)
    response = client.get("/staff/statistics/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Der Trichter" in html
    assert "Kapazität" in html


def test_german_statistics_name_regions_and_centres_in_german_with_decimal_commas(
    sign_in, analyst, counts, north, centre_a
):
    """The German page showed "North" and "92.6 %" where the directory says "Nord" and
    German writes "92,6 %"."""
    type(north).objects.filter(pk=north.pk).update(name_de="Nord")
    type(centre_a).objects.filter(pk=centre_a.pk).update(name_de="Zentrum A")
    analyst.language = "de"
    analyst.save()
    html = sign_in(analyst).get("/staff/statistics/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert ">Nord<" in html and "Zentrum A" in html
    rates = re.findall(r"\d+[.,]\d\u00a0%", html)
    assert rates and all("," in rate for rate in rates), rates[:5]
    analyst.language = "en"
    analyst.save()
    english = sign_in(analyst).get("/staff/statistics/", HTTP_ACCEPT_LANGUAGE="en")
    assert all("." in rate for rate in re.findall(r"\d+[.,]\d\u00a0%", english.content.decode()))


def test_every_chart_has_a_title_and_a_table_beside_it(sign_in, analyst, counts):
    html = sign_in(analyst).get("/staff/statistics/").content.decode()
    charts = re.findall(r'<svg [^>]*role="img" aria-labelledby="([^" ]+)-title', html)
    assert len(charts) >= 7
    assert html.count("<table") >= len(charts)


# --- the public page -----------------------------------------------------------


def test_the_public_page_renders_without_signing_in(client, counts):
    response = client.get("/statistics/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "What these numbers can and cannot show" in html
    assert "self" in html.lower()
    assert 'href="/statistics/data.csv"' in html
    _assert_no_inline_style_or_script(html)


def test_the_public_page_is_in_german_under_de(client, counts):
    response = client.get("/de/statistics/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="de"' in html
    assert "Was diese Zahlen zeigen können und was nicht" in html
    assert 'href="/de/statistics/data.csv"' in html


def test_the_public_page_withholds_small_numbers(client, centre_a):
    today = timezone.localdate()
    last_month = today.replace(day=1) - datetime.timedelta(days=3)
    actions.record(Event.THERAPY_COMPLETED, centre=centre_a, day=last_month, count=3)
    actions.record(Event.CASE_OPENED, centre=centre_a, day=last_month, count=40)
    html = client.get("/statistics/").content.decode()
    assert "withheld" in html
    assert not re.search(r'<td class="number">3</td>', html)
    assert re.search(r'<td class="number">40</td>', html)


def test_the_public_page_works_with_no_counts_at_all(client, db):
    assert client.get("/statistics/").status_code == 200
    assert client.get("/de/statistics/").status_code == 200


def test_counts_in_the_thousands_are_grouped_in_the_pages_language(
    client, sign_in, analyst, counts
):
    """Muddle: German pages showed "3000000"; German groups digits "3.000.000",
    English "3,000,000". Every count in a statistics table is grouped."""
    from forestall.stats.models import DailyCount, MonthlyCount

    DailyCount.objects.update(count=1234)
    MonthlyCount.objects.update(count=1234)
    number_cells = re.compile(r'<td class="number">([^<]+)</td>')

    analyst.language = "de"
    analyst.save()
    german = sign_in(analyst).get("/staff/statistics/", HTTP_ACCEPT_LANGUAGE="de")
    cells = number_cells.findall(german.content.decode())
    assert any(re.fullmatch(r"\d{1,3}(\.\d{3})+", cell) for cell in cells), cells[:10]
    assert not [cell for cell in cells if re.fullmatch(r"\d{4,}", cell)]

    analyst.language = "en"
    analyst.save()
    english = sign_in(analyst).get("/staff/statistics/", HTTP_ACCEPT_LANGUAGE="en")
    cells = number_cells.findall(english.content.decode())
    assert any(re.fullmatch(r"\d{1,3}(,\d{3})+", cell) for cell in cells), cells[:10]

    public = client.get("/de/statistics/").content.decode()
    assert not re.findall(r'<td class="number">\d{4,}</td>', public)
