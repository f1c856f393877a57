"""Safeguarding that cannot be short-cut: each rule tried by two leads through the pages.

A decision needs the concern in review and a confirmation that says what it
will do; "no further action" on an immediate-risk concern takes a second
lead like a disclosure; the message after a decision says what happened; a
disclosure made records agency, day and reference; the person who raised a
concern sees its outcome; a lead reads what lies behind a concern (audited).
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from forestall.audit.models import AuditEntry
from forestall.inbox.models import Message, MessageAuthor
from forestall.safeguarding import actions
from forestall.safeguarding.actions import SafeguardingError, TwoPersonRuleError
from forestall.safeguarding.models import Concern, ConcernStatus, Decision, Level
from tests.factories_cases import make_case
from tests.factories_inbox import make_conversation


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English, whatever language an earlier request left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def immediate(centre_a, clinician_a):
    return actions.raise_concern(
        by=clinician_a,
        level=Level.IMMEDIATE_RISK,
        description="Looks after his neighbour's children alone on Saturdays.",
        case=make_case(centre_a),
    )


@pytest.fixture
def ordinary(centre_a, clinician_a):
    return actions.raise_concern(
        by=clinician_a,
        level=Level.CONCERN,
        description="Plays an online game popular with children.",
        case=make_case(centre_a),
    )


def _decide(client, concern, decision, note="Reasons given.", confirmed=True):
    data = {"decision": decision, "note": note}
    if confirmed:
        data["confirmed"] = "True"
    return client.post(f"/staff/safeguarding/{concern.pk}/decide/", data)


def _message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- In review first, then a confirmation ------------------------------------------


def test_a_concern_cannot_be_decided_before_it_is_in_review(sign_in, ordinary, safeguarding_lead_a):
    with pytest.raises(SafeguardingError, match="review"):
        actions.decide_concern(
            ordinary, by=safeguarding_lead_a, decision=Decision.ADVICE_GIVEN, note="x"
        )
    response = _decide(sign_in(safeguarding_lead_a), ordinary, Decision.NO_FURTHER_ACTION, "x")
    assert response.status_code == 400
    assert "into review before deciding" in response.content.decode()
    ordinary.refresh_from_db()
    assert ordinary.status == ConcernStatus.OPEN
    page = sign_in(safeguarding_lead_a).get(f"/staff/safeguarding/{ordinary.pk}/")
    assert page.context["can_decide"] is False


def test_a_decision_needs_its_reasons(ordinary, safeguarding_lead_a):
    actions.start_review(ordinary, by=safeguarding_lead_a)
    with pytest.raises(SafeguardingError, match="reasons"):
        actions.decide_concern(
            ordinary, by=safeguarding_lead_a, decision=Decision.NO_FURTHER_ACTION, note=" "
        )


def test_deciding_shows_the_consequence_and_changes_nothing_until_confirmed(
    sign_in, ordinary, safeguarding_lead_a
):
    actions.start_review(ordinary, by=safeguarding_lead_a)
    client = sign_in(safeguarding_lead_a)

    first = _decide(client, ordinary, Decision.NO_FURTHER_ACTION, "Game is moderated.", False)

    assert first.status_code == 200
    page = first.content.decode()
    assert 'id="consequence"' in page
    assert "will be closed with the decision “No further action”" in page
    assert 'name="confirmed" value="True"' in page
    ordinary.refresh_from_db()
    assert ordinary.status == ConcernStatus.IN_REVIEW

    done = _decide(client, ordinary, Decision.NO_FURTHER_ACTION, "Game is moderated.")
    assert done.status_code == 302
    ordinary.refresh_from_db()
    assert ordinary.status == ConcernStatus.DECIDED
    assert _message_texts(done) == [
        "Decision recorded: “No further action”. The concern is closed."
    ]


def test_the_confirmation_of_a_disclosure_says_it_breaks_confidentiality(
    sign_in, immediate, safeguarding_lead_a
):
    actions.start_review(immediate, by=safeguarding_lead_a)
    page = _decide(
        sign_in(safeguarding_lead_a), immediate, Decision.DISCLOSURE, "Police.", False
    ).content.decode()
    assert "breaks the person&#x27;s confidentiality" in page
    assert "second, different safeguarding lead" in page


# --- "No further action" on immediate risk takes two leads --------------------------


def test_no_further_action_on_immediate_risk_waits_for_a_second_lead(
    sign_in, immediate, safeguarding_lead_a, second_safeguarding_lead_a
):
    actions.start_review(immediate, by=safeguarding_lead_a)
    first = sign_in(safeguarding_lead_a)

    confirm = _decide(first, immediate, Decision.NO_FURTHER_ACTION, "He moved away.", False)
    assert "needs a second, different safeguarding lead" in confirm.content.decode()
    response = _decide(first, immediate, Decision.NO_FURTHER_ACTION, "He moved away.")

    immediate.refresh_from_db()
    assert immediate.status == ConcernStatus.AWAITING_APPROVAL
    assert immediate.decided_at is None
    [message] = _message_texts(response)
    assert "No further action" in message and "second safeguarding lead" in message
    assert "isclosure" not in message

    # The proposer cannot approve it, through the action or the page.
    with pytest.raises(TwoPersonRuleError):
        actions.approve_decision(immediate, by=safeguarding_lead_a)
    assert first.post(f"/staff/safeguarding/{immediate.pk}/approve/", {}).status_code == 400
    immediate.refresh_from_db()
    assert immediate.status == ConcernStatus.AWAITING_APPROVAL

    approved = sign_in(second_safeguarding_lead_a).post(
        f"/staff/safeguarding/{immediate.pk}/approve/", {"note": "Agreed."}
    )
    assert approved.status_code == 302
    immediate.refresh_from_db()
    assert immediate.status == ConcernStatus.DECIDED
    assert immediate.decision == Decision.NO_FURTHER_ACTION
    assert (immediate.proposed_by, immediate.approved_by) == (
        safeguarding_lead_a,
        second_safeguarding_lead_a,
    )
    assert AuditEntry.objects.filter(
        target_id=immediate.pk, action="concern.decision_approved"
    ).exists()


def test_a_second_lead_can_send_no_further_action_back_to_review(
    immediate, safeguarding_lead_a, second_safeguarding_lead_a
):
    actions.start_review(immediate, by=safeguarding_lead_a)
    actions.decide_concern(
        immediate, by=safeguarding_lead_a, decision=Decision.NO_FURTHER_ACTION, note="Moved."
    )
    actions.reject_decision(immediate, by=second_safeguarding_lead_a, note="Check with police.")
    assert immediate.status == ConcernStatus.IN_REVIEW
    assert immediate.decision == ""


def test_no_further_action_on_an_ordinary_concern_takes_one_lead(ordinary, safeguarding_lead_a):
    actions.start_review(ordinary, by=safeguarding_lead_a)
    actions.decide_concern(
        ordinary, by=safeguarding_lead_a, decision=Decision.NO_FURTHER_ACTION, note="Moderated."
    )
    assert ordinary.status == ConcernStatus.DECIDED


def test_the_database_refuses_no_further_action_on_immediate_risk_by_one_lead(
    immediate, safeguarding_lead_a
):
    immediate.decision = Decision.NO_FURTHER_ACTION
    immediate.status = ConcernStatus.DECIDED
    immediate.proposed_by = safeguarding_lead_a
    immediate.approved_by = safeguarding_lead_a
    with pytest.raises(IntegrityError), transaction.atomic():
        immediate.save()


# --- Disclosure made: agency, day, reference ----------------------------------------


def _approved_disclosure(concern, lead, second):
    actions.start_review(concern, by=lead)
    actions.decide_concern(concern, by=lead, decision=Decision.DISCLOSURE, note="Police.")
    actions.approve_decision(concern, by=second)


def test_approving_a_disclosure_says_it_is_still_to_be_made_and_recorded(
    sign_in, ordinary, immediate, safeguarding_lead_a, second_safeguarding_lead_a
):
    actions.start_review(ordinary, by=safeguarding_lead_a)
    actions.decide_concern(
        ordinary, by=safeguarding_lead_a, decision=Decision.DISCLOSURE, note="Police."
    )
    second = sign_in(second_safeguarding_lead_a)
    response = second.post(f"/staff/safeguarding/{ordinary.pk}/approve/", {"note": "Agreed."})
    assert response.status_code == 302, response.content.decode()[-1500:]
    [message] = _message_texts(response)
    assert "record it here" in message
    assert "closed" not in message

    actions.start_review(immediate, by=safeguarding_lead_a)
    actions.decide_concern(
        immediate, by=safeguarding_lead_a, decision=Decision.NO_FURTHER_ACTION, note="Moved."
    )
    messages = _message_texts(
        second.post(f"/staff/safeguarding/{immediate.pk}/approve/", {"note": "Agreed."})
    )
    assert "the concern is closed" in messages[-1]


def test_a_disclosure_made_records_agency_day_and_reference_encrypted(
    sign_in, immediate, safeguarding_lead_a, second_safeguarding_lead_a
):
    _approved_disclosure(immediate, safeguarding_lead_a, second_safeguarding_lead_a)
    client = sign_in(safeguarding_lead_a)
    today = timezone.localdate()

    missing = client.post(f"/staff/safeguarding/{immediate.pk}/disclosed/", {"note": "Done"})
    assert missing.status_code == 400
    future = client.post(
        f"/staff/safeguarding/{immediate.pk}/disclosed/",
        {"agency": "Jugendamt Mitte", "disclosed_on": (today + datetime.timedelta(days=2))},
    )
    assert future.status_code == 400
    assert "cannot be in the future" in future.content.decode()
    immediate.refresh_from_db()
    assert immediate.disclosed_at is None

    done = client.post(
        f"/staff/safeguarding/{immediate.pk}/disclosed/",
        {"agency": "Jugendamt Mitte", "disclosed_on": today.isoformat(), "reference": "JA-4471"},
    )
    assert done.status_code == 302
    immediate.refresh_from_db()
    assert (immediate.disclosure_agency, immediate.disclosed_on) == ("Jugendamt Mitte", today)
    assert immediate.disclosure_reference == "JA-4471"
    page = client.get(f"/staff/safeguarding/{immediate.pk}/").content.decode()
    assert "Jugendamt Mitte" in page and "JA-4471" in page
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT disclosure_agency, disclosure_reference FROM safeguarding_concern"
            " WHERE disclosure_agency IS NOT NULL"
        )
        for row in cursor.fetchall():
            assert b"Jugendamt" not in bytes(row[0]) and b"JA-4471" not in bytes(row[1])


# --- The raiser sees the outcome ----------------------------------------------------


def test_the_counsellor_who_raised_a_concern_sees_its_outcome_not_the_notes(
    sign_in, centre_a, counsellor_a, safeguarding_lead_a, network_counsellor
):
    conversation = make_conversation(centre_a)
    concern = actions.raise_concern(
        by=counsellor_a,
        level=Level.CONCERN,
        description="Mentions coaching a youth team.",
        conversation=conversation,
    )
    mine = sign_in(counsellor_a)
    before = mine.get("/staff/safeguarding/raised/").content.decode()
    assert "Not decided yet" in before

    actions.start_review(concern, by=safeguarding_lead_a)
    actions.decide_concern(
        concern, by=safeguarding_lead_a, decision=Decision.PLAN_AGREED, note="Club informed."
    )

    after = mine.get("/staff/safeguarding/raised/").content.decode()
    assert "Plan agreed with the person" in after
    assert "Club informed" not in after
    others = sign_in(network_counsellor).get("/staff/safeguarding/raised/").content.decode()
    assert "Plan agreed with the person" not in others
    assert AuditEntry.objects.filter(action="concern.list_raised").exists()


# --- The lead reads what lies behind a concern ----------------------------------------


def test_a_lead_reads_the_conversation_up_to_the_concern_and_it_is_audited(
    sign_in, centre_a, counsellor_a, safeguarding_lead_a, clinician_a
):
    conversation = make_conversation(centre_a, body="I babysit my niece every Friday.")
    concern = actions.raise_concern(
        by=counsellor_a, level=Level.CONCERN, description="Niece.", conversation=conversation
    )
    later = Message.objects.create(
        conversation=conversation, author_kind=MessageAuthor.SEEKER, body="Thanks for listening."
    )
    Message.objects.filter(pk=later.pk).update(
        created_at=concern.raised_at + datetime.timedelta(minutes=5)
    )

    page = sign_in(safeguarding_lead_a).get(f"/staff/safeguarding/{concern.pk}/context/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "I babysit my niece every Friday." in text
    assert "Thanks for listening." not in text
    logged = set(AuditEntry.objects.values_list("action", "target_id"))
    assert ("concern.read_context", concern.pk) in logged
    assert ("conversation.read_for_concern", conversation.pk) in logged
    # Nobody else reads it through this door.
    for person in (counsellor_a, clinician_a):
        assert sign_in(person).get(f"/staff/safeguarding/{concern.pk}/context/").status_code == 404


def test_a_lead_reads_the_case_notes_behind_a_concern(
    sign_in, centre_a, clinician_a, safeguarding_lead_a
):
    from forestall.cases import actions as case_actions

    case = make_case(centre_a)
    case_actions.add_note(case, by=clinician_a, body="Talked about his weekend routine.")
    concern = actions.raise_concern(
        by=clinician_a, level=Level.CONCERN, description="Weekend.", case=case
    )
    page = sign_in(safeguarding_lead_a).get(f"/staff/safeguarding/{concern.pk}/context/")
    assert "Talked about his weekend routine." in page.content.decode()
    assert AuditEntry.objects.filter(action="case.read_for_concern", target_id=case.pk).exists()


def test_a_concern_whose_conversation_was_deleted_says_so(
    sign_in, centre_a, counsellor_a, safeguarding_lead_a
):
    conversation = make_conversation(centre_a)
    concern = actions.raise_concern(
        by=counsellor_a, level=Level.CONCERN, description="x", conversation=conversation
    )
    conversation.mailbox.delete()
    client = sign_in(safeguarding_lead_a)
    assert (
        "has since been deleted"
        in client.get(f"/staff/safeguarding/{concern.pk}/").content.decode()
    )
    context = client.get(f"/staff/safeguarding/{concern.pk}/context/")
    assert context.status_code == 200
    assert Concern.objects.filter(pk=concern.pk, conversation__isnull=True).exists()
