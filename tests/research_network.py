"""A small network for the research export tests: consented cases with everything around them.

Canaries (free text, references, staff names) are planted wherever the
models hold them, so that a test can look for them in every byte exported.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from forestall.cases.models import (
    Appointment,
    AppointmentMode,
    AppointmentPurpose,
    Attendance,
    AttendanceStatus,
    Case,
    CaseTransition,
    Note,
    Programme,
    Referral,
    ReferralReason,
)
from forestall.cases.pathway import Stage
from forestall.inbox.models import (
    ContactSummary,
    InternalNote,
    Message,
    MessageAuthor,
    ProtectiveAction,
    ProtectiveActionKind,
    ProtectiveActionState,
    Writer,
)
from forestall.instruments.models import Administration, Occasion, Status
from forestall.research.models import ResearchConsent, Study
from tests import factories
from tests.factories_cases import make_case, make_concern, make_conversation

OPENED = timezone.make_aware(datetime.datetime(2026, 3, 10, 9, 30))

CANARIES = {
    "note": "CANARY-NOTE-the-blue-heron-sings",
    "message": "CANARY-MESSAGE-lanterns-at-midnight",
    "concern": "CANARY-CONCERN-the-quiet-orchard",
    "consent_note": "CANARY-CONSENT-NOTE-copper-kettle",
    "transition_reason": "CANARY-REASON-silver-tram",
    "referral_summary": "CANARY-SUMMARY-paper-boats",
    "internal_note": "CANARY-INTERNAL-NOTE-winter-fern",
}
STAFF_NAME = "canary_clinician_hermione"


@dataclass
class Network:
    study: Study
    other_study: Study
    clinician: object
    cases: list[Case] = field(default_factory=list)
    unconsented: list[Case] = field(default_factory=list)
    withdrawn: list[Case] = field(default_factory=list)


def open_case(centre, *, programme=Programme.INDIVIDUAL, opened=OPENED, stage=Stage.ENQUIRY, **kw):
    case = make_case(centre, programme=programme, stage=stage, **kw)
    Case.objects.filter(pk=case.pk).update(opened_at=opened, stage_changed_at=opened)
    CaseTransition.objects.filter(case=case).update(at=opened)
    case.refresh_from_db()
    return case


def consent(case: Case, study: Study, *, withdrawn: bool = False) -> ResearchConsent:
    return ResearchConsent.objects.create(
        case=case,
        study=study,
        given_on=datetime.date(2026, 3, 10),
        withdrawn_on=datetime.date(2026, 4, 1) if withdrawn else None,
    )


def make_study(slug: str = "evaluation-2026") -> Study:
    return Study.objects.create(
        slug=slug, title=f"Study {slug}", starts_on=datetime.date(2026, 1, 1)
    )


def build(centre_a, centre_b) -> Network:
    """Six consented cases at centre A (one full story), one without consent, one withdrawn."""
    clinician = factories.make_user("clinician", centre_a, username=STAFF_NAME)
    network = Network(make_study(), make_study("follow-up-2027"), clinician)
    for number in range(6):
        conversation = make_conversation(centre_a) if number == 0 else None
        case = open_case(centre_a, conversation=conversation)
        consent(case, network.study)
        network.cases.append(case)
    story = network.cases[0]
    story.consent_note = CANARIES["consent_note"]
    story.lead_clinician = clinician
    story.save(update_fields=["consent_note", "lead_clinician"])
    CaseTransition.objects.create(
        case=story,
        centre=centre_a,
        from_stage=Stage.ENQUIRY,
        to_stage=Stage.SCREENING,
        by=clinician,
        at=OPENED + datetime.timedelta(days=40),
        reason=CANARIES["transition_reason"],
    )
    Note.objects.create(case=story, author=clinician, body=CANARIES["note"])
    make_concern(case=story, description=CANARIES["concern"], raised_by=clinician)
    conversation = story.conversation
    Message.objects.create(
        conversation=conversation, author_kind=MessageAuthor.SEEKER, body=CANARIES["message"]
    )
    InternalNote.objects.create(
        conversation=conversation, author=clinician, body=CANARIES["internal_note"]
    )
    ContactSummary.objects.create(conversation=conversation, writer=Writer.SELF)
    ProtectiveAction.objects.create(
        conversation=conversation,
        action=ProtectiveActionKind.BLOCKING_SOFTWARE,
        state=ProtectiveActionState.TAKEN,
    )
    appointment = Appointment.objects.create(
        centre=centre_a,
        case=story,
        clinician=clinician,
        purpose=AppointmentPurpose.SCREENING,
        mode=AppointmentMode.VIDEO,
        starts_at=OPENED + datetime.timedelta(days=15),
    )
    Attendance.objects.create(appointment=appointment, case=story, status=AttendanceStatus.ATTENDED)
    Referral.objects.create(
        case=story,
        from_centre=centre_a,
        to_centre=centre_b,
        programme=Programme.GROUP,
        reason=ReferralReason.NEARER,
        summary=CANARIES["referral_summary"],
        consent_given=True,
        consent_note=CANARIES["consent_note"],
        created_by=clinician,
    )
    administration = Administration.objects.create(
        client=story.client,
        centre=centre_a,
        instrument="phq9",
        version=1,
        occasion=Occasion.INTAKE,
        status=Status.COMPLETED,
        answers={f"q{n}": n % 4 for n in range(1, 10)},
        total=14,
        band="moderate",
        caseness=True,
        administered_by=clinician,
    )
    Administration.objects.filter(pk=administration.pk).update(
        completed_at=OPENED + datetime.timedelta(days=8)
    )
    unconsented = open_case(centre_a)
    network.unconsented.append(unconsented)
    withdrawn = open_case(centre_a)
    consent(withdrawn, network.study, withdrawn=True)
    network.withdrawn.append(withdrawn)
    return network
