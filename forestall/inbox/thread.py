"""What the help-seeker's mailbox page shows of their conversations.

Every signed-in mailbox page reads all of the mailbox's conversations and
their messages. Model instances (a conversation with its centre, every
message with its author and the prefetch machinery) and the ORM building the
queries cost several times running them, so the page reads plain rows — one
hand-written query (``forestall.lib.rows``), each message decrypted once
with its row's key — into the small records below. Nothing here changes
anything; marking replies read is ``actions.mark_replies_read``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.db.models import Field
from django.utils.translation import get_language

from forestall.directory.models import Centre
from forestall.inbox.models import Conversation, ConversationStatus, Mailbox, Message, MessageAuthor
from forestall.lib.crypto import EncryptedTextField
from forestall.lib.rows import Statement, fields, prepared


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
    rows = _THREAD.rows([prepared(Conversation._meta.get_field("mailbox"), mailbox.pk)])
    # Plain rows carry the body's envelope, not the text: each is opened
    # here with its row's key (the row id is part of what is authenticated).
    body_field = cast(EncryptedTextField, Message._meta.get_field("body"))
    conversations: dict[uuid.UUID, ThreadConversation] = {}
    for row in rows:
        pk, status, centre_id, name, name_de, message_pk, kind, created_at, envelope, read_at = row
        conversation = conversations.get(pk)
        if conversation is None:
            centre = AddressedCentre(centre_id, name, name_de or "") if centre_id else None
            conversation = conversations[pk] = ThreadConversation(pk, status, centre)
        if message_pk is not None:
            body = body_field.open_bytes(Message, message_pk, envelope).decode() if envelope else ""
            conversation.messages.append(ThreadMessage(kind, created_at, body, read_at))
    return list(conversations.values())


def _thread_columns() -> list[Field]:
    return [
        *fields(Conversation, "id", "status", "centre"),
        *fields(Centre, "name", "name_de"),
        *fields(Message, "id", "author_kind", "created_at", "body", "read_at"),
    ]


def _thread_sql(using: Any) -> str:
    quote = using.ops.quote_name
    conversations = quote(Conversation._meta.db_table)
    centres = quote(Centre._meta.db_table)
    messages = quote(Message._meta.db_table)
    return (
        f"SELECT c.{quote('id')}, c.{quote('status')}, c.{quote('centre_id')}, "  # noqa: S608 - our own names
        f"ce.{quote('name')}, ce.{quote('name_de')}, m.{quote('id')}, m.{quote('author_kind')}, "
        f"m.{quote('created_at')}, m.{quote('body')}, m.{quote('read_at')} "
        f"FROM {conversations} c "
        f"LEFT JOIN {centres} ce ON ce.{quote('id')} = c.{quote('centre_id')} "
        f"LEFT JOIN {messages} m ON m.{quote('conversation_id')} = c.{quote('id')} "
        f"WHERE c.{quote('mailbox_id')} = %s "
        f"ORDER BY c.{quote('created_at')}, c.{quote('id')}, m.{quote('created_at')}"
    )


_THREAD = Statement(_thread_sql, _thread_columns)
