"""Changes in the research app: consent given and withdrawn, exports made (each audited)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction

from forestall.audit.actions import record_event
from forestall.cases.models import Case
from forestall.lib.locking import lock_row, lock_rows
from forestall.research.export import ExportRequest, disclosure_summary, export_study
from forestall.research.models import ResearchConsent, Study

if TYPE_CHECKING:
    from forestall.accounts.models import User


class ConsentError(Exception):
    """The consent cannot be recorded as asked (the message is shown to staff)."""


@transaction.atomic
def record_research_consent(
    actor: User, case: Case, study: Study, given_on: datetime.date
) -> ResearchConsent:
    """Record that the client agreed, on ``given_on``, that this case may go into ``study``.

    A consent withdrawn earlier is replaced by the new one (the person changed
    their mind again); a consent in force is not recorded twice. The case is
    locked first: two pages recording the first consent to a study at the
    same moment both found none, and the second insert failed on the
    one-consent-per-study constraint (a 500); now the second waits and is
    told it is already recorded.
    """
    lock_rows(Case.objects.filter(pk=case.pk))
    consent = ResearchConsent.objects.filter(case=case, study=study).first()
    if consent is not None and consent.in_force:
        raise ConsentError("already recorded")
    if consent is None:
        consent = ResearchConsent(case=case, study=study)
    consent.given_on = given_on
    consent.withdrawn_on = None
    consent.recorded_by = actor
    consent.save()
    record_event(actor, "research.consent_recorded", consent, centre=case.centre)
    return consent


@transaction.atomic
def withdraw_research_consent(
    actor: User, consent: ResearchConsent, withdrawn_on: datetime.date
) -> ResearchConsent:
    """Record the withdrawal: the case leaves every later export of the study.

    Once: a second withdrawal at the same moment (another tab, a colleague)
    waits for the first, finds it withdrawn and changes nothing.
    """
    locked = lock_row(ResearchConsent, consent.pk)
    if locked is None or not locked.in_force:
        raise ConsentError("already withdrawn")
    locked.withdrawn_on = consent.withdrawn_on = max(withdrawn_on, locked.given_on)
    locked.save(update_fields=["withdrawn_on"])
    record_event(actor, "research.consent_withdrawn", consent, centre=consent.case.centre)
    return consent


def export_research(actor: User | None, request: ExportRequest) -> dict[str, Any]:
    """Make the study's export and record it in the audit log (who, which study, what filters).

    ``actor`` None is the command line (``forestall export-research``).
    """
    manifest = export_study(request)
    filters = manifest["filters"]["centres"]
    reason = (
        f"period {manifest['period']['from']}..{manifest['period']['to'] or ''}"
        f"; centres {','.join(filters) or 'all'}; {disclosure_summary(manifest)}"
        f"; cases {manifest['row_counts']['cases.csv']}"
    )
    record_event(actor, "research.export", request.study, reason=reason)
    return manifest
