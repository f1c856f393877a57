"""The mailbox's language switch and "it cannot wait", in a real browser without JavaScript."""

from __future__ import annotations

from forestall.inbox.models import Conversation, Message
from tests.browser.test_mailbox import _start_and_confirm

HALF = "Halfway through this message I switch the language."


def test_switching_the_language_while_typing_keeps_the_message(page_without_js):
    page = page_without_js
    page.set_viewport_size({"width": 375, "height": 800})
    _start_and_confirm(page)
    page.fill('textarea[name="body"]', HALF)
    page.check("#id_urgent_now")
    page.locator("nav.languages").get_by_role("button", name="Deutsch").click()
    assert page.url.endswith("/de/mailbox/write/")
    assert page.locator("textarea").input_value() == HALF
    assert not Message.objects.exists()
    page.get_by_role("button", name="Meine Nachricht senden").click()
    assert page.get_by_role("heading", name="Hilfe, die Sie jetzt erreichen").is_visible()
    assert Message.objects.get().body == HALF
    assert Conversation.objects.get().urgent


def test_switching_the_language_in_a_self_help_exercise_keeps_the_answers(page_without_js):
    page = page_without_js
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/self-help/self/urge-surfing/")
    page.fill('textarea[name="words"]', "This is an urge. It will pass.")
    page.locator("nav.languages").get_by_role("button", name="Deutsch").click()
    assert "/de/self-help/self/urge-surfing/" in page.url
    page.get_by_role("button", name="Weiter").click()
    # Shown back in the German module, stored nowhere (no mailbox).
    assert page.locator('textarea[name="words"]').input_value() == (
        "This is an urge. It will pass."
    )
