"""Finished courses and their outcomes, per client, per centre and for the network.

A *finished course* is a client with a completed PHQ-9 and GAD-7 at discharge
and at least one earlier completed measurement of each (intake or session).
Its first scores are the earliest earlier measurements, its last scores the
latest discharge ones; the outcome follows ``outcomes.course_outcome`` (NHS
Talking Therapies rules). One course per client is counted.

API used by the statistics work::

    from forestall.instruments.courses import outcome_summary, outcome_summaries_by_centre

    outcome_summary()                                  # the whole network
    outcome_summary(centre=centre, since=d1, until=d2) # one centre, a period
    outcome_summaries_by_centre(since=d1)              # {centre id: OutcomeSummary}

The first and last scores of every client are picked by correlated subqueries
in one query; only the rules themselves run in Python.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import OuterRef, QuerySet, Subquery

from forestall.instruments.models import Administration, Occasion, Status
from forestall.instruments.outcomes import Outcome, course_outcome

if TYPE_CHECKING:
    from forestall.directory.models import Centre

_EARLIER = (Occasion.INTAKE, Occasion.SESSION)


@dataclass(frozen=True)
class Course:
    client_id: uuid.UUID
    centre_id: uuid.UUID | None
    finished_at: datetime.datetime
    phq9: tuple[int, int]
    gad7: tuple[int, int]

    @property
    def outcome(self) -> Outcome:
        return course_outcome(phq9=self.phq9, gad7=self.gad7)


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


@dataclass(frozen=True)
class OutcomeSummary:
    """Counts and rates of finished courses (rates are None without a denominator).

    Recovery and reliable recovery rates are out of the courses at caseness at
    the start (NHS Talking Therapies); improvement and deterioration rates are
    out of all finished courses.
    """

    finished_courses: int = 0
    at_caseness: int = 0
    recovered: int = 0
    reliable_improvement: int = 0
    reliable_deterioration: int = 0
    reliable_recovery: int = 0

    @property
    def recovery_rate(self) -> float | None:
        return _rate(self.recovered, self.at_caseness)

    @property
    def reliable_recovery_rate(self) -> float | None:
        return _rate(self.reliable_recovery, self.at_caseness)

    @property
    def reliable_improvement_rate(self) -> float | None:
        return _rate(self.reliable_improvement, self.finished_courses)

    @property
    def reliable_deterioration_rate(self) -> float | None:
        return _rate(self.reliable_deterioration, self.finished_courses)

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "finished_courses": self.finished_courses,
            "at_caseness": self.at_caseness,
            "recovered": self.recovered,
            "recovery_rate": self.recovery_rate,
            "reliable_improvement": self.reliable_improvement,
            "reliable_improvement_rate": self.reliable_improvement_rate,
            "reliable_deterioration": self.reliable_deterioration,
            "reliable_deterioration_rate": self.reliable_deterioration_rate,
            "reliable_recovery": self.reliable_recovery,
            "reliable_recovery_rate": self.reliable_recovery_rate,
        }


def summarise(courses: Iterable[Course]) -> OutcomeSummary:
    counts: defaultdict[str, int] = defaultdict(int)
    for course in courses:
        outcome = course.outcome
        counts["finished_courses"] += 1
        counts["at_caseness"] += outcome.caseness_start
        counts["recovered"] += outcome.recovered
        counts["reliable_improvement"] += outcome.reliable_improvement
        counts["reliable_deterioration"] += outcome.reliable_deterioration
        counts["reliable_recovery"] += outcome.reliable_recovery
    return OutcomeSummary(**counts)


def _score_of(instrument: str, *, first: bool) -> Subquery:
    rows = Administration.objects.filter(
        client_id=OuterRef("client_id"),
        instrument=instrument,
        status=Status.COMPLETED,
        total__isnull=False,
    )
    if first:
        rows = rows.filter(occasion__in=_EARLIER).order_by("completed_at", "created_at")
    else:
        rows = rows.filter(occasion=Occasion.DISCHARGE).order_by("-completed_at", "-created_at")
    return Subquery(rows.values("total")[:1])


def finished_courses(
    *,
    centre: Centre | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    client_ids: Iterable[uuid.UUID] | None = None,
) -> list[Course]:
    """Every finished course, optionally for one centre and a period of finishing.

    The course belongs to the centre of its last PHQ-9 at discharge and
    finished on that date; ``since`` is inclusive, ``until`` exclusive.
    """
    # One row per client: the latest PHQ-9 at discharge is the anchor.
    anchors: QuerySet[Administration] = Administration.objects.filter(
        instrument="phq9",
        occasion=Occasion.DISCHARGE,
        status=Status.COMPLETED,
        total__isnull=False,
    )
    latest_anchor = (
        Administration.objects.filter(
            client_id=OuterRef("client_id"),
            instrument="phq9",
            occasion=Occasion.DISCHARGE,
            status=Status.COMPLETED,
            total__isnull=False,
        )
        .order_by("-completed_at", "-created_at")
        .values("pk")[:1]
    )
    anchors = anchors.filter(pk=Subquery(latest_anchor))
    if client_ids is not None:
        anchors = anchors.filter(client_id__in=list(client_ids))
    if centre is not None:
        anchors = anchors.filter(centre=centre)
    if since is not None:
        anchors = anchors.filter(completed_at__date__gte=since)
    if until is not None:
        anchors = anchors.filter(completed_at__date__lt=until)
    rows = anchors.annotate(
        phq9_first=_score_of("phq9", first=True),
        gad7_first=_score_of("gad7", first=True),
        gad7_last=_score_of("gad7", first=False),
    ).values_list(
        "client_id", "centre_id", "completed_at", "phq9_first", "total", "gad7_first", "gad7_last"
    )
    return [
        Course(
            client_id=client_id,
            centre_id=centre_id,
            finished_at=finished_at,  # type: ignore[arg-type]  # filtered: never None
            phq9=(phq9_first, phq9_last),  # type: ignore[arg-type]
            gad7=(gad7_first, gad7_last),
        )
        for client_id, centre_id, finished_at, phq9_first, phq9_last, gad7_first, gad7_last in rows
        if None not in (phq9_first, gad7_first, gad7_last)
    ]


def client_course(client_id: uuid.UUID) -> Course | None:
    """The finished course of one client, or None."""
    courses = finished_courses(client_ids=[client_id])
    return courses[0] if courses else None


def outcome_summary(
    *,
    centre: Centre | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> OutcomeSummary:
    """Finished courses, recovery and reliable change for a centre or the network."""
    return summarise(finished_courses(centre=centre, since=since, until=until))


def outcome_summaries_by_centre(
    *, since: datetime.date | None = None, until: datetime.date | None = None
) -> dict[uuid.UUID | None, OutcomeSummary]:
    """One ``OutcomeSummary`` per centre (key None: courses recorded without a centre)."""
    by_centre: dict[uuid.UUID | None, list[Course]] = defaultdict(list)
    for course in finished_courses(since=since, until=until):
        by_centre[course.centre_id].append(course)
    return {centre_id: summarise(courses) for centre_id, courses in by_centre.items()}
