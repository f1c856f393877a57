"""Retention of safeguarding records: decided concerns lose their content after the period.

A concern decided more than ``FORESTALL_RETENTION_DAYS["concern"]`` days ago
(``FORESTALL_RETAIN_CONCERN_DAYS``, default ten years) has every encrypted
field blanked (description, decision note, the agency and reference of a
disclosure, and any such field added later) and the notes of its history;
the level, the decision,
who took each step and when stay, because the two-person rule must remain
provable from the record (the audit log holds the same facts without
content).
"""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from forestall.lib.crypto import encrypted_fields
from forestall.lib.retention import RetentionPolicy, register
from forestall.safeguarding.models import Concern, ConcernStatus, ConcernStep


def _decided_before(cutoff: datetime.date) -> QuerySet[Concern]:
    start_of_cutoff = datetime.datetime.combine(
        cutoff, datetime.time.min, tzinfo=timezone.get_current_timezone()
    )
    return Concern.objects.filter(
        status=ConcernStatus.DECIDED, decided_at__lt=start_of_cutoff, erased_at__isnull=True
    )


def erase_concern_content(concerns: QuerySet[Concern]) -> int:
    """Blank every encrypted field of ``concerns`` and their steps; return how many were erased.

    The fields are found, not listed, so a sensitive field added later is
    erased too.
    """
    ids = list(concerns.values_list("pk", flat=True))
    ConcernStep.objects.filter(concern_id__in=ids).update(
        **{field.name: "" for field in encrypted_fields(ConcernStep)}
    )
    return Concern.objects.filter(pk__in=ids).update(
        **{field.name: "" for field in encrypted_fields(Concern)}, erased_at=timezone.now()
    )


def _notice(days: int) -> str:
    years = max(1, round(days / 365))
    return ngettext(
        "If a counsellor had to record a concern that a child is at risk, that record "
        "(without your messages) is kept for %(years)d year and then deleted.",
        "If a counsellor had to record a concern that a child is at risk, that record "
        "(without your messages) is kept for %(years)d years and then deleted.",
        years,
    ) % {"years": years}


CONCERN = register(
    RetentionPolicy(
        name="concern",
        model="safeguarding.Concern",
        inactive_since=_decided_before,
        erase=erase_concern_content,
        description="Text of concerns decided for the period (level and decision stay).",
        covers=("safeguarding.ConcernStep",),
        public_notice=_notice,
    )
)
