"""Seeing whether reach works: the staff comparison page and the public reach figures."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import override_settings
from django.utils import timezone

from forestall.reach import actions, results
from forestall.reach.models import ClickThroughCount
from forestall.stats.actions import record
from forestall.stats.events import Event
from forestall.stats.models import Source
from forestall.stats.release import public_release
from tests.factories_reach import (
    DETERRENT_ID,
    THERAPEUTIC_ID,
    make_partner,
    shipped_variant,
)

pytestmark = pytest.mark.django_db


def test_the_wilson_interval_matches_the_published_values():
    # Newcombe (1998), method 3 (Wilson), example 81/263: 0.2553 to 0.3662.
    lower, upper = results.wilson(81, 263)
    assert round(lower, 4) == 0.2553
    assert round(upper, 4) == 0.3662
    assert results.wilson(0, 0) is None
    # ... and 0/10: 0 to 0.2775.
    lower, upper = results.wilson(0, 10)
    assert lower == pytest.approx(0.0, abs=1e-12)
    assert round(upper, 4) == 0.2775


def test_the_difference_interval_is_newcombes():
    estimate, lower, upper = results.difference(56, 70, 48, 80)
    # Newcombe (1998), example (a): 0.2 with 95% interval 0.0524 to 0.3339.
    assert round(estimate, 4) == 0.2
    assert round(lower, 4) == 0.0524
    assert round(upper, 4) == 0.3339


def _seed(partner, day):
    actions.replace_impressions(
        partner,
        day,
        [
            (shipped_variant(DETERRENT_ID), "en", 1000),
            (shipped_variant(THERAPEUTIC_ID), "en", 1000),
        ],
    )
    ClickThroughCount.objects.create(
        partner=partner, variant_id=DETERRENT_ID, day=day, language="en", count=87
    )
    ClickThroughCount.objects.create(
        partner=partner, variant_id=THERAPEUTIC_ID, day=day, language="en", count=157
    )


def test_the_staff_page_shows_rates_intervals_and_the_difference(network_admin, sign_in):
    partner = make_partner("ahmia", name="Ahmia")
    _seed(partner, timezone.localdate() - datetime.timedelta(days=2))
    record(Event.CONTACT, source=Source.REACH)

    page = sign_in(network_admin).get("/staff/reach/results/").content.decode()

    assert "Ahmia" in page
    assert "8.70%" in page and "15.70%" in page
    low, high = results.wilson(87, 1000)
    assert f"({100 * low:.2f}\u2013{100 * high:.2f}%)" in page
    # The reference is the variant shown most (on a tie, the first by name: deterrent).
    estimate, lower, _upper = results.difference(157, 1000, 87, 1000)
    assert f"{100 * estimate:.2f} ({100 * lower:.2f}" in page
    assert "First messages" in page


@pytest.mark.parametrize("persona", ["network_admin", "analyst"])
def test_network_admins_and_analysts_read_the_results(request, sign_in, persona):
    assert sign_in(request.getfixturevalue(persona)).get("/staff/reach/results/").status_code == 200


@pytest.mark.parametrize("persona", ["clinician_a", "manager_a", "counsellor_a", "outsider"])
def test_nobody_else_reads_the_results(request, sign_in, persona):
    assert sign_in(request.getfixturevalue(persona)).get("/staff/reach/results/").status_code == 404


def _last_month_day():
    return timezone.localdate().replace(day=1) - datetime.timedelta(days=3)


def test_the_public_release_has_the_reach_funnel_with_small_counts_withheld():
    day = _last_month_day()
    record(Event.REACH_LANDING, day=day, count=40, source=Source.REACH)
    record(Event.MAILBOX_STARTED, day=day, count=9, source=Source.REACH)
    record(Event.CONTACT, day=day, count=2, source=Source.REACH)

    table = public_release().tables["reach_funnel"]
    columns = [key for key, _label in table.columns]
    row = table.cells[[key for key, _l in table.rows].index(day.strftime("%Y-%m"))]
    assert row[columns.index("reach_landing")] == 40
    assert row[columns.index("mailbox_started")] == 9
    assert row[columns.index("contact")] is None


@override_settings(FORESTALL_STATISTICS_ROUNDING=5)
def test_the_public_reach_figures_are_rounded_like_the_others():
    day = _last_month_day()
    record(Event.REACH_LANDING, day=day, count=43, source=Source.REACH)
    table = public_release().tables["reach_funnel"]
    row = table.cells[[key for key, _l in table.rows].index(day.strftime("%Y-%m"))]
    assert row[[key for key, _l in table.columns].index("reach_landing")] in (40, 45)


def test_the_public_chain_starts_with_the_warnings_partners_report():
    day = _last_month_day()
    partner = make_partner("ahmia", name="Ahmia")
    _seed(partner, day)  # 2,000 warnings shown
    other = make_partner("forum-two", name="Forum")
    actions.replace_impressions(other, day, [(shipped_variant(DETERRENT_ID), "de", 3)])
    record(Event.REACH_LANDING, day=day, count=244, source=Source.REACH)

    table = public_release().tables["reach_funnel"]
    columns = [key for key, _label in table.columns]
    assert columns[:2] == ["reach_impressions", "reach_landing"]
    row = table.cells[[key for key, _l in table.rows].index(day.strftime("%Y-%m"))]
    assert row[0] == 2003
    assert row[1] == 244


def test_a_month_with_few_warnings_shown_is_withheld():
    day = _last_month_day()
    actions.replace_impressions(
        make_partner("tiny"), day, [(shipped_variant(DETERRENT_ID), "en", 2)]
    )
    table = public_release().tables["reach_funnel"]
    row = table.cells[[key for key, _l in table.rows].index(day.strftime("%Y-%m"))]
    assert row[0] is None


def test_the_staff_funnel_starts_with_the_warnings_shown(network_admin, sign_in):
    _seed(make_partner("ahmia", name="Ahmia"), timezone.localdate() - datetime.timedelta(days=2))
    page = sign_in(network_admin).get("/staff/reach/results/").content.decode()
    funnel = page[page.index("Warnings shown") :]
    cells = re.findall(r"<td>([^<]*)</td>", funnel)
    # Month, warnings shown (2 x 1,000), landings (87 + 157), then what followed.
    assert cells[1:3] == ["2,000", "244"]  # counts grouped in the page's language
    assert "Therapies started" in funnel


def test_the_public_page_and_download_show_the_reach_funnel(client):
    day = _last_month_day()
    record(Event.REACH_LANDING, day=day, count=40, source=Source.REACH)
    record(Event.CONTACT, day=day, count=2, source=Source.REACH)
    page = client.get("/statistics/").content.decode()
    assert "Arrivals from warnings on partner platforms" in page
    release = client.get("/api/v1/statistics/").json()
    table = next(t for t in release["tables"] if t["id"] == "reach_funnel")
    values = [value for row in table["cells"] for value in row]
    assert 40 in values
    assert 2 not in values


def test_an_empty_period_says_so_under_every_heading(sign_in, network_admin):
    """Muddle: "By variant, all partners" stood with nothing under it."""
    page = sign_in(network_admin).get("/staff/reach/results/").content.decode()
    headings = re.findall(r"<h2>(.*?)</h2>\s*(<\w+)", page)
    assert headings and all(following != "<h2" for _heading, following in headings), headings
    assert page.count("Nothing reported or counted in this period.") == 2
