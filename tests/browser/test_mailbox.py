"""The mailbox in a real browser with JavaScript disabled (Tor Browser "Safest")."""

from __future__ import annotations

from forestall.inbox.models import Mailbox, Message

MESSAGE = "I would like to talk to someone about my thoughts."


def _start_and_confirm(page) -> str:
    page.goto("/mailbox/start/")
    page.get_by_role("button", name="Create my mailbox").click()
    codename = page.locator("#codename").inner_text().strip()
    page.check("#id_confirmed")
    page.get_by_role("button", name="Continue to my mailbox").click()
    return codename


def test_a_mailbox_works_from_start_to_deletion_without_javascript(page_without_js):
    page = page_without_js
    codename = _start_and_confirm(page)
    assert len(codename.split()) == 7
    assert page.locator('textarea[name="body"]').count() == 1

    page.fill('textarea[name="body"]', MESSAGE)
    page.get_by_role("button", name="Send").click()
    assert page.get_by_text("Your message was sent.").is_visible()
    assert page.get_by_text(MESSAGE).is_visible()

    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("heading", name="You are signed out").is_visible()
    page.goto("/mailbox/")
    assert page.locator('textarea[name="body"]').count() == 0

    sloppy = "  " + "   ".join(word.upper() for word in codename.split()) + "  "
    page.fill('input[name="codename"]', sloppy)
    page.get_by_role("button", name="Open my mailbox").click()
    assert page.get_by_text(MESSAGE).is_visible()

    page.get_by_role("link", name="Delete everything").click()
    page.get_by_role("button", name="Yes, delete everything").click()
    assert page.get_by_role("heading", name="Everything is deleted").is_visible()
    assert not Mailbox.objects.exists()
    assert not Message.objects.exists()

    page.goto("/mailbox/")
    page.fill('input[name="codename"]', codename)
    page.get_by_role("button", name="Open my mailbox").click()
    assert page.get_by_text("No mailbox opens with this codename").is_visible()


def test_a_rejected_message_keeps_the_text_without_javascript(page_without_js):
    page = page_without_js
    codename = _start_and_confirm(page)
    text = "Here it is: " + codename
    page.fill('textarea[name="body"]', text)
    page.get_by_role("button", name="Send").click()
    assert (
        page.locator("#message-problem")
        .get_by_text("Your message contains your codename")
        .is_visible()
    )
    assert page.locator('textarea[name="body"]').input_value() == text
    assert not Message.objects.exists()


def test_the_codename_must_be_confirmed_before_the_mailbox_opens(page_without_js):
    page = page_without_js
    page.goto("/mailbox/start/")
    page.get_by_role("button", name="Create my mailbox").click()
    codename = page.locator("#codename").inner_text().strip()
    # The unticked box is "required": the browser itself keeps the person on
    # the page, and the codename is still there to write down.
    page.get_by_role("button", name="Continue to my mailbox").click()
    assert page.locator("#codename").inner_text().strip() == codename
    assert page.locator('textarea[name="body"]').count() == 0


def test_a_german_visitor_gets_a_german_mailbox(new_page):
    page = new_page(javascript=False, locale="de-DE")
    page.goto("/de/mailbox/start/")
    page.get_by_role("button", name="Mein Postfach anlegen").click()
    assert page.locator("html").get_attribute("lang") == "de"
    assert len(page.locator("#codename").inner_text().split()) == 7
    page.check("#id_confirmed")
    page.get_by_role("button", name="Weiter zu meinem Postfach").click()
    assert page.get_by_role("heading", name="Ihr Postfach", exact=True).is_visible()


def test_the_mailbox_pages_pass_axe(page, assert_accessible):
    page.goto("/mailbox/start/")
    assert_accessible(page)
    page.get_by_role("button", name="Create my mailbox").click()
    assert_accessible(page)
    page.check("#id_confirmed")
    page.get_by_role("button", name="Continue to my mailbox").click()
    page.fill('textarea[name="body"]', MESSAGE)
    page.get_by_role("button", name="Send").click()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    page.goto("/mailbox/")
    assert_accessible(page)
    page.fill('input[name="codename"]', "wrong words")
    page.get_by_role("button", name="Open my mailbox").click()
    assert_accessible(page)
