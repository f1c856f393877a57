"""Rebuilding de-identified counts from the records that exist (``forestall backfill-stats``).

After an upgrade, counts are recorded from the day counting started; the
records kept in the database still describe what happened before. The
backfill derives the same events from them, for the days **before** the first
live count (or before ``--before``), and stores them with
``source="backfill"``. Running it again replaces every backfilled row, so it
is idempotent; live and demo rows are never touched.

What can be rebuilt (only what is still stored: erased or deleted records are
gone, and so are their events):

- mailboxes: ``mailbox_started`` (language, pathway);
- conversations: ``contact`` (centre, language, pathway, channel
  ``messaging``) on the day the conversation began, ``first_reply_sent``
  with the time to the first reply;
- protective actions: ``protective_action_agreed``, and
  ``protective_action_taken`` on the day they were reviewed as taken;
- case transitions: every event the pathway table gives each move
  (``cases.pathway.TRANSITIONS``), with the programme or the stage left as
  detail, and the time on the waiting list for ``therapy_started``; cases
  opened from the inbox also count ``conversation_referred``;
- safeguarding concerns: ``concern_raised`` (level) and ``concern_decided``
  (decision, time from raising to decision);
- outcome measures: ``course_finished`` and the outcome events of every
  finished course (``instruments.courses.finished_courses``).

Not rebuilt, because nothing about them is stored: completed self-checks and
deleted mailboxes.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from forestall.stats.actions import add_counts, count_row, delete_counts
from forestall.stats.events import EXIT_EVENTS, Detail, Event
from forestall.stats.models import DailyCount, Source

Row = tuple[object, ...]


def counting_started() -> datetime.date:
    """The first day with a live count, or today if nothing was counted live yet."""
    first = (
        DailyCount.objects.filter(source__in=(Source.LIVE, Source.REACH))
        .order_by("day")
        .values_list("day", flat=True)
        .first()
    )
    return first or timezone.localdate()


def _day(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment)


def _mailboxes(before: datetime.date) -> Iterator[Row]:
    from forestall.inbox.models import Mailbox

    for created_at, language, pathway in Mailbox.objects.values_list(
        "created_at", "language", "pathway"
    ).iterator():
        if _day(created_at) < before:
            yield count_row(
                Event.MAILBOX_STARTED,
                language=language,
                pathway=pathway,
                day=_day(created_at),
                source=Source.BACKFILL,
            )


def _conversations(before: datetime.date) -> Iterator[Row]:
    from forestall.inbox.models import Conversation, ProtectiveAction, ProtectiveActionState

    conversations = Conversation.objects.select_related("centre", "mailbox").iterator()
    for conversation in conversations:
        dimensions: dict[str, Any] = {
            "centre": conversation.centre,
            "channel": "messaging",
            "language": conversation.language,
            "pathway": conversation.mailbox.pathway,
            "source": Source.BACKFILL,
        }
        if _day(conversation.created_at) < before:
            yield count_row(Event.CONTACT, day=_day(conversation.created_at), **dimensions)
        if conversation.first_reply_at and _day(conversation.first_reply_at) < before:
            yield count_row(
                Event.FIRST_REPLY_SENT,
                day=_day(conversation.first_reply_at),
                duration=conversation.first_reply_at - conversation.created_at,
                **dimensions,
            )
    actions = ProtectiveAction.objects.select_related(
        "conversation__centre", "conversation__mailbox"
    )
    for action in actions.iterator():
        conversation = action.conversation
        dimensions = {
            "centre": conversation.centre,
            "channel": "messaging",
            "language": conversation.language,
            "pathway": conversation.mailbox.pathway,
            "detail": action.action if action.action in Detail.values else Detail.OTHER,
            "source": Source.BACKFILL,
        }
        if _day(action.agreed_at) < before:
            yield count_row(
                Event.PROTECTIVE_ACTION_AGREED, day=_day(action.agreed_at), **dimensions
            )
        if (
            action.state == ProtectiveActionState.TAKEN
            and action.reviewed_at
            and _day(action.reviewed_at) < before
        ):
            yield count_row(
                Event.PROTECTIVE_ACTION_TAKEN, day=_day(action.reviewed_at), **dimensions
            )


def _cases(before: datetime.date) -> Iterator[Row]:
    from forestall.cases.models import Case, CaseSource, CaseTransition
    from forestall.cases.pathway import find_transition

    cases = {
        case.pk: case
        for case in Case.objects.select_related("client", "centre", "conversation__mailbox")
    }
    waitlisted_at: dict[object, datetime.datetime] = {}
    treatment_started_at: dict[object, datetime.datetime] = {}
    transitions = CaseTransition.objects.order_by("case_id", "at").values_list(
        "case_id", "centre_id", "from_stage", "to_stage", "at"
    )
    centres = {case.centre_id: case.centre for case in cases.values()}
    for case_id, centre_id, from_stage, to_stage, at in transitions.iterator():
        case = cases.get(case_id)
        if case is None:
            continue
        centre = centres.get(centre_id) or case.centre
        day = _day(at)
        if day >= before:
            _remember(case_id, to_stage, at, waitlisted_at, treatment_started_at)
            continue
        if not from_stage:
            yield count_row(
                Event.CASE_OPENED,
                centre=centre,
                language=case.client.language,
                channel="messaging" if case.source == CaseSource.INBOX else "",
                day=day,
                source=Source.BACKFILL,
            )
            if case.source == CaseSource.INBOX and case.conversation is not None:
                yield count_row(
                    Event.CONVERSATION_REFERRED,
                    centre=centre,
                    channel="messaging",
                    language=case.conversation.language,
                    pathway=case.conversation.mailbox.pathway,
                    day=day,
                    source=Source.BACKFILL,
                )
            _remember(case_id, to_stage, at, waitlisted_at, treatment_started_at)
            continue
        transition = find_transition(from_stage, to_stage)
        if transition is None:
            _remember(case_id, to_stage, at, waitlisted_at, treatment_started_at)
            continue
        for event in transition.events:
            detail = ""
            duration = None
            if event in (Event.WAITLISTED, Event.THERAPY_STARTED):
                detail = case.programme if case.programme in Detail.values else ""
            if event in EXIT_EVENTS or event == Event.CASE_CLOSED:
                detail = from_stage if from_stage in Detail.values else ""
            # The same times as ``cases.actions.transition_case`` counts: the
            # wait for a start from the waiting list, the treatment time for a
            # completion, otherwise the time since the case was opened.
            if event == Event.THERAPY_STARTED:
                joined = waitlisted_at.get(case_id)
                duration = (at - joined) if joined else None
            elif event == Event.THERAPY_COMPLETED:
                started = treatment_started_at.get(case_id)
                duration = (at - started) if started else None
            else:
                duration = at - case.opened_at
            yield count_row(
                event,
                centre=centre,
                language=case.client.language,
                detail=detail,
                duration=duration,
                day=day,
                source=Source.BACKFILL,
            )
        _remember(case_id, to_stage, at, waitlisted_at, treatment_started_at)


def _remember(
    case_id: object,
    to_stage: str,
    at: datetime.datetime,
    waitlisted_at: dict[object, datetime.datetime],
    treatment_started_at: dict[object, datetime.datetime],
) -> None:
    """Keep a case's times in step, as ``transition_case`` keeps them on the case."""
    if to_stage == "waiting_list":
        waitlisted_at[case_id] = at
    if to_stage == "in_treatment":
        treatment_started_at.setdefault(case_id, at)


def _concerns(before: datetime.date) -> Iterator[Row]:
    from forestall.safeguarding.actions import _LEVEL_DETAIL
    from forestall.safeguarding.models import Concern

    for concern in Concern.objects.select_related("centre").iterator():
        if _day(concern.raised_at) < before:
            yield count_row(
                Event.CONCERN_RAISED,
                centre=concern.centre,
                detail=_LEVEL_DETAIL.get(concern.level, ""),
                day=_day(concern.raised_at),
                source=Source.BACKFILL,
            )
        if concern.decided_at and _day(concern.decided_at) < before:
            yield count_row(
                Event.CONCERN_DECIDED,
                centre=concern.centre,
                detail=concern.decision if concern.decision in Detail.values else "",
                duration=concern.decided_at - concern.raised_at,
                day=_day(concern.decided_at),
                source=Source.BACKFILL,
            )


def _courses(before: datetime.date) -> Iterator[Row]:
    from forestall.directory.models import Centre
    from forestall.instruments.courses import finished_courses

    centres = {centre.pk: centre for centre in Centre.objects.all()}
    for course in finished_courses(until=before):
        outcome = course.outcome
        centre = centres.get(course.centre_id) if course.centre_id else None
        day = _day(course.finished_at)
        detail = Detail.AT_CASENESS if outcome.caseness_start else Detail.NOT_AT_CASENESS
        yield count_row(
            Event.COURSE_FINISHED, centre=centre, detail=detail, day=day, source=Source.BACKFILL
        )
        for happened, event in (
            (outcome.recovered, Event.RECOVERED),
            (outcome.reliable_improvement, Event.RELIABLY_IMPROVED),
            (outcome.reliable_deterioration, Event.RELIABLY_DETERIORATED),
        ):
            if happened:
                yield count_row(event, centre=centre, day=day, source=Source.BACKFILL)


SOURCES = (_mailboxes, _conversations, _cases, _concerns, _courses)


def rebuild_rows(before: datetime.date) -> list[Row]:
    """Every backfillable event before ``before``, as validated count rows."""
    rows: list[Row] = []
    for source in SOURCES:
        rows.extend(source(before))
    return rows


def summary(rows: list[Row]) -> Counter[str]:
    totals: Counter[str] = Counter()
    for row in rows:
        totals[str(row[1])] += int(row[-1])  # type: ignore[call-overload]
    return totals


def backfill(
    before: datetime.date | None = None, *, apply: bool = False
) -> tuple[datetime.date, Counter[str]]:
    """Recompute the backfilled counts; replace them in the table only if ``apply``."""
    before = before or counting_started()
    rows = rebuild_rows(before)
    if apply:
        with transaction.atomic():
            delete_counts(Source.BACKFILL)
            add_counts(rows)
    return before, summary(rows)
