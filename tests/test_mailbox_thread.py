"""The mailbox page's conversations, read as plain rows (``forestall.inbox.thread``).

The page reads one hand-written query instead of model instances; these
tests hold it to what the models say: every conversation in order, each
message decrypted, the centre named in the page's language, a closed
conversation not taken for the open one.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from forestall.inbox import actions
from forestall.inbox.models import Conversation, ConversationStatus, Message
from forestall.inbox.thread import mailbox_thread

pytestmark = pytest.mark.django_db


def test_the_thread_is_what_the_models_hold(centre_a, counsellor_a):
    centre_a.name_de = "Zentrum A auf Deutsch"
    centre_a.save()
    mailbox, _codename = actions.start_mailbox("en", "self")
    first = actions.post_seeker_message(mailbox, "First, to the network.", None).conversation
    actions.post_seeker_message(mailbox, "Second line.\nWith a break.", None)
    first.status = ConversationStatus.CLOSED
    first.save()
    second = actions.post_seeker_message(mailbox, "To a centre.", centre_a).conversation
    actions.claim_conversation(counsellor_a, second)
    actions.send_reply(counsellor_a, second, "A reply, encrypted too.")
    empty = Conversation.objects.create(mailbox=mailbox, reference="M-TEST-0001")

    thread = mailbox_thread(mailbox)

    assert [c.pk for c in thread] == [
        c.pk for c in Conversation.objects.filter(mailbox=mailbox).order_by("created_at")
    ]
    for shown in thread:
        stored = list(Message.objects.filter(conversation_id=shown.pk).order_by("created_at"))
        assert [m.body for m in shown.messages] == [m.body for m in stored]
        assert [m.author_kind for m in shown.messages] == [m.author_kind for m in stored]
        assert [m.created_at for m in shown.messages] == [m.created_at for m in stored]
        assert [m.read_at for m in shown.messages] == [m.read_at for m in stored]
    assert thread[0].status == ConversationStatus.CLOSED and not thread[0].is_open
    assert thread[0].centre is None
    assert thread[1].centre is not None and thread[1].centre.pk == centre_a.pk
    assert thread[1].messages[-1].is_unread_reply
    assert thread[2].pk == empty.pk and thread[2].messages == []
    assert thread[1].centre.display_name == centre_a.name
    with translation.override("de"):
        assert thread[1].centre.display_name == "Zentrum A auf Deutsch"


def test_another_mailbox_sees_nothing_of_this_one(centre_a):
    mine, _ = actions.start_mailbox("en", "self")
    theirs, _ = actions.start_mailbox("en", "self")
    actions.post_seeker_message(mine, "Only mine.", centre_a)
    assert mailbox_thread(theirs) == []
    assert [m.body for c in mailbox_thread(mine) for m in c.messages] == ["Only mine."]
