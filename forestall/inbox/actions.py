"""What counsellors do with conversations: claim, reply, note, summarise, refer;
and, at the end, what a help-seeker does in the mailbox: start it, write, delete
everything (moved here from the public app with the mailbox).

Every function runs in one transaction and writes one audit line; those that
change the funnel also add a de-identified count. Callers fetch conversations
through ``Conversation.objects.visible_to(user)`` first: these actions trust
that the caller may see the conversation and only check what the state of
the conversation allows (for example that the replier holds the claim).
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from forestall.audit.actions import record_event
from forestall.inbox.models import (
    STATS_CHANNEL,
    ContactSummary,
    Conversation,
    ConversationStatus,
    InternalNote,
    Mailbox,
    Message,
    MessageAuthor,
    OfflineContact,
    ProtectiveAction,
    ProtectiveActionState,
    ReplyDraft,
    ReplyTemplate,
    RiskIndicator,
    Writer,
    can_manage_templates,
    new_reference,
)
from forestall.inbox.retention import REPLY_DRAFT
from forestall.inbox.targets import reply_within_target
from forestall.lib import erasure
from forestall.lib.codenames import codename_hash, generate_codename
from forestall.lib.locking import lock_row, lock_rows
from forestall.lib.stale_edits import check_locked, check_unchanged
from forestall.stats import actions as stats
from forestall.stats.events import Detail, Event
from forestall.stats.models import Source

if TYPE_CHECKING:
    from forestall.accounts.models import User
    from forestall.directory.models import Centre

# A reply posted after the staff session expired waits this long for the sign-in.
ORPHAN_DRAFT_MINUTES = 15
# At most this many such replies wait per conversation (anyone can post one).
ORPHAN_DRAFTS_PER_CONVERSATION = 5
# Together these two risk indicators raise the priority and prompt a concern.
SAFEGUARDING_PROMPT_INDICATORS = frozenset(
    {RiskIndicator.SPECIFIC_CHILD.value, RiskIndicator.ACCESS_TO_CHILDREN.value}
)


class InboxError(Exception):
    """A counsellor's action that the conversation's state does not allow."""


class AlreadyClaimed(InboxError):
    """Another counsellor holds a live claim (or is claiming right now)."""


class NotClaimant(InboxError):
    """Only the counsellor holding the live claim may reply."""


class NotAllowed(InboxError):
    """The user's roles do not allow this action."""


class TemplateTitleTaken(InboxError):
    """Another reply template in the language has this title (saved at the same moment)."""


class ConversationDeleted(InboxError):
    """The help-seeker deleted their mailbox (and this conversation with it) meanwhile."""


class MailboxDeleted(InboxError):
    """The mailbox was deleted meanwhile (from another tab or window of the help-seeker)."""


def claim_duration() -> datetime.timedelta:
    """A claim lapses after this much inactivity; every reply or claim renews it."""
    minutes = settings.FORESTALL_CLAIM_MINUTES
    return datetime.timedelta(minutes=minutes)


def _stats_dimensions(conversation: Conversation) -> dict[str, Any]:
    offline = OfflineContact.objects.filter(conversation=conversation).only("channel").first()
    return {
        "centre": conversation.centre,
        "channel": STATS_CHANNEL[offline.channel] if offline else "mailbox",
        "language": conversation.language,
        "pathway": conversation.mailbox.pathway,
    }


def _lock(conversation: Conversation, *, skip_locked: bool = False) -> Conversation:
    """The conversation's row, locked for this transaction.

    Every action that writes to a conversation (or adds anything to it) takes
    this lock first, so that it either finishes before the help-seeker's
    "delete everything" looks at the conversation, or finds it gone
    (``ConversationDeleted``) instead of failing on the foreign key.

    Claims use ``skip_locked``: on PostgreSQL ``FOR UPDATE SKIP LOCKED``, so if
    another transaction is in the middle of claiming this row we do not wait
    for it, we lose (``AlreadyClaimed``). Replies and releases wait for the
    lock instead (a help-seeker writing at that moment must not make a reply
    fail). On SQLite the transaction itself is ``BEGIN IMMEDIATE`` (see
    settings), which serialises writers, and ``select_for_update`` is a no-op.
    """
    if skip_locked:
        locked = Conversation.objects.select_for_update(skip_locked=True)
        found = locked.filter(pk=conversation.pk).first()
        if found is not None:
            return found
        if Conversation.objects.filter(pk=conversation.pk).exists():
            raise AlreadyClaimed
        raise ConversationDeleted
    found = lock_row(Conversation, conversation.pk)
    if found is None:
        raise ConversationDeleted
    return found


def lock_mailbox(mailbox_id: uuid.UUID) -> Mailbox:
    """The mailbox's row, locked for this transaction (``MailboxDeleted`` if it is gone).

    Taken before any of its conversations (the order ``delete_mailbox`` takes
    them in), by everything that adds to the mailbox.
    """
    found = lock_row(Mailbox, mailbox_id)
    if found is None:
        raise MailboxDeleted
    return found


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


class NewMessageSinceSeen(InboxError):
    """The person wrote again after the page that asked for this was opened."""


def close_conversation(
    user: User, conversation: Conversation, *, seen_last_message: str | None = None
) -> Conversation:
    """Close a conversation: it leaves the queue and the claim is given up.

    If the person writes again, the front door opens a new conversation.
    ``seen_last_message`` is the ``last_message_key`` the counsellor's page
    showed: if a message came after it, nothing is closed
    (``NewMessageSinceSeen``), so a message is never closed away unread.
    """
    with transaction.atomic():
        locked = _lock(conversation)
        if locked.status == ConversationStatus.CLOSED:
            raise InboxError
        if seen_last_message is not None and seen_last_message != locked.last_message_key:
            raise NewMessageSinceSeen
        locked.status = ConversationStatus.CLOSED
        locked.closed_at = timezone.now()
        locked.waiting_since = None
        locked.claimed_by = None
        locked.claimed_until = None
        locked.save(
            update_fields=["status", "closed_at", "waiting_since", "claimed_by", "claimed_until"]
        )
        record_event(user, "conversation.close", locked, centre=locked.centre)
    return locked


def reopen_conversation(user: User, conversation: Conversation) -> Conversation:
    """Open a closed conversation again: answered if it was, otherwise waiting again."""
    with transaction.atomic():
        locked = _lock(conversation)
        if locked.status != ConversationStatus.CLOSED:
            raise InboxError
        last = locked.messages.order_by("-created_at").first()
        if last is not None and last.author_kind == MessageAuthor.SEEKER:
            locked.status = ConversationStatus.AWAITING_REPLY
            locked.waiting_since = last.created_at
        else:
            locked.status = ConversationStatus.ANSWERED
        locked.closed_at = None
        locked.save(update_fields=["status", "waiting_since", "closed_at"])
        record_event(user, "conversation.reopen", locked, centre=locked.centre)
    return locked


def draft_lifetime() -> datetime.timedelta:
    minutes = settings.FORESTALL_REPLY_DRAFT_MINUTES
    return datetime.timedelta(minutes=minutes)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def keep_reply_draft(
    user: User,
    conversation: Conversation,
    body: str | None,
    entries: dict[str, Any] | None = None,
) -> ReplyDraft | None:
    """Keep ``user``'s unsent reply on ``conversation``, and the page's other unsaved entries.

    ``body`` None keeps the reply as it was (the reply box was not on the
    page); ``entries`` None keeps the other sections' entries as they were
    (``ReplyDraft.entries``). A draft with neither an unsent reply nor
    entries is discarded. The body and entries are encrypted like a message
    and expire after ``FORESTALL_REPLY_DRAFT_MINUTES``; expired drafts are
    purged on the way. The audit line records that a draft was kept, never
    its text.
    """
    now = timezone.now()
    with transaction.atomic():
        _lock(conversation)
        ReplyDraft.objects.filter(expires_at__lte=now).delete()
        kept = ReplyDraft.objects.filter(conversation=conversation, owner=user).first()
        if body is None:
            body = kept.body if kept is not None else ""
        if entries is None:
            entries = (kept.entries if kept is not None else None) or {}
        if not body.strip() and not entries:
            deleted, _rows = ReplyDraft.objects.filter(
                conversation=conversation, owner=user
            ).delete()
            if deleted:
                record_event(
                    user, "conversation.draft_discard", conversation, centre=conversation.centre
                )
            return None
        draft, _created = ReplyDraft.objects.update_or_create(
            conversation=conversation,
            owner=user,
            defaults={
                "body": body,
                "entries": entries or None,
                "expires_at": now + draft_lifetime(),
            },
        )
        record_event(user, "conversation.draft", conversation, centre=conversation.centre)
    return draft


def purge_expired_drafts() -> int:
    """Delete every draft past its expiry (run on each conversation page and each keep)."""
    expired = REPLY_DRAFT.due()
    # Read first: a page view should not take SQLite's write lock for nothing.
    if not expired.exists():
        return 0
    deleted, _rows = expired.delete()
    return deleted


def reply_draft(user: User, conversation: Conversation) -> str:
    """``user``'s unsent reply on ``conversation``, or an empty string."""
    return working_draft(user, conversation)[0]


def working_draft(user: User, conversation: Conversation) -> tuple[str, dict[str, Any]]:
    """``user``'s unsent reply on ``conversation`` and the page's other unsaved entries.

    Expired drafts (anyone's) are purged on the way, so a short-lived draft
    does not outlive its expiry for longer than it takes someone to open a
    conversation.
    """
    purge_expired_drafts()
    draft = ReplyDraft.objects.live().filter(conversation=conversation, owner=user).first()
    if draft is None:
        return "", {}
    return draft.body, draft.entries or {}


def keep_reply_through_sign_in(conversation_id: uuid.UUID, body: str, note: str = "") -> str:
    """Keep a reply and a note posted after the staff session expired; return its token.

    Nobody is signed in, so the draft has no owner: it waits (encrypted, for
    ``ORPHAN_DRAFT_MINUTES``) for whoever signs in with the token and may see
    the conversation. The answer is a fresh token whether or not the
    conversation exists, so the unauthenticated caller learns nothing; a
    conversation keeps only its newest few such drafts, so posting many
    cannot fill the database.
    """
    token = secrets.token_urlsafe(32)
    if not body.strip() and not note.strip():
        return token
    now = timezone.now()
    with transaction.atomic():
        ReplyDraft.objects.filter(expires_at__lte=now).delete()
        conversation = Conversation.objects.filter(pk=conversation_id).first()
        if conversation is None:
            return token
        ReplyDraft.objects.create(
            conversation=conversation,
            owner=None,
            token_digest=_token_digest(token),
            body=body,
            # The page's note, shown again as not saved yet (``ReplyDraft.entries``).
            entries={"note": note} if note.strip() else None,
            expires_at=now + datetime.timedelta(minutes=ORPHAN_DRAFT_MINUTES),
        )
        waiting = ReplyDraft.objects.filter(conversation=conversation, owner__isnull=True)
        surplus = list(
            waiting.order_by("-expires_at").values_list("pk", flat=True)[
                ORPHAN_DRAFTS_PER_CONVERSATION:
            ]
        )
        if surplus:
            ReplyDraft.objects.filter(pk__in=surplus).delete()
    return token


def take_reply_kept_through_sign_in(user: User, conversation: Conversation, token: str) -> bool:
    """Make the reply kept under ``token`` ``user``'s draft on ``conversation``.

    The caller has fetched the conversation through the access gate. A token
    works once, for this conversation only, before it expires.
    """
    now = timezone.now()
    with transaction.atomic():
        orphan = (
            ReplyDraft.objects.live(now)
            .select_for_update()
            .filter(token_digest=_token_digest(token), conversation=conversation, owner=None)
            .first()
        )
        if orphan is None:
            return False
        ReplyDraft.objects.filter(conversation=conversation, owner=user).delete()
        orphan.owner = user
        orphan.token_digest = None
        orphan.expires_at = now + draft_lifetime()
        orphan.save(update_fields=["owner", "token_digest", "expires_at"])
        record_event(user, "conversation.draft", conversation, centre=conversation.centre)
    return True


def insert_reply_template(
    user: User,
    conversation: Conversation,
    body: str,
    template: ReplyTemplate,
    entries: dict[str, Any] | None = None,
) -> str:
    """Add ``template`` to the end of the reply typed so far and keep the result.

    What the counsellor typed is never replaced; the page's other unsaved
    ``entries`` are kept with it (``keep_reply_draft``).
    """
    typed = body.rstrip()
    combined = f"{typed}\n\n{template.body}" if typed else template.body
    keep_reply_draft(user, conversation, combined, entries)
    return combined


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
        within_target = (
            reply_within_target(locked, now) if locked.waiting_since is not None else None
        )
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
        ReplyDraft.objects.filter(conversation=locked, owner=user).delete()
        record_event(user, "conversation.reply", locked, centre=locked.centre)
        if within_target is not None:
            stats.record(
                Event.REPLY_SENT,
                detail=Detail.WITHIN_TARGET if within_target else Detail.TARGET_MISSED,
                **_stats_dimensions(locked),
            )
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
        _lock(conversation)
        note = InternalNote.objects.create(conversation=conversation, author=user, body=body)
        record_event(user, "conversation.note", conversation, centre=conversation.centre)
    return note


def flag_conversation(user: User, conversation: Conversation, *, urgent: bool) -> Conversation:
    """Raise (or lower again) a conversation's priority in the queue."""
    with transaction.atomic():
        locked = _lock(conversation)
        locked.flagged_urgent = conversation.flagged_urgent = urgent
        locked.save(update_fields=["flagged_urgent"])
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
    edited_from: str | None = None,
) -> ContactSummary:
    """Record (or update) who is writing, the concern and the risk indicators.

    ``edited_from`` is the summary's version when the page was opened
    (``lib.stale_edits``; ``NOT_SAVED_YET`` before the first): if someone
    saved it since, raises ``ChangedMeanwhile`` and saves nothing, so a stale
    page never silently takes away a risk indicator someone else recorded.
    """
    with transaction.atomic():
        _lock(conversation)
        saved = (
            ContactSummary.objects.select_for_update(of=("self",))
            .select_related("updated_by")
            .filter(conversation=conversation)
            .first()
        )
        check_locked(saved, edited_from)
        summary, _created = ContactSummary.objects.get_or_create(conversation=conversation)
        summary.writer = writer
        summary.concern = concern
        summary.risk_indicators = sorted(set(risk_indicators))
        summary.updated_by = user
        summary.save()
        record_event(user, "conversation.summary", conversation, centre=conversation.centre)
        if needs_safeguarding_prompt(summary.risk_indicators) and not conversation.is_priority:
            flag_conversation(user, conversation, urgent=True)
    return summary


def needs_safeguarding_prompt(risk_indicators: Iterable[str]) -> bool:
    """Thoughts about a specific child together with access to children."""
    return set(risk_indicators) >= SAFEGUARDING_PROMPT_INDICATORS


def record_protective_action(
    user: User, conversation: Conversation, *, action: str, state: str
) -> ProtectiveAction:
    """Record that a protective action was agreed, or on a later contact taken or not.

    Each action counts once as agreed (when first recorded) and once as taken
    (the first time it is marked taken), whatever else is corrected later.
    The conversation is locked first: two pages recording the same action
    for the first time at the same moment both found none, and the second
    insert failed on the one-row-per-action constraint (a 500); now the
    second waits and corrects the first one's row.
    """
    with transaction.atomic():
        _lock(conversation)
        existing = ProtectiveAction.objects.filter(conversation=conversation, action=action).first()
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
    edited_from: str | None = None,
) -> ReplyTemplate:
    """Create or change a shared reply template (network counsellors and managers).

    ``edited_from`` is the version the editor opened (``lib.stale_edits``): if
    the template was saved since, raises ``ChangedMeanwhile`` and saves nothing.

    The form checks that the title is free in the language, but two pages
    saving the same new title at the same moment both passed that check:
    the database refuses the second (``TemplateTitleTaken``; before, a 500).
    """
    if not can_manage_templates(user):
        raise NotAllowed
    with transaction.atomic():
        created = template is None
        if template is not None:
            check_unchanged(ReplyTemplate, template.pk, edited_from)
        template = template or ReplyTemplate()
        template.language = language
        template.title = title
        template.body = body
        template.is_active = is_active
        template.updated_by = user
        try:
            with transaction.atomic():
                template.save()
        except IntegrityError:
            taken = ReplyTemplate.objects.filter(language=language, title=title)
            if not taken.exclude(pk=template.pk).exists():
                raise  # not the unique title: something else went wrong
            raise TemplateTitleTaken from None
        record_event(
            user, "reply_template.create" if created else "reply_template.update", template
        )
    return template


def referral_summary(conversation: Conversation) -> dict[str, Any] | None:
    """The contact summary as the receiving centre gets it (fixed vocabularies only)."""
    summary = ContactSummary.objects.filter(conversation=conversation).first()
    if summary is None:
        return None
    return {
        "writer": summary.writer,
        "concern": summary.concern,
        "risk_indicators": list(summary.risk_indicators),
    }


def refer_conversation(
    user: User,
    conversation: Conversation,
    centre: Centre,
    *,
    consent_note: str,
    programme: str = "individual_therapy",
    share_summary: bool = False,
) -> Any:
    """With the person's consent, open an enquiry at ``centre``'s case work.

    The contact summary goes with it only if the person agreed to share it
    (``share_summary``). Raises ``cases.actions.ReferralError`` when the
    centre's directory entry cannot take the referral.
    """
    from forestall.cases.actions import open_enquiry_from_conversation

    with transaction.atomic():
        # The mailbox first, then the conversation (the order of "delete
        # everything"): two referrals at the same moment (two tabs) then find
        # the client and the case the first one made, instead of making a
        # second pseudonymous client for the same person.
        try:
            lock_mailbox(conversation.mailbox_id)
        except MailboxDeleted:
            raise ConversationDeleted from None
        _lock(conversation)
        case = open_enquiry_from_conversation(
            conversation,
            centre,
            by=user,
            consent_note=consent_note,
            programme=programme,
            contact_summary=referral_summary(conversation) if share_summary else None,
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
        _lock(conversation)
        concern = raise_concern(
            by=user, level=level, description=description, conversation=conversation
        )
        record_event(user, "conversation.concern", conversation, centre=conversation.centre)
    return concern


# The front door's pathway that matches who was contacting (for the statistics).
_PATHWAY_FOR_WRITER: dict[str, str] = {
    Writer.SELF.value: "self",
    Writer.FAMILY_OR_FRIEND.value: "other",
    Writer.PROFESSIONAL.value: "professional",
    Writer.UNKNOWN.value: "self",
}


class UnknownPersonReference(InboxError):
    """No contact the counsellor may see carries the reference given."""


def log_offline_contact(
    user: User,
    *,
    centre: Centre | None,
    channel: str,
    happened_at: datetime.datetime,
    duration_minutes: int,
    language: str,
    writer: str,
    concern: str,
    risk_indicators: Iterable[str],
    protective_actions: Iterable[str],
    follow_up: str,
    follow_up_on: datetime.date | None = None,
    contact_details: str = "",
    note: str = "",
    person_reference: str = "",
) -> OfflineContact:
    """Log a contact by phone, video, in person or another chat service.

    It becomes a conversation without messages (already answered) on a
    mailbox nobody can sign in to: its "codename hash" is random, so no
    codename leads to it. A later contact by the same person, found by the
    ``person_reference`` they were given, goes to the same mailbox (so a
    referral finds the same pseudonymous client). The summary, protective
    actions and note are recorded through the same actions as for a mailbox
    conversation. A first contact counts in the statistics by channel.
    """
    with transaction.atomic():
        previous = None
        if person_reference:
            previous = (
                OfflineContact.objects.visible_to(user)
                .select_related("conversation__mailbox")
                .filter(person_reference=person_reference)
                .order_by("-happened_at")
                .first()
            )
            if previous is None:
                raise UnknownPersonReference
        if previous is not None:
            mailbox = previous.conversation.mailbox
            reference = previous.person_reference
            # A returning person keeps their (nameless) mailbox from the retention purge.
            Mailbox.objects.filter(pk=mailbox.pk).update(last_active_on=timezone.localdate())
        else:
            mailbox = Mailbox.objects.create(
                codename_hash=secrets.token_hex(32),
                language=language,
                pathway=_PATHWAY_FOR_WRITER.get(writer, "self"),
                last_active_on=timezone.localdate(),
            )
            reference = new_reference("P")
        now = timezone.now()
        conversation = Conversation.objects.create(
            mailbox=mailbox,
            centre=centre,
            language=language,
            status=ConversationStatus.ANSWERED,
            first_reply_at=now,
            last_message_at=happened_at,
        )
        contact = OfflineContact.objects.create(
            conversation=conversation,
            person_reference=reference,
            channel=channel,
            happened_at=happened_at,
            duration_minutes=duration_minutes,
            follow_up=follow_up,
            follow_up_on=follow_up_on,
            contact_details=contact_details,
            recorded_by=user,
        )
        record_event(user, "offline_contact.create", contact, centre=centre)
        save_contact_summary(
            user, conversation, writer=writer, concern=concern, risk_indicators=risk_indicators
        )
        for action in sorted(set(protective_actions)):
            record_protective_action(
                user, conversation, action=action, state=ProtectiveActionState.AGREED
            )
        if note.strip():
            add_note(user, conversation, note)
        if previous is None:
            stats.record(
                Event.CONTACT,
                centre=centre,
                channel=STATS_CHANNEL[channel],
                language=language,
                pathway=mailbox.pathway,
                day=timezone.localdate(happened_at),
            )
    return contact


# --- the help-seeker's side: the mailbox --------------------------------------
#
# Each action runs in one transaction and reports only de-identified counts to
# the statistics (never a mailbox id). Activity is kept to the day
# (``Mailbox.last_active_on``) because retention needs no finer time.


def start_mailbox(
    language: str, pathway: str, *, urgent: bool = False, through_reach: bool = False
) -> tuple[Mailbox, str]:
    """Create a mailbox under a fresh codename; return it and the codename.

    The codename is returned once, to be shown once; only its hash is stored.
    ``urgent`` comes from a self-check that recommended urgent help;
    ``through_reach`` from a browser that arrived through a reach warning
    (the start, the first message and a case opened are then counted with
    source "reach").
    """
    for _attempt in range(5):
        codename = generate_codename(language)
        try:
            with transaction.atomic():
                mailbox = Mailbox.objects.create(
                    codename_hash=codename_hash(codename),
                    language=language,
                    pathway=pathway,
                    urgent=urgent,
                    through_reach=through_reach,
                    last_active_on=timezone.localdate(),
                )
                stats.record(
                    Event.MAILBOX_STARTED,
                    language=language,
                    pathway=pathway,
                    source=_source(mailbox),
                )
            return mailbox, codename
        except IntegrityError:  # pragma: no cover - a 90-bit collision
            continue
    raise RuntimeError("could not find an unused codename")


def _source(mailbox: Mailbox) -> str:
    return Source.REACH if mailbox.through_reach else Source.LIVE


def mark_mailbox_urgent(mailbox: Mailbox) -> None:
    """An urgent self-check led back to an existing mailbox: put it and its open conversation first.

    New conversations of an urgent mailbox are urgent (``post_seeker_message``);
    an open one becomes urgent here. Only the flag travels, never the answers.
    """
    with transaction.atomic():
        Mailbox.objects.filter(pk=mailbox.pk).update(urgent=True)
        mailbox.urgent = True
        conversation = open_conversation(mailbox)
        if conversation is not None and not conversation.urgent:
            Conversation.objects.filter(pk=conversation.pk).update(urgent=True)


def find_mailbox(codename: str) -> Mailbox | None:
    """The mailbox for ``codename`` (any case or spacing), or None."""
    return Mailbox.objects.filter(codename_hash=codename_hash(codename)).first()


def touch_mailbox(mailbox: Mailbox) -> None:
    """Note today's activity (for retention), writing at most once a day."""
    today = timezone.localdate()
    if mailbox.last_active_on != today:
        Mailbox.objects.filter(pk=mailbox.pk).update(last_active_on=today)
        mailbox.last_active_on = today


def open_conversation(mailbox: Mailbox) -> Conversation | None:
    """The conversation new messages go to: the newest one not closed."""
    return (
        mailbox.conversations.exclude(status=ConversationStatus.CLOSED)
        .order_by("-created_at")
        .first()
    )


def post_seeker_message(mailbox: Mailbox, body: str, centre: Centre | None) -> Message:
    """Add the help-seeker's message, opening a conversation if none is open.

    ``centre`` (None: any centre / the network) only addresses a new
    conversation; an open one keeps its addressee. The conversation then waits
    for a reply (``waiting_since`` is kept while it already waits, so writing
    again does not push someone down the queue). The first message of a
    conversation is a contact in the statistics.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = lock_mailbox(mailbox.pk)
        conversation = open_conversation(locked)
        is_new = conversation is None
        if conversation is None:
            conversation = Conversation.objects.create(
                mailbox=locked,
                centre=centre,
                language=locked.language,
                urgent=locked.urgent,
            )
        message = Message(conversation=conversation, author_kind=MessageAuthor.SEEKER, body=body)
        message.save()
        if (
            conversation.status != ConversationStatus.AWAITING_REPLY
            or not conversation.waiting_since
        ):
            conversation.waiting_since = now
        conversation.status = ConversationStatus.AWAITING_REPLY
        conversation.last_message_at = now
        conversation.save(update_fields=["status", "waiting_since", "last_message_at"])
        touch_mailbox(locked)
        if is_new:
            stats.record(
                Event.CONTACT,
                centre=conversation.centre,
                channel="messaging",
                language=locked.language,
                pathway=locked.pathway,
                source=_source(locked),
            )
    return message


def mark_replies_read(mailbox: Mailbox) -> int:
    """Mark the counsellors' messages shown to the help-seeker as read."""
    return Message.objects.filter(
        conversation__mailbox=mailbox,
        author_kind=MessageAuthor.COUNSELLOR,
        read_at__isnull=True,
    ).update(read_at=timezone.now())


def delete_mailbox(mailbox: Mailbox) -> None:
    """Delete the mailbox with everything tied to its codename, at once.

    Conversations, messages, sessions and the questionnaires a centre sent to
    the mailbox (answered or not) go with it; afterwards the codename leads
    nowhere: its hash is gone with the row. A client record that a centre
    opened with the person's consent stays with that centre (without the link
    to the mailbox) under the case retention period, as the public delete and
    confidentiality pages say. Once committed, the deleted bytes are removed
    from the database files as well (``forestall.lib.erasure``).

    The mailbox and then its conversations are locked before anything is
    collected: a message or reply being written at that moment is either
    committed first (and deleted with the rest) or finds the mailbox gone
    (``MailboxDeleted``, ``ConversationDeleted``). Before, a message committed
    between collecting and deleting failed the deletion on its foreign key (a
    500, and nothing deleted). A mailbox already gone (a second tab) is left.
    """
    from forestall.instruments.models import Administration

    with transaction.atomic():
        if lock_row(Mailbox, mailbox.pk) is None:
            return
        lock_rows(Conversation.objects.filter(mailbox_id=mailbox.pk))
        language, pathway = mailbox.language, mailbox.pathway
        Administration.objects.filter(client__mailbox=mailbox, via_mailbox=True).delete()
        mailbox.delete()
        stats.record(Event.MAILBOX_DELETED, language=language, pathway=pathway)
        erasure.scrub_after_delete()
