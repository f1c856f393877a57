import datetime

from forestall.inbox.models import Conversation, Message
from forestall.public.models import Mailbox


def test_an_encrypted_body_reads_back_through_the_model(db):
    mailbox = Mailbox.objects.create(codename_hash="x" * 64, last_active_on=datetime.date.today())
    conversation = Conversation.objects.create(mailbox=mailbox)
    message = Message.objects.create(conversation=conversation, author_kind="seeker", body="hello")
    raw = Message.objects.filter(pk=message.pk).values_list("body", flat=True).get()
    assert raw.startswith("fe1:")
    assert "hello" not in raw
    assert Message.objects.get(pk=message.pk).body == "hello"
