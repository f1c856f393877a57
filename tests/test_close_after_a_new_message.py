"""A conversation is never closed from a page opened before the person wrote again.

Before, the close button carried nothing of what its page showed: a
counsellor who had answered, left the page open, and then pressed "Close the
conversation" after the help-seeker had written again closed that new
message away unread (it left the queue). The page now sends when the newest
message came; a newer one refuses the close and shows it, keeping the reply
typed so far.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from forestall.inbox import actions
from forestall.inbox.models import Conversation, ConversationStatus
from tests.factories_inbox import make_conversation


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def answered(centre_a, counsellor_a):
    conversation = make_conversation(centre_a)
    actions.claim_conversation(counsellor_a, conversation)
    actions.send_reply(counsellor_a, conversation, "We are here for you.")
    return conversation


def _page_fields(page) -> dict[str, str]:
    text = page.content.decode()
    return {
        "csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)[1],
        "seen_last_message": re.search(r'name="seen_last_message" value="([^"]*)"', text)[1],
    }


def test_a_stale_page_does_not_close_away_a_new_message(sign_in, answered, counsellor_a):
    browser = sign_in(counsellor_a)
    fields = _page_fields(browser.get(f"/staff/inbox/{answered.pk}/"))

    actions.post_seeker_message(answered.mailbox, "Are you still there? It got worse.", None)
    response = browser.post(
        f"/staff/inbox/{answered.pk}/close/", {**fields, "body": "Half a reply"}
    )

    assert response.status_code == 409
    text = response.content.decode()
    assert "The person wrote again after you opened this page" in text
    assert "It got worse." in text
    assert "Half a reply" in text
    conversation = Conversation.objects.get(pk=answered.pk)
    assert conversation.status == ConversationStatus.AWAITING_REPLY


def test_the_page_that_shows_the_newest_message_closes(sign_in, answered, counsellor_a):
    browser = sign_in(counsellor_a)
    fields = _page_fields(browser.get(f"/staff/inbox/{answered.pk}/"))
    response = browser.post(f"/staff/inbox/{answered.pk}/close/", fields)
    assert response.status_code == 302
    assert Conversation.objects.get(pk=answered.pk).status == ConversationStatus.CLOSED


def test_the_action_refuses_a_close_from_before_the_newest_message(answered, counsellor_a):
    seen = answered.last_message_key
    actions.post_seeker_message(answered.mailbox, "One more thing.", None)
    with pytest.raises(actions.NewMessageSinceSeen):
        actions.close_conversation(counsellor_a, answered, seen_last_message=seen)


def test_the_refusal_speaks_german(sign_in, answered, counsellor_a):
    browser = sign_in(counsellor_a)
    fields = _page_fields(browser.get(f"/staff/inbox/{answered.pk}/"))
    actions.post_seeker_message(answered.mailbox, "Noch etwas.", None)
    response = browser.post(f"/staff/inbox/{answered.pk}/close/", fields, HTTP_ACCEPT_LANGUAGE="de")
    assert "Die Person hat wieder geschrieben" in response.content.decode()
