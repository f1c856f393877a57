"""Clients and their cases across the centre network."""

from __future__ import annotations

import datetime
import secrets
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from forestall.accounts.models import Role
from forestall.cases.pathway import OPEN_STAGES, Stage
from forestall.lib.crypto import EncryptedJSONField, EncryptedTextField
from forestall.lib.prepared import PreparedLookup
from forestall.lib.requestmemo import remember
from forestall.lib.stale_edits import NamesItsLastEditor

if TYPE_CHECKING:
    from forestall.accounts.models import User

# Roles that do the case work of their centre and see everything in its cases.
CASE_WORK_ROLES = (Role.CLINICIAN, Role.CENTRE_MANAGER)

# Unambiguous characters for client references (no 0/O, 1/I/L).
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_client_reference() -> str:
    """A pseudonymous reference like ``K-7F3Q-92``: short to say on the phone, not guessable."""
    first = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(4))
    second = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(2))
    return f"K-{first}-{second}"


def _signed_in(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


class ClientQuerySet(models.QuerySet["Client"]):
    def visible_to(self, user: User) -> ClientQuerySet:
        """The access gate for clients: those with at least one case ``user`` may work on.

        Contact details are part of the case work, so the summary-level
        access of counsellors and safeguarding leads does not reach clients.
        """
        if not _signed_in(user):
            return self.none()
        return self.filter(
            client_work_condition(
                user.centre_ids_with(*CASE_WORK_ROLES), glass_broken_case_ids(user)
            )
        )


class Client(NamesItsLastEditor, models.Model):
    """A pseudonymous person in the case work of the network.

    Never a name, unless the person chooses to give contact details, which are
    then encrypted (``contact_details``). ``mailbox`` links the person's
    anonymous mailbox when they came through the front door.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(
        _("reference"), max_length=12, unique=True, default=new_client_reference
    )
    mailbox = models.ForeignKey(
        "inbox.Mailbox",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clients",
    )
    contact_details = EncryptedJSONField(null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, default="de")
    created_at = models.DateTimeField(auto_now_add=True)
    # Who changed the contact details last and when: an edit page opened
    # before that is refused (``lib.stale_edits``).
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return self.reference


class Programme(models.TextChoices):
    INDIVIDUAL = "individual_therapy", _("Individual therapy")
    GROUP = "group_therapy", _("Group therapy")
    YOUNG_PEOPLE = "young_people", _("Young people's programme")
    FAMILY_SUPPORT = "family_support", _("Support for family, friends and professionals")


class CaseSource(models.TextChoices):
    DIRECT = "direct", _("Direct contact with the centre")
    INBOX = "inbox", _("Referred from the confidential inbox")
    NETWORK = "network", _("Referred from another centre")


def glass_broken_case_ids(user: User) -> list[uuid.UUID]:
    """Cases opened to ``user`` by a live "break the glass" grant (network admins only)."""
    return remember(
        ("glass_broken_case_ids", user.pk),
        lambda: [row[0] for row in _LIVE_GLASS_BREAKS.rows(user.pk, timezone.now())],
    )


# Asked by every case-work gate: compiled once (forestall.lib.prepared).
_LIVE_GLASS_BREAKS: PreparedLookup[GlassBreak] = PreparedLookup(
    "cases.GlassBreak", where=["user", "expires_at__gt"], fields=["case_id"]
)


def is_workable_by(user: User, case: Case) -> bool:
    """Whether ``case`` (already fetched) is in ``Case.objects.workable_by(user)``.

    The same two sources as the gate's condition (the centres where ``user``
    does case work, their live glass-break grants), both remembered for the
    request, so asking costs no query.
    """
    if not _signed_in(user):
        return False
    return case.centre_id in user.centre_ids_with(*CASE_WORK_ROLES) or (
        case.pk in glass_broken_case_ids(user)
    )


def case_work_condition(
    centre_ids: Sequence[Any],
    granted: Sequence[Any],
    *,
    centre: str = "centre_id",
    case: str = "pk",
) -> Q:
    """The one condition of case work, on whichever rows carry the case's centre and id.

    Rows of the centres where the reader does case work (``centre_ids``),
    or of a case opened to them by a live glass-break grant (``granted``).
    ``centre`` and ``case`` name the columns seen from the rows filtered (the
    case itself, or a note through ``case__centre_id`` and ``case_id``). The
    gates below and the case page's prepared sections
    (``forestall.cases.case_page``, which pass query parameters for the
    values) all build it here.
    """
    condition = Q(**{f"{centre}__in": centre_ids})
    if granted:
        condition |= Q(**{f"{case}__in": granted})
    return condition


# ``case_work_condition``'s values as parameters of a prepared query
# (``forestall.lib.prepared``): declare them with ``**CASE_WORK_PARAMETERS``,
# build with ``case_work_condition(p.centres, p.granted, …)`` and run with
# ``**case_work_values(user)``.
CASE_WORK_PARAMETERS: dict[str, list[models.Field]] = {
    "centres": [models.UUIDField()],
    "granted": [models.UUIDField()],
}


def case_work_values(user: User) -> dict[str, Any]:
    """The reader's values for ``CASE_WORK_PARAMETERS`` (both remembered for the request).

    Nothing for someone not signed in: a condition on no centres and no
    grants matches no row.
    """
    if not _signed_in(user):
        return {"centres": [], "granted": []}
    return {
        "centres": user.centre_ids_with(*CASE_WORK_ROLES),
        "granted": glass_broken_case_ids(user),
    }


def client_work_condition(
    centre_ids: Sequence[Any], granted: Sequence[Any], *, client: str = "pk"
) -> Exists:
    """The clients' gate: the client (``client`` names its id) has a case worked on.

    ``case_work_condition`` on the client's cases: the gate of clients and of
    everything of theirs (questionnaires), here and with query parameters in
    the case page's prepared sections.
    """
    worked = Case.objects.filter(
        case_work_condition(centre_ids, granted), client_id=OuterRef(client)
    )
    return Exists(worked)


class CaseQuerySet(models.QuerySet["Case"]):
    def _workable_condition(self, user: User) -> Q:
        return case_work_condition(
            user.centre_ids_with(*CASE_WORK_ROLES), glass_broken_case_ids(user)
        )

    def workable_condition_through(self, user: User, relation: str) -> Q:
        """``workable_by``'s condition seen from a model related to the case by ``relation``.

        The same two sources (centres where ``user`` does case work, live
        glass-break grants) on the related rows' join, instead of a subquery
        over every workable case: notes, tasks and waiting-list entries.
        """
        return case_work_condition(
            user.centre_ids_with(*CASE_WORK_ROLES),
            glass_broken_case_ids(user),
            centre=f"{relation}__centre_id",
            case=f"{relation}_id",
        )

    def workable_by(self, user: User) -> CaseQuerySet:
        """The full-access gate: cases whose notes, tasks, appointments and pathway ``user`` sees.

        Clinicians and managers see every case of their centres. A network
        admin has no standing access: only a recorded "break the glass"
        grant (with a reason, for a limited time) opens one case.
        """
        if not _signed_in(user):
            return self.none()
        return self.filter(self._workable_condition(user))

    def visible_to(self, user: User) -> CaseQuerySet:
        """The access gate: every case ``user`` may see at all (at least its summary).

        On top of ``workable_by``: safeguarding leads see the summary of cases
        with a concern they may review; counsellors see the summary of cases
        opened from a conversation they may see (what their referral gave
        them). Analysts see no case at all.
        """
        if not _signed_in(user):
            return self.none()
        from forestall.inbox.models import Conversation
        from forestall.safeguarding.models import Concern

        condition = self._workable_condition(user)
        roles = {role for role, _centre in user.role_holdings()}
        if Role.SAFEGUARDING_LEAD in roles:
            concerns = Concern.objects.visible_to(user).filter(case_id=OuterRef("pk"))
            condition |= Q(Exists(concerns))
        if Role.COUNSELLOR in roles:
            condition |= Q(conversation__in=Conversation.objects.visible_to(user))
        return self.filter(condition)

    def open(self) -> CaseQuerySet:
        return self.filter(stage__in=OPEN_STAGES)


class Case(models.Model):
    """A client's course of help at one centre, moving along the pathway.

    ``stage`` changes only through ``cases.actions.transition_case`` (which
    checks ``cases.pathway.TRANSITIONS``); the timestamps below are kept by
    it so that waits and losses can be measured without reading history.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="cases")
    centre = models.ForeignKey("directory.Centre", on_delete=models.PROTECT, related_name="cases")
    programme = models.CharField(
        _("programme"), max_length=32, choices=Programme.choices, default=Programme.INDIVIDUAL
    )
    stage = models.CharField(
        _("stage"), max_length=32, choices=Stage.choices, default=Stage.ENQUIRY
    )
    source = models.CharField(
        _("source"), max_length=16, choices=CaseSource.choices, default=CaseSource.DIRECT
    )
    conversation = models.ForeignKey(
        "inbox.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
    )
    lead_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_cases",
        verbose_name=_("lead clinician"),
    )
    # The person's consent to be referred here (from the inbox), in their words.
    consent_note = EncryptedTextField(blank=True, default="")
    # The inbox's contact summary, shared with the person's consent when referred
    # from a conversation: {"writer": ..., "concern": ..., "risk_indicators": [...]}.
    contact_summary = EncryptedJSONField(null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    stage_changed_at = models.DateTimeField(default=timezone.now)
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    treatment_started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    attended_sessions = models.PositiveIntegerField(default=0)
    missed_sessions = models.PositiveIntegerField(default=0)
    first_attended_at = models.DateTimeField(null=True, blank=True)
    last_attended_at = models.DateTimeField(null=True, blank=True)
    # Set when the retention period ended and the content was erased.
    erased_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["centre", "stage", "-opened_at"]),
            models.Index(fields=["centre", "-opened_at"]),
            models.Index(fields=["stage", "closed_at"]),
        ]
        constraints = [
            # One open case per person and centre: a returning person gets a
            # new case only once the last one has ended. Checked in the
            # views too, but two "Reopen" pages sent at the same moment
            # both passed that check; the second insert now fails here.
            models.UniqueConstraint(
                fields=["client", "centre"],
                condition=Q(stage__in=OPEN_STAGES),
                name="cases_case_one_open_per_client_and_centre",
            ),
        ]

    def __str__(self) -> str:
        return f"case {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    def waiting_time(self, now: datetime.datetime | None = None) -> datetime.timedelta | None:
        if self.waitlisted_at is None:
            return None
        end = self.treatment_started_at or now or timezone.now()
        return end - self.waitlisted_at


class GlassBreak(models.Model):
    """A network admin's recorded emergency access to one case ("break the glass")."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="glass_breaks"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="glass_breaks")
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"glass break {self.pk}"


class CaseTransition(models.Model):
    """One move along the pathway: who, when, from, to and why (the why is encrypted)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transitions")
    # The centre the case was at when it moved: after a referral, each centre
    # keeps its own part of the history.
    centre = models.ForeignKey("directory.Centre", on_delete=models.PROTECT, related_name="+")
    from_stage = models.CharField(max_length=32, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=32, choices=Stage.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    reason = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"transition {self.pk}"


class NoteQuerySet(models.QuerySet["Note"]):
    def visible_to(self, user: User) -> NoteQuerySet:
        """Notes are case work: only for those who may work on the case."""
        if not _signed_in(user):
            return self.none()
        return self.filter(Case.objects.workable_condition_through(user, "case"))


class Note(models.Model):
    """A clinical or administrative note on a case; the text is encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = NoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"note {self.pk}"


class TaskQuerySet(models.QuerySet["Task"]):
    def visible_to(self, user: User) -> TaskQuerySet:
        """Tasks are case work: only for those who may work on the case."""
        if not _signed_in(user):
            return self.none()
        return self.filter(Case.objects.workable_condition_through(user, "case"))

    def pending(self) -> TaskQuerySet:
        return self.filter(done_at__isnull=True)

    def open_risk_assessments_of(self, client: Client) -> TaskQuerySet:
        """The risk assessments still to do on ``client``'s cases (what a PHQ-9 item 9 asks)."""
        return self.pending().filter(case__client=client, kind=TaskKind.RISK_ASSESSMENT)


class TaskKind(models.TextChoices):
    """What a task is for: written by someone (free), or made by forestall for a reason.

    The kind, never the (translated, encrypted) title, is how forestall
    finds its own tasks again.
    """

    FREE = "free", _("Task or reminder")
    RISK_ASSESSMENT = "risk_assessment", _("Risk assessment")


# A risk-assessment task's title around the instrument's name (``Task.display_title``).
RISK_ASSESSMENT_TITLE = gettext_noop(
    "Risk assessment today: %(instrument)s self-harm item answered positively; "
    "raise a safeguarding concern if someone is at risk."
)


class Task(models.Model):
    """A to-do or reminder on a case: due date, assignee, done (the title is encrypted).

    A case has at most one open risk-assessment task: a later positive answer
    asks for the same one again (``times_raised``, ``last_raised_at``) instead
    of adding an identical task (``cases.actions.ask_for_risk_assessment``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(
        _("kind"), max_length=20, choices=TaskKind.choices, default=TaskKind.FREE
    )
    title = EncryptedTextField()
    due_on = models.DateField(_("due on"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="case_tasks",
        verbose_name=_("assignee"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # How often the reason for this task arose while it was open (1: once),
    # and when it last did (None: only when the task was created).
    times_raised = models.PositiveIntegerField(default=1)
    last_raised_at = models.DateTimeField(null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = [models.F("due_on").asc(nulls_last=True), "created_at"]
        constraints = [
            # Two answers recorded at the same moment still give one task: the
            # second insert fails here and asks for the first one again.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(kind="risk_assessment", done_at__isnull=True),
                name="cases_task_one_open_risk_assessment_per_case",
            ),
        ]
        indexes = [
            # "My tasks" finds the open risk assessments nobody is assigned to
            # here, among few rows, not among every task without an assignee.
            models.Index(
                fields=["assignee", "case"],
                condition=Q(kind="risk_assessment", done_at__isnull=True),
                name="cases_task_open_risk_assignee",
            ),
        ]

    def __str__(self) -> str:
        return f"task {self.pk}"

    @property
    def display_title(self) -> str:
        """The title in the reader's language.

        A risk-assessment task is written by forestall when a questionnaire
        is answered, in whatever language the person answering used (often a
        help-seeker in their mailbox); its ``title`` holds only the
        instrument's name, and the sentence around it is translated for
        whoever reads it. Every other task shows its title as written.
        """
        if self.kind == TaskKind.RISK_ASSESSMENT:
            return gettext(RISK_ASSESSMENT_TITLE) % {"instrument": self.title}
        return self.title

    @property
    def was_raised_again(self) -> bool:
        """Whether the reason for this task arose again after it was made."""
        return self.times_raised > 1 and self.last_raised_at is not None


class Priority(models.IntegerChoices):
    URGENT = 1, _("Urgent (risk)")
    HIGH = 2, _("High")
    ROUTINE = 3, _("Routine")


class WaitingListEntryQuerySet(models.QuerySet["WaitingListEntry"]):
    def visible_to(self, user: User) -> WaitingListEntryQuerySet:
        """Waiting lists belong to the case work of the centre."""
        if not _signed_in(user):
            return self.none()
        return self.filter(Case.objects.workable_condition_through(user, "case"))

    def waiting(self) -> WaitingListEntryQuerySet:
        return self.filter(left_at__isnull=True)

    def in_order(self) -> WaitingListEntryQuerySet:
        """THE waiting list order: priority first, then who was added first."""
        return self.order_by("priority", "added_at", "id")


class WaitingListEntry(models.Model):
    """A case's place on its centre's waiting list for a programme.

    Kept after the person leaves the list (``left_at``, ``outcome``), so the
    centre's typical wait can be computed from recent starts.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="waiting_entries")
    centre = models.ForeignKey(
        "directory.Centre", on_delete=models.PROTECT, related_name="waiting_entries"
    )
    programme = models.CharField(max_length=32, choices=Programme.choices)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.ROUTINE
    )
    added_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    # The stage the case moved to when it left (in treatment = a start).
    outcome = models.CharField(max_length=32, choices=Stage.choices, blank=True)

    objects = WaitingListEntryQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["centre", "programme", "left_at", "priority", "added_at"]),
            models.Index(fields=["centre", "outcome", "left_at"]),
        ]
        verbose_name_plural = "waiting list entries"

    def __str__(self) -> str:
        return f"waiting list entry {self.pk}"

    def waiting_time(self, now: datetime.datetime | None = None) -> datetime.timedelta:
        return (self.left_at or now or timezone.now()) - self.added_at


class TherapyGroupQuerySet(models.QuerySet["TherapyGroup"]):
    def visible_to(self, user: User) -> TherapyGroupQuerySet:
        """Groups are seen by the clinicians and managers of their centre."""
        if not _signed_in(user):
            return self.none()
        return self.filter(centre_id__in=user.centre_ids_with(*CASE_WORK_ROLES))


class TherapyGroup(models.Model):
    """A therapy group at a centre: its roster is the cases that are members."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    centre = models.ForeignKey(
        "directory.Centre", on_delete=models.PROTECT, related_name="therapy_groups"
    )
    programme = models.CharField(
        _("programme"), max_length=32, choices=Programme.choices, default=Programme.GROUP
    )
    name = models.CharField(_("name"), max_length=120)
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("clinician"),
    )
    members = models.ManyToManyField(Case, blank=True, related_name="therapy_groups")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TherapyGroupQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AppointmentMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video")


class AppointmentPurpose(models.TextChoices):
    SCREENING = "screening", _("Screening")
    ASSESSMENT = "assessment", _("Assessment")
    TREATMENT = "treatment", _("Treatment session")
    AFTERCARE = "aftercare", _("Aftercare")


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    def visible_to(self, user: User) -> AppointmentQuerySet:
        """Appointments of the centres where ``user`` does case work (or of a glass-broken case)."""
        if not _signed_in(user):
            return self.none()
        return self.filter(
            case_work_condition(
                user.centre_ids_with(*CASE_WORK_ROLES),
                glass_broken_case_ids(user),
                case="case_id",
            )
        )


class Appointment(models.Model):
    """An individual appointment (``case``) or a group session (``group``).

    Who came is recorded per person in ``Attendance`` (one row for an
    individual appointment, one per roster member for a group session).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    centre = models.ForeignKey(
        "directory.Centre", on_delete=models.PROTECT, related_name="appointments"
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="appointments"
    )
    group = models.ForeignKey(
        TherapyGroup,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sessions",
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("clinician"),
    )
    purpose = models.CharField(
        _("purpose"),
        max_length=16,
        choices=AppointmentPurpose.choices,
        default=AppointmentPurpose.TREATMENT,
    )
    mode = models.CharField(
        _("mode"), max_length=16, choices=AppointmentMode.choices, default=AppointmentMode.IN_PERSON
    )
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=50)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["centre", "starts_at"]),
            models.Index(fields=["clinician", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False, group__isnull=True)
                | Q(case__isnull=True, group__isnull=False),
                name="appointment_for_a_case_or_a_group",
            )
        ]

    def __str__(self) -> str:
        return f"appointment {self.pk}"

    @property
    def ends_at(self) -> datetime.datetime:
        return self.starts_at + datetime.timedelta(minutes=self.duration_minutes)

    def too_early_to_record(self, status: str, now: datetime.datetime | None = None) -> str:
        """Why ``status`` cannot be recorded yet ("" if it can).

        Whether someone came or stayed away is known once the appointment has
        begun; counted before, it would start a treatment on the pathway (and
        date the first attended session) ahead of the session. Cancelling can
        come first.
        """
        if status not in (AttendanceStatus.ATTENDED, AttendanceStatus.DID_NOT_ATTEND):
            return ""
        if self.starts_at <= (now or timezone.now()):
            return ""
        return gettext(
            "Whether the person came can be recorded once the appointment has begun; "
            "before then it can only be cancelled."
        )


class AttendanceStatus(models.TextChoices):
    EXPECTED = "expected", _("Expected")
    ATTENDED = "attended", _("Attended")
    DID_NOT_ATTEND = "did_not_attend", _("Did not attend")
    CANCELLED = "cancelled", _("Cancelled")


class Attendance(models.Model):
    """Whether one person came to one appointment or group session."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="attendances"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attendances")
    status = models.CharField(
        max_length=16, choices=AttendanceStatus.choices, default=AttendanceStatus.EXPECTED
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appointment", "case"], name="attendance_once_per_case")
        ]

    def __str__(self) -> str:
        return f"attendance {self.pk}"


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the receiving centre")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn by the sending centre")


# The directory's services (``directory.Service``) under which a centre offers each programme.
PROGRAMME_SERVICES: dict[str, tuple[str, ...]] = {
    Programme.INDIVIDUAL: ("own_thoughts", "images"),
    Programme.GROUP: ("own_thoughts", "images"),
    Programme.YOUNG_PEOPLE: ("young_people",),
    Programme.FAMILY_SUPPORT: ("family_friends", "professionals"),
}


class ReferralReason(models.TextChoices):
    NEARER = "nearer", _("A centre nearer the person")
    FREE_PLACE = "free_place", _("A free place sooner")
    PROGRAMME = "programme", _("A programme this centre does not offer")
    LANGUAGE = "language", _("The person's language")
    PERSON_ASKED = "person_asked", _("The person asked for it")


class ReferralQuerySet(models.QuerySet["Referral"]):
    def visible_to(self, user: User) -> ReferralQuerySet:
        """Referrals are seen by the case workers of the sending and of the receiving centre."""
        if not _signed_in(user):
            return self.none()
        centre_ids = user.centre_ids_with(*CASE_WORK_ROLES)
        return self.filter(Q(from_centre_id__in=centre_ids) | Q(to_centre_id__in=centre_ids))


class Referral(models.Model):
    """A case referred from one centre to another, with the person's consent.

    The receiving centre sees this record (the summary the sending centre
    chose to share), never the sending centre's notes. On acceptance a new
    case opens there (``new_case``) and the sending case ends as "referred
    elsewhere"; each centre keeps only its own part.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals_out")
    from_centre = models.ForeignKey(
        "directory.Centre", on_delete=models.PROTECT, related_name="referrals_sent"
    )
    to_centre = models.ForeignKey(
        "directory.Centre", on_delete=models.PROTECT, related_name="referrals_received"
    )
    programme = models.CharField(_("programme"), max_length=32, choices=Programme.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=ReferralReason.choices)
    summary = EncryptedTextField(blank=True, default="")
    consent_given = models.BooleanField(default=False)
    consent_note = EncryptedTextField(blank=True, default="")
    status = models.CharField(
        max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    decision_reason = EncryptedTextField(blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    new_case = models.OneToOneField(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="referral_in"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(consent_given=True), name="referral_needs_consent"),
            models.CheckConstraint(
                condition=~Q(from_centre=models.F("to_centre")), name="referral_to_another_centre"
            ),
            # One referral awaiting an answer per case, also when two people
            # refer it at the same moment (``actions.refer_case`` says so).
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status="pending"),
                name="cases_referral_one_pending_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"referral {self.pk}"
