"""Conversations between a mailbox and the counsellors, and their messages."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from forestall.lib.crypto import EncryptedTextField


class ConversationStatus(models.TextChoices):
    AWAITING_REPLY = "awaiting_reply", _("Awaiting a reply")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class Conversation(models.Model):
    """One thread between a help-seeker's mailbox and the service.

    ``centre`` empty means "any centre / the network": network counsellors
    answer it. Priority rises for an urgent self-check or a counsellor's flag.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mailbox = models.ForeignKey(
        "public.Mailbox", on_delete=models.CASCADE, related_name="conversations"
    )
    centre = models.ForeignKey(
        "directory.Centre",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversations",
    )
    status = models.CharField(
        max_length=20, choices=ConversationStatus.choices, default=ConversationStatus.AWAITING_REPLY
    )
    urgent = models.BooleanField(default=False)
    language = models.CharField(max_length=8, default="en")
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="claimed_conversations",
    )
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the help-seeker last wrote and is waiting: orders the queue.
    waiting_since = models.DateTimeField(null=True, blank=True)
    first_reply_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "urgent", "waiting_since"])]

    def __str__(self) -> str:
        return f"conversation {self.pk}"


class MessageAuthor(models.TextChoices):
    SEEKER = "seeker", _("Help-seeker")
    COUNSELLOR = "counsellor", _("Counsellor")


class Message(models.Model):
    """A message in a conversation; the body is encrypted at rest."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author_kind = models.CharField(max_length=16, choices=MessageAuthor.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    body = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        # Never the body: str() ends up in logs and admin pages.
        return f"message {self.pk}"
