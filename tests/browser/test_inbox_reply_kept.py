"""In headless Chromium without JavaScript: the reply a counsellor types survives
templates, the other forms of the page, and a staff session that expires."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session

from forestall.accounts.models import Role
from forestall.inbox.models import ReplyTemplate
from tests import factories
from tests.factories_accounts import current_totp
from tests.factories_inbox import make_conversation

TYPED = "You did the right thing by writing. Here is what we can do"


@pytest.fixture
def counsellor_with_app():
    centre = factories.make_centre("Centre Lindenhof", factories.make_region("North"))
    user = factories.make_user(Role.COUNSELLOR, centre, username="browser.counsellor")
    ReplyTemplate.objects.create(language="en", title="Next steps", body="(Template: next steps.)")
    conversation = make_conversation(centre, body="I don't know who else to ask.")
    return user, factories.totp_device(user), conversation


def _sign_in(page, user, device, *, steps_ahead=0):
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Continue").click()
    code = current_totp(device, steps_ahead=steps_ahead)
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Sign in").click()


def test_the_reply_is_kept_across_templates_forms_and_an_expired_session(
    page_without_js, counsellor_with_app
):
    user, device, conversation = counsellor_with_app
    page = page_without_js
    page.goto(f"/staff/inbox/{conversation.pk}/")
    _sign_in(page, user, device)
    page.wait_for_url(re.compile(rf"/staff/inbox/{conversation.pk}/"))
    page.get_by_role("button", name="Claim", exact=True).click()
    reply = page.get_by_label("Your reply")
    reply.fill(TYPED)

    page.get_by_role("button", name="Next steps").click()
    assert page.get_by_label("Your reply").input_value() == f"{TYPED}\n\n(Template: next steps.)"

    page.get_by_label("Your reply").fill(TYPED + " together.")
    page.get_by_label("Who is writing").select_option("self")
    page.get_by_role("button", name="Save the summary").click()
    assert "The contact summary has been saved." in page.content()
    assert page.get_by_label("Your reply").input_value() == TYPED + " together."

    page.get_by_label("Internal note (never shown to the person)").fill("Calm, first contact.")
    page.get_by_role("button", name="Save the note").click()
    assert page.get_by_label("Your reply").input_value() == TYPED + " together."

    # The staff session expires while the counsellor writes the last words.
    page.get_by_label("Your reply").fill(TYPED + " together, step by step.")
    Session.objects.all().delete()
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_url(re.compile(r"/staff/login/"))
    assert "405" not in page.content()
    # A code is accepted once: the second sign-in uses the next one (within tolerance).
    _sign_in(page, user, device, steps_ahead=1)
    page.wait_for_url(re.compile(rf"/staff/inbox/{conversation.pk}/\?draft="))
    assert "Your unsent reply was kept" in page.content()
    assert page.get_by_label("Your reply").input_value() == TYPED + " together, step by step."
    page.get_by_role("button", name="Send reply").click()
    assert "Your reply has been sent." in page.content()
    assert TYPED + " together, step by step." in page.locator("#messages").inner_text()


def test_the_conversation_queue_and_contact_form_pass_axe(
    page, counsellor_with_app, assert_accessible
):
    user, device, conversation = counsellor_with_app
    page.goto("/staff/inbox/")
    _sign_in(page, user, device)
    page.wait_for_url(re.compile(r"/staff/inbox/$"))
    assert_accessible(page)
    page.goto(f"/staff/inbox/{conversation.pk}/")
    page.get_by_role("button", name="Claim", exact=True).click()
    assert_accessible(page)
    page.goto("/staff/inbox/contacts/new/")
    assert_accessible(page)
    page.goto("/staff/")
    assert_accessible(page)


def test_with_javascript_a_template_goes_where_the_cursor_is(page, counsellor_with_app):
    user, device, conversation = counsellor_with_app
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    page.goto(f"/staff/inbox/{conversation.pk}/")
    _sign_in(page, user, device)
    page.wait_for_url(re.compile(rf"/staff/inbox/{conversation.pk}/"))
    page.get_by_role("button", name="Claim", exact=True).click()
    reply = page.get_by_label("Your reply")
    reply.fill("Hello.\n\nBest wishes")
    reply.evaluate("box => box.setSelectionRange(6, 6)")
    url = page.url
    page.get_by_role("button", name="Next steps").click()
    assert page.url == url  # no round trip
    assert reply.input_value() == "Hello.\n\n(Template: next steps.)\n\nBest wishes"
    assert not [text for text in violations if "Content Security Policy" in text]
