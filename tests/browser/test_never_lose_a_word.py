"""Nothing typed is lost, in a real browser with JavaScript off (Tor Browser "Safest")."""

from __future__ import annotations

import time

from django.core import signing
from playwright.sync_api import expect

from forestall.inbox.models import Mailbox, Message

LONG_MESSAGE = "Everything I have wanted to say for a long time, and more. " * 1700


def _start_and_confirm(page) -> str:
    page.goto("/mailbox/start/")
    page.get_by_role("button", name="Create my mailbox").click()
    codename = page.locator("#codename").inner_text().strip()
    page.check("#id_confirmed")
    page.get_by_role("button", name="Continue to my mailbox").click()
    return codename


def test_a_session_that_expires_before_send_keeps_the_text_through_sign_in(
    page_without_js, monkeypatch
):
    page = page_without_js
    codename = _start_and_confirm(page)
    text = "I wrote this over a long evening.\nPlease do not lose it."
    page.fill('textarea[name="body"]', text)
    later = time.time() + 45 * 60  # the person took 45 minutes
    monkeypatch.setattr(signing.time, "time", lambda: later)
    page.get_by_role("button", name="Send").click()

    assert page.get_by_role("heading", name="Your message has not been sent yet").is_visible()
    assert page.locator('textarea[name="body"]').input_value() == text
    page.fill('input[name="codename"]', codename)
    page.get_by_role("button", name="Open my mailbox and send").click()

    assert page.get_by_text("Your message was sent.").is_visible()
    assert Message.objects.get().body.replace("\r\n", "\n") == text


def test_a_csrf_failure_keeps_the_text(page_without_js):
    page = page_without_js
    _start_and_confirm(page)
    text = "A message typed while the form quietly expired."
    page.fill('textarea[name="body"]', text)
    context = page.context
    kept = [cookie for cookie in context.cookies() if cookie["name"] != "csrftoken"]
    context.clear_cookies()
    context.add_cookies(kept)
    page.get_by_role("button", name="Send").click()

    assert page.get_by_role("heading", name="This form expired, but nothing is lost").is_visible()
    assert page.locator('textarea[name="body"]').input_value() == text
    page.get_by_role("button", name="Send again").click()
    assert page.get_by_text("Your message was sent.").is_visible()
    assert Message.objects.get().body.replace("\r\n", "\n") == text


def test_an_overlong_paste_keeps_all_text_and_shows_the_error_in_view(page_without_js):
    page = page_without_js
    _start_and_confirm(page)
    page.set_viewport_size({"width": 375, "height": 700})
    page.fill('textarea[name="body"]', LONG_MESSAGE)
    page.get_by_role("button", name="Send").click()

    summary = page.locator("#message-problem")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text("5,000 characters or fewer")
    assert page.locator('textarea[name="body"]').input_value() == LONG_MESSAGE
    assert not Message.objects.exists()


def test_reloading_the_codename_page_shows_the_same_codename(page_without_js):
    page = page_without_js
    page.goto("/mailbox/start/")
    page.get_by_role("button", name="Create my mailbox").click()
    first = page.locator("#codename").inner_text().strip()
    page.reload()
    assert page.locator("#codename").inner_text().strip() == first
    page.go_back()
    page.go_forward()
    assert page.locator("#codename").inner_text().strip() == first
    assert Mailbox.objects.count() == 1


def test_a_plain_visit_to_sign_out_gets_a_way_on(page_without_js):
    page = page_without_js
    _start_and_confirm(page)
    response = page.goto("/mailbox/sign-out/")
    assert response.status == 405
    assert page.get_by_role("heading", name="Nothing to see at this address").is_visible()
    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("heading", name="You are signed out").is_visible()


def test_the_new_pages_pass_axe(page, assert_accessible, monkeypatch):
    codename = _start_and_confirm(page)
    page.fill('textarea[name="body"]', "x" * 5001)
    page.get_by_role("button", name="Send").click()
    assert_accessible(page)
    later = time.time() + 45 * 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    page.fill('textarea[name="body"]', "hello")
    page.get_by_role("button", name="Send").click()
    assert_accessible(page)
    page.fill('input[name="codename"]', "not my codename")
    page.get_by_role("button", name="Open my mailbox and send").click()
    assert_accessible(page)
    assert codename
    page.goto("/mailbox/write/")
    assert_accessible(page)
    page.goto("/mailbox/start/codename/")
    assert_accessible(page)
