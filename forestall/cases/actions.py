"""Changes to cases: opening, the pathway, notes, tasks, the waiting list,
appointments and referrals. Each runs in one transaction, is audited, and
reports what the funnel needs as de-identified counts.
"""

from __future__ import annotations

import datetime
import math
import statistics
import uuid
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from forestall.audit.actions import record_event
from forestall.cases.access import case_workers_at
from forestall.cases.models import (
    CASE_WORK_ROLES,
    PROGRAMME_SERVICES,
    Appointment,
    AppointmentMode,
    AppointmentPurpose,
    Attendance,
    AttendanceStatus,
    Case,
    CaseSource,
    CaseTransition,
    Client,
    GlassBreak,
    Note,
    Priority,
    Programme,
    Referral,
    ReferralStatus,
    Task,
    TaskKind,
    TherapyGroup,
    WaitingListEntry,
)
from forestall.cases.pathway import OPEN_STAGES, TERMINAL, Stage, find_transition
from forestall.directory.models import Centre
from forestall.lib.locking import lock_row, lock_rows
from forestall.lib.recorded_texts import recorded_text
from forestall.lib.stale_edits import check_locked, check_unchanged, version_of
from forestall.stats.actions import record as record_stat
from forestall.stats.events import EXIT_EVENTS, Detail, Event
from forestall.stats.models import Source as StatsSource

if TYPE_CHECKING:
    from forestall.accounts.models import User
    from forestall.inbox.models import Conversation

# How long a "break the glass" grant lasts.
GLASS_BREAK_DURATION = datetime.timedelta(hours=1)
# The typical wait is the median of the starts in this window (at most this many).
TYPICAL_WAIT_WINDOW = datetime.timedelta(days=365)
TYPICAL_WAIT_SAMPLE = 50
# The reasons of the steps a case takes by itself (stored so, shown translated).
FIRST_SESSION_ATTENDED = recorded_text(gettext_noop("first treatment session attended"))
REFERRAL_ACCEPTED = recorded_text(gettext_noop("referral accepted"))


_STAGE_LABELS = dict(Stage.choices)


class CaseError(Exception):
    """A change that the rules of case work do not allow (the message is safe to show)."""


class PathwayError(CaseError):
    """A move the pathway table does not allow."""


class ReferralError(CaseError):
    """A referral that cannot be made or decided as asked."""


class StageChanged(PathwayError):
    """The case moved on after the page that asked for this move was opened.

    Like every stale-tab refusal (``lib.stale_edits.ChangedMeanwhile``) it
    names who made the newer move and when: ``moved_by`` is their username
    ("" if unknown: an automatic move, a former staff member), ``moved_at``
    the time of the move. ``message(viewer)`` is what the 409 page says,
    in the active language; it says "you" when the refused person made the
    move themselves (another tab, or the button pressed twice).
    """

    def __init__(
        self, stage: str, *, moved_by: str = "", moved_at: datetime.datetime | None = None
    ) -> None:
        self.stage = stage
        self.moved_by = moved_by
        self.moved_at = moved_at
        super().__init__(self.message())

    def message(self, viewer: str = "") -> str:
        stage = _STAGE_LABELS.get(self.stage, self.stage)
        when = (
            date_format(timezone.localtime(self.moved_at), "SHORT_DATETIME_FORMAT")
            if self.moved_at is not None
            else "—"
        )
        if viewer and self.moved_by == viewer:
            return _(
                "Nothing more was moved: you moved this case to “%(stage)s” yourself on "
                "%(when)s, after this page was opened (in another tab, or by pressing the "
                "button twice). What you wrote as the reason is still here."
            ) % {"stage": stage, "when": when}
        if not self.moved_by:
            # "— moved this case" read as a broken page (lib.stale_edits says the same).
            return _(
                "Nothing was moved: this case was moved to “%(stage)s” on %(when)s, after "
                "you opened this page, without a staff member named (an automatic move, or "
                "an account since removed). What you wrote as the reason is still here. "
                "Look at the case again before you move it on."
            ) % {"stage": stage, "when": when}
        return _(
            "Nothing was moved: %(who)s moved this case to “%(stage)s” on %(when)s, after "
            "you opened this page. What you wrote as the reason is still here. Look at the "
            "case again before you move it on."
        ) % {"who": self.moved_by or "—", "stage": stage, "when": when}


def stage_changed(case: Case) -> StageChanged:
    """The refusal of a move asked for from a page that showed another stage than the case's.

    Names the move that took the case to its stage now (its newest
    transition; a case created at its stage has none: nobody, at the time
    the stage was set).
    """
    last = (
        CaseTransition.objects.filter(case=case, to_stage=case.stage)
        .select_related("by")
        .order_by("-at")
        .first()
    )
    if last is None:
        return StageChanged(case.stage, moved_at=case.stage_changed_at)
    return StageChanged(
        case.stage,
        moved_by=last.by.get_username() if last.by is not None else "",
        moved_at=last.at,
    )


class DoubleBookingError(CaseError):
    """An appointment that overlaps another of the same clinician or client (confirmable)."""


class TaskAskedForAgain(CaseError):
    """A task asked for again after the person saw it: not ticked off unseen."""


class NeedsConfirmation(CaseError):
    """A change that is allowed only when the person confirms it explicitly."""


def _lock_open_case(case: Case, refusal: str) -> Case:
    """The case's row, locked for this transaction, while it is open; else ``CaseError``.

    What is booked on, added to or sent from a case decides on the case's
    stage: the lock makes an ending of the case at the same moment (which
    takes the same lock, ``transition_case``) either come first and be seen
    here, or wait until this is done and then cancel or withdraw it with the
    rest.
    """
    locked = lock_row(Case, case.pk)
    if locked is None or locked.stage not in OPEN_STAGES:
        raise CaseError(refusal)
    return locked


def _lock_diaries(clinician_id: uuid.UUID | None, client_ids: list[uuid.UUID]) -> None:
    """Lock the diaries an appointment is checked against: its clinician's, then its clients'.

    Two bookings at the same moment both found the time free and both
    booked it. Now the second waits for the first and then sees its
    appointment among the overlaps. The clinician's account row and the
    clients' rows stand for their diaries (clients in key order).
    """
    from forestall.accounts.models import User

    if clinician_id is not None:
        lock_rows(User.objects.filter(pk=clinician_id))
    if client_ids:
        lock_rows(Client.objects.filter(pk__in=client_ids))


def _pending_disclosure(case: Case) -> bool:
    """Whether a disclosure about ``case`` is proposed, or approved but not yet made."""
    from forestall.safeguarding.models import ConcernStatus, Decision

    return (
        case.concerns.filter(decision=Decision.DISCLOSURE, disclosed_at__isnull=True)
        .exclude(status=ConcernStatus.IN_REVIEW)
        .exists()
    )


def _end_of_case(case: Case, *, by: User | None, stage: str, now: datetime.datetime) -> None:
    """What ending ``case`` does besides the move: future appointments and group places.

    Future individual appointments are cancelled, the person is no longer
    expected at future group sessions and leaves the rosters, pending
    referrals are withdrawn; a note on the case says what was done.
    """
    future = list(
        Appointment.objects.filter(
            case=case, cancelled_at__isnull=True, starts_at__gte=now
        ).order_by("starts_at")
    )
    for appointment in future:
        appointment.cancelled_at = now
        appointment.save(update_fields=["cancelled_at"])
        appointment.attendances.filter(status=AttendanceStatus.EXPECTED).update(
            status=AttendanceStatus.CANCELLED, recorded_at=now, recorded_by=by
        )
        record_event(by, "appointment.cancel", appointment, centre=case.centre)
    group_places = Attendance.objects.filter(
        case=case,
        status=AttendanceStatus.EXPECTED,
        appointment__group__isnull=False,
        appointment__starts_at__gte=now,
    ).update(status=AttendanceStatus.CANCELLED, recorded_at=now, recorded_by=by)
    for group in case.therapy_groups.all():
        group.members.remove(case)
    withdrawn = case.referrals_out.filter(status=ReferralStatus.PENDING).update(
        status=ReferralStatus.WITHDRAWN, decided_at=now, decided_by=by
    )
    if future or group_places or withdrawn:
        lines = []
        if future:
            lines.append(
                _("%(count)s future appointment(s) cancelled: %(when)s.")
                % {
                    "count": len(future),
                    "when": ", ".join(
                        timezone.localtime(a.starts_at).strftime("%Y-%m-%d %H:%M") for a in future
                    ),
                }
            )
        if group_places:
            lines.append(
                _("No longer expected at %(count)s future group session(s).")
                % {"count": group_places}
            )
        if withdrawn:
            lines.append(_("A referral awaiting an answer was withdrawn."))
        Note.objects.create(
            case=case,
            author=by,
            body=_("The case ended (%(stage)s).") % {"stage": _STAGE_LABELS.get(stage, stage)}
            + " "
            + " ".join(lines),
            created_at=now,
        )


def _stat_detail(event: str, case: Case, source: str) -> str:
    """The statistics' ``detail`` for a pathway event (see ``stats.events``)."""
    if event in (Event.WAITLISTED, Event.THERAPY_STARTED):
        return case.programme if case.programme in Detail.values else ""
    if event in EXIT_EVENTS or event == Event.CASE_CLOSED:
        return source
    return ""


def _through_reach(case: Case) -> bool:
    """Whether the case came from a mailbox started after a reach warning (while it exists)."""
    conversation = case.conversation
    return conversation is not None and bool(conversation.mailbox.through_reach)


def _record_stage_event(
    event: str, case: Case, *, duration: datetime.timedelta | None = None, detail: str = ""
) -> None:
    # Therapy started is the last link of the reach chain (warning → … → therapy):
    # counted with source "reach" like the case opened before it.
    reach = event == Event.THERAPY_STARTED and _through_reach(case)
    record_stat(
        event,
        centre=case.centre,
        language=case.client.language,
        detail=detail,
        duration=duration,
        source=StatsSource.REACH if reach else StatsSource.LIVE,
    )


def _open_case(
    client: Client,
    centre: Centre,
    *,
    by: User | None,
    programme: str = Programme.INDIVIDUAL,
    source: str = CaseSource.DIRECT,
    stage: str = Stage.ENQUIRY,
    conversation: Conversation | None = None,
    consent_note: str = "",
    reason: str = "",
) -> Case:
    now = timezone.now()
    try:
        # In a savepoint: the one-open-case constraint may refuse the insert
        # (a second "Reopen" sent at the same moment), and the caller's
        # transaction must be able to report that.
        with transaction.atomic():
            case = Case.objects.create(
                client=client,
                centre=centre,
                programme=programme,
                source=source,
                stage=stage,
                conversation=conversation,
                consent_note=consent_note,
                opened_at=now,
                stage_changed_at=now,
                created_by=by,
            )
    except IntegrityError:
        if not Case.objects.open().filter(client=client, centre=centre).exists():
            raise  # not the one-open-case rule: something else went wrong
        raise CaseError(_("This person already has an open case at this centre.")) from None
    CaseTransition.objects.create(
        case=case, centre=centre, from_stage="", to_stage=stage, by=by, at=now, reason=reason
    )
    if stage == Stage.WAITING_LIST:
        case.waitlisted_at = now
        case.save(update_fields=["waitlisted_at"])
        WaitingListEntry.objects.create(case=case, centre=centre, programme=programme, added_at=now)
    record_event(by, "case.open", case, centre=centre)
    through_reach = conversation is not None and conversation.mailbox.through_reach
    record_stat(
        Event.CASE_OPENED,
        centre=centre,
        language=client.language,
        channel="messaging" if source == CaseSource.INBOX else "",
        source=StatsSource.REACH if through_reach else StatsSource.LIVE,
    )
    return case


def open_case(
    client: Client,
    centre: Centre,
    *,
    by: User,
    programme: str = Programme.INDIVIDUAL,
    reason: str = "",
) -> Case:
    """Open an enquiry for ``client`` at ``centre`` (someone who contacted the centre directly)."""
    with transaction.atomic():
        return _open_case(client, centre, by=by, programme=programme, reason=reason)


def open_case_for_new_client(
    centre: Centre,
    *,
    by: User,
    programme: str = Programme.INDIVIDUAL,
    language: str = "de",
    contact_details: dict | None = None,
    reason: str = "",
) -> Case:
    """Create a pseudonymous client and open their enquiry at ``centre``."""
    with transaction.atomic():
        client = Client(language=language)
        client.contact_details = contact_details or None  # type: ignore[assignment]  # an encrypted JSON field
        client.save()
        record_event(by, "client.create", client, centre=centre)
        return _open_case(client, centre, by=by, programme=programme, reason=reason)


def update_contact_details(
    client: Client,
    details: dict | None,
    *,
    by: User,
    centre: Centre | None,
    edited_from: str | None = None,
) -> Client:
    """Replace a client's (encrypted) contact details; audited at ``centre``.

    ``edited_from`` is the client's version when the page was opened
    (``lib.stale_edits``): if the details were saved since, raises
    ``ChangedMeanwhile`` and saves nothing.
    """
    with transaction.atomic():
        check_unchanged(Client, client.pk, edited_from)
        client.contact_details = details  # type: ignore[assignment]  # an encrypted JSON field
        client.updated_by = by
        client.save(update_fields=["contact_details", "updated_at", "updated_by"])
        record_event(by, "client.update", client, centre=centre)
    return client


def open_enquiry_from_conversation(
    conversation: Conversation,
    centre: Centre,
    *,
    by: User,
    consent_note: str,
    programme: str = Programme.INDIVIDUAL,
    contact_summary: dict | None = None,
) -> Case:
    """Open an enquiry at ``centre`` for the person writing in ``conversation``.

    ``programme`` is what the person is referred for (a worried relative is
    not an individual-therapy client); the centre's directory entry must
    offer it and take new clients. ``contact_summary`` (who is writing,
    concern, risk indicators) is shared only when the person agreed.

    Called by the inbox when a counsellor refers someone with their consent.
    The client is the one already linked to the conversation's mailbox, or a
    new pseudonymous one; if that client already has an open case at the
    centre, that case is returned instead of opening a second one. The
    counsellor then sees the case's summary (reference, centre, stage) and
    nothing else of it.
    """
    if programme not in Programme.values:
        raise ReferralError(_("Unknown programme."))
    if not centre.is_active:
        raise ReferralError(_("That centre is not active."))
    _check_directory(centre, programme)
    with transaction.atomic():
        client = (
            Client.objects.filter(mailbox_id=conversation.mailbox_id).order_by("created_at").first()
        )
        if client is None:
            client = Client.objects.create(
                mailbox_id=conversation.mailbox_id, language=conversation.language
            )
            record_event(by, "client.create", client, centre=centre)
        existing = (
            Case.objects.filter(client=client, centre=centre, stage__in=OPEN_STAGES)
            .order_by("opened_at")
            .first()
        )
        if existing is not None:
            if existing.conversation_id is None:
                existing.conversation = conversation
                existing.save(update_fields=["conversation"])
            if contact_summary:
                existing.contact_summary = contact_summary  # type: ignore[assignment]  # encrypted JSON
                existing.save(update_fields=["contact_summary"])
            record_event(by, "case.link_conversation", existing, centre=centre)
            return existing
        case = _open_case(
            client,
            centre,
            by=by,
            programme=programme,
            source=CaseSource.INBOX,
            conversation=conversation,
            consent_note=consent_note,
        )
        if contact_summary:
            case.contact_summary = contact_summary  # type: ignore[assignment]  # encrypted JSON
            case.save(update_fields=["contact_summary"])
        return case


def transition_case(
    case: Case,
    to_stage: str,
    *,
    by: User | None,
    reason: str = "",
    priority: int = Priority.ROUTINE,
    from_stage: str | None = None,
) -> CaseTransition:
    """Move ``case`` to ``to_stage`` if the pathway table allows it.

    ``from_stage`` is the stage the page that asked for the move showed: if
    the case has moved on since (a colleague, another tab), nothing moves
    (``StageChanged``), so that two people who each saw the same stage do
    not both move the case on from it. None: the caller shows no page.

    Records who, when, from, to and why; keeps the case's timestamps, the
    waiting list and the centre's typical wait in step; counts the move in
    the de-identified statistics (with the wait or treatment time where it
    means something). ``priority`` is used when the move puts the case on the
    waiting list.
    """
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("client", "centre").get(pk=case.pk)
        if from_stage is not None and from_stage != locked.stage:
            raise stage_changed(locked)
        transition = find_transition(locked.stage, to_stage)
        if transition is None:
            raise PathwayError(
                _("A case cannot move from “%(source)s” to “%(target)s”.")
                % {
                    "source": _STAGE_LABELS.get(locked.stage, locked.stage),
                    "target": _STAGE_LABELS.get(to_stage, to_stage),
                }
            )
        if (
            to_stage in TERMINAL
            and to_stage != Stage.REFERRED_ELSEWHERE
            and _pending_disclosure(locked)
        ):
            raise CaseError(
                _(
                    "This case cannot end while a disclosure is pending: a safeguarding lead "
                    "must first record the disclosure as made (or the proposal be answered)."
                )
            )
        now = timezone.now()
        source = locked.stage
        durations: dict[str, datetime.timedelta | None] = {
            Event.SCREENED: now - locked.opened_at,
            Event.ASSESSED: now - locked.opened_at,
            Event.THERAPY_STARTED: (now - locked.waitlisted_at) if locked.waitlisted_at else None,
            Event.THERAPY_COMPLETED: (
                (now - locked.treatment_started_at) if locked.treatment_started_at else None
            ),
        }
        if source == Stage.WAITING_LIST:
            WaitingListEntry.objects.filter(case=locked, left_at__isnull=True).update(
                left_at=now, outcome=to_stage
            )
        if to_stage == Stage.WAITING_LIST:
            locked.waitlisted_at = now
            WaitingListEntry.objects.create(
                case=locked,
                centre=locked.centre,
                programme=locked.programme,
                priority=priority,
                added_at=now,
            )
        if to_stage == Stage.IN_TREATMENT and locked.treatment_started_at is None:
            locked.treatment_started_at = now
        if to_stage in TERMINAL:
            locked.closed_at = now
            _end_of_case(locked, by=by, stage=to_stage, now=now)
        locked.stage = to_stage
        locked.stage_changed_at = now
        locked.save(
            update_fields=[
                "stage",
                "stage_changed_at",
                "waitlisted_at",
                "treatment_started_at",
                "closed_at",
            ]
        )
        step = CaseTransition.objects.create(
            case=locked,
            centre=locked.centre,
            from_stage=source,
            to_stage=to_stage,
            by=by,
            at=now,
            reason=reason,
        )
        for event in transition.events:
            duration = durations.get(event, now - locked.opened_at)
            _record_stage_event(
                event, locked, duration=duration, detail=_stat_detail(event, locked, source)
            )
        record_event(by, "case.transition", locked, centre=locked.centre)
        if source == Stage.WAITING_LIST and to_stage == Stage.IN_TREATMENT:
            update_typical_wait(locked.centre, now=now)
        case.stage = locked.stage
        case.stage_changed_at = now
        case.waitlisted_at = locked.waitlisted_at
        case.treatment_started_at = locked.treatment_started_at
        case.closed_at = locked.closed_at
        return step


def typical_wait_weeks(centre: Centre, *, now: datetime.datetime | None = None) -> int | None:
    """The median wait (whole weeks, rounded up) of the centre's recent starts, or None."""
    now = now or timezone.now()
    entries = (
        WaitingListEntry.objects.filter(
            centre=centre,
            outcome=Stage.IN_TREATMENT,
            left_at__gte=now - TYPICAL_WAIT_WINDOW,
        )
        .order_by("-left_at")
        .values_list("added_at", "left_at")[:TYPICAL_WAIT_SAMPLE]
    )
    waits = [(left - added).total_seconds() for added, left in entries if left is not None]
    if not waits:
        return None
    return max(0, math.ceil(statistics.median(waits) / (7 * 24 * 3600)))


def update_typical_wait(centre: Centre, *, now: datetime.datetime | None = None) -> int | None:
    """Set ``Centre.typical_wait_weeks`` (shown by the public finder) from recent starts.

    Without any start in the window the published figure is left as it was.
    """
    weeks = typical_wait_weeks(centre, now=now)
    if weeks is not None and weeks != centre.typical_wait_weeks:
        centre.typical_wait_weeks = weeks
        # Saved as a change of the centre (not a bare UPDATE): its updated_at
        # moves and the directory's post_save drops kept and cached public
        # pages, so the finder and the centre's page show the new figure at once.
        centre.save(update_fields=["typical_wait_weeks", "updated_at"])
    return weeks


def set_waiting_priority(entry: WaitingListEntry, priority: int, *, by: User) -> WaitingListEntry:
    """Change a waiting person's priority (the list's first ordering key).

    Only while they wait: a page opened before they started treatment (or
    left) must not rewrite a closed entry's priority and say "changed".
    """
    with transaction.atomic():
        locked = WaitingListEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.left_at is not None:
            raise CaseError(
                _("This person is no longer on the waiting list; the priority was not changed.")
            )
        locked.priority = priority
        locked.save(update_fields=["priority"])
        entry.priority = priority
        record_event(by, "waiting_list.priority", entry.case, centre=entry.centre)
    return entry


def add_note(case: Case, *, by: User, body: str) -> Note:
    """Add an encrypted note to ``case``."""
    with transaction.atomic():
        note = Note.objects.create(case=case, author=by, body=body)
        record_event(by, "case.note.create", case, centre=case.centre)
    return note


def add_task(
    case: Case,
    *,
    by: User,
    title: str,
    due_on: datetime.date | None = None,
    assignee: User | None = None,
) -> Task:
    """Add a task or reminder to ``case``; the assignee must work at the case's centre."""
    with transaction.atomic():
        if assignee is not None and not assignee.has_role_at(case.centre_id, *CASE_WORK_ROLES):
            raise CaseError(_("The assignee does not work at this centre."))
        task = Task.objects.create(
            case=case, created_by=by, title=title, due_on=due_on, assignee=assignee
        )
        record_event(by, "case.task.create", case, centre=case.centre)
    return task


def ask_for_risk_assessment(
    client: Client,
    *,
    centre_id: uuid.UUID | None,
    instrument: str,
    by: User | None,
    nobody_watching: bool = False,
) -> list[Task]:
    """A questionnaire's risk flag: a risk assessment due today on each open case of ``client``.

    A case has at most one open risk-assessment task. Without one, a task
    is made, assigned to the case's lead clinician (or left for the centre
    when there is none). With one, that task is asked for again: due today
    (whatever it was due before), ``times_raised`` one more and
    ``last_raised_at`` now, so the clinician sees that another positive
    answer came in; its assignee is kept (the lead clinician takes it if
    nobody had, or if the person it was given to no longer works at the
    centre). Once it is done, the next positive answer makes a new
    task. Restricted to ``centre_id``'s cases when the answers were given
    there. Runs inside the caller's transaction; returns the tasks made or
    asked for again, one per case.

    ``nobody_watching``: the answers arrived in the mailbox (a follow-up
    questionnaire sent after the case ended, or answered after it closed).
    With no open case the flag would otherwise reach nobody at all, so the
    task goes on the client's most recent case instead, where its
    clinicians see it in their tasks. Answers entered by staff leave an
    ended case alone: the person entering them is told on the spot.
    """
    all_cases = Case.objects.filter(client=client).select_related("centre")
    if centre_id is not None:
        all_cases = all_cases.filter(centre_id=centre_id)
    cases = list(all_cases.open())
    if not cases and nobody_watching:
        latest = all_cases.order_by("-opened_at").first()
        cases = [latest] if latest is not None else []
    # Only the instrument's name: the sentence around it is translated for
    # each reader (``Task.display_title``), not fixed in the language of
    # whoever answered.
    title = instrument
    now = timezone.now()
    tasks = []
    for case in cases:
        task, made = _open_risk_assessment(case, title=title, by=by, now=now)
        if made:
            record_event(by, "case.task.create", case, centre=case.centre)
        else:
            task.due_on = timezone.localdate(now)
            task.times_raised += 1
            task.last_raised_at = now
            if task.assignee_id is None or not _still_works_at(case.centre_id, task.assignee_id):
                task.assignee_id = _lead_who_still_works_there(case)
            task.save(update_fields=["due_on", "times_raised", "last_raised_at", "assignee"])
            record_event(by, "case.task.update", case, centre=case.centre)
        tasks.append(task)
    return tasks


def _still_works_at(centre_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Whether the person can still sign in and work on the centre's cases.

    A task asked for again must reach someone who sees it: one left with a
    colleague who has since left the centre (or whose account was closed)
    is in nobody's "my tasks".
    """
    return case_workers_at(centre_id).filter(pk=user_id, is_active=True).exists()


def _lead_who_still_works_there(case: Case) -> uuid.UUID | None:
    """The case's lead clinician, or None (nobody's: every case worker sees it) if they left."""
    lead = case.lead_clinician_id
    return lead if lead is not None and _still_works_at(case.centre_id, lead) else None


def _open_risk_assessment(
    case: Case, *, title: str, by: User | None, now: datetime.datetime
) -> tuple[Task, bool]:
    """The case's open risk-assessment task, locked, or a new one: (task, made now).

    Two transactions that both find none both insert; the database's
    constraint (one open risk assessment per case) fails the second insert,
    which then takes the task the first one made. The insert runs in a
    savepoint, so the caller's transaction carries on after the failure.
    """
    open_tasks = Task.objects.select_for_update().filter(
        case=case, kind=TaskKind.RISK_ASSESSMENT, done_at__isnull=True
    )
    task = open_tasks.first()
    if task is not None:
        return task, False
    try:
        with transaction.atomic():
            task = Task.objects.create(
                case=case,
                kind=TaskKind.RISK_ASSESSMENT,
                title=title,
                due_on=timezone.localdate(now),
                assignee_id=_lead_who_still_works_there(case),
                created_by=by,
                created_at=now,
            )
        return task, True
    except IntegrityError:
        task = open_tasks.first()
        if task is None:  # not the constraint: something else went wrong
            raise
        return task, False


def complete_task(task: Task, *, by: User, seen_times_raised: int | None = None) -> bool:
    """Mark a task done (once; audited as ``case.task.done`` only then); whether this did it.

    False: it had already been marked done (a double click, a second tab, a
    colleague's open page). ``task`` is updated in place either way.

    ``seen_times_raised`` is how often the task had been asked for on the
    page it was ticked on: a risk assessment asked for again since then (a
    positive answer that came in while the page was open) is not ticked off
    unseen; ``TaskAskedForAgain`` says so. The task is locked, so a positive
    answer being recorded at the same moment is either seen here or makes a
    new task after this one is done.
    """
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        ticked = locked.done_at is None
        if ticked:
            if seen_times_raised is not None and locked.times_raised > seen_times_raised:
                raise TaskAskedForAgain(
                    _(
                        "Not marked done: another positive answer came in after the task "
                        "was shown. Look at it again."
                    )
                )
            locked.done_at = timezone.now()
            locked.done_by = by
            locked.save(update_fields=["done_at", "done_by"])
            # Only the request that ticked it off: a second "Done" (a double
            # click, a colleague's open page) changes nothing and is not
            # recorded as if that person had done it.
            record_event(by, "case.task.done", task.case, centre=task.case.centre)
        task.done_at, task.done_by_id = locked.done_at, locked.done_by_id
        task.times_raised, task.last_raised_at = locked.times_raised, locked.last_raised_at
    return ticked


def take_task(task: Task, *, by: User) -> Task:
    """Take an open task nobody is assigned to (a risk assessment with no lead clinician).

    Only someone who does case work at the case's centre can take it (a
    glass-break grant is for looking, not for taking work); of two people
    taking it at the same moment, the first has it and the second is told
    (``CaseError``). Audited as ``case.task.update``.
    """
    if not by.has_role_at(task.case.centre_id, *CASE_WORK_ROLES):
        raise CaseError(_("Only someone working at the case's centre can take this task."))
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if locked.done_at is not None:
            raise CaseError(_("This task is already done."))
        if locked.assignee_id is not None and locked.assignee_id != by.pk:
            raise CaseError(_("Someone else has already taken this task."))
        if locked.assignee_id is None:
            locked.assignee = by
            locked.save(update_fields=["assignee"])
            record_event(by, "case.task.update", task.case, centre=task.case.centre)
        task.assignee_id = locked.assignee_id
    return task


def assign_lead_clinician(case: Case, clinician: User | None, *, by: User | None) -> Case:
    """Make ``clinician`` the lead clinician of ``case`` (None: nobody); audited as ``case.update``.

    The lead is the person whose "my tasks" a risk assessment asked for on
    the case goes to (``ask_for_risk_assessment``), so it must be someone
    who does case work at the case's centre; anyone else raises
    ``CaseError``. So must ``by`` (a glass-break grant is for looking, not
    for deciding who leads); ``by`` is None for the system (the demo's
    seeding). An open risk assessment nobody had goes to the new lead with
    the case: it was only waiting for someone to take it.
    """
    if by is not None and not by.has_role_at(case.centre_id, *CASE_WORK_ROLES):
        raise CaseError(_("Only someone working at the case's centre can choose who leads it."))
    if clinician is not None and not clinician.has_role_at(case.centre_id, *CASE_WORK_ROLES):
        raise CaseError(_("Only someone working at the case's centre can lead the case."))
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).update(lead_clinician=clinician)
        case.lead_clinician = clinician
        record_event(by, "case.update", case, centre=case.centre)
        if clinician is not None:
            handed = Task.objects.filter(
                case=case, kind=TaskKind.RISK_ASSESSMENT, done_at__isnull=True, assignee=None
            ).update(assignee=clinician)
            if handed:
                record_event(by, "case.task.update", case, centre=case.centre)
    return case


def break_glass(case: Case, *, by: User, reason: str) -> GlassBreak:
    """Give a network admin one hour's full access to ``case``, with the reason audited.

    Only network admins may break the glass, and never without a reason.
    """
    reason = reason.strip()
    if not reason:
        raise CaseError(_("Breaking the glass needs a reason."))
    if not by.is_network_admin:
        raise CaseError(_("Only a network admin can break the glass."))
    with transaction.atomic():
        grant = GlassBreak.objects.create(
            user=by,
            case=case,
            reason=reason[:300],
            expires_at=timezone.now() + GLASS_BREAK_DURATION,
        )
        record_event(by, "case.break_glass", case, centre=case.centre, reason=reason)
    return grant


# --- Appointments ---------------------------------------------------------


# The longest appointment the forms allow: how far back an overlap can start.
_LONGEST_APPOINTMENT = datetime.timedelta(minutes=480)


def overlapping_appointments(
    starts_at: datetime.datetime,
    duration_minutes: int,
    *,
    clinician_id: object = None,
    client_ids: list[object] | None = None,
) -> list[Appointment]:
    """Appointments (not cancelled) of the same clinician or client that overlap this time.

    A client counts as booked at a group session they are expected at.
    """
    ends_at = starts_at + datetime.timedelta(minutes=duration_minutes)
    condition = Q()
    if clinician_id is not None:
        condition |= Q(clinician_id=clinician_id)
    if client_ids:
        condition |= Q(
            attendances__case__client_id__in=client_ids,
            attendances__status__in=[AttendanceStatus.EXPECTED, AttendanceStatus.ATTENDED],
        )
    if not condition:
        return []
    candidates = (
        Appointment.objects.filter(
            condition,
            cancelled_at__isnull=True,
            starts_at__lt=ends_at,
            starts_at__gt=starts_at - _LONGEST_APPOINTMENT,
        )
        .distinct()
        .order_by("starts_at")
    )
    return [a for a in candidates if a.ends_at > starts_at]


def _refuse_double_booking(clashes: list[Appointment]) -> None:
    if clashes:
        raise DoubleBookingError(
            _(
                "This overlaps %(count)s other appointment(s) of the same clinician or client "
                "(from %(when)s). Choose another time, or confirm the double booking."
            )
            % {
                "count": len(clashes),
                "when": date_format(
                    timezone.localtime(clashes[0].starts_at), "SHORT_DATETIME_FORMAT"
                ),
            }
        )


def schedule_appointment(
    case: Case,
    *,
    by: User,
    starts_at: datetime.datetime,
    clinician: User | None = None,
    purpose: str = AppointmentPurpose.TREATMENT,
    mode: str = AppointmentMode.IN_PERSON,
    duration_minutes: int = 50,
    allow_overlap: bool = False,
) -> Appointment:
    """Book an individual appointment for an open ``case`` at its centre.

    An overlap with another appointment of the same clinician or the same
    client is refused unless ``allow_overlap`` (the person confirmed it).
    """
    with transaction.atomic():
        _lock_open_case(case, _("Nothing can be booked on a case that has ended."))
        if clinician is not None and not clinician.has_role_at(case.centre_id, *CASE_WORK_ROLES):
            raise CaseError(_("The clinician does not work at this centre."))
        _lock_diaries(clinician.pk if clinician else None, [case.client_id])
        if not allow_overlap:
            _refuse_double_booking(
                overlapping_appointments(
                    starts_at,
                    duration_minutes,
                    clinician_id=clinician.pk if clinician else None,
                    client_ids=[case.client_id],
                )
            )
        appointment = Appointment.objects.create(
            centre_id=case.centre_id,
            case=case,
            clinician=clinician,
            purpose=purpose,
            mode=mode,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            created_by=by,
        )
        Attendance.objects.create(appointment=appointment, case=case)
        record_event(by, "appointment.create", appointment, centre=case.centre)
    return appointment


def create_group(
    centre: Centre, *, by: User, name: str, clinician: User | None = None, programme: str = ""
) -> TherapyGroup:
    """Start a therapy group at ``centre``."""
    with transaction.atomic():
        group = TherapyGroup.objects.create(
            centre=centre, name=name, clinician=clinician, programme=programme or Programme.GROUP
        )
        record_event(by, "group.create", group, centre=centre)
    return group


def add_group_member(
    group: TherapyGroup, case: Case, *, by: User, confirm_other_programme: bool = False
) -> None:
    """Put an open ``case`` on ``group``'s roster (same centre); future sessions expect them.

    Someone waiting for another programme is only added when that is
    confirmed: joining a group does not take them off that waiting list.
    """
    with transaction.atomic():
        if case.centre_id != group.centre_id:
            raise CaseError(_("A group's members are cases of its own centre."))
        _lock_open_case(case, _("Only an open case can join a group."))
        # The group, as scheduling a session takes it: a session booked at
        # the same moment is either seen here (and expects them) or sees them.
        lock_rows(TherapyGroup.objects.filter(pk=group.pk))
        waiting_elsewhere = (
            case.waiting_entries.filter(left_at__isnull=True)
            .exclude(programme=group.programme)
            .first()
        )
        if waiting_elsewhere is not None and not confirm_other_programme:
            raise NeedsConfirmation(
                _(
                    "This person is waiting for another programme (%(programme)s). "
                    "Confirm to add them to the group anyway; they stay on that waiting list."
                )
                % {"programme": waiting_elsewhere.get_programme_display()}
            )
        group.members.add(case)
        for session in group.sessions.filter(starts_at__gte=timezone.now(), cancelled_at=None):
            Attendance.objects.get_or_create(appointment=session, case=case)
        record_event(by, "group.member.add", case, centre=group.centre)


def remove_group_member(group: TherapyGroup, case: Case, *, by: User) -> None:
    """Take ``case`` off the roster: no longer expected at future sessions."""
    with transaction.atomic():
        group.members.remove(case)
        Attendance.objects.filter(
            case=case,
            appointment__group=group,
            appointment__starts_at__gte=timezone.now(),
            status=AttendanceStatus.EXPECTED,
        ).delete()
        record_event(by, "group.member.remove", case, centre=group.centre)


def schedule_group_session(
    group: TherapyGroup,
    *,
    by: User,
    starts_at: datetime.datetime,
    mode: str = AppointmentMode.IN_PERSON,
    duration_minutes: int = 90,
    allow_overlap: bool = False,
) -> Appointment:
    """Book a session of ``group``: everyone on the roster with an open case is expected.

    An overlap with another appointment of the group's clinician or of a
    member is refused unless ``allow_overlap`` (the person confirmed it).
    """
    with transaction.atomic():
        # The group first (members joining wait, and are then expected at
        # this session too), then the diaries.
        lock_rows(TherapyGroup.objects.filter(pk=group.pk))
        members = list(group.members.filter(stage__in=OPEN_STAGES))
        _lock_diaries(group.clinician_id, [member.client_id for member in members])
        if not allow_overlap:
            _refuse_double_booking(
                overlapping_appointments(
                    starts_at,
                    duration_minutes,
                    clinician_id=group.clinician_id,
                    client_ids=[member.client_id for member in members],
                )
            )
        session = Appointment.objects.create(
            centre_id=group.centre_id,
            group=group,
            clinician_id=group.clinician_id,
            purpose=AppointmentPurpose.TREATMENT,
            mode=mode,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            created_by=by,
        )
        Attendance.objects.bulk_create(
            [Attendance(appointment=session, case=member) for member in members]
        )
        record_event(by, "appointment.create", session, centre=group.centre)
    return session


def cancel_appointment(appointment: Appointment, *, by: User) -> bool:
    """Cancel an appointment or group session; everyone expected is marked cancelled.

    Whether this cancelled it: a second "Cancel" (another tab, a colleague's
    open page) changes nothing and is not audited as if it had.
    """
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.cancelled_at is not None:
            appointment.cancelled_at = locked.cancelled_at
            return False
        if locked.attendances.filter(
            status__in=[AttendanceStatus.ATTENDED, AttendanceStatus.DID_NOT_ATTEND]
        ).exists():
            # It took place: its attendance is counted on the case, and a
            # cancelled appointment's attendance can no longer be corrected.
            raise CaseError(
                _(
                    "Attendance (attended or did not attend) has been recorded for this "
                    "appointment, so it cannot be cancelled. Correct the attendance instead."
                )
            )
        now = timezone.now()
        locked.cancelled_at = appointment.cancelled_at = now
        locked.save(update_fields=["cancelled_at"])
        locked.attendances.filter(status=AttendanceStatus.EXPECTED).update(
            status=AttendanceStatus.CANCELLED, recorded_at=now, recorded_by=by
        )
        record_event(by, "appointment.cancel", appointment, centre=appointment.centre)
    return True


def attendance_version(appointment: Appointment) -> str:
    """The version of an appointment's attendance: when anyone last recorded one."""
    return version_of(_last_recorded(appointment), at="recorded_at")


def _last_recorded(appointment: Appointment) -> Attendance | None:
    return (
        Attendance.objects.filter(appointment=appointment, recorded_at__isnull=False)
        .select_related("recorded_by")
        .order_by("-recorded_at")
        .first()
    )


def record_attendances(
    appointment: Appointment,
    statuses: dict[Case, str],
    *,
    by: User,
    edited_from: str | None = None,
) -> None:
    """Record the attendance chosen on the appointment page, all or nothing.

    ``edited_from`` is ``attendance_version`` when the page was opened
    (``lib.stale_edits``): if anyone recorded attendance since, raises
    ``ChangedMeanwhile`` and records nothing, so a stale page never silently
    turns a colleague's correction back. Only the people whose outcome
    differs from the stored one are recorded.
    """
    with transaction.atomic():
        # Parent before child (lib.locking): the cases, then the appointment,
        # as record_attendance and ending a case take them.
        lock_rows(Case.objects.filter(pk__in=[case.pk for case in statuses]))
        Appointment.objects.select_for_update().get(pk=appointment.pk)
        check_locked(_last_recorded(appointment), edited_from, at="recorded_at", by="recorded_by")
        stored = dict(
            Attendance.objects.filter(appointment=appointment).values_list("case_id", "status")
        )
        for case, status in statuses.items():
            if stored.get(case.pk) != status:
                record_attendance(appointment, case, status, by=by)


def record_attendance(appointment: Appointment, case: Case, status: str, *, by: User) -> Attendance:
    """Record whether ``case`` came to ``appointment``, and let it flow into the case.

    Attended: counts as a session, sets first/last attended; the first
    attended treatment session of someone on the waiting list (or assessed)
    starts their treatment on the pathway. Did not attend: counts as a missed
    session. Correcting an earlier record undoes its counts first.
    """
    if status not in AttendanceStatus.values or status == AttendanceStatus.EXPECTED:
        raise CaseError(_("Not an attendance outcome."))
    with transaction.atomic():
        # The case, then the appointment, then the attendance (the order an
        # ending of the case and "Cancel" take them in): an ending or a cancel
        # at the same moment is either seen here or waits.
        lock_rows(Case.objects.filter(pk=case.pk))
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        attendance = Attendance.objects.select_for_update().get(appointment=appointment, case=case)
        if locked.cancelled_at is not None:
            appointment.cancelled_at = locked.cancelled_at
            raise CaseError(_("The appointment was cancelled."))
        too_early = appointment.too_early_to_record(status)
        if too_early:
            raise CaseError(too_early)
        if not Case.objects.filter(pk=case.pk, stage__in=OPEN_STAGES).exists():
            raise CaseError(_("Attendance cannot be recorded on a case that has ended."))
        previous = attendance.status
        attendance.status = status
        attendance.recorded_at = timezone.now()
        attendance.recorded_by = by
        attendance.save(update_fields=["status", "recorded_at", "recorded_by"])
        counters: dict[str, str] = {
            AttendanceStatus.ATTENDED.value: "attended_sessions",
            AttendanceStatus.DID_NOT_ATTEND.value: "missed_sessions",
        }
        if previous in counters and previous != status:
            Case.objects.filter(pk=case.pk, **{f"{counters[previous]}__gt": 0}).update(
                **{counters[previous]: F(counters[previous]) - 1}
            )
        if status in counters and previous != status:
            Case.objects.filter(pk=case.pk).update(**{counters[status]: F(counters[status]) + 1})
        if status == AttendanceStatus.ATTENDED:
            Case.objects.filter(pk=case.pk, first_attended_at__isnull=True).update(
                first_attended_at=appointment.starts_at
            )
            Case.objects.filter(pk=case.pk).update(last_attended_at=appointment.starts_at)
        record_event(by, "appointment.attendance", appointment, centre=appointment.centre)
        case.refresh_from_db(
            fields=[
                "attended_sessions",
                "missed_sessions",
                "first_attended_at",
                "last_attended_at",
                "stage",
            ]
        )
        # A group session starts treatment only for someone waiting for that
        # group's programme: attending a group never starts an individual therapy.
        starts_this_programme = appointment.group_id is None or (
            TherapyGroup.objects.filter(pk=appointment.group_id, programme=case.programme).exists()
        )
        if (
            status == AttendanceStatus.ATTENDED
            and appointment.purpose == AppointmentPurpose.TREATMENT
            and case.stage in (Stage.WAITING_LIST, Stage.ASSESSMENT)
            and starts_this_programme
        ):
            transition_case(case, Stage.IN_TREATMENT, by=by, reason=FIRST_SESSION_ATTENDED)
    return attendance


# --- Referrals across the network ----------------------------------------


def refer_case(
    case: Case,
    to_centre: Centre,
    *,
    by: User,
    reason: str,
    consent_given: bool,
    consent_note: str = "",
    summary: str = "",
    programme: str = "",
) -> Referral:
    """Refer an open case to another centre, with the person's consent recorded.

    The summary is all the receiving centre will see of this centre's work.
    """
    if not consent_given:
        raise ReferralError(_("A referral needs the person's consent."))
    with transaction.atomic():
        locked = lock_row(Case, case.pk)
        if locked is None or locked.stage not in OPEN_STAGES:
            raise ReferralError(_("Only an open case can be referred."))
        if to_centre.pk == case.centre_id:
            raise ReferralError(_("A case is referred to another centre."))
        if not to_centre.is_active:
            raise ReferralError(_("That centre is not active."))
        programme = programme or case.programme
        _check_directory(to_centre, programme)
        pending = _(
            "This case already has a referral awaiting an answer: withdraw it first "
            "to refer elsewhere."
        )
        if case.referrals_out.filter(status=ReferralStatus.PENDING).exists():
            raise ReferralError(pending)
        try:
            # Two "Refer" pages sent at the same moment both pass the check
            # above; the database refuses the second (one pending per case).
            with transaction.atomic():
                referral = Referral.objects.create(
                    case=case,
                    from_centre_id=case.centre_id,
                    to_centre=to_centre,
                    programme=programme,
                    reason=reason,
                    summary=summary,
                    consent_given=True,
                    consent_note=consent_note,
                    created_by=by,
                )
        except IntegrityError:
            if not case.referrals_out.filter(status=ReferralStatus.PENDING).exists():
                raise  # not the one-pending rule: something else went wrong
            raise ReferralError(pending) from None
        record_event(by, "referral.create", referral, centre=case.centre)
        record_event(by, "referral.create", referral, centre=to_centre)
    return referral


def _check_directory(centre: Centre, programme: str) -> None:
    """Refuse a referral the receiving centre's directory entry says it cannot take."""
    if not centre.accepts_new_clients:
        raise ReferralError(
            _("%(centre)s takes no new clients at the moment (directory).")
            % {"centre": centre.display_name}
        )
    offered = set(centre.offered_services.values_list("service", flat=True))
    wanted = PROGRAMME_SERVICES.get(programme, ())
    if offered and wanted and not offered.intersection(wanted):
        raise ReferralError(
            _("%(centre)s does not offer “%(programme)s” (directory).")
            % {"centre": centre.display_name, "programme": Programme(programme).label}
        )


def withdraw_referral(referral: Referral, *, by: User, reason: str = "") -> Referral:
    """The sending centre withdraws a referral still awaiting an answer; the case stays open."""
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if not by.has_role_at(locked.from_centre_id, *CASE_WORK_ROLES):
            raise ReferralError(_("Only the sending centre can withdraw a referral."))
        if locked.status != ReferralStatus.PENDING:
            raise ReferralError(_("This referral has already been answered."))
        locked.status = ReferralStatus.WITHDRAWN
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_reason = reason.strip()
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        record_event(by, "referral.withdraw", locked, centre=locked.from_centre)
        record_event(by, "referral.withdraw", locked, centre=locked.to_centre)
    referral.refresh_from_db()
    return referral


def _require_receiving_worker(referral: Referral, by: User) -> None:
    if not by.has_role_at(referral.to_centre_id, *CASE_WORK_ROLES):
        raise ReferralError(_("Only the receiving centre can answer a referral."))


def accept_referral(referral: Referral, *, by: User, note: str = "") -> Case:
    """The receiving centre takes the person on: a case opens there, the old one ends.

    The new case starts at the stage the person had reached, so nobody is
    screened twice; someone in treatment or aftercare joins the new centre's
    waiting list or assessment. Waiting lists are per centre: a waiting
    person joins the new list today, keeping the priority they had. The
    sending case ends as "referred elsewhere" and keeps only its own history
    and the referral record; what happens at the new centre is not theirs.
    """
    with transaction.atomic():
        # The sending case before the referral: the order in which ending
        # that case takes them (it withdraws its pending referral), so that
        # the two at the same moment wait for each other, never in a circle.
        lock_rows(Case.objects.filter(pk=referral.case_id))
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        _require_receiving_worker(locked, by)
        if locked.status != ReferralStatus.PENDING:
            raise ReferralError(_("This referral has already been answered."))
        sending = Case.objects.select_related("client").get(pk=locked.case_id)
        if not sending.is_open:
            raise ReferralError(_("The referred case is no longer open."))
        stage_there = sending.stage if sending.stage != Stage.AFTERCARE else Stage.ASSESSMENT
        if stage_there == Stage.IN_TREATMENT:
            stage_there = Stage.WAITING_LIST
        new_case = _open_case(
            sending.client,
            locked.to_centre,
            by=by,
            programme=locked.programme,
            source=CaseSource.NETWORK,
            stage=stage_there,
            reason=note,
        )
        if stage_there == Stage.WAITING_LIST:
            previous = sending.waiting_entries.order_by("-added_at").first()
            if previous is not None:
                new_case.waiting_entries.update(priority=previous.priority)
        now = timezone.now()
        locked.status = ReferralStatus.ACCEPTED
        locked.decided_by = by
        locked.decided_at = now
        locked.decision_reason = note
        locked.new_case = new_case
        locked.save(
            update_fields=["status", "decided_by", "decided_at", "decision_reason", "new_case"]
        )
        transition_case(sending, Stage.REFERRED_ELSEWHERE, by=by, reason=REFERRAL_ACCEPTED)
        record_event(by, "referral.accept", locked, centre=locked.to_centre)
        record_event(by, "referral.accept", locked, centre=sending.centre)
    referral.refresh_from_db()
    return new_case


def decline_referral(referral: Referral, *, by: User, reason: str) -> Referral:
    """The receiving centre declines, with a reason the sending centre reads; the case stays."""
    reason = reason.strip()
    if not reason:
        raise ReferralError(_("Declining a referral needs a reason."))
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        _require_receiving_worker(locked, by)
        if locked.status != ReferralStatus.PENDING:
            raise ReferralError(_("This referral has already been answered."))
        locked.status = ReferralStatus.DECLINED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_reason = reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        record_event(by, "referral.decline", locked, centre=locked.to_centre)
        record_event(by, "referral.decline", locked, centre=locked.from_centre)
    referral.refresh_from_db()
    return referral
