"""Every field a staff member types into looks like the others, whatever its input type.

The staff style sheet listed input types one by one and left out e-mail, web
address, phone and time: on a client's contact details and a centre profile,
the e-mail field was a small unstyled box under full-size name and phone
fields (seen at 375 px, German and English alike).
"""

from __future__ import annotations

import re

from forestall.accounts.models import Role
from tests import factories
from tests.factories_accounts import current_totp

_STYLE = """(name) => {
  const style = getComputedStyle(document.querySelector(`[name="${name}"]`));
  return [style.borderTopWidth, style.borderTopColor, style.paddingTop, style.minWidth];
}"""


def test_every_kind_of_text_field_on_a_centre_profile_has_the_same_style(page):
    centre = factories.make_centre("Centre Lindenhof", factories.make_region("North"))
    user = factories.make_user(Role.CENTRE_MANAGER, centre, username="browser.fields")
    device = factories.totp_device(user)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"/staff/centres/{centre.pk}/edit/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").fill(current_totp(device))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/staff/centres/{centre.pk}/edit/$"))

    text_field = page.evaluate(_STYLE, "public_phone")
    assert page.get_attribute('[name="public_email"]', "type") == "email"
    assert page.get_attribute('[name="public_website"]', "type") == "url"
    for name in ("public_email", "public_website"):
        assert page.evaluate(_STYLE, name) == text_field, name
