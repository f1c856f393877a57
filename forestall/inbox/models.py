"""The confidential mailbox: a help-seeker's codename mailbox, its sign-in sessions,
its conversations with the counsellors, and their messages."""

from __future__ import annotations

import datetime
import secrets
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from forestall.accounts.models import Role
from forestall.lib.crypto import EncryptedJSONField, EncryptedTextField
from forestall.lib.stale_edits import NamesItsLastEditor
from forestall.public.models import Pathway

if TYPE_CHECKING:
    from forestall.accounts.models import User


# Letters and digits that cannot be misread for one another (no 0/O, 1/I/L).
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference(prefix: str) -> str:
    """A short random reference such as ``M-7KQ2-X9PA`` (about 40 bits).

    It names a conversation or a contact between colleagues, or is given to a
    caller so that a later contact can be linked; it says nothing about the
    person and is not a secret.
    """
    letters = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{prefix}-{letters[:4]}-{letters[4:]}"


def normalise_reference(text: str) -> str:
    """What a person typed, as a stored reference: upper case, dashes restored."""
    compact = "".join(char for char in text.upper() if char.isalnum())
    if len(compact) != 9:
        return text.strip().upper()
    return f"{compact[0]}-{compact[1:5]}-{compact[5:]}"


def language_label(code: str) -> str:
    """The translated name of a language code (the code itself if it is not offered)."""
    from forestall.directory.models import Language

    return str(dict(Language.choices).get(code, code))


class Mailbox(models.Model):
    """A help-seeker's confidential mailbox, known only by a codename.

    Only ``codename_hash`` (an HMAC of the normalised codename under a pepper
    kept outside the database) is stored; the codename itself never is.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    codename_hash = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=8, default="en")
    pathway = models.CharField(max_length=16, choices=Pathway.choices, default=Pathway.SELF)
    created_at = models.DateTimeField(auto_now_add=True)
    # Day-level activity is enough for retention; finer times would only
    # help someone correlate visits.
    last_active_on = models.DateField()
    # Carried over from a self-check that recommended urgent help (never the
    # answers): the conversations of this mailbox are put first in the queue.
    urgent = models.BooleanField(default=False)
    # Started after arriving through a reach warning (forestall.reach.arrival):
    # one bit, the same for everyone who came that way, so that a first
    # message and a case opened later are counted with source "reach".
    through_reach = models.BooleanField(default=False)

    class Meta:
        # Created by the public app before the mailbox moved here; the table
        # keeps its name so that no data had to move (migration 0005).
        db_table = "public_mailbox"
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return f"mailbox {self.pk}"


class MailboxSession(models.Model):
    """One signed-in browser of a mailbox, so that signing out ends it on the server.

    The browser's cookie holds only a random token (signed with a time); this
    row holds a keyed hash of that token, never the token itself, so a copy of
    the database cannot be replayed as a cookie. Signing out deletes the row,
    deleting the mailbox deletes every row of it (cascade), and rows older
    than ``MAX_AGE_HOURS`` are removed on the next sign-in.
    """

    MAX_AGE_HOURS = 12

    token_hash = models.CharField(max_length=64, unique=True)
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "public_mailboxsession"  # the public app's table, kept (see Mailbox)

    def __str__(self) -> str:
        return "mailbox session"


class MailboxStartSending(models.Model):
    """One sending of a form that starts a mailbox, so that it starts one mailbox only.

    A double click sends the same form twice at once; both requests used to
    start a mailbox (``forestall.inbox.start_once``). The row holds a hash
    of the form's one-time token, never the token (which opens the kept
    codename), and no link to the mailbox; its unique key makes the second
    sending wait for the first and then find it. Rows older than a
    codename's lifetime are removed on the next start.
    """

    key_hash = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return "mailbox start sending"


class ConversationStatus(models.TextChoices):
    AWAITING_REPLY = "awaiting_reply", _("Awaiting a reply")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


def conversation_gate_condition(centre_ids: Sequence[Any], network: bool) -> Q:
    """The one condition of the inbox's gate: conversations of these centres (and the network's).

    ``centre_ids`` are the centres where the reader is a counsellor;
    ``network`` whether they are one network-wide. ``visible_to`` and the
    queue's prepared pages (``forestall.inbox.queue``, which pass the
    centres as query parameters) both build it here.
    """
    condition = Q(centre_id__in=centre_ids)
    if network:
        condition |= Q(centre__isnull=True)
    return condition


class ConversationQuerySet(models.QuerySet["Conversation"]):
    def visible_to(self, user: User) -> ConversationQuerySet:
        """The access gate: the conversations ``user`` may see on the staff side.

        A conversation addressed to a centre is seen by that centre's
        counsellors; one addressed to the network (no centre) by counsellors
        who hold their role network-wide. Nobody else (clinicians, managers,
        safeguarding leads, analysts, admins) reads the inbox: what they need
        reaches them through a referral (a case) or a safeguarding concern.
        The filter needs no join, so claim queries can lock rows with it.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(
            conversation_gate_condition(
                user.centre_ids_with(Role.COUNSELLOR), user.has_network_role(Role.COUNSELLOR)
            )
        )

    def open(self) -> ConversationQuerySet:
        return self.exclude(status=ConversationStatus.CLOSED)

    def awaiting_reply(self) -> ConversationQuerySet:
        return self.filter(status=ConversationStatus.AWAITING_REPLY)

    def claimable_by(
        self, user: User, now: datetime.datetime | None = None
    ) -> ConversationQuerySet:
        """Unclaimed, claimed by ``user``, or with a claim that has lapsed."""
        now = now or timezone.now()
        return self.filter(
            Q(claimed_by__isnull=True) | Q(claimed_until__lte=now) | Q(claimed_by=user)
        )

    def in_queue_order(self) -> ConversationQuerySet:
        """Urgent first (urgent self-check or a counsellor's flag), then longest waiting."""
        return self.annotate(
            priority=Case(
                When(Q(urgent=True) | Q(flagged_urgent=True), then=Value(1)),
                default=Value(0),
                output_field=models.IntegerField(),
            )
        ).order_by("-priority", models.F("waiting_since").asc(nulls_last=True), "created_at")


# The name of the choice "no particular centre": the network's counsellors
# answer. One wording wherever the choice is named, public and staff side
# ("Jedes Zentrum (Netzwerk)" in German), so that the person and the staff
# recognise what was chosen.
ANY_CENTRE = _("Any centre / the network")


class Conversation(models.Model):
    """One thread between a help-seeker's mailbox and the service.

    ``centre`` empty is the choice ``ANY_CENTRE``: network counsellors
    answer it. Priority rises for an urgent self-check or a counsellor's flag.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # What colleagues call the conversation ("M-7KQ2-X9PA"); never shown to the person.
    reference = models.CharField(max_length=12, unique=True, editable=False)
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="conversations")
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
    # Set by the front door when a self-check recommended urgent help.
    urgent = models.BooleanField(default=False)
    # Set (and cleared) by a counsellor.
    flagged_urgent = models.BooleanField(default=False)
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
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["status", "urgent", "waiting_since"])]

    def __str__(self) -> str:
        return f"conversation {self.pk}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.reference:
            self.reference = new_reference("M")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def language_label(self) -> str:
        return language_label(self.language)

    @property
    def is_priority(self) -> bool:
        return self.urgent or self.flagged_urgent

    def live_claimant_id(self, now: datetime.datetime | None = None) -> object | None:
        """The id of the counsellor holding a live claim, or None."""
        now = now or timezone.now()
        if self.claimed_by_id and self.claimed_until and self.claimed_until > now:
            return self.claimed_by_id
        return None

    @property
    def last_message_key(self) -> str:
        """When the newest message came, as the page showed it ("" for none).

        The conversation page sends it with its forms, so that closing from a
        page opened before the person wrote again is refused, not done unseen.
        """
        return self.last_message_at.isoformat() if self.last_message_at else ""

    def is_claimed_by(self, user: User, now: datetime.datetime | None = None) -> bool:
        return self.live_claimant_id(now) == user.pk


class ReplyDraftQuerySet(models.QuerySet["ReplyDraft"]):
    def live(self, now: datetime.datetime | None = None) -> ReplyDraftQuerySet:
        return self.filter(expires_at__gt=now or timezone.now())


class ReplyDraft(models.Model):
    """A counsellor's unsent reply, kept for a short round trip.

    Saving the contact summary, a note or a protective action, inserting a
    template, or signing in again after the staff session expired are round
    trips through the server; the reply typed so far rides along and is kept
    here until it is sent or ``expires_at`` passes. The body is encrypted like
    every message (a draft becomes one) and never logged. A draft posted after
    the session expired has no owner yet: only the holder of its random token
    (carried in the sign-in's ``next`` address, stored here only as a SHA-256
    digest) can bind it to themselves, and only on a conversation they may see.

    ``entries`` keeps, the same way, what was chosen or typed in the page's
    other sections and not saved yet (the contact summary's choices, a
    protective action, a note): a button of one section posts the whole page,
    and the page it leads back to showed the others as saved, losing those
    choices. A draft may hold entries and no reply.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="reply_drafts"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    token_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    body = EncryptedTextField()
    # {"summary": {...}, "protective": {...}, "note": "..."}: see above.
    entries = EncryptedJSONField(null=True, blank=True)
    expires_at = models.DateTimeField()

    objects = ReplyDraftQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "owner"], name="reply_draft_one_per_counsellor"
            )
        ]

    def __str__(self) -> str:
        return f"reply draft {self.pk}"


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


class InternalNote(models.Model):
    """A counsellor's note on a conversation: encrypted, never shown to the help-seeker."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"note {self.pk}"


class ReplyTemplateQuerySet(models.QuerySet["ReplyTemplate"]):
    def visible_to(self, user: User) -> ReplyTemplateQuerySet:
        """Templates are shared text: every counsellor (and manager) can use them."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.memberships_with(Role.COUNSELLOR, Role.CENTRE_MANAGER).exists():
            return self.all()
        return self.none()

    def manageable_by(self, user: User) -> ReplyTemplateQuerySet:
        """Network counsellors and centre managers maintain the shared templates."""
        if can_manage_templates(user):
            return self.all()
        return self.none()


def can_manage_templates(user: User) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.has_network_role(Role.COUNSELLOR) or bool(user.centre_ids_with(Role.CENTRE_MANAGER))


class ReplyTemplate(NamesItsLastEditor, models.Model):
    """Reusable reply text in one language, inserted into a reply and then edited."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    language = models.CharField(_("language"), max_length=8)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), max_length=5000)
    is_active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ReplyTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["language", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["language", "title"], name="reply_template_unique_title"
            )
        ]

    def __str__(self) -> str:
        return f"{self.language}: {self.title}"

    @property
    def language_label(self) -> str:
        return language_label(self.language)


class Writer(models.TextChoices):
    SELF = "self", _("The person themselves")
    FAMILY_OR_FRIEND = "family_or_friend", _("Family member or friend")
    PROFESSIONAL = "professional", _("Professional")
    UNKNOWN = "unknown", _("Not yet known")


class PresentingConcern(models.TextChoices):
    """What the person writing is worried about (the contact summary's "concern").

    Not to be confused with a safeguarding concern (``safeguarding.models.Concern``).
    """

    THOUGHTS_ONLY = "thoughts_only", _("Sexual thoughts about children, no behaviour")
    VIEWING_IMAGES = "viewing_images", _("Viewing sexual images of children")
    ONLINE_CONTACT = "online_contact", _("Online sexual contact with children")
    CONTACT_AT_RISK = "contact_at_risk", _("Contact with children, at risk of offending")
    PAST_OFFENCE = "past_offence", _("Past offence, worried about reoffending")
    YOUNG_PERSON = "young_person", _("Worried about a young person's behaviour")
    SOMEONE_ELSE = "someone_else", _("Worried about an adult close to them")
    OTHER = "other", _("Other")


class RiskIndicator(models.TextChoices):
    ACCESS_TO_CHILDREN = "access_to_children", _("Regular access to children")
    ESCALATING_USE = "escalating_use", _("Escalating use of abuse images")
    CONTACT_WITH_CHILD_ONLINE = "contact_with_child_online", _("Contact with a child online")
    SPECIFIC_CHILD = "specific_child", _("Thoughts about a specific child")
    SUBSTANCE_USE = "substance_use", _("Alcohol or drug use")
    ISOLATION = "isolation", _("Social isolation")
    SUICIDAL_THOUGHTS = "suicidal_thoughts", _("Suicidal thoughts")
    PREVIOUS_CONVICTION = "previous_conviction", _("Previous conviction")


class ProtectiveActionKind(models.TextChoices):
    STOP_SITES = "stop_sites", _("Stop using certain sites or apps")
    BLOCKING_SOFTWARE = "blocking_software", _("Install blocking software")
    TELL_TRUSTED_PERSON = "tell_trusted_person", _("Tell a trusted person")
    CONTACT_CENTRE = "contact_centre", _("Contact a prevention centre")
    AVOID_ALONE_WITH_CHILDREN = (
        "avoid_alone_with_children",
        _("Avoid situations alone with children"),
    )
    SELF_HELP = "self_help", _("Use an online self-help programme")
    SEE_DOCTOR = "see_doctor", _("See a doctor or therapist")


class ProtectiveActionState(models.TextChoices):
    AGREED = "agreed", _("Agreed")
    TAKEN = "taken", _("Taken")
    NOT_TAKEN = "not_taken", _("Not taken")


class ContactSummary(NamesItsLastEditor, models.Model):
    """The structured record of who is writing, about what, and the risks seen.

    Only fixed vocabularies: no free text, so nothing here needs encrypting
    and everything can be counted.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="summary"
    )
    writer = models.CharField(
        _("who is writing"), max_length=20, choices=Writer.choices, default=Writer.UNKNOWN
    )
    concern = models.CharField(
        _("concern"), max_length=24, choices=PresentingConcern.choices, blank=True
    )
    risk_indicators = models.JSONField(_("risk indicators"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"summary {self.pk}"

    def risk_indicator_labels(self) -> list[str]:
        labels = dict(RiskIndicator.choices)
        return [str(labels.get(value, value)) for value in self.risk_indicators]


class ProtectiveAction(models.Model):
    """A protective step agreed with the person, and later whether it was taken."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="protective_actions"
    )
    action = models.CharField(
        pgettext_lazy("protective action", "action"),
        max_length=32,
        choices=ProtectiveActionKind.choices,
    )
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=ProtectiveActionState.choices,
        default=ProtectiveActionState.AGREED,
    )
    agreed_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agreed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "action"], name="protective_action_once_per_conversation"
            )
        ]

    def __str__(self) -> str:
        return f"protective action {self.pk}"


class ContactChannel(models.TextChoices):
    """How a contact that did not come through the mailbox happened."""

    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video call")
    IN_PERSON = "in_person", _("In person")
    OTHER_CHAT = "other_chat", _("Another chat service")


# The statistics vocabulary (stats.models.CountChannel) for each contact channel.
STATS_CHANNEL: dict[str, str] = {
    ContactChannel.PHONE.value: "phone",
    ContactChannel.VIDEO.value: "video",
    ContactChannel.IN_PERSON.value: "in_person",
    ContactChannel.OTHER_CHAT.value: "messaging",
}


class FollowUp(models.TextChoices):
    NONE = "none", _("No follow-up planned")
    PERSON_CALLS_AGAIN = "person_calls_again", _("The person will get in touch again")
    CALL_BACK = "call_back", _("We call back as agreed")
    MAILBOX = "mailbox", _("The person will write through the mailbox")
    CENTRE_APPOINTMENT = "centre_appointment", _("Appointment at a centre")
    OTHER = "other", _("Other")


class OfflineContactQuerySet(models.QuerySet["OfflineContact"]):
    def visible_to(self, user: User) -> OfflineContactQuerySet:
        """The access gate: a logged contact is seen by whoever sees its conversation."""
        return self.filter(conversation__in=Conversation.objects.visible_to(user))


class OfflineContact(models.Model):
    """A phone call, video call, visit or chat elsewhere, logged by a counsellor.

    It is recorded as a conversation of its own (without messages) on a
    mailbox nobody can sign in to, so that the contact summary, protective
    actions, notes, referral and safeguarding routes of the inbox all apply
    unchanged. Anonymous by default: the person is known only by
    ``person_reference``, which they are given so that a later contact can be
    linked to the same (nameless) mailbox. Free text is encrypted.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="offline_contact"
    )
    person_reference = models.CharField(_("the person's reference"), max_length=12, db_index=True)
    channel = models.CharField(_("channel"), max_length=16, choices=ContactChannel.choices)
    happened_at = models.DateTimeField(_("when"))
    duration_minutes = models.PositiveIntegerField(_("duration in minutes"))
    follow_up = models.CharField(
        _("follow-up planned"), max_length=24, choices=FollowUp.choices, default=FollowUp.NONE
    )
    follow_up_on = models.DateField(_("follow-up on"), null=True, blank=True)
    # Only if the person asked to be called back and gave a way to reach them.
    contact_details = EncryptedTextField(_("name or contact details"), blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OfflineContactQuerySet.as_manager()

    class Meta:
        ordering = ["-happened_at"]

    def __str__(self) -> str:
        return f"offline contact {self.pk}"
