"""The staff measures page in Chromium: charts under the CSP, axe, recording without JavaScript."""

from __future__ import annotations

import random
import re

import pytest

from forestall.accounts.models import Role
from forestall.instruments.demo import demo_course
from forestall.instruments.models import Administration
from tests import factories
from tests.factories_accounts import current_totp
from tests.factories_cases import make_case


@pytest.fixture
def clinician_and_client():
    centre = factories.make_centre("Centre Lindenhof", factories.make_region("North"))
    user = factories.make_user(Role.CLINICIAN, centre, username="browser.measures")
    device = factories.totp_device(user)
    client = make_case(centre).client
    demo_course(client, centre, user, random.Random(3), sessions=4)
    return user, device, client


def _sign_in(page, user, device) -> None:
    page.goto("/staff/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").fill(current_totp(device))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/staff/$"))


def test_the_measures_page_draws_the_charts_under_the_csp_and_passes_axe(
    page, clinician_and_client, assert_accessible
):
    user, device, client = clinician_and_client
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    _sign_in(page, user, device)
    page.goto(f"/staff/instruments/clients/{client.pk}/")
    charts = page.locator("svg.measure-chart-svg")
    assert charts.count() == 2
    assert charts.first.bounding_box()["height"] > 100
    assert page.get_by_role("img", name="GAD-7 over time").count() == 1
    assert not [text for text in violations if "Content Security Policy" in text]
    assert_accessible(page)


def test_a_questionnaire_is_recorded_without_javascript(page_without_js, clinician_and_client):
    user, device, client = clinician_and_client
    page = page_without_js
    _sign_in(page, user, device)
    page.goto(f"/staff/instruments/clients/{client.pk}/")
    page.get_by_role("link", name="WHO-5").click()
    page.get_by_label("Occasion").select_option("follow_up")
    for number in range(1, 6):
        page.locator(f"fieldset:nth-of-type({number}) input[value='3']").check()
    page.get_by_role("button", name="Record").click()
    page.wait_for_url(re.compile(rf"/staff/instruments/clients/{client.pk}/$"))
    assert "WHO-5 recorded: total 15." in page.locator("main").inner_text()
    assert Administration.objects.filter(instrument="who5", total=15).count() == 1
