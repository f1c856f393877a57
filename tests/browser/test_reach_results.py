"""The reach results in headless Chromium: an analyst on a phone, in German, without
JavaScript, chooses the period, meets a refused one and downloads the figures; axe on it."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone

from forestall.accounts.models import Role
from forestall.reach import actions
from forestall.reach.models import ClickThroughCount
from tests import factories
from tests.factories_accounts import current_totp
from tests.factories_reach import (  # noqa: F401 (reach_defaults: the shipped catalogue, autouse)
    DETERRENT_ID,
    make_partner,
    reach_defaults,
    shipped_variant,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


@pytest.fixture
def analyst_with_app():
    user = factories.make_user(Role.ANALYST, None, username="browser.analyst")
    return user, factories.totp_device(user)


@pytest.fixture
def reported(analyst_with_app):
    partner = make_partner("ahmia", name="Ahmia")
    for days_ago, shown, landed in ((3, 1000, 87), (60, 500, 20)):
        day = timezone.localdate() - datetime.timedelta(days=days_ago)
        actions.replace_impressions(partner, day, [(shipped_variant(DETERRENT_ID), "de", shown)])
        ClickThroughCount.objects.create(
            partner=partner, variant_id=DETERRENT_ID, day=day, language="de", count=landed
        )


def _sign_in(page, user, device):
    """The German sign-in (the browser asks for German), by the fields' names."""
    page.locator('input[name$="username"]').fill(user.username)
    page.locator('input[type="password"]').fill(factories.PASSWORD)
    page.locator('button[type="submit"]').first.click()
    page.locator('input[name$="otp_token"]').fill(current_totp(device))
    page.locator('button[type="submit"]').first.click()


def _impressions_shown(page) -> str:
    table = page.locator("table").first
    return table.locator("tbody tr").first.locator("td").nth(2).inner_text()


def _inside_the_phone(page, locator) -> None:
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def test_an_analyst_chooses_the_period_on_a_phone_in_german_without_javascript(
    new_page, analyst_with_app, reported
):
    user, device = analyst_with_app
    page = new_page(javascript=False, locale="de-DE")
    page.set_viewport_size(PHONE)
    page.goto("/staff/reach/results/")
    _sign_in(page, user, device)
    page.wait_for_url(re.compile(r"/staff/reach/results/$"))
    assert page.locator("h1").inner_text() == "Ergebnisse der Reichweite"
    assert _impressions_shown(page) == "1.500"  # the last 90 days, grouped the German way

    period = page.get_by_label("Zeitraum:", exact=True)
    for control in (
        period,
        page.get_by_label("oder vom:", exact=True),
        page.get_by_label("bis:", exact=True),
    ):
        _inside_the_phone(page, control)
    period.select_option(label="die letzten 30 Tage")
    page.get_by_role("button", name="Anzeigen").click()
    page.wait_for_url(re.compile(r"\?days=30"))
    assert _impressions_shown(page) == "1.000"

    # From one day to another: the last day before the first is refused, what was typed stays.
    first = timezone.localdate() - datetime.timedelta(days=10)
    page.get_by_label("oder vom:", exact=True).fill(f"{first:%Y-%m-%d}")
    page.get_by_label("bis:", exact=True).fill(f"{first - datetime.timedelta(days=5):%Y-%m-%d}")
    page.get_by_role("button", name="Anzeigen").click()
    page.wait_for_url(re.compile(r"start="))
    assert "Der Zeitraum endet, bevor er beginnt." in page.locator("main").inner_text()
    assert "deshalb werden die letzten 90 Tage gezeigt" in page.locator("main").inner_text()
    assert page.get_by_label("oder vom:", exact=True).input_value() == f"{first:%Y-%m-%d}"
    _inside_the_phone(page, page.locator(".error").first)

    page.get_by_label("bis:", exact=True).fill(f"{timezone.localdate():%Y-%m-%d}")
    page.get_by_role("button", name="Anzeigen").click()
    page.wait_for_url(re.compile(r"start=.*&end="))
    assert page.locator(".error").count() == 0
    assert _impressions_shown(page) == "1.000"

    link = page.get_by_role("link", name=re.compile(r"^Diese Zahlen herunterladen \(CSV"))
    _inside_the_phone(page, link)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == (
        f"forestall-reach-results-{first:%Y-%m-%d}-{timezone.localdate():%Y-%m-%d}.csv"
    )
    text = Path(download.value.path()).read_bytes().decode()
    assert text.startswith("\ufeffperiod_start,")  # for Excel: UTF-8 with its byte order mark
    assert "Nach Partner und Variante,Ahmia,deterrent,,Einblendungen,1000\r\n" in text


def test_the_results_page_with_a_refused_period_passes_axe_at_phone_width(
    new_page, analyst_with_app, reported, assert_accessible
):
    user, device = analyst_with_app
    page = new_page(javascript=True, locale="de-DE")
    page.set_viewport_size(PHONE)
    page.goto("/staff/reach/results/?start=2025-03-01&end=2025-02-01")
    _sign_in(page, user, device)
    page.wait_for_url(re.compile(r"/staff/reach/results/\?start="))
    assert "Der Zeitraum endet, bevor er beginnt." in page.content()
    assert_accessible(page)
