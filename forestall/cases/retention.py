"""Retention of case work: closed cases keep their content for a set period, then lose it.

A case that ended (closed, or one of the exits) more than
``FORESTALL_RETENTION_DAYS["case"]`` days ago (``FORESTALL_RETAIN_CASE_DAYS``,
default ten years) has its personal and clinical content erased: notes and
tasks are deleted, the reasons of its moves, the consent note and the
referral texts are blanked, and once none of a client's cases holds content
any more, the client's contact details, the link to their mailbox and the
answers to their questionnaires go too. What remains is what the
statistics need and cannot identify anyone: the stage, the centre, the
programme and the dates of each move (``erased_at`` marks such a case).
"""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from forestall.cases.models import Case, CaseTransition, Client, Note, Referral, Task
from forestall.lib.retention import RetentionPolicy, register


def _closed_before(cutoff: datetime.date) -> QuerySet[Case]:
    start_of_cutoff = datetime.datetime.combine(
        cutoff, datetime.time.min, tzinfo=timezone.get_current_timezone()
    )
    return Case.objects.filter(closed_at__lt=start_of_cutoff, erased_at__isnull=True)


def erase_case_content(cases: QuerySet[Case]) -> int:
    """Erase the content of ``cases`` (and of clients left without content); return how many."""
    case_ids = list(cases.values_list("pk", flat=True))
    if not case_ids:
        return 0
    client_ids = set(Case.objects.filter(pk__in=case_ids).values_list("client_id", flat=True))
    Note.objects.filter(case_id__in=case_ids).delete()
    Task.objects.filter(case_id__in=case_ids).delete()
    CaseTransition.objects.filter(case_id__in=case_ids).update(reason="")
    Referral.objects.filter(case_id__in=case_ids).update(
        summary="", consent_note="", decision_reason=""
    )
    Referral.objects.filter(new_case_id__in=case_ids).update(decision_reason="")
    erased = Case.objects.filter(pk__in=case_ids).update(consent_note="", erased_at=timezone.now())
    # A client keeps their details while any of their cases still holds content.
    done_clients = Client.objects.filter(pk__in=client_ids).exclude(cases__erased_at__isnull=True)
    done_client_ids = list(done_clients.values_list("pk", flat=True))
    Client.objects.filter(pk__in=done_client_ids).update(contact_details=None, mailbox=None)
    from forestall.instruments.models import Administration

    Administration.objects.filter(client_id__in=done_client_ids).update(answers=None)
    return erased


CASE = register(
    RetentionPolicy(
        name="case",
        model="cases.Case",
        inactive_since=_closed_before,
        erase=erase_case_content,
        description="Content of cases closed for the period (the de-identified case stays).",
    )
)
