"""Referrals across the network: consent, accept, decline, and who keeps what."""

from __future__ import annotations

import pytest

from forestall.cases import actions
from forestall.cases.models import Case, CaseSource, Referral, ReferralReason, ReferralStatus
from forestall.cases.pathway import Stage
from tests.factories_cases import make_case, make_conversation


def _refer(case, to_centre, by, **fields):
    defaults = {
        "reason": ReferralReason.NEARER,
        "consent_given": True,
        "consent_note": "Agreed in the session on Monday.",
        "summary": "Assessed; wants individual therapy nearer home.",
    }
    defaults.update(fields)
    return actions.refer_case(case, to_centre, by=by, **defaults)


def test_a_referral_records_the_persons_consent(centre_a, centre_b, clinician_a):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)

    referral = _refer(case, centre_b, clinician_a)

    referral = Referral.objects.get(pk=referral.pk)
    assert referral.consent_given is True
    assert referral.consent_note == "Agreed in the session on Monday."
    assert referral.status == ReferralStatus.PENDING


def test_there_is_no_referral_without_consent(centre_a, centre_b, clinician_a):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)

    with pytest.raises(actions.ReferralError):
        _refer(case, centre_b, clinician_a, consent_given=False)
    assert not Referral.objects.exists()


def test_the_referral_form_refuses_without_the_consent_box(
    sign_in, centre_a, centre_b, clinician_a
):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)

    response = sign_in(clinician_a).post(
        f"/staff/cases/{case.pk}/refer/",
        {
            "to_centre": str(centre_b.pk),
            "reason": ReferralReason.NEARER,
            "programme": case.programme,
            "summary": "Would rather go to B.",
            "consent_note": "—",
        },
    )

    assert response.status_code == 400
    assert b"A referral needs the person&#x27;s consent." in response.content
    assert b"Would rather go to B." in response.content
    assert not Referral.objects.exists()


def test_accepting_opens_a_case_there_and_ends_the_case_here(
    sign_in, centre_a, centre_b, clinician_a, clinician_b
):
    case = make_case(centre_a, stage=Stage.WAITING_LIST)
    referral = _refer(case, centre_b, clinician_a)

    response = sign_in(clinician_b).post(
        f"/staff/cases/referrals/{referral.pk}/", {"decision": "accept", "reason": ""}
    )

    referral.refresh_from_db()
    new_case = referral.new_case
    assert response.status_code == 302
    assert response["Location"] == f"/staff/cases/{new_case.pk}/"
    assert referral.status == ReferralStatus.ACCEPTED
    assert referral.decided_by == clinician_b
    assert new_case.centre == centre_b
    assert new_case.client == case.client
    assert new_case.source == CaseSource.NETWORK
    assert new_case.stage == Stage.WAITING_LIST
    case.refresh_from_db()
    assert case.stage == Stage.REFERRED_ELSEWHERE


def test_after_acceptance_the_sending_centre_keeps_only_its_own_part(
    sign_in, centre_a, centre_b, clinician_a, clinician_b
):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)
    actions.add_note(case, by=clinician_a, body="Written at A before the referral.")
    referral = _refer(case, centre_b, clinician_a)
    new_case = actions.accept_referral(referral, by=clinician_b)
    actions.add_note(new_case, by=clinician_b, body="Written at B after the move.")
    sending = sign_in(clinician_a)

    own = sending.get(f"/staff/cases/{case.pk}/")
    theirs = sending.get(f"/staff/cases/{new_case.pk}/")
    record = sending.get(f"/staff/cases/referrals/{referral.pk}/")

    assert own.status_code == 200
    assert b"Written at A before the referral." in own.content
    assert b"Written at B after the move." not in own.content
    assert theirs.status_code == 404
    assert record.status_code == 200
    assert b"Accepted" in record.content


def test_the_receiving_centre_sees_the_summary_but_not_the_senders_notes(
    sign_in, centre_a, centre_b, clinician_a, clinician_b
):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)
    actions.add_note(case, by=clinician_a, body="Private note at A.")
    referral = _refer(case, centre_b, clinician_a)
    new_case = actions.accept_referral(referral, by=clinician_b)
    receiving = sign_in(clinician_b)

    assert receiving.get(f"/staff/cases/{case.pk}/").status_code == 404
    page = receiving.get(f"/staff/cases/{new_case.pk}/")
    assert b"Private note at A." not in page.content
    record = receiving.get(f"/staff/cases/referrals/{referral.pk}/")
    assert b"Assessed; wants individual therapy nearer home." in record.content


def test_declining_needs_a_reason_and_leaves_the_case_where_it_was(
    sign_in, centre_a, centre_b, clinician_a, clinician_b
):
    case = make_case(centre_a, stage=Stage.WAITING_LIST)
    referral = _refer(case, centre_b, clinician_a)
    client = sign_in(clinician_b)

    without_reason = client.post(
        f"/staff/cases/referrals/{referral.pk}/", {"decision": "decline", "reason": " "}
    )
    assert without_reason.status_code == 400

    client.post(
        f"/staff/cases/referrals/{referral.pk}/",
        {"decision": "decline", "reason": "No group places until spring."},
    )

    referral.refresh_from_db()
    case.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED
    assert referral.decision_reason == "No group places until spring."
    assert case.stage == Stage.WAITING_LIST
    assert Case.objects.count() == 1


def test_only_the_receiving_centre_can_answer(sign_in, centre_a, centre_b, clinician_a):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)
    referral = _refer(case, centre_b, clinician_a)

    with pytest.raises(actions.ReferralError):
        actions.accept_referral(referral, by=clinician_a)
    response = sign_in(clinician_a).post(
        f"/staff/cases/referrals/{referral.pk}/", {"decision": "accept"}
    )
    assert response.status_code == 404
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING


def test_a_referral_is_answered_once(centre_a, centre_b, clinician_a, clinician_b):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)
    referral = _refer(case, centre_b, clinician_a)
    actions.decline_referral(referral, by=clinician_b, reason="Full.")

    with pytest.raises(actions.ReferralError):
        actions.accept_referral(referral, by=clinician_b)


def test_a_referral_from_the_inbox_lands_as_a_new_enquiry(
    centre_a, counsellor_a, sign_in, clinician_a
):
    conversation = make_conversation(centre_a, language="de")

    case = actions.open_enquiry_from_conversation(
        conversation, centre_a, by=counsellor_a, consent_note="Wants an appointment in Berlin."
    )

    assert case.stage == Stage.ENQUIRY
    assert case.source == CaseSource.INBOX
    assert case.client.mailbox_id == conversation.mailbox_id
    assert case.client.language == "de"
    assert Case.objects.get(pk=case.pk).consent_note == "Wants an appointment in Berlin."
    # Referring again while the enquiry is open does not open a second case.
    again = actions.open_enquiry_from_conversation(
        conversation, centre_a, by=counsellor_a, consent_note="Again."
    )
    assert again == case
    # The counsellor sees the summary of what their referral made; the clinician all of it.
    summary = sign_in(counsellor_a).get(f"/staff/cases/{case.pk}/")
    assert summary.status_code == 200
    assert b"Wants an appointment in Berlin." not in summary.content
    full = sign_in(clinician_a).get(f"/staff/cases/{case.pk}/")
    assert b"Wants an appointment in Berlin." in full.content


def test_the_answer_to_a_referral_is_not_chosen_for_the_person(
    sign_in, centre_a, centre_b, clinician_a, clinician_b
):
    """ "Accept" used to be selected: saving without looking opened a case."""
    case = make_case(centre_a, stage=Stage.WAITING_LIST)
    referral = _refer(case, centre_b, clinician_a)
    browser = sign_in(clinician_b)
    page = browser.get(f"/staff/cases/referrals/{referral.pk}/").content.decode()
    options = page.split('name="decision"')[1].split("</select>")[0]
    assert options.split("<option")[1].startswith(' value="" selected>')

    response = browser.post(
        f"/staff/cases/referrals/{referral.pk}/", {"decision": "", "reason": ""}
    )

    assert response.status_code == 400
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING and referral.new_case is None
