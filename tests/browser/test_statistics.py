"""The public statistics page in a real browser: without JavaScript, in German, accessible."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tests import factories
from tests.factories_stats import seed_counts


@pytest.fixture
def counts(transactional_db):
    north = factories.make_region("North")
    centres = [factories.make_centre("Centre A", north), factories.make_centre("Centre B", north)]
    start = timezone.localdate().replace(day=1) - datetime.timedelta(days=200)
    return seed_counts(centres, start=start, days=200, per_day=14, seed=3)


def test_the_statistics_page_works_without_javascript(page_without_js, counts):
    page = page_without_js
    page.goto("/statistics/")
    assert page.locator("h1").inner_text() == "How many people we reach, and what happens next"
    assert page.locator("svg.chart").count() >= 4
    assert page.locator("table.stats-table").count() >= 10
    # The CSV download is a plain link.
    with page.expect_download() as download:
        page.locator("a", has_text="Download the figures (CSV)").click()
    assert download.value.suggested_filename == "forestall-statistics.csv"


def test_the_statistics_page_in_german_without_javascript(new_page, counts):
    page = new_page(javascript=False, locale="de-DE")
    page.goto("/de/statistics/")
    assert page.locator("html").get_attribute("lang") == "de"
    assert "Was diese Zahlen zeigen können und was nicht" in page.content()


def test_the_statistics_page_is_accessible(page, counts, assert_accessible):
    page.goto("/statistics/")
    page.wait_for_load_state("networkidle")
    assert_accessible(page)


def test_the_statistics_page_loads_nothing_from_elsewhere(page, counts, live_server):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/statistics/")
    page.wait_for_load_state("networkidle")
    assert requested
    assert all(url.startswith(live_server.url) for url in requested), requested
