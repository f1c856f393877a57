"""Factories for the inbox tests: mailboxes and conversations made directly."""

from __future__ import annotations

import datetime
import secrets

from django.utils import timezone

from forestall.directory.models import Centre
from forestall.inbox.models import Conversation, Mailbox, Message, MessageAuthor


def make_mailbox(language: str = "en", pathway: str = "self") -> Mailbox:
    return Mailbox.objects.create(
        codename_hash=secrets.token_hex(32),
        language=language,
        pathway=pathway,
        last_active_on=timezone.localdate(),
    )


def make_conversation(
    centre: Centre | None = None,
    *,
    body: str = "I need someone to talk to.",
    language: str = "en",
    urgent: bool = False,
    waited: datetime.timedelta = datetime.timedelta(minutes=5),
) -> Conversation:
    """A conversation awaiting a reply, with one message from the help-seeker."""
    now = timezone.now()
    conversation = Conversation.objects.create(
        mailbox=make_mailbox(language),
        centre=centre,
        language=language,
        urgent=urgent,
        waiting_since=now - waited,
        last_message_at=now - waited,
    )
    Message.objects.create(conversation=conversation, author_kind=MessageAuthor.SEEKER, body=body)
    return conversation
