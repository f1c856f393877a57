"""Factories for the inbox tests: mailboxes and conversations made directly."""

from __future__ import annotations

import datetime
import secrets

from django.utils import timezone

from forestall.directory.models import Centre
from forestall.inbox.models import (
    Conversation,
    Mailbox,
    Message,
    MessageAuthor,
    OfflineContact,
)


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


def make_offline_contact(
    user, centre: Centre | None, *, reference: str = "", language: str = "en"
) -> OfflineContact:
    """A phone contact an hour ago, logged by ``user`` (``reference``: a returning person)."""
    from forestall.inbox import actions

    return actions.log_offline_contact(
        user,
        centre=centre,
        channel="phone",
        happened_at=timezone.now() - datetime.timedelta(hours=1),
        duration_minutes=20,
        language=language,
        writer="self",
        concern="own_thoughts",
        risk_indicators=[],
        protective_actions=[],
        follow_up="none",
        person_reference=reference,
    )


def make_first_replies(centre: Centre, hours: list[int]) -> None:
    """Conversations at ``centre`` whose first reply came after each of ``hours``, 40 hours ago."""
    from forestall.inbox import actions

    now = timezone.now()
    for waited in hours:
        mailbox, _codename = actions.start_mailbox("en", "self")
        conversation = Conversation.objects.create(mailbox=mailbox, centre=centre)
        Conversation.objects.filter(pk=conversation.pk).update(
            created_at=now - datetime.timedelta(hours=40),
            first_reply_at=now - datetime.timedelta(hours=40 - waited),
        )
