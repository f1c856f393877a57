"""What counsellors do with conversations: claim, reply, note, summarise, refer.

Every function runs in one transaction and writes one audit line; those that
change the funnel also add a de-identified count. Callers fetch conversations
through ``Conversation.objects.visible_to(user)`` first: these actions trust
that the caller may see the conversation and only check what the state of
the conversation allows (for example that the replier holds the claim).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from forestall.audit.actions import record_event
from forestall.inbox.models import (
    ContactSummary,
    Conversation,
    ConversationStatus,
    InternalNote,
    Message,
    MessageAuthor,
    ProtectiveAction,
    ProtectiveActionState,
    ReplyTemplate,
    can_manage_templates,
)
from forestall.stats import actions as stats
from forestall.stats.events import Event

if TYPE_CHECKING:
    from forestall.accounts.models import User
    from forestall.directory.models import Centre


class InboxError(Exception):
    """A counsellor's action that the conversation's state does not allow."""


class AlreadyClaimed(InboxError):
    """Another counsellor holds a live claim (or is claiming right now)."""


class NotClaimant(InboxError):
    """Only the counsellor holding the live claim may reply."""


class NotAllowed(InboxError):
    """The user's roles do not allow this action."""


def claim_duration() -> datetime.timedelta:
    """A claim lapses after this much inactivity; every reply or claim renews it."""
    minutes = settings.FORESTALL_CLAIM_MINUTES
    return datetime.timedelta(minutes=minutes)


def _stats_dimensions(conversation: Conversation) -> dict[str, Any]:
    return {
        "centre": conversation.centre,
        "channel": "mailbox",
        "language": conversation.language,
        "pathway": conversation.mailbox.pathway,
    }


def _lock(conversation: Conversation, *, skip_locked: bool = False) -> Conversation:
    """The conversation's row, locked for this transaction.

    Claims use ``skip_locked``: on PostgreSQL ``FOR UPDATE SKIP LOCKED``, so if
    another transaction is in the middle of claiming this row we do not wait
    for it, we lose (``AlreadyClaimed``). Replies and releases wait for the
    lock instead (a help-seeker writing at that moment must not make a reply
    fail). On SQLite the transaction itself is ``BEGIN IMMEDIATE`` (see
    settings), which serialises writers, and ``select_for_update`` is a no-op.
    """
    rows = Conversation.objects.select_for_update(skip_locked=skip_locked)
    locked = rows.filter(pk=conversation.pk).first()
    if locked is None:
        if skip_locked:
            raise AlreadyClaimed
        raise Conversation.DoesNotExist
    return locked


def claim_conversation(user: User, conversation: Conversation) -> Conversation:
    """Give ``user`` the exclusive right to reply for the next few minutes.

    Exactly one of several counsellors claiming at once wins; the others get
    ``AlreadyClaimed``. Claiming again one's own claim renews it.
    """
    with transaction.atomic():
        locked = _lock(conversation, skip_locked=True)
        now = timezone.now()
        holder = locked.live_claimant_id(now)
        if holder is not None and holder != user.pk:
            raise AlreadyClaimed
        locked.claimed_by = user
        locked.claimed_until = now + claim_duration()
        locked.save(update_fields=["claimed_by", "claimed_until"])
        record_event(user, "conversation.claim", locked, centre=locked.centre)
    return locked


def release_conversation(user: User, conversation: Conversation) -> Conversation:
    """Give up one's own claim so that a colleague can answer."""
    with transaction.atomic():
        locked = _lock(conversation)
        if locked.claimed_by_id != user.pk:
            raise NotClaimant
        locked.claimed_by = None
        locked.claimed_until = None
        locked.save(update_fields=["claimed_by", "claimed_until"])
        record_event(user, "conversation.release", locked, centre=locked.centre)
    return locked


def claim_next(user: User) -> Conversation | None:
    """Claim the first conversation in ``user``'s queue that nobody holds.

    Rows another counsellor is claiming at this moment are skipped, not waited
    for, so two counsellors pressing "next" at once get different conversations.
    """
    with transaction.atomic():
        now = timezone.now()
        candidate = (
            Conversation.objects.visible_to(user)
            .awaiting_reply()
            .claimable_by(user, now)
            .in_queue_order()
            .select_for_update(skip_locked=True)
            .first()
        )
        if candidate is None:
            return None
        candidate.claimed_by = user
        candidate.claimed_until = now + claim_duration()
        candidate.save(update_fields=["claimed_by", "claimed_until"])
        record_event(user, "conversation.claim", candidate, centre=candidate.centre)
    return candidate


def send_reply(user: User, conversation: Conversation, body: str) -> Message:
    """Post a counsellor's reply; only the holder of the live claim may.

    The first reply records how long the person waited for it.
    """
    with transaction.atomic():
        locked = _lock(conversation)
        now = timezone.now()
        if not locked.is_claimed_by(user, now):
            raise NotClaimant
        message = Message.objects.create(
            conversation=locked, author_kind=MessageAuthor.COUNSELLOR, author=user, body=body
        )
        fields = ["status", "waiting_since", "last_message_at", "claimed_until"]
        locked.status = ConversationStatus.ANSWERED
        locked.waiting_since = None
        locked.last_message_at = now
        locked.claimed_until = now + claim_duration()
        first = locked.first_reply_at is None
        if first:
            locked.first_reply_at = now
            fields.append("first_reply_at")
        locked.save(update_fields=fields)
        Message.objects.filter(
            conversation=locked, author_kind=MessageAuthor.SEEKER, read_at__isnull=True
        ).update(read_at=now)
        record_event(user, "conversation.reply", locked, centre=locked.centre)
        if first:
            stats.record(
                Event.FIRST_REPLY_SENT,
                duration=now - locked.created_at,
                **_stats_dimensions(locked),
            )
    conversation.refresh_from_db()
    return message


def add_note(user: User, conversation: Conversation, body: str) -> InternalNote:
    """Keep an internal note (encrypted; never shown to the help-seeker)."""
    with transaction.atomic():
        note = InternalNote.objects.create(conversation=conversation, author=user, body=body)
        record_event(user, "conversation.note", conversation, centre=conversation.centre)
    return note


def flag_conversation(user: User, conversation: Conversation, *, urgent: bool) -> Conversation:
    """Raise (or lower again) a conversation's priority in the queue."""
    with transaction.atomic():
        conversation.flagged_urgent = urgent
        conversation.save(update_fields=["flagged_urgent"])
        record_event(
            user,
            "conversation.flag" if urgent else "conversation.unflag",
            conversation,
            centre=conversation.centre,
        )
    return conversation


def save_contact_summary(
    user: User,
    conversation: Conversation,
    *,
    writer: str,
    concern: str,
    risk_indicators: Iterable[str],
) -> ContactSummary:
    """Record (or update) who is writing, the concern and the risk indicators."""
    with transaction.atomic():
        summary, _created = ContactSummary.objects.get_or_create(conversation=conversation)
        summary.writer = writer
        summary.concern = concern
        summary.risk_indicators = sorted(set(risk_indicators))
        summary.updated_by = user
        summary.save()
        record_event(user, "conversation.summary", conversation, centre=conversation.centre)
    return summary


def record_protective_action(
    user: User, conversation: Conversation, *, action: str, state: str
) -> ProtectiveAction:
    """Record that a protective action was agreed, or on a later contact taken or not.

    Each action counts once as agreed (when first recorded) and once as taken
    (the first time it is marked taken), whatever else is corrected later.
    """
    with transaction.atomic():
        existing = (
            ProtectiveAction.objects.select_for_update()
            .filter(conversation=conversation, action=action)
            .first()
        )
        created = existing is None
        protective = existing or ProtectiveAction(conversation=conversation, action=action)
        previous_state = None if created else protective.state
        protective.state = state
        if not created and state != previous_state:
            protective.reviewed_at = timezone.now()
        protective.save()
        record_event(
            user, "conversation.protective_action", conversation, centre=conversation.centre
        )
        dimensions = _stats_dimensions(conversation)
        if created:
            stats.record(Event.PROTECTIVE_ACTION_AGREED, detail=action, **dimensions)
        if state == ProtectiveActionState.TAKEN and previous_state != ProtectiveActionState.TAKEN:
            stats.record(Event.PROTECTIVE_ACTION_TAKEN, detail=action, **dimensions)
    return protective


def save_reply_template(
    user: User,
    template: ReplyTemplate | None,
    *,
    language: str,
    title: str,
    body: str,
    is_active: bool = True,
) -> ReplyTemplate:
    """Create or change a shared reply template (network counsellors and managers)."""
    if not can_manage_templates(user):
        raise NotAllowed
    with transaction.atomic():
        created = template is None
        template = template or ReplyTemplate()
        template.language = language
        template.title = title
        template.body = body
        template.is_active = is_active
        template.updated_by = user
        template.save()
        record_event(
            user, "reply_template.create" if created else "reply_template.update", template
        )
    return template


def refer_conversation(
    user: User, conversation: Conversation, centre: Centre, *, consent_note: str
) -> Any:
    """With the person's consent, open an enquiry at ``centre``'s case work."""
    from forestall.cases.actions import open_enquiry_from_conversation

    with transaction.atomic():
        case = open_enquiry_from_conversation(
            conversation, centre, by=user, consent_note=consent_note
        )
        # The consent note goes to the case only: audit lines carry no free text.
        record_event(user, "conversation.refer", conversation, centre=centre)
        dimensions = {**_stats_dimensions(conversation), "centre": centre}
        stats.record(Event.CONVERSATION_REFERRED, **dimensions)
    return case


def raise_conversation_concern(
    user: User, conversation: Conversation, *, level: str, description: str
) -> Any:
    """Hand a safeguarding concern about this conversation to the safeguarding leads."""
    from forestall.safeguarding.actions import raise_concern

    with transaction.atomic():
        concern = raise_concern(
            by=user, level=level, description=description, conversation=conversation
        )
        record_event(user, "conversation.concern", conversation, centre=conversation.centre)
    return concern
