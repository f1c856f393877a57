"""The whole journey, in headless Chromium with JavaScript disabled.

A help-seeker starts a mailbox and writes; a counsellor signs in with a
password and a TOTP code, claims and replies; the help-seeker reads the reply
and deletes everything. Afterwards nothing of what they wrote, nor their
codename, is in the raw database or in any log, and no address is stored.
"""

from __future__ import annotations

import re

import pytest
from django_otp.oath import totp

from forestall.accounts.models import Role
from forestall.inbox.models import Conversation, Mailbox
from tests import factories
from tests.journey_privacy import assert_nowhere, captured_logs, raw_database_text

MESSAGE = "Journeytoken-7Q4 I am frightened of my thoughts and want help."
REPLY = "Replytoken-9K2 Thank you for trusting us with this."


def _current_totp(user) -> str:
    device = factories.totp_device(user)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def _sign_in_with_codename(page, codename: str) -> None:
    page.goto("/mailbox/")
    page.fill('input[name="codename"]', codename)
    page.get_by_role("button", name="Open my mailbox").click()


@pytest.mark.django_db(transaction=True)
def test_the_whole_journey_works_without_javascript_and_leaves_no_trace(new_page, capfd):
    counsellor = factories.make_user(Role.COUNSELLOR, None, username="journey_counsellor")
    factories.totp_device(counsellor)  # enrolled in 2FA before signing in
    with captured_logs() as log_lines:
        seeker = new_page(javascript=False)

        # Start a mailbox and read the codename, shown once.
        seeker.goto("/mailbox/start/")
        seeker.get_by_role("radio").first.check()
        seeker.get_by_role("button", name="Create my mailbox").click()
        codename = seeker.locator("#codename").inner_text().strip()
        assert len(codename.split()) == 7
        seeker.check("#id_confirmed")
        seeker.get_by_role("button", name="Continue to my mailbox").click()

        # Write to the network, then sign out.
        seeker.fill('textarea[name="body"]', MESSAGE)
        seeker.select_option('select[name="centre"]', value="")
        seeker.get_by_role("button", name="Send").click()
        assert MESSAGE in seeker.content()
        seeker.get_by_role("button", name="Sign out").click()
        seeker.goto("/mailbox/")
        assert MESSAGE not in seeker.content()

        # Back again, with the codename in another case and spacing.
        sloppy = "  " + "   ".join(word.upper() for word in codename.split()) + " "
        _sign_in_with_codename(seeker, sloppy)
        assert MESSAGE in seeker.content()

        # A counsellor signs in through the real form: password, then TOTP.
        staff = new_page(javascript=False)
        staff.goto("/staff/login/")
        staff.fill('input[name="auth-username"]', counsellor.username)
        staff.fill('input[name="auth-password"]', factories.PASSWORD)
        staff.locator("form button[type=submit]").first.click()
        token = staff.locator('input[name$="otp_token"]')
        assert token.count() == 1, staff.content()
        token.fill(_current_totp(counsellor))
        staff.locator("form button[type=submit]").first.click()
        staff.goto("/staff/inbox/")
        assert "Open" in staff.content()
        staff.get_by_role("link", name=re.compile("^Open")).first.click()
        assert MESSAGE in staff.content()
        staff.get_by_role("button", name="Claim", exact=True).click()
        staff.fill("#id_body", REPLY)
        staff.get_by_role("button", name="Send reply").click()
        assert "Your reply has been sent." in staff.content()

        # The help-seeker reads the reply.
        seeker.goto("/mailbox/")
        assert REPLY in seeker.content()

        # ... and deletes everything; the codename no longer opens anything.
        seeker.goto("/mailbox/delete/")
        seeker.get_by_role("button", name="Yes, delete everything").click()
        assert not Mailbox.objects.exists()
        assert not Conversation.objects.exists()
        _sign_in_with_codename(seeker, codename)
        assert MESSAGE not in seeker.content()
        # The sign-in form again (the language switch carries the typed words hidden).
        assert seeker.locator('input[name="codename"]:not([type="hidden"])').count() == 1

    output = capfd.readouterr()
    haystacks = {
        "database": raw_database_text(),
        "log records": "\n".join(log_lines),
        "server output": output.out + output.err,
    }
    # The dump does see the database: the counsellor's account is in it.
    assert "journey_counsellor" in haystacks["database"]
    assert_nowhere(haystacks, {"message": MESSAGE, "reply": REPLY, "codename": codename})
    assert_nowhere(haystacks, {"address": "127.0.0.1"})


@pytest.mark.django_db(transaction=True)
def test_the_inbox_pages_pass_axe(new_page, live_server, assert_accessible):
    from django.conf import settings

    from tests.factories_inbox import make_conversation

    counsellor = factories.make_user(Role.COUNSELLOR, None, username="axe_counsellor")
    conversation = make_conversation(None, body="A message to check the page with.")
    client = factories.signed_in_client(counsellor)
    page = new_page(javascript=True)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url + "/staff/",
            }
        ]
    )
    for path in (
        "/staff/inbox/",
        f"/staff/inbox/{conversation.pk}/",
        f"/staff/inbox/{conversation.pk}/refer/",
        f"/staff/inbox/{conversation.pk}/concern/",
        "/staff/inbox/templates/",
    ):
        page.goto(path)
        assert page.locator("h1").count() == 1, path
        assert_accessible(page)
    page.goto(f"/staff/inbox/{conversation.pk}/")
    page.get_by_role("button", name="Claim", exact=True).click()
    assert_accessible(page)
