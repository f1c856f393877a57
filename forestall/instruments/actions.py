"""Giving instruments to clients: record answers, send to the mailbox, complete.

API used by the cases and front-door work::

    from forestall.instruments import actions

    actions.record_administration(client, "PHQ-9", answers, occasion="intake",
                                  by=user, centre=centre)       # → Administration
    actions.send_to_mailbox(client, "GAD-7", occasion="session",
                            by=user, centre=centre)             # → pending Administration
    actions.complete_from_mailbox(administration, answers)      # the client answered
    actions.pending_for_mailbox(mailbox)                        # queryset of pending ones

Each action runs in one transaction, writes an audit entry and, when a
discharge measure finishes a course (a PHQ-9 and a GAD-7 at discharge with
earlier measurements of both), counts the course in the statistics: one
``course_finished`` event (detail ``at_caseness``/``not_at_caseness``) and the
outcome events ``recovered``, ``reliably_improved``, ``reliably_deteriorated``
where they apply. Nothing about the person reaches the statistics.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from forestall.audit.actions import record_event
from forestall.instruments.catalogue import catalogue
from forestall.instruments.models import Administration, Occasion, Status
from forestall.instruments.scoring import InvalidAnswers, Score, score_definition
from forestall.lib.locking import lock_row
from forestall.lib.rows import Statement, fields, prepared

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from forestall.accounts.models import User
    from forestall.cases.models import Client
    from forestall.directory.models import Centre
    from forestall.inbox.models import Mailbox
    from forestall.instruments.outcomes import Outcome

__all__ = [
    "InvalidAnswers",
    "NoMailbox",
    "NotPending",
    "complete_from_mailbox",
    "pending_for_mailbox",
    "record_administration",
    "send_to_mailbox",
]

# The measures whose first and last scores make a course (NHS Talking Therapies).
COURSE_MEASURES = ("phq9", "gad7")


class NoMailbox(ValueError):
    """The client has no anonymous mailbox to send a questionnaire to."""


class NotPending(ValueError):
    """The administration was already completed."""


def _occasion(occasion: str) -> str:
    if occasion not in Occasion.values:
        raise ValueError(f"unknown occasion {occasion!r}")
    return str(occasion)


def _apply(administration: Administration, result: Score, answers: dict[str, Any]) -> None:
    administration.answers = answers  # type: ignore[assignment]  # encrypted JSON field
    administration.total = result.total
    administration.band = result.band or ""
    administration.caseness = result.caseness
    administration.prorated = result.prorated
    administration.subscales = dict(result.subscales)
    administration.flags = list(result.flags)  # type: ignore[assignment]
    administration.status = Status.COMPLETED
    administration.completed_at = timezone.now()


def _score(administration: Administration, answers: Any) -> tuple[Score, dict[str, Any]]:
    from forestall.instruments.scoring import normalise_answers

    definition = catalogue().get(administration.instrument, administration.version)
    result = score_definition(definition, answers)
    return result, normalise_answers(definition, answers)


def record_administration(
    client: Client,
    instrument_id: str,
    answers: Any,
    *,
    occasion: str,
    by: User | None,
    centre: Centre | None,
) -> Administration:
    """Record answers given in the session: scored now, under the newest version.

    Raises ``InvalidAnswers`` (one line, safe to show) for answers that do not
    fit the instrument and ``UnknownInstrument`` for an unknown id. Incomplete
    answers (more missing than the instrument allows) are kept without a total.
    """
    definition = catalogue().get(instrument_id)
    if not definition.is_scored:
        raise InvalidAnswers(f"{definition.name} is not given to clients")
    administration = Administration(
        client=client,
        centre=centre,
        instrument=definition.id,
        version=definition.version,
        occasion=_occasion(occasion),
        administered_by=by,
    )
    result, normalised = _score(administration, answers)
    with transaction.atomic():
        _apply(administration, result, normalised)
        administration.save()
        # The audit entry before the course count: it holds the audit chain's
        # head until commit, so a second discharge measure recorded at the same
        # moment waits here and then sees this one (the course is counted once).
        record_event(by, "instrument.record", administration, centre=centre)
        _count_finished_course(administration)
        _ask_for_risk_assessment(administration, by=by)
    return administration


def send_to_mailbox(
    client: Client,
    instrument_id: str,
    *,
    occasion: str,
    by: User | None,
    centre: Centre | None,
) -> Administration:
    """Ask the client to answer in their anonymous mailbox (a pending administration).

    The version is fixed now, so the client answers exactly what was sent.
    Raises ``NoMailbox`` when the client has no mailbox.
    """
    definition = catalogue().get(instrument_id)
    if not definition.is_scored:
        raise InvalidAnswers(f"{definition.name} is not given to clients")
    if client.mailbox_id is None:
        raise NoMailbox("this client has no mailbox to answer in")
    with transaction.atomic():
        administration = Administration.objects.create(
            client=client,
            centre=centre,
            instrument=definition.id,
            version=definition.version,
            occasion=_occasion(occasion),
            status=Status.PENDING,
            administered_by=by,
            via_mailbox=True,
        )
        record_event(by, "instrument.send", administration, centre=centre)
    return administration


def complete_from_mailbox(administration: Administration, answers: Any) -> Administration:
    """Store the client's answers to a pending administration, scored under its version.

    Raises ``NotPending`` if it was already answered, ``InvalidAnswers``
    for answers that do not fit and ``inbox.actions.MailboxDeleted`` if it
    went with the mailbox meanwhile (deleted in another tab).
    """
    from forestall.inbox.actions import MailboxDeleted

    result, normalised = _score(administration, answers)
    with transaction.atomic():
        locked = lock_row(Administration, administration.pk)
        if locked is None:
            raise MailboxDeleted
        if locked.status != Status.PENDING:
            raise NotPending("this questionnaire was already answered")
        _apply(administration, result, normalised)
        administration.save()
        # The client is anonymous: the entry names no actor.
        record_event(None, "instrument.complete", administration, centre=administration.centre)
        _count_finished_course(administration)
        _ask_for_risk_assessment(administration, by=None)
    return administration


def _ask_for_risk_assessment(administration: Administration, *, by: User | None) -> None:
    """A risk flag (PHQ-9 item 9) puts a task "risk assessment today" on the client's open cases.

    Answers can arrive from the mailbox with nobody watching; the task is
    what makes the case's clinicians see it on their own list the same day.
    """
    if not administration.flags:
        return
    from forestall.cases.actions import ask_for_risk_assessment

    ask_for_risk_assessment(
        administration.client,
        centre_id=administration.centre_id,
        instrument=administration.definition.name,
        by=by,
        nobody_watching=administration.via_mailbox,
    )


def pending_for_mailbox(mailbox: Mailbox) -> QuerySet[Administration]:
    """Questionnaires waiting for the owner of ``mailbox``, oldest first."""
    return Administration.objects.filter(client__mailbox=mailbox, status=Status.PENDING).order_by(
        "created_at"
    )


def answered_in_mailbox(mailbox: Mailbox) -> QuerySet[Administration]:
    """Questionnaires sent to the owner of ``mailbox`` and already answered there.

    What a second "Send my answers" (a double click, back and send again, a
    second tab) finds: the mailbox says they arrived rather than "not found".
    """
    return Administration.objects.filter(
        client__mailbox=mailbox, status=Status.COMPLETED, via_mailbox=True
    )


def pending_for_mailbox_ids(mailbox: Mailbox) -> list[tuple[uuid.UUID, str, int]]:
    """(id, instrument, version) of ``pending_for_mailbox``, for the mailbox page.

    Every signed-in mailbox page asks, and almost always finds nothing: one
    plain join, because building the ORM's query cost several times running it.
    """
    from forestall.cases.models import Client

    mailbox_field = Client._meta.get_field("mailbox")
    rows = _PENDING_FOR_MAILBOX.rows([prepared(mailbox_field, mailbox.pk), str(Status.PENDING)])
    return [(pk, instrument, int(version)) for pk, instrument, version in rows]


def _pending_for_mailbox_sql(using: Any) -> str:
    from forestall.cases.models import Client

    quote = using.ops.quote_name
    administrations = quote(Administration._meta.db_table)
    clients = quote(Client._meta.db_table)
    return (
        f"SELECT a.{quote('id')}, a.{quote('instrument')}, a.{quote('version')} "  # noqa: S608 - our own names
        f"FROM {administrations} a JOIN {clients} c ON a.{quote('client_id')} = c.{quote('id')} "
        f"WHERE c.{quote('mailbox_id')} = %s AND a.{quote('status')} = %s "
        f"ORDER BY a.{quote('created_at')}"
    )


_PENDING_FOR_MAILBOX = Statement(
    _pending_for_mailbox_sql, lambda: fields(Administration, "id", "instrument", "version")
)


def _finishes_course(administration: Administration) -> bool:
    """Whether this discharge measure is the one that completes a PHQ-9/GAD-7 pair."""
    if (
        administration.occasion != Occasion.DISCHARGE
        or administration.instrument not in COURSE_MEASURES
        or administration.total is None
    ):
        return False
    other = next(measure for measure in COURSE_MEASURES if measure != administration.instrument)
    scored = Administration.objects.filter(
        client_id=administration.client_id, status=Status.COMPLETED, total__isnull=False
    )
    discharges = scored.filter(occasion=Occasion.DISCHARGE)
    earlier = scored.exclude(occasion__in=[Occasion.DISCHARGE, Occasion.FOLLOW_UP])
    return (
        not discharges.filter(instrument=administration.instrument)
        .exclude(pk=administration.pk)
        .exists()
        and discharges.filter(instrument=other).exists()
        and earlier.filter(instrument=administration.instrument).exists()
        and earlier.filter(instrument=other).exists()
    )


def _count_finished_course(administration: Administration) -> None:
    from forestall.instruments.courses import client_course
    from forestall.stats import actions as stats
    from forestall.stats.events import Event

    if not _finishes_course(administration):
        return
    course = client_course(administration.client_id)
    if course is None:  # pragma: no cover - _finishes_course guarantees a pair
        return
    outcome: Outcome = course.outcome
    centre = administration.centre
    day = timezone.localdate(administration.completed_at)
    stats.record(
        Event.COURSE_FINISHED,
        centre=centre,
        detail="at_caseness" if outcome.caseness_start else "not_at_caseness",
        day=day,
    )
    if outcome.recovered:
        stats.record(Event.RECOVERED, centre=centre, day=day)
    if outcome.reliable_improvement:
        stats.record(Event.RELIABLY_IMPROVED, centre=centre, day=day)
    if outcome.reliable_deterioration:
        stats.record(Event.RELIABLY_DETERIORATED, centre=centre, day=day)
