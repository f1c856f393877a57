"""A counsellor closes and reopens conversations, sees previews and finds one by reference."""

from __future__ import annotations

from django.urls import reverse

from forestall.audit.models import AuditEntry
from forestall.inbox import actions
from forestall.inbox.models import ConversationStatus
from tests.factories_inbox import make_conversation


def test_a_counsellor_closes_and_reopens_a_conversation(counsellor_a, centre_a, sign_in):
    conversation = make_conversation(centre_a)
    client = sign_in(counsellor_a)
    response = client.post(reverse("inbox:close", args=[conversation.pk]))
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.CLOSED
    assert conversation.closed_at is not None
    assert client.get(reverse("inbox:queue")).context["rows"] == []
    closed = client.get(reverse("inbox:queue"), {"status": "closed"}).context["rows"]
    assert [row.pk for row in closed] == [conversation.pk]
    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert "Reopen it to reply" in page

    assert client.post(reverse("inbox:reopen", args=[conversation.pk])).status_code == 302
    conversation.refresh_from_db()
    # Nobody had answered: it waits again, in the queue.
    assert conversation.status == ConversationStatus.AWAITING_REPLY
    assert [row.pk for row in client.get(reverse("inbox:queue")).context["rows"]] == [
        conversation.pk
    ]
    actions_seen = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"conversation.close", "conversation.reopen"} <= actions_seen


def test_an_answered_conversation_reopens_as_answered(counsellor_a, centre_a):
    conversation = make_conversation(centre_a)
    actions.claim_conversation(counsellor_a, conversation)
    actions.send_reply(counsellor_a, conversation, "Thank you.")
    actions.close_conversation(counsellor_a, conversation)
    reopened = actions.reopen_conversation(counsellor_a, conversation)
    assert reopened.status == ConversationStatus.ANSWERED


def test_after_closing_the_person_writing_again_opens_a_new_conversation(counsellor_a, centre_a):
    conversation = make_conversation(centre_a)
    actions.close_conversation(counsellor_a, conversation)
    message = actions.post_seeker_message(conversation.mailbox, "Me again.", centre_a)
    assert message.conversation_id != conversation.pk


def test_closing_twice_and_reopening_an_open_one_are_harmless(counsellor_a, centre_a, sign_in):
    conversation = make_conversation(centre_a)
    client = sign_in(counsellor_a)
    assert client.post(reverse("inbox:reopen", args=[conversation.pk])).status_code == 302
    client.post(reverse("inbox:close", args=[conversation.pk]))
    assert client.post(reverse("inbox:close", args=[conversation.pk])).status_code == 302


def test_other_centres_and_roles_cannot_close_or_reopen(
    centre_a, counsellor_a, clinician_a, safeguarding_lead_a, sign_in
):
    from tests.factories import make_user

    counsellor_b = make_user("counsellor", None, username="nobody")
    conversation = make_conversation(centre_a)
    for user in (clinician_a, safeguarding_lead_a, counsellor_b):
        client = sign_in(user)
        for name in ("close", "reopen", "keep_draft", "insert_template"):
            response = client.post(reverse(f"inbox:{name}", args=[conversation.pk]))
            assert response.status_code == 404, (user, name)
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.AWAITING_REPLY


def test_the_queue_shows_a_preview_of_the_newest_message(counsellor_a, centre_a, sign_in):
    long_text = "I am worried about my thoughts. " * 10
    conversation = make_conversation(centre_a, body="First message, older.")
    actions.post_seeker_message(conversation.mailbox, long_text, None)
    page = sign_in(counsellor_a).get(reverse("inbox:queue")).content.decode()
    assert "I am worried about my thoughts." in page
    assert "First message, older." not in page
    assert long_text.strip() not in page  # cut short
    assert conversation.reference in page


def test_the_preview_is_only_for_those_who_may_read_the_conversation(centre_a, centre_b, sign_in):
    from tests.factories import make_user

    make_conversation(centre_a, body="Private words for centre A.")
    counsellor_b = make_user("counsellor", centre_b, username="counsellor_b")
    page = sign_in(counsellor_b).get(reverse("inbox:queue")).content.decode()
    assert "Private words" not in page


def test_a_conversation_is_found_by_its_reference(counsellor_a, centre_a, sign_in):
    conversation = make_conversation(centre_a)
    client = sign_in(counsellor_a)
    typed = conversation.reference.lower().replace("-", " ")
    response = client.get(reverse("inbox:queue"), {"reference": typed})
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox:conversation", args=[conversation.pk])
    entry = AuditEntry.objects.get(action="inbox.queue.search")
    assert conversation.reference not in str(entry.__dict__)


def test_a_reference_from_another_centre_is_not_found(counsellor_a, centre_b, sign_in):
    conversation = make_conversation(centre_b)
    response = sign_in(counsellor_a).get(
        reverse("inbox:queue"), {"reference": conversation.reference}, follow=True
    )
    assert response.status_code == 200
    assert "No conversation you can see has this reference." in response.content.decode()
    assert str(conversation.pk) not in response.content.decode()
