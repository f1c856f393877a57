"""A person who writes straight to the mailbox in a crisis is met at once, not told "about 3 days".

Urgency used to come only from the self-check: someone who opened the
mailbox and wrote "I might hurt a child tonight" was answered with the usual
reply time, and the conversation waited in the queue as "Normal". The
message form now has its own "it cannot wait" choice; every mailbox page
says, beside the reply time, where help is at any hour.
"""

from __future__ import annotations

import re

import pytest

from forestall.inbox.models import Conversation, Mailbox
from tests.test_mailbox import open_new_mailbox

pytestmark = pytest.mark.django_db

CRISIS = "I think I might hurt a child tonight."


def _help_beside_the_reply_time(page: str) -> str:
    return page.split('id="write"')[1].split('id="keeping"')[0]


def test_the_write_form_says_where_help_is_now_beside_the_reply_time(client):
    open_new_mailbox(client)
    part = _help_beside_the_reply_time(client.get("/mailbox/").content.decode())
    assert 'name="urgent_now"' in part
    assert 'href="tel:112"' in part
    assert "116 123" in part


def test_it_cannot_wait_marks_the_conversation_urgent_and_shows_help_now(client):
    open_new_mailbox(client)
    response = client.post(
        "/mailbox/write/", {"body": CRISIS, "centre": "", "urgent_now": "on"}, follow=True
    )
    page = response.content.decode()
    assert Mailbox.objects.get().urgent
    assert Conversation.objects.get().urgent
    status = page.split('role="status"')[1].split("</div>")[0]
    assert "marked urgent" in status
    assert "within about" not in status
    assert 'href="tel:112"' in page.split('id="help-now"')[1]
    # the address (kept in the browser's history) says nothing about what
    # was written or chosen
    assert response.redirect_chain[-1][0] == "/mailbox/?sent=1#latest"


def test_an_open_conversation_becomes_urgent_when_a_later_message_cannot_wait(client):
    open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": "A first, calm message.", "centre": ""})
    assert not Conversation.objects.get().urgent
    client.post("/mailbox/write/", {"body": CRISIS, "urgent_now": "on"})
    assert Conversation.objects.get().urgent


def test_without_the_choice_nothing_is_marked(client):
    open_new_mailbox(client)
    page = client.post("/mailbox/write/", {"body": "Hello", "centre": ""}, follow=True)
    assert not Conversation.objects.get().urgent
    assert 'id="help-now"' not in page.content.decode()


def test_a_refused_message_keeps_the_choice_ticked(client):
    open_new_mailbox(client)
    page = client.post("/mailbox/write/", {"body": "", "urgent_now": "on"}).content.decode()
    assert re.search(r'<input[^>]*name="urgent_now"[^>]*checked', page)


def test_the_choice_survives_a_session_that_ended_before_send(client):
    codename = open_new_mailbox(client)
    client.cookies.pop("forestall_mailbox")
    page = client.post("/mailbox/write/", {"body": CRISIS, "urgent_now": "on"}).content.decode()
    assert re.search(r'<input[^>]*name="urgent_now"[^>]*value="on"', page)
    client.post("/mailbox/write/", {"codename": codename, "body": CRISIS, "urgent_now": "on"})
    assert Conversation.objects.get().urgent


def test_the_german_mailbox_offers_the_choice_in_german(client):
    open_new_mailbox(client)
    part = _help_beside_the_reply_time(client.get("/de/mailbox/").content.decode())
    assert "Es kann nicht warten" in part


def test_an_urgent_mailbox_is_not_told_to_wait_days(client):
    open_new_mailbox(client)
    page = client.post(
        "/mailbox/write/", {"body": CRISIS, "urgent_now": "on"}, follow=True
    ).content.decode()
    assert "usually replies within" not in page
    assert page.count("marked urgent") == 1


def test_the_choice_fits_a_worried_relative_too(client):
    """A mother worried about her partner is not made to say she might hurt a child."""
    open_new_mailbox(client, pathway="other")
    label = client.get("/mailbox/").content.decode().split('for="id_urgent_now">')[1]
    label = label.split("</label>")[0]
    assert "a child may be harmed soon" in label
    assert "I might hurt a child" not in label and "afraid I might hurt a child" not in label


def test_counsellors_see_why_it_is_urgent_without_a_self_check(client, sign_in, network_counsellor):
    open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": CRISIS, "urgent_now": "on"})
    staff = sign_in(network_counsellor)
    queue = staff.get("/staff/inbox/").content.decode()
    assert "Urgent (the person asked)" in queue
    assert "self-check" not in queue.split("<tbody")[1].split("</tbody>")[0]
    conversation = Conversation.objects.get()
    page = staff.get(f"/staff/inbox/{conversation.pk}/").content.decode()
    assert "the person said it cannot wait" in page
