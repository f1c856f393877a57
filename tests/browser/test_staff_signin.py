"""The real staff sign-in in headless Chromium: password, then the TOTP code."""

from __future__ import annotations

import base64
import re

import pytest

from forestall.accounts.models import Role
from tests import factories
from tests.factories_accounts import current_totp, totp_from_secret


@pytest.fixture
def clinician_with_app():
    centre = factories.make_centre("Centre Lindenhof", factories.make_region("North"))
    user = factories.make_user(Role.CLINICIAN, centre, username="browser.clinician")
    return user, factories.totp_device(user)


def test_password_then_code_lands_on_the_staff_home_without_javascript(
    page_without_js, clinician_with_app
):
    user, device = clinician_with_app
    page = page_without_js
    page.goto("/staff/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").fill(current_totp(device))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/staff/$"))
    assert page.locator("h1").inner_text().startswith("Welcome")
    body = page.locator("main").inner_text()
    assert "Clinician" in body
    assert "Centre Lindenhof" in body


def test_the_password_alone_stays_on_the_sign_in_without_javascript(
    page_without_js, clinician_with_app
):
    user, _device = clinician_with_app
    page = page_without_js
    page.goto("/staff/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.goto("/staff/")
    assert "/staff/login/" in page.url


def test_enrolment_shows_the_qr_code_under_the_content_security_policy(page, db, assert_accessible):
    user = factories.make_user(Role.COUNSELLOR, None, username="browser.newcomer")
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    page.goto("/staff/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/staff/two-factor/setup/$"))
    page.get_by_role("button", name="Start").click()
    qr = page.locator("img.qr")
    qr.wait_for()
    # Poll from Python: wait_for_function evaluates its predicate with eval(),
    # which the page's CSP (rightly) forbids once it has to poll.
    for _attempt in range(100):
        if page.evaluate("document.querySelector('img.qr').complete"):
            break
        page.wait_for_timeout(50)
    assert page.evaluate("document.querySelector('img.qr').naturalWidth") > 0
    assert not [text for text in violations if "Content Security Policy" in text]
    assert_accessible(page)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your authenticator app").fill(totp_from_secret(secret))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/staff/two-factor/backup-codes/$"))
    assert page.locator("#backup-codes li").count() == 10
    assert_accessible(page)
    page.get_by_role("link", name="Continue to the staff home").click()
    assert "Whole network" in page.locator("main").inner_text()


def _code_after(secret: str, steps: int) -> str:
    """The code an authenticator app shows ``steps`` windows from now."""
    from django_otp.oath import totp

    return f"{totp(base64.b32decode(secret), drift=steps):06d}"


def test_a_newcomer_enrols_then_signs_in_again_with_the_code_without_javascript(
    page_without_js, db
):
    user = factories.make_user(Role.CLINICIAN, None, username="browser.enrolling")
    page = page_without_js
    page.goto("/staff/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/staff/two-factor/setup/$"))
    page.get_by_role("button", name="Start").click()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    enrolment_code = totp_from_secret(secret)
    page.get_by_label("Code from your authenticator app").fill(enrolment_code)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/staff/two-factor/backup-codes/$"))
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/staff/login/"))

    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Continue").click()
    # The code that confirmed the enrolment is spent.
    page.get_by_label("Code from your authenticator app").fill(enrolment_code)
    page.get_by_role("button", name="Sign in").click()
    assert "/staff/login/" in page.url
    assert page.locator(".errorlist").count() > 0
    page.wait_for_timeout(1100)  # django-otp's back-off after one wrong code
    page.get_by_label("Code from your authenticator app").fill(_code_after(secret, 1))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/staff/$"))
    assert page.locator("h1").inner_text().startswith("Welcome")


def test_the_sign_in_page_passes_axe(page, db, assert_accessible):
    page.goto("/staff/login/")
    assert_accessible(page)


def test_the_code_step_passes_axe(page, clinician_with_app, assert_accessible):
    user, _device = clinician_with_app
    page.goto("/staff/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").wait_for()
    assert_accessible(page)
