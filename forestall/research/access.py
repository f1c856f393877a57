"""The one gate of the research app's staff pages (see docs/development.md, "The access layer").

Exports are for analysts and network admins only; consents are reached
through the case they belong to, by people who may work on that case.
Missing and forbidden both answer 404, and every read is recorded here, so
a view cannot show a consent without it being audited.
"""

from __future__ import annotations

import uuid

from django.http import Http404
from django.shortcuts import get_object_or_404

from forestall.accounts.models import Role, User
from forestall.audit.actions import record_read
from forestall.cases.access import access_case_for_work
from forestall.cases.models import Case
from forestall.research.models import ResearchConsent

EXPORT_ROLES = (Role.ANALYST, Role.NETWORK_ADMIN)


def access_exports(user: User) -> None:
    """The gate of the export page: analysts and network admins, everyone else 404."""
    if not user.has_network_role(*EXPORT_ROLES):
        raise Http404


def access_case_consents(user: User, case_id: uuid.UUID) -> Case:
    """The case whose research consents ``user`` may see and record, its consents' read recorded."""
    case = access_case_for_work(user, case_id)
    record_read(user, "research_consent.list", case, centre=case.centre_id)
    return case


def access_consent(user: User, consent_id: uuid.UUID) -> ResearchConsent:
    """A consent on a case ``user`` may work on, its read recorded; or 404."""
    gated = ResearchConsent.objects.select_related("case", "study").filter(
        case__in=Case.objects.workable_by(user)
    )
    consent = get_object_or_404(gated, pk=consent_id)
    record_read(user, "research_consent.read", consent, centre=consent.case.centre_id)
    return consent
