"""The ``access_*`` helpers: the only way staff views fetch case-work objects.

Each fetches through the model's ``visible_to``/``workable_by`` gate, so
that an object that does not exist and one the user may not see give the
same 404, and writes the audit read entry itself (with the centre it
concerns, so that the centre's managers see it): a view cannot show a case,
a client or anything of theirs without the read being recorded. The
``list_*`` helpers do the same for the lists. Fetching is reading, whatever
the method: a POST that changes the object is recorded as the read that
fetched it and the change its action records.
"""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404

from forestall.accounts.models import Membership, User
from forestall.audit.actions import read_or_404, record_read
from forestall.cases.models import (
    CASE_WORK_PARAMETERS,
    CASE_WORK_ROLES,
    Appointment,
    Case,
    CaseQuerySet,
    Client,
    Referral,
    Task,
    TaskKind,
    TherapyGroup,
    WaitingListEntry,
    WaitingListEntryQuerySet,
    case_work_condition,
    case_work_values,
    is_workable_by,
)
from forestall.directory.models import Centre
from forestall.lib.prepared import PreparedQuery

if TYPE_CHECKING:
    from django.db.models import QuerySet


# --- Centres --------------------------------------------------------------


def work_centres(user: User) -> list[Centre]:
    """The centres whose case work ``user`` does (clinician or centre manager there)."""
    return list(Centre.objects.where_holds(user, *CASE_WORK_ROLES))


def case_workers_at(
    centre_id: uuid.UUID | str, *, including_closed_accounts: bool = False
) -> QuerySet[User]:
    """The clinicians and managers of a centre: who may be assigned its tasks and sessions.

    A closed (deactivated) account can neither sign in nor see what it is given,
    so it is left out, unless the caller only looks back (the agenda's filter
    finds what a colleague who has left still holds).
    """
    workers = User.objects.filter(
        memberships__centre_id=centre_id, memberships__role__in=CASE_WORK_ROLES
    )
    if not including_closed_accounts:
        workers = workers.filter(is_active=True)
    return workers.distinct().order_by("username")


def case_worker_at(centre_id: uuid.UUID | str, user_id: str) -> User | None:
    """The case worker of the centre with this id, or None (an empty or foreign id)."""
    if not user_id:
        return None
    return case_workers_at(centre_id).filter(pk=user_id).first()


# --- Cases and clients ----------------------------------------------------


def access_case(user: User, case_id: uuid.UUID) -> Case:
    """A case ``user`` may see at least the summary of, or 404.

    Audited as ``case.read`` for those who work on it and
    ``case.read_summary`` for those who see the summary only.
    """
    return access_case_with_level(user, case_id)[0]


def access_case_with_level(user: User, case_id: uuid.UUID) -> tuple[Case, bool]:
    """``access_case``, and whether ``user`` works on the case (full access) or sees its summary.

    The case page needs both; deciding once saves asking the gate again.
    """
    case = _workable_case(user, case_id)
    if case is None:
        # Not one ``user`` works on: perhaps one whose summary they may see.
        case = get_object_or_404(
            Case.objects.visible_to(user).select_related("client", "centre", "lead_clinician"),
            pk=case_id,
        )
    full = can_work_on(user, case)
    record_read(user, "case.read" if full else "case.read_summary", case, centre=case.centre)
    return case, full


# ``Case.objects.workable_by(user)`` for one case, compiled once: the case page
# asks it on every visit (``forestall.lib.prepared``).
_WORKABLE_CASE: PreparedQuery[Case] = PreparedQuery(
    lambda p: (
        Case.objects.filter(case_work_condition(p.centres, p.granted), pk=p.case)
        .select_related("client", "centre", "lead_clinician")
        .order_by()[:1]
    ),
    case=models.UUIDField(),
    **CASE_WORK_PARAMETERS,
)


def _workable_case(user: User, case_id: uuid.UUID) -> Case | None:
    """The case with this id if ``user`` works on it (``workable_by``), else None."""
    found: Case | None = _WORKABLE_CASE.first(case=case_id, **case_work_values(user))
    return found


def access_case_for_work(user: User, case_id: uuid.UUID) -> Case:
    """A case ``user`` may work on (notes, tasks, pathway, appointments), or 404."""
    gated = Case.objects.workable_by(user).select_related("client", "centre", "lead_clinician")
    return read_or_404(user, gated, case_id, "case.read")


def case_to_break_glass(user: User, reference: str) -> Case | None:
    """The newest case of the client with this reference, for a network admin breaking the glass.

    Deliberately outside ``visible_to``: breaking the glass is how a network
    admin without standing access gets one case, for an hour, and
    ``actions.break_glass`` records it with the reason. Anyone else gets 404.
    """
    if not user.is_network_admin:
        raise Http404
    return Case.objects.filter(client__reference=reference).order_by("-opened_at").first()


def can_work_on(user: User, case: Case) -> bool:
    """Whether ``user`` has full access to ``case`` (rather than its summary only)."""
    return is_workable_by(user, case)


def cases_of_client(user: User, client: Client) -> CaseQuerySet:
    """The client's cases that ``user`` works on, most recent first."""
    return (
        Case.objects.workable_by(user)
        .filter(client=client)
        .select_related("centre")
        .order_by("-opened_at")
    )


def working_centre(user: User, client: Client) -> Centre | None:
    """The centre of the client's most recent case that ``user`` works on."""
    case = cases_of_client(user, client).first()
    return case.centre if case else None


def access_client(user: User, client_id: uuid.UUID, *, action: str = "client.read") -> Client:
    """A client ``user`` works with, or 404; audited as ``action`` at their working centre.

    The instruments pages read the same client under their own action names
    (``instrument.client_measures.read``).
    """
    client = get_object_or_404(Client.objects.visible_to(user), pk=client_id)
    record_read(user, action, client, centre=working_centre(user, client))
    return client


def list_cases(user: User) -> CaseQuerySet:
    """The cases list's rows: what ``user`` may see; audited as ``case.list``."""
    record_read(user, "case.list")
    return Case.objects.visible_to(user).select_related("client", "centre")


# --- Tasks ----------------------------------------------------------------


def access_task(user: User, task_id: uuid.UUID) -> Task:
    """A task on a case ``user`` works on, or 404; audited as a read of its case."""
    task = get_object_or_404(
        Task.objects.visible_to(user).select_related("case__centre", "case__client"), pk=task_id
    )
    record_read(user, "case.read", task.case, centre=task.case.centre)
    return task


# ``Task.objects.visible_to(user)`` (the case-work gate through the task's
# case), pending, assigned to the reader: compiled once, as every staff
# member's "my tasks" asks it (``forestall.lib.prepared``).
# Two queries, not one with an OR: each is answered from its own index
# (the assignee's, and the partial index of open risk assessments behind
# the one-per-case constraint). One query with "mine OR nobody's here" made
# SQLite walk every case of the centre and its tasks: 5 ms at a centre of
# 2,000 cases, on every "My tasks" page.
_MY_OWN_TASKS: PreparedQuery[Task] = PreparedQuery(
    lambda p: (
        Task.objects.filter(
            case_work_condition(p.centres, p.granted, centre="case__centre_id", case="case_id")
        )
        .pending()
        .filter(assignee_id=p.user)
        .select_related("case__client", "case__centre")[:MY_TASKS_LIMIT]
    ),
    user=models.UUIDField(),
    **CASE_WORK_PARAMETERS,
)

# A risk assessment nobody has yet at one's own centres (a case without a
# lead clinician): urgent, so it must be on somebody's list, not only on
# its case's page. Not through a glass-break grant: that is for reading a
# case, not for taking its work. One given to someone who can no longer take
# it (their account was closed, or they do no case work at any of the
# reader's centres any more: a lead clinician who left) is in a list nobody
# reads: nobody's too.
_NOBODYS_RISK_TASKS: PreparedQuery[Task] = PreparedQuery(
    lambda p: (
        Task.objects.filter(kind=TaskKind.RISK_ASSESSMENT, done_at__isnull=True)
        # Two branches that each probe the open risk assessments' index by
        # assignee (SQLite's multi-index OR): nobody, or someone who cannot
        # take them here any more.
        .filter(
            models.Q(assignee_id__isnull=True)
            | models.Q(
                assignee_id__in=User.objects.exclude(
                    is_active=True,
                    pk__in=Membership.objects.filter(
                        centre_id__in=p.centres, role__in=CASE_WORK_ROLES
                    ).values("user_id"),
                ).values("pk")
            )
        )
        # The centre as a condition on the case, not on the joined row:
        # with the latter SQLite starts from the centre's cases (all 2,000
        # of them) instead of the few open risk assessments.
        .filter(Exists(Case.objects.filter(pk=OuterRef("case_id"), centre_id__in=p.centres)))
        .select_related("case__client", "case__centre")[:MY_TASKS_LIMIT]
    ),
    centres=[models.UUIDField()],
)

MY_TASKS_LIMIT = 200


def _task_order(task: Task) -> tuple[bool, datetime.date, datetime.datetime]:
    """``Task.Meta.ordering`` in Python: by due day (none last), then by age."""
    return (task.due_on is None, task.due_on or datetime.date.min, task.created_at)


def list_my_tasks(user: User) -> list[Task]:
    """``user``'s own open tasks and reminders, overdue first; audited as ``case.task.list``.

    With them, the open risk assessments nobody is assigned to at the centres
    where ``user`` does case work (their case has no lead clinician), or
    whose assignee can no longer take them (account closed, or no longer
    doing case work at that centre).
    """
    record_read(user, "case.task.list")
    work = case_work_values(user)
    tasks = _MY_OWN_TASKS.all(user=user.pk, **work)
    if work["centres"]:
        tasks += _NOBODYS_RISK_TASKS.all(centres=work["centres"])
    return sorted(tasks, key=_task_order)[:MY_TASKS_LIMIT]


# --- Waiting list ---------------------------------------------------------


def access_waiting_entry(user: User, entry_id: uuid.UUID) -> WaitingListEntry:
    """A waiting-list entry at a centre of ``user``, or 404; audited as a read of its case."""
    entry = get_object_or_404(
        WaitingListEntry.objects.visible_to(user).select_related("case__client", "centre"),
        pk=entry_id,
    )
    record_read(user, "case.read", entry.case, centre=entry.centre)
    return entry


def list_waiting(user: User, centre: Centre, programme: str) -> WaitingListEntryQuerySet:
    """Who waits at ``centre`` for ``programme``; audited as ``waiting_list.read`` there."""
    record_read(user, "waiting_list.read", centre=centre)
    return (
        WaitingListEntry.objects.visible_to(user)
        .waiting()
        .filter(centre=centre, programme=programme)
    )


# --- Appointments and groups ----------------------------------------------


def access_appointment(user: User, appointment_id: uuid.UUID) -> Appointment:
    """An appointment or group session at a centre of ``user``, or 404."""
    gated = Appointment.objects.visible_to(user).select_related(
        "centre", "case__client", "group", "clinician"
    )
    return read_or_404(user, gated, appointment_id, "appointment.read")


def list_agenda(
    user: User, start: datetime.datetime, end: datetime.datetime
) -> QuerySet[Appointment]:
    """The appointments ``user`` may see from ``start`` to ``end``; audited as ``agenda.read``."""
    record_read(user, "agenda.read")
    return (
        Appointment.objects.visible_to(user)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("case__client", "group", "clinician", "centre")
        .order_by("starts_at")
    )


def access_group(user: User, group_id: uuid.UUID) -> TherapyGroup:
    """A therapy group of a centre of ``user``, or 404; audited as ``group.read``."""
    gated = TherapyGroup.objects.visible_to(user).select_related("centre", "clinician")
    return read_or_404(user, gated, group_id, "group.read")


def list_groups(user: User) -> QuerySet[TherapyGroup]:
    """The groups of the centres of ``user``; audited as ``group.list``."""
    record_read(user, "group.list")
    return TherapyGroup.objects.visible_to(user).select_related("centre", "clinician")


def open_case_at(user: User, centre: Centre, reference: str) -> Case | None:
    """The open case with this client reference at ``centre`` that ``user`` works on."""
    return (
        Case.objects.workable_by(user)
        .open()
        .filter(centre=centre, client__reference=reference.strip().upper())
        .first()
    )


# --- Referrals ------------------------------------------------------------


def access_referral(user: User, referral_id: uuid.UUID, *, side: str = "") -> Referral:
    """A referral from or to a centre of ``user``, or 404.

    ``side="sending"`` or ``"receiving"`` narrows the gate to the referrals
    ``user`` sent or received (withdrawing, answering), so that the other
    centre gets the same 404 as for a referral that does not exist. Audited
    as ``referral.read`` at the centre through which ``user`` sees it (the
    receiving centre if they work there, else the sending one).
    """
    gated = Referral.objects.visible_to(user).select_related(
        "case__client", "from_centre", "to_centre", "new_case", "decided_by"
    )
    if side:
        own = Centre.objects.where_holds(user, *CASE_WORK_ROLES).values("pk")
        centre_field = {"sending": "from_centre_id__in", "receiving": "to_centre_id__in"}[side]
        gated = gated.filter(**{centre_field: own})
    referral = get_object_or_404(gated, pk=referral_id)
    receiving = user.has_role_at(referral.to_centre_id, *CASE_WORK_ROLES)
    centre = referral.to_centre if receiving else referral.from_centre
    record_read(user, "referral.read", referral, centre=centre)
    return referral


def list_referrals(user: User) -> tuple[QuerySet[Referral], QuerySet[Referral]]:
    """The referrals into and out of the centres of ``user``; audited as ``referral.list``."""
    record_read(user, "referral.list")
    centres = Centre.objects.where_holds(user, *CASE_WORK_ROLES).values("pk")
    referrals = Referral.objects.visible_to(user).select_related(
        "case__client", "from_centre", "to_centre"
    )
    incoming = referrals.filter(to_centre_id__in=centres)[:100]
    outgoing = referrals.filter(from_centre_id__in=centres)[:100]
    return incoming, outgoing
