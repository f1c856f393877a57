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
from django.utils.translation import ngettext

from forestall.cases.models import Case, CaseTransition, Client, Note, Referral, Task
from forestall.lib.crypto import encrypted_fields
from forestall.lib.retention import RetentionPolicy, exempt, register


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
    erased = Case.objects.filter(pk__in=case_ids).update(
        consent_note="", contact_summary=None, erased_at=timezone.now()
    )
    # A client keeps their details while any of their cases still holds content.
    done_clients = Client.objects.filter(pk__in=client_ids).exclude(cases__erased_at__isnull=True)
    done_client_ids = list(done_clients.values_list("pk", flat=True))
    Client.objects.filter(pk__in=done_client_ids).update(contact_details=None, mailbox=None)
    from forestall.instruments.models import Administration

    # Every encrypted field (the answers and the flags drawn from them), found from the model.
    Administration.objects.filter(client_id__in=done_client_ids).update(
        **{field.name: None for field in encrypted_fields(Administration)}
    )
    return erased


def _notice(days: int) -> str:
    years = max(1, round(days / 365))
    return ngettext(
        "If you agreed to be referred to a centre, that centre keeps its own record of "
        "your case: a reference number, your appointments and the notes of your sessions, "
        "questionnaires you answered at the centre, and contact details only if you gave "
        "them. Deleting your mailbox does not delete that record. The centre keeps it for "
        "%(years)d year after your case is closed and then deletes it.",
        "If you agreed to be referred to a centre, that centre keeps its own record of "
        "your case: a reference number, your appointments and the notes of your sessions, "
        "questionnaires you answered at the centre, and contact details only if you gave "
        "them. Deleting your mailbox does not delete that record. The centre keeps it for "
        "%(years)d years after your case is closed and then deletes it.",
        years,
    ) % {"years": years}


CASE = register(
    RetentionPolicy(
        name="case",
        model="cases.Case",
        inactive_since=_closed_before,
        erase=erase_case_content,
        description="Content of cases closed for the period (the de-identified case stays).",
        covers=(
            "cases.Note",
            "cases.Task",
            "cases.CaseTransition",
            "cases.Referral",
            "cases.Client",
            "instruments.Administration",
        ),
        public_notice=_notice,
    )
)

# What stays of an erased case: dates and stages, no content (see the module docstring).
_NO_CONTENT = "dates and stages only, no content: part of the de-identified case that stays"
exempt("cases.WaitingListEntry", _NO_CONTENT)
exempt("cases.Appointment", _NO_CONTENT)
exempt("cases.Attendance", _NO_CONTENT)
exempt(
    "cases.GlassBreak",
    "a staff member's emergency access to a case: who and when, no content; "
    "the audit log holds the same facts",
)
