"""What the full case page shows, read with queries compiled once.

Why: the case page is the page clinicians open most, and at 100,000 cases it
spent more than half its time building its section queries through the ORM
(200 to 400 µs of CPU each for a query SQLite answers in tens of
microseconds). Each section here is a ``PreparedQuery``: the same queryset
as before, compiled once per connection, run with the case's values.

Access: the page calls this only after ``access_case_with_level`` fetched
the case through the gate, decided that the reader works on it (full access)
and audited the read. The sections that have a gate of their own
(appointments: a group session of another centre is not this reader's)
keep it, built by the same ``case_work_condition`` as the gate, with the
reader's remembered centres and glass-break grants as parameters.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from forestall.accounts.models import User
from forestall.cases.models import (
    CASE_WORK_PARAMETERS,
    Appointment,
    Attendance,
    Case,
    CaseTransition,
    Note,
    Referral,
    Task,
    WaitingListEntry,
    case_work_condition,
    case_work_values,
    client_work_condition,
)
from forestall.instruments.models import Administration
from forestall.lib.prepared import PreparedQuery
from forestall.safeguarding.models import Concern

# How many notes, tasks, appointments and history steps the page lists.
RECENT = 20

_CASE = models.UUIDField()
_CLIENT = models.UUIDField()

_HISTORY: PreparedQuery[CaseTransition] = PreparedQuery(
    lambda p: (
        CaseTransition.objects.filter(case_id=p.case).select_related("by").order_by("-at")[:RECENT]
    ),
    case=_CASE,
)
_APPOINTMENTS: PreparedQuery[Appointment] = PreparedQuery(
    lambda p: (
        Appointment.objects.filter(case_work_condition(p.centres, p.granted, case="case_id"))
        .filter(attendances__case_id=p.case)
        .select_related("clinician", "group")
        .order_by("-starts_at")[:RECENT]
    ),
    case=_CASE,
    **CASE_WORK_PARAMETERS,
)
_ATTENDANCE: PreparedQuery[Attendance] = PreparedQuery(
    lambda p: Attendance.objects.filter(case_id=p.case).values_list("appointment_id", "status"),
    case=_CASE,
)
_WAITING: PreparedQuery[WaitingListEntry] = PreparedQuery(
    lambda p: WaitingListEntry.objects.filter(case_id=p.case, left_at__isnull=True).order_by("pk")[
        :1
    ],
    case=_CASE,
)
_REFERRALS: PreparedQuery[Referral] = PreparedQuery(
    lambda p: (
        Referral.objects.filter(Q(case_id=p.case) | Q(new_case_id=p.case))
        .select_related("to_centre", "decided_by", "from_centre")
        .order_by("-created_at")
    ),
    case=_CASE,
)
_NOTES: PreparedQuery[Note] = PreparedQuery(
    lambda p: Note.objects.filter(case_id=p.case).select_related("author")[:RECENT],
    case=_CASE,
)
_TASKS: PreparedQuery[Task] = PreparedQuery(
    lambda p: (
        Task.objects.filter(case_id=p.case)
        .select_related("assignee")
        .order_by("done_at", "due_on")[:RECENT]
    ),
    case=_CASE,
)
_CONCERNS: PreparedQuery[Concern] = PreparedQuery(
    lambda p: Concern.objects.filter(case_id=p.case).values_list("pk", flat=True),
    case=_CASE,
)
_PENDING: PreparedQuery[Administration] = PreparedQuery(
    lambda p: (
        Administration.objects.pending()
        .filter(client_work_condition(p.centres, p.granted, client="client_id"), client_id=p.client)
        .order_by("-created_at")[:RECENT]
    ),
    client=_CLIENT,
    **CASE_WORK_PARAMETERS,
)
_COMPLETED: PreparedQuery[Administration] = PreparedQuery(
    lambda p: Administration.objects.filter(client_id=p.client).completed(),
    client=_CLIENT,
)


def sections(user: User, case: Case) -> dict[str, Any]:
    """The case page's lists for a case ``user`` works on (already through the gate)."""
    on_case: dict[str, Any] = {"case": case.pk}
    gate = case_work_values(user)
    appointments = _APPOINTMENTS.all(**on_case, **gate)
    referrals = _REFERRALS.all(**on_case)
    return {
        "history": _HISTORY.all(**on_case),
        "appointments": appointments,
        "statuses": dict(_ATTENDANCE.all(**on_case)),
        "waiting": _WAITING.first(**on_case),
        "referrals_out": [row for row in referrals if row.case_id == case.pk],
        "referral_in": next((row for row in referrals if row.new_case_id == case.pk), None),
        "notes": _NOTES.all(**on_case),
        "tasks": _TASKS.all(**on_case),
        "concern_count": len(_CONCERNS.all(**on_case)),
        "completed": _COMPLETED.all(client=case.client_id),
        "pending": _PENDING.all(client=case.client_id, **gate),
    }
