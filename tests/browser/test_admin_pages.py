"""The staff admin in headless Chromium, in German at phone width: axe on its pages.

The admin is Django's, with forestall's models, inlines and a stylesheet of
corrections (``staff/admin.css``). Axe found critical problems there that no
test saw (unlabelled selects in the roles rows) and a serious one that comes
from Django's own stylesheet (breadcrumb links told apart by colour only).
This test opens the pages a network admin works on and fails on any serious
or critical finding.
"""

from __future__ import annotations

import pytest

from forestall.accounts.models import Role
from tests import factories
from tests.factories_accounts import current_totp

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


def _sign_in(page, user, device):
    page.goto("/staff/login/")
    page.locator('input[name$="username"]').fill(user.username)
    page.locator('input[type="password"]').fill(factories.PASSWORD)
    page.locator('button[type="submit"]').first.click()
    page.locator('input[name$="otp_token"]').fill(current_totp(device))
    page.locator('button[type="submit"]').first.click()


def test_the_admin_pages_pass_axe_in_german_at_phone_width(new_page, assert_accessible):
    region = factories.make_region("Nord")
    centre = factories.make_centre("Zentrum Nord", region)
    admin = factories.make_user(Role.NETWORK_ADMIN, None, username="browser.admin")
    colleague = factories.make_user(Role.CLINICIAN, centre, username="browser.colleague")
    device = factories.totp_device(admin)
    page = new_page(javascript=True, locale="de-DE")
    page.set_viewport_size(PHONE)
    _sign_in(page, admin, device)
    paths = [
        "/staff/admin/",
        "/staff/admin/accounts/user/",
        f"/staff/admin/accounts/user/{colleague.pk}/change/",
        "/staff/admin/accounts/user/add/",
        "/staff/admin/directory/centre/",
        f"/staff/admin/directory/centre/{centre.pk}/change/",
    ]
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert page.locator("html").get_attribute("lang") == "de", path
        assert_accessible(page)
