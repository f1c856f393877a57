"""Safeguarding concerns: raising, the leads' queue, decisions and the two-person rule."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from forestall.accounts.models import Role
from forestall.safeguarding import actions
from forestall.safeguarding.actions import SafeguardingError, TwoPersonRuleError
from forestall.safeguarding.models import Concern, ConcernStatus, Decision, Level, StepKind
from forestall.stats.events import Event
from tests import factories
from tests.factories_cases import make_case, make_conversation


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English, whatever language an earlier request left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def recorded_stats(monkeypatch):
    calls: list[tuple[str, dict]] = []
    original = actions.record_stat

    def spy(event, **kwargs):
        calls.append((event, kwargs))
        return original(event, **kwargs)

    monkeypatch.setattr(actions, "record_stat", spy)
    return calls


@pytest.fixture
def concern(centre_a, clinician_a):
    return actions.raise_concern(
        by=clinician_a,
        level=Level.IMMEDIATE_RISK,
        description="Says he is alone with his neighbour's children on Saturdays.",
        case=make_case(centre_a),
    )


def _propose(concern, lead):
    actions.start_review(concern, by=lead)
    return actions.decide_concern(
        concern, by=lead, decision=Decision.DISCLOSURE, note="Youth welfare office"
    )


# --- Raising ----------------------------------------------------------------


def test_a_concern_from_a_case_belongs_to_the_cases_centre_and_is_encrypted(concern, centre_a):
    assert concern.centre == centre_a
    assert concern.status == ConcernStatus.OPEN
    stored = Concern.objects.filter(pk=concern.pk).values_list("description", flat=True).get()
    assert stored.startswith(b"fe2")
    assert b"neighbour" not in stored
    assert Concern.objects.get(pk=concern.pk).description.startswith("Says he is alone")


def test_a_concern_from_a_conversation_to_the_network_goes_to_network_leads(
    counsellor_a, network_counsellor, safeguarding_lead_a
):
    network_lead = factories.make_user(Role.SAFEGUARDING_LEAD, None)
    raised = actions.raise_concern(
        by=network_counsellor,
        level=Level.CONCERN,
        description="Mentions a new job at a sports club.",
        conversation=make_conversation(None),
    )

    assert raised.centre is None
    assert list(Concern.objects.visible_to(network_lead)) == [raised]
    assert list(Concern.objects.visible_to(safeguarding_lead_a)) == []


def test_a_concern_needs_exactly_one_source_and_a_description(centre_a, clinician_a):
    case = make_case(centre_a)
    with pytest.raises(SafeguardingError):
        actions.raise_concern(by=clinician_a, level=Level.CONCERN, description="x")
    with pytest.raises(SafeguardingError):
        actions.raise_concern(
            by=clinician_a,
            level=Level.CONCERN,
            description="x",
            case=case,
            conversation=make_conversation(centre_a),
        )
    with pytest.raises(SafeguardingError):
        actions.raise_concern(by=clinician_a, level=Level.CONCERN, description="  ", case=case)


def test_raising_from_the_case_page_tells_the_leads(sign_in, centre_a, clinician_a):
    case = make_case(centre_a)

    response = sign_in(clinician_a).post(
        f"/staff/cases/{case.pk}/concern/",
        {"level": Level.CONCERN, "description": "Talked about babysitting."},
    )

    assert response.status_code == 302
    assert Concern.objects.get().case == case


# --- The queue ---------------------------------------------------------------


def test_the_queue_shows_the_most_serious_first_and_only_to_leads(
    sign_in, centre_a, centre_b, clinician_a, safeguarding_lead_a
):
    info = actions.raise_concern(
        by=clinician_a, level=Level.INFORMATION, description="a", case=make_case(centre_a)
    )
    risk = actions.raise_concern(
        by=clinician_a, level=Level.IMMEDIATE_RISK, description="b", case=make_case(centre_a)
    )
    elsewhere = actions.raise_concern(
        by=clinician_a, level=Level.IMMEDIATE_RISK, description="c", case=make_case(centre_b)
    )

    response = sign_in(safeguarding_lead_a).get("/staff/safeguarding/")

    assert list(response.context["open"]) == [risk, info]
    assert elsewhere not in response.context["open"]
    assert list(sign_in(clinician_a).get("/staff/safeguarding/").context["open"]) == []


@pytest.mark.parametrize(
    ("language", "level_name"),
    [("en", "Concern, no immediate risk"), ("de", "Sorge, keine unmittelbare Gefahr")],
)
def test_the_middle_level_says_how_serious_it_is(
    sign_in, centre_a, clinician_a, safeguarding_lead_a, language, level_name
):
    """Muddle: the queue and the concern's page named the middle level just "Concern"
    ("Concern: Concern" on the decision page; "Anliegen" in German)."""
    concern = actions.raise_concern(
        by=clinician_a, level=Level.CONCERN, description="a", case=make_case(centre_a)
    )
    lead = sign_in(safeguarding_lead_a)
    queue = lead.get("/staff/safeguarding/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    page = lead.get(
        f"/staff/safeguarding/{concern.pk}/", HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert level_name in queue
    assert f'<h1 class="level-concern">{level_name}</h1>' in page


# --- Decisions ---------------------------------------------------------------


def test_a_decision_other_than_disclosure_is_final_and_timed(
    concern, safeguarding_lead_a, recorded_stats
):
    Concern.objects.filter(pk=concern.pk).update(
        raised_at=timezone.now() - datetime.timedelta(hours=30)
    )
    concern.refresh_from_db()
    actions.start_review(concern, by=safeguarding_lead_a)

    actions.decide_concern(
        concern, by=safeguarding_lead_a, decision=Decision.PLAN_AGREED, note="Safety plan."
    )

    assert concern.status == ConcernStatus.DECIDED
    assert concern.decided_by == safeguarding_lead_a
    [(event, kwargs)] = recorded_stats
    assert event == Event.CONCERN_DECIDED
    assert kwargs["detail"] == Decision.PLAN_AGREED
    assert kwargs["duration"] >= datetime.timedelta(hours=30)


def test_only_a_responsible_lead_can_decide(concern, clinician_a, centre_b, safeguarding_lead_a):
    actions.start_review(concern, by=safeguarding_lead_a)
    lead_b = factories.make_user(Role.SAFEGUARDING_LEAD, centre_b)
    for person in (clinician_a, lead_b):
        with pytest.raises(SafeguardingError, match="responsible"):
            actions.decide_concern(
                concern, by=person, decision=Decision.ADVICE_GIVEN, note="Advice."
            )
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.IN_REVIEW


def test_a_network_lead_can_decide_any_centres_concern(concern):
    network_lead = factories.make_user(Role.SAFEGUARDING_LEAD, None)
    actions.start_review(concern, by=network_lead)
    actions.decide_concern(concern, by=network_lead, decision=Decision.ADVICE_GIVEN, note="Told.")
    assert concern.status == ConcernStatus.DECIDED


def test_every_step_is_kept_in_the_history(concern, safeguarding_lead_a):
    actions.start_review(concern, by=safeguarding_lead_a)
    actions.add_review_note(concern, by=safeguarding_lead_a, note="Called the clinician.")
    actions.decide_concern(
        concern, by=safeguarding_lead_a, decision=Decision.ADVICE_GIVEN, note="Advice given."
    )

    kinds = list(concern.steps.values_list("kind", flat=True))
    assert kinds == [
        StepKind.RAISED,
        StepKind.REVIEW_STARTED,
        StepKind.REVIEW_NOTE,
        StepKind.DECIDED,
    ]


# --- The two-person rule ----------------------------------------------------------


def test_a_proposed_disclosure_is_not_yet_decided(concern, safeguarding_lead_a, recorded_stats):
    _propose(concern, safeguarding_lead_a)

    assert concern.status == ConcernStatus.AWAITING_APPROVAL
    assert concern.decided_at is None
    assert recorded_stats == []


def test_the_proposer_cannot_approve_their_own_disclosure(concern, safeguarding_lead_a):
    _propose(concern, safeguarding_lead_a)

    with pytest.raises(TwoPersonRuleError):
        actions.approve_disclosure(concern, by=safeguarding_lead_a)

    concern.refresh_from_db()
    assert concern.status == ConcernStatus.AWAITING_APPROVAL
    assert concern.approved_by is None


def test_a_second_lead_approves_and_only_then_the_disclosure_can_be_made(
    concern, safeguarding_lead_a, second_safeguarding_lead_a, recorded_stats
):
    _propose(concern, safeguarding_lead_a)
    made = {"agency": "Youth welfare office", "disclosed_on": timezone.localdate()}
    with pytest.raises(TwoPersonRuleError):
        actions.record_disclosure_made(concern, by=safeguarding_lead_a, **made)

    actions.approve_disclosure(concern, by=second_safeguarding_lead_a)
    actions.record_disclosure_made(concern, by=safeguarding_lead_a, note="Faxed at 14:05.", **made)

    assert concern.status == ConcernStatus.DECIDED
    assert concern.proposed_by == safeguarding_lead_a
    assert concern.approved_by == second_safeguarding_lead_a
    assert concern.disclosed_at is not None
    assert [event for event, _ in recorded_stats] == [Event.CONCERN_DECIDED]


def test_a_second_lead_can_refuse_and_the_concern_returns_to_review(
    concern, safeguarding_lead_a, second_safeguarding_lead_a
):
    _propose(concern, safeguarding_lead_a)
    with pytest.raises(TwoPersonRuleError):
        actions.reject_disclosure(concern, by=safeguarding_lead_a, note="Changed my mind")

    actions.reject_disclosure(concern, by=second_safeguarding_lead_a, note="Plan first.")

    assert concern.status == ConcernStatus.IN_REVIEW
    assert concern.decision == ""
    assert concern.proposed_by is None


def test_deciding_disclosure_through_the_form_with_extra_fields_does_not_approve_it(
    sign_in, concern, safeguarding_lead_a, second_safeguarding_lead_a
):
    actions.start_review(concern, by=safeguarding_lead_a)
    client = sign_in(safeguarding_lead_a)

    client.post(
        f"/staff/safeguarding/{concern.pk}/decide/",
        {
            "decision": Decision.DISCLOSURE,
            "note": "Police",
            "confirmed": "True",
            "status": ConcernStatus.DECIDED,
            "approved_by": str(second_safeguarding_lead_a.pk),
            "approved": "1",
        },
    )

    concern.refresh_from_db()
    assert concern.status == ConcernStatus.AWAITING_APPROVAL
    assert concern.approved_by is None


def test_approving_ones_own_disclosure_through_the_page_is_refused(
    sign_in, concern, safeguarding_lead_a, second_safeguarding_lead_a
):
    _propose(concern, safeguarding_lead_a)
    client = sign_in(safeguarding_lead_a)

    response = client.post(
        f"/staff/safeguarding/{concern.pk}/approve/",
        {"note": "", "by": str(second_safeguarding_lead_a.pk), "user": "safeguarding_a2"},
    )

    assert response.status_code == 400
    assert b"second safeguarding lead" in response.content
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.AWAITING_APPROVAL
    page = client.get(f"/staff/safeguarding/{concern.pk}/")
    assert page.context["can_approve"] is False


def test_marking_an_unapproved_disclosure_as_made_through_the_page_is_refused(
    sign_in, concern, safeguarding_lead_a
):
    _propose(concern, safeguarding_lead_a)

    response = sign_in(safeguarding_lead_a).post(
        f"/staff/safeguarding/{concern.pk}/disclosed/",
        {"note": "done", "agency": "Police", "disclosed_on": timezone.localdate().isoformat()},
    )

    assert response.status_code == 400
    concern.refresh_from_db()
    assert concern.disclosed_at is None


def test_the_database_refuses_a_decided_disclosure_without_a_second_lead(
    concern, safeguarding_lead_a
):
    concern.decision = Decision.DISCLOSURE
    concern.status = ConcernStatus.DECIDED
    concern.proposed_by = safeguarding_lead_a
    concern.approved_by = safeguarding_lead_a
    with pytest.raises(IntegrityError), transaction.atomic():
        concern.save()


def test_the_second_approval_is_recorded_in_the_audit_log(
    concern, safeguarding_lead_a, second_safeguarding_lead_a
):
    from forestall.audit.models import AuditEntry

    _propose(concern, safeguarding_lead_a)
    actions.approve_disclosure(concern, by=second_safeguarding_lead_a)

    actions_logged = list(
        AuditEntry.objects.filter(target_id=concern.pk).values_list("action", flat=True)
    )
    assert "concern.raise" in actions_logged
    assert "concern.disclosure_proposed" in actions_logged
    assert "concern.disclosure_approved" in actions_logged


def test_the_audit_log_never_holds_what_a_concern_says(
    concern, safeguarding_lead_a, second_safeguarding_lead_a
):
    from forestall.audit.models import AuditEntry

    actions.add_review_note(concern, by=safeguarding_lead_a, note="Neighbour's daughter, age 7.")
    _propose(concern, safeguarding_lead_a)
    actions.approve_disclosure(concern, by=second_safeguarding_lead_a, note="Agreed, call today.")

    for reason in AuditEntry.objects.values_list("reason", flat=True):
        for secret in ("neighbour", "daughter", "Youth welfare", "call today"):
            assert secret.lower() not in reason.lower()
