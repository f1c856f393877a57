"""The ``access_*`` helpers: the only way staff views fetch case-work objects.

Each fetches through the model's ``visible_to``/``workable_by`` gate, so
that an object that does not exist and one the user may not see give the
same 404.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.shortcuts import get_object_or_404

from forestall.cases.models import (
    Appointment,
    Case,
    Client,
    Referral,
    Task,
    TherapyGroup,
    WaitingListEntry,
)

if TYPE_CHECKING:
    from forestall.accounts.models import User


def access_case(user: User, case_id: uuid.UUID) -> Case:
    """A case ``user`` may see at least the summary of, or 404."""
    return get_object_or_404(
        Case.objects.visible_to(user).select_related("client", "centre", "lead_clinician"),
        pk=case_id,
    )


def access_case_for_work(user: User, case_id: uuid.UUID) -> Case:
    """A case ``user`` may work on (notes, tasks, pathway, appointments), or 404."""
    return get_object_or_404(
        Case.objects.workable_by(user).select_related("client", "centre", "lead_clinician"),
        pk=case_id,
    )


def can_work_on(user: User, case: Case) -> bool:
    """Whether ``user`` has full access to ``case`` (rather than its summary only)."""
    return Case.objects.workable_by(user).filter(pk=case.pk).exists()


def access_client(user: User, client_id: uuid.UUID) -> Client:
    return get_object_or_404(Client.objects.visible_to(user), pk=client_id)


def access_appointment(user: User, appointment_id: uuid.UUID) -> Appointment:
    return get_object_or_404(
        Appointment.objects.visible_to(user).select_related(
            "centre", "case__client", "group", "clinician"
        ),
        pk=appointment_id,
    )


def access_task(user: User, task_id: uuid.UUID) -> Task:
    return get_object_or_404(
        Task.objects.visible_to(user).select_related("case__centre"), pk=task_id
    )


def access_referral(user: User, referral_id: uuid.UUID) -> Referral:
    return get_object_or_404(
        Referral.objects.visible_to(user).select_related(
            "case__client", "from_centre", "to_centre", "new_case", "decided_by"
        ),
        pk=referral_id,
    )


def access_group(user: User, group_id: uuid.UUID) -> TherapyGroup:
    return get_object_or_404(
        TherapyGroup.objects.visible_to(user).select_related("centre", "clinician"), pk=group_id
    )


def access_waiting_entry(user: User, entry_id: uuid.UUID) -> WaitingListEntry:
    return get_object_or_404(
        WaitingListEntry.objects.visible_to(user).select_related("case__client", "centre"),
        pk=entry_id,
    )
