"""Factories for case work: clients, cases at a stage, conversations, concerns."""

from __future__ import annotations

import datetime
import itertools
import secrets

from django.utils import timezone

from forestall.cases.models import (
    Case,
    CaseTransition,
    Client,
    Programme,
    WaitingListEntry,
)
from forestall.cases.pathway import TERMINAL, Stage
from forestall.directory.models import Centre
from forestall.inbox.models import Conversation, Mailbox
from forestall.safeguarding.models import Concern, Level

_sequence = itertools.count(1)


def make_client(**fields: object) -> Client:
    number = next(_sequence)
    fields.setdefault("reference", f"K-T{number:03d}-{number % 97:02d}"[:12])
    return Client.objects.create(**fields)


def make_case(
    centre: Centre,
    *,
    stage: str = Stage.ENQUIRY,
    client: Client | None = None,
    programme: str = Programme.INDIVIDUAL,
    opened_ago: datetime.timedelta = datetime.timedelta(days=30),
    conversation: Conversation | None = None,
    priority: int = 3,
    waitlisted_ago: datetime.timedelta | None = None,
) -> Case:
    """A case already at ``stage`` (made directly, without the statistics of real moves)."""
    now = timezone.now()
    opened_at = now - opened_ago
    case = Case.objects.create(
        client=client or make_client(),
        centre=centre,
        programme=programme,
        stage=stage,
        conversation=conversation,
        opened_at=opened_at,
        stage_changed_at=opened_at,
        closed_at=now if stage in TERMINAL else None,
    )
    CaseTransition.objects.create(case=case, centre=centre, to_stage=stage, at=opened_at)
    if stage == Stage.WAITING_LIST:
        added = now - (waitlisted_ago or datetime.timedelta(days=7))
        case.waitlisted_at = added
        case.save(update_fields=["waitlisted_at"])
        WaitingListEntry.objects.create(
            case=case, centre=centre, programme=programme, priority=priority, added_at=added
        )
    return case


def make_mailbox(language: str = "en") -> Mailbox:
    return Mailbox.objects.create(
        codename_hash=secrets.token_hex(32),
        language=language,
        last_active_on=timezone.localdate(),
    )


def make_conversation(centre: Centre | None = None, *, language: str = "en") -> Conversation:
    now = timezone.now()
    return Conversation.objects.create(
        mailbox=make_mailbox(language),
        centre=centre,
        language=language,
        waiting_since=now,
        last_message_at=now,
    )


def make_concern(
    *,
    case: Case | None = None,
    conversation: Conversation | None = None,
    level: str = Level.CONCERN,
    description: str = "Mentioned caring for a niece at weekends.",
    raised_by: object = None,
) -> Concern:
    centre_id = case.centre_id if case is not None else conversation.centre_id  # type: ignore[union-attr]
    return Concern.objects.create(
        centre_id=centre_id,
        case=case,
        conversation=conversation,
        level=level,
        description=description,
        raised_by=raised_by,
    )


def phq9_answers(item9: int) -> dict[str, str]:
    """The PHQ-9 form's answers: 1 on items 1 to 8, ``item9`` on the self-harm item."""
    return {**{f"q{i}": "1" for i in range(1, 9)}, "q9": str(item9), "occasion": "session"}


def record_phq9(browser, case, item9: int) -> None:
    """A clinician's ``browser`` records a PHQ-9 in the session for ``case``'s client."""
    response = browser.post(
        f"/staff/instruments/clients/{case.client_id}/record/phq9/", phq9_answers(item9)
    )
    assert response.status_code == 302


def make_referral(case: Case, to_centre: Centre, by, **fields: object):
    """A pending referral of ``case`` to ``to_centre``, the person agreeing (``refer_case``)."""
    from forestall.cases import actions
    from forestall.cases.models import ReferralReason

    details: dict[str, object] = {
        "reason": ReferralReason.NEARER,
        "consent_given": True,
        "consent_note": "Agreed.",
        "summary": "Wants to go nearer home.",
    }
    details.update(fields)
    return actions.refer_case(case, to_centre, by=by, **details)  # type: ignore[arg-type]
