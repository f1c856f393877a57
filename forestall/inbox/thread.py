"""What the help-seeker's mailbox page shows of their conversations.

Every signed-in mailbox page reads all of the mailbox's conversations and
their messages. Model instances (a conversation with its centre, every
message with its author and the prefetch machinery) cost several times the
two queries themselves, so the page reads plain rows — two queries, each
message decrypted once with its row's key — into the small records
below. Nothing here changes anything; marking replies read is
``actions.mark_replies_read``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from django.utils.translation import get_language

from forestall.inbox.models import Conversation, ConversationStatus, Mailbox, Message, MessageAuthor
from forestall.lib.crypto import EncryptedTextField


@dataclass(frozen=True, slots=True)
class AddressedCentre:
    """The centre a conversation is written to, named in the page's language."""

    pk: uuid.UUID
    name: str
    name_de: str

    @property
    def display_name(self) -> str:
        # As ``Centre.display_name``: German on German pages when there is one.
        language = (get_language() or "en").split("-")[0]
        return self.name_de if language == "de" and self.name_de.strip() else self.name


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    author_kind: str
    created_at: datetime
    body: str
    read_at: datetime | None

    @property
    def is_unread_reply(self) -> bool:
        return self.author_kind == MessageAuthor.COUNSELLOR and self.read_at is None


@dataclass(slots=True)
class ThreadConversation:
    pk: uuid.UUID
    status: str
    centre: AddressedCentre | None
    messages: list[ThreadMessage] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status != ConversationStatus.CLOSED


def mailbox_thread(mailbox: Mailbox) -> list[ThreadConversation]:
    """The mailbox's conversations, oldest first, each with its messages in order."""
    conversations: dict[uuid.UUID, ThreadConversation] = {}
    rows = (
        Conversation.objects.filter(mailbox=mailbox)
        .order_by("created_at")
        .values_list("id", "status", "centre_id", "centre__name", "centre__name_de")
    )
    for pk, status, centre_id, name, name_de in rows:
        centre = AddressedCentre(centre_id, name, name_de or "") if centre_id else None
        conversations[pk] = ThreadConversation(pk, status, centre)
    if not conversations:
        return []
    # Plain rows carry the body's envelope, not the text: each is opened
    # here with its row's key (the row id is part of what is authenticated).
    body_field = cast(EncryptedTextField, Message._meta.get_field("body"))
    messages = (
        Message.objects.filter(conversation__mailbox=mailbox)
        .order_by("created_at")
        .values_list("id", "conversation_id", "author_kind", "created_at", "body", "read_at")
    )
    for pk, conversation_id, author_kind, created_at, envelope, read_at in messages:
        body = body_field.open_bytes(Message, pk, envelope).decode() if envelope else ""
        conversations[conversation_id].messages.append(
            ThreadMessage(author_kind, created_at, body, read_at)
        )
    return list(conversations.values())
