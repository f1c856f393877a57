"""Cases that stay consistent: each rule of the case work as a test through the pages.

Ending a case (closed or an exit) is refused over a pending disclosure, asks
for confirmation, and cancels what lies ahead with a note; nothing is booked
or attended on an ended case; double bookings are refused unless confirmed;
a returning person is reopened as a new case; group rosters and referrals
follow the rules of the directory and of the programmes.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation

from forestall.cases import actions
from forestall.cases.models import (
    Appointment,
    AttendanceStatus,
    Case,
    CaseSource,
    Programme,
    ReferralReason,
    ReferralStatus,
)
from forestall.cases.pathway import Stage
from forestall.inbox.actions import save_contact_summary
from forestall.safeguarding import actions as safeguarding
from forestall.safeguarding.models import Decision, Level
from tests.factories_cases import make_case
from tests.factories_inbox import make_conversation


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English, whatever language an earlier request left active."""
    with translation.override("en"):
        yield


def _soon(hours: int = 24) -> datetime.datetime:
    return (timezone.now() + datetime.timedelta(hours=hours)).replace(microsecond=0)


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _end(client, case, stage=Stage.WITHDREW, reason="Moved abroad.", confirmed=True):
    data = {"to_stage": stage, "reason": reason}
    if confirmed:
        data["confirmed"] = "True"
    return client.post(f"/staff/cases/{case.pk}/move/", data)


# --- Ending a case ----------------------------------------------------------------


def test_closing_with_a_pending_disclosure_is_refused_with_the_reason(
    sign_in, centre_a, clinician_a, safeguarding_lead_a, second_safeguarding_lead_a
):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    concern = safeguarding.raise_concern(
        by=clinician_a, level=Level.IMMEDIATE_RISK, description="Named a child.", case=case
    )
    safeguarding.start_review(concern, by=safeguarding_lead_a)
    safeguarding.decide_concern(
        concern, by=safeguarding_lead_a, decision=Decision.DISCLOSURE, note="Police."
    )

    refused = _end(sign_in(clinician_a), case, Stage.CLOSED, "Therapy completed.")

    assert refused.status_code == 400
    assert "cannot end while a disclosure is pending" in refused.content.decode()
    case.refresh_from_db()
    assert case.stage == Stage.IN_TREATMENT
    # Approved but not yet made: still pending.
    safeguarding.approve_decision(concern, by=second_safeguarding_lead_a)
    with pytest.raises(actions.CaseError):
        actions.transition_case(case, Stage.CLOSED, by=clinician_a, reason="done")
    safeguarding.record_disclosure_made(
        concern, by=safeguarding_lead_a, agency="Police", disclosed_on=timezone.localdate()
    )
    actions.transition_case(case, Stage.CLOSED, by=clinician_a, reason="done")
    assert case.stage == Stage.CLOSED


def test_an_exit_asks_for_confirmation_and_a_reason_first(sign_in, centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.WAITING_LIST)
    actions.schedule_appointment(case, by=clinician_a, starts_at=_soon())
    client = sign_in(clinician_a)

    no_reason = _end(client, case, reason="", confirmed=False)
    assert no_reason.status_code == 400
    asked = _end(client, case, confirmed=False)
    assert asked.status_code == 200
    page = asked.content.decode()
    assert 'id="consequence"' in page and "1 future appointment will be cancelled" in page
    case.refresh_from_db()
    assert case.stage == Stage.WAITING_LIST

    assert _end(client, case).status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.WITHDREW


def test_ending_a_case_cancels_its_future_appointments_with_a_note(centre_a, clinician_a, centre_b):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    past = actions.schedule_appointment(
        case, by=clinician_a, starts_at=timezone.now() - datetime.timedelta(days=2)
    )
    future = actions.schedule_appointment(case, by=clinician_a, starts_at=_soon())
    group = actions.create_group(centre_a, by=clinician_a, name="Tuesday", programme="")
    actions.add_group_member(group, case, by=clinician_a, confirm_other_programme=True)
    session = actions.schedule_group_session(group, by=clinician_a, starts_at=_soon(48))
    referral = actions.refer_case(
        case, centre_b, by=clinician_a, reason=ReferralReason.NEARER, consent_given=True
    )

    actions.transition_case(case, Stage.LOST_CONTACT, by=clinician_a, reason="No answer.")

    future.refresh_from_db()
    past.refresh_from_db()
    assert future.cancelled_at is not None
    assert future.attendances.get().status == AttendanceStatus.CANCELLED
    assert past.cancelled_at is None
    assert session.attendances.get(case=case).status == AttendanceStatus.CANCELLED
    assert not group.members.filter(pk=case.pk).exists()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.WITHDRAWN
    note = case.notes.get()
    assert "1 future appointment(s) cancelled" in note.body
    assert "withdrawn" in note.body


def test_transferring_a_case_cancels_its_future_appointments(
    centre_a, centre_b, clinician_a, clinician_b
):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    future = actions.schedule_appointment(case, by=clinician_a, starts_at=_soon())
    referral = actions.refer_case(
        case, centre_b, by=clinician_a, reason=ReferralReason.NEARER, consent_given=True
    )
    actions.accept_referral(referral, by=clinician_b)
    future.refresh_from_db()
    assert future.cancelled_at is not None
    assert Case.objects.get(pk=case.pk).notes.exists()


def test_nothing_is_booked_or_attended_on_an_ended_case(sign_in, centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    earlier = actions.schedule_appointment(
        case, by=clinician_a, starts_at=timezone.now() - datetime.timedelta(hours=3)
    )
    actions.transition_case(case, Stage.CLOSED, by=clinician_a, reason="Completed.")
    client = sign_in(clinician_a)

    booked = client.post(
        f"/staff/cases/{case.pk}/appointments/",
        {
            "starts_at": _local(_soon()),
            "duration_minutes": 50,
            "purpose": "treatment",
            "mode": "in_person",
        },
    )
    assert booked.status_code == 400
    assert "case that has ended" in booked.content.decode()
    assert Appointment.objects.filter(case=case).count() == 1

    client.post(f"/staff/cases/appointments/{earlier.pk}/", {f"attendance_{case.pk}": "attended"})
    case.refresh_from_db()
    assert case.attended_sessions == 0
    group = actions.create_group(centre_a, by=clinician_a, name="G")
    with pytest.raises(actions.CaseError):
        actions.add_group_member(group, case, by=clinician_a)


def test_the_page_of_an_ended_case_offers_no_booking_form(sign_in, centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    client = sign_in(clinician_a)
    assert (
        f"/staff/cases/{case.pk}/appointments/"
        in client.get(f"/staff/cases/{case.pk}/").content.decode()
    )

    actions.transition_case(case, Stage.CLOSED, by=clinician_a, reason="Completed.")
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert f"/staff/cases/{case.pk}/appointments/" not in page
    assert "Nothing can be booked on a case that has ended." in page


# --- Double bookings ---------------------------------------------------------------


def test_a_double_booking_of_a_clinician_is_refused_unless_confirmed(
    sign_in, centre_a, clinician_a
):
    first, second = make_case(centre_a), make_case(centre_a)
    start = _soon()
    actions.schedule_appointment(first, by=clinician_a, starts_at=start, clinician=clinician_a)
    client = sign_in(clinician_a)
    data = {
        "starts_at": _local(start + datetime.timedelta(minutes=30)),
        "duration_minutes": 50,
        "purpose": "treatment",
        "mode": "in_person",
        "clinician": str(clinician_a.pk),
    }

    refused = client.post(f"/staff/cases/{second.pk}/appointments/", data)
    assert refused.status_code == 400
    assert "overlaps" in refused.content.decode()
    assert not Appointment.objects.filter(case=second).exists()

    confirmed = client.post(
        f"/staff/cases/{second.pk}/appointments/", {**data, "allow_overlap": "on"}
    )
    assert confirmed.status_code == 302
    assert Appointment.objects.filter(case=second).exists()


def test_the_double_booking_message_gives_the_time_in_the_page_language(
    sign_in, centre_a, clinician_a
):
    first, second = make_case(centre_a), make_case(centre_a)
    start = _soon()
    actions.schedule_appointment(first, by=clinician_a, starts_at=start, clinician=clinician_a)
    client = sign_in(clinician_a)
    data = {
        "starts_at": _local(start + datetime.timedelta(minutes=30)),
        "duration_minutes": 50,
        "purpose": "treatment",
        "mode": "in_person",
        "clinician": str(clinician_a.pk),
    }
    with translation.override("de"):
        refused = client.post(
            f"/staff/cases/{second.pk}/appointments/", data, HTTP_ACCEPT_LANGUAGE="de"
        )
    page = refused.content.decode()
    local = timezone.localtime(start)
    assert "Doppelbuchung" in page
    assert "(ab " + local.strftime("%d.%m.%Y, %H:%M") + ")" in page
    assert local.strftime("%Y-%m-%d %H:%M") not in page


def test_a_client_cannot_be_in_a_group_session_and_an_appointment_at_once(centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.WAITING_LIST, programme=Programme.GROUP)
    group = actions.create_group(centre_a, by=clinician_a, name="Evening")
    actions.add_group_member(group, case, by=clinician_a)
    start = _soon()
    actions.schedule_group_session(group, by=clinician_a, starts_at=start)

    with pytest.raises(actions.DoubleBookingError):
        actions.schedule_appointment(
            case, by=clinician_a, starts_at=start + datetime.timedelta(minutes=45)
        )
    # Back to back is not an overlap.
    actions.schedule_appointment(
        case, by=clinician_a, starts_at=start + datetime.timedelta(minutes=90)
    )
    with pytest.raises(actions.DoubleBookingError):
        actions.schedule_group_session(
            group, by=clinician_a, starts_at=start + datetime.timedelta(minutes=100)
        )


# --- Reopening ---------------------------------------------------------------------


def test_a_returning_person_is_reopened_as_a_new_case(sign_in, centre_a, clinician_a):
    ended = make_case(centre_a, stage=Stage.WITHDREW)
    client = sign_in(clinician_a)
    assert "Reopen as a new case" in client.get(f"/staff/cases/{ended.pk}/").content.decode()

    assert (
        client.post(f"/staff/cases/{ended.pk}/reopen/", {"programme": "group_therapy"}).status_code
        == 400
    )
    response = client.post(
        f"/staff/cases/{ended.pk}/reopen/",
        {"programme": "group_therapy", "reason": "Called again after a year."},
    )

    new = Case.objects.exclude(pk=ended.pk).get(client=ended.client)
    assert response.status_code == 302 and response["Location"] == f"/staff/cases/{new.pk}/"
    assert (new.stage, new.programme, new.centre_id) == (
        Stage.ENQUIRY,
        "group_therapy",
        centre_a.pk,
    )
    ended.refresh_from_db()
    assert ended.stage == Stage.WITHDREW
    # Not twice: the open case is shown instead.
    again = client.post(
        f"/staff/cases/{ended.pk}/reopen/", {"programme": "group_therapy", "reason": "Again."}
    )
    assert again.status_code == 400
    assert Case.objects.filter(client=ended.client).count() == 2


# --- Groups ------------------------------------------------------------------------


def test_a_group_refuses_someone_waiting_for_another_programme_unless_confirmed(
    sign_in, centre_a, clinician_a
):
    waiting = make_case(centre_a, stage=Stage.WAITING_LIST, programme=Programme.INDIVIDUAL)
    group = actions.create_group(centre_a, by=clinician_a, name="Wednesday")
    client = sign_in(clinician_a)
    url = f"/staff/cases/groups/{group.pk}/"

    refused = client.post(url, {"form": "member", "reference": waiting.client.reference})
    assert refused.status_code == 400
    assert "waiting for another programme" in refused.content.decode()
    assert not group.members.exists()

    client.post(
        url,
        {"form": "member", "reference": waiting.client.reference, "confirm_other_programme": "on"},
    )
    assert group.members.filter(pk=waiting.pk).exists()


def test_a_member_can_be_taken_off_the_roster(sign_in, centre_a, clinician_a):
    member = make_case(centre_a, stage=Stage.IN_TREATMENT, programme=Programme.GROUP)
    group = actions.create_group(centre_a, by=clinician_a, name="Monday")
    actions.add_group_member(group, member, by=clinician_a)
    session = actions.schedule_group_session(group, by=clinician_a, starts_at=_soon())

    response = sign_in(clinician_a).post(
        f"/staff/cases/groups/{group.pk}/", {"form": "remove", "case": str(member.pk)}
    )

    assert response.status_code == 302
    assert not group.members.exists()
    assert not session.attendances.filter(case=member).exists()


def test_attending_a_group_never_starts_an_individual_therapy(sign_in, centre_a, clinician_a):
    individual = make_case(centre_a, stage=Stage.WAITING_LIST, programme=Programme.INDIVIDUAL)
    group = actions.create_group(centre_a, by=clinician_a, name="Open group")
    actions.add_group_member(group, individual, by=clinician_a, confirm_other_programme=True)
    session = actions.schedule_group_session(
        group, by=clinician_a, starts_at=timezone.now() - datetime.timedelta(hours=2)
    )

    actions.record_attendance(session, individual, AttendanceStatus.ATTENDED, by=clinician_a)

    individual.refresh_from_db()
    assert individual.stage == Stage.WAITING_LIST
    assert individual.attended_sessions == 1


# --- Referrals ---------------------------------------------------------------------


def test_a_referral_respects_the_directory(centre_a, centre_b, clinician_a):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)
    centre_b.accepts_new_clients = False
    centre_b.save(update_fields=["accepts_new_clients"])
    with pytest.raises(actions.ReferralError, match="takes no new clients"):
        actions.refer_case(
            case, centre_b, by=clinician_a, reason=ReferralReason.NEARER, consent_given=True
        )
    centre_b.accepts_new_clients = True
    centre_b.save(update_fields=["accepts_new_clients"])
    centre_b.set_offers(services=["family_friends"])
    with pytest.raises(actions.ReferralError, match="does not offer"):
        actions.refer_case(
            case, centre_b, by=clinician_a, reason=ReferralReason.NEARER, consent_given=True
        )
    centre_b.set_offers(services=["own_thoughts"])
    actions.refer_case(
        case, centre_b, by=clinician_a, reason=ReferralReason.NEARER, consent_given=True
    )


def test_the_sender_withdraws_a_referral_and_the_case_is_not_stuck(
    sign_in, centre_a, centre_b, centre_c, clinician_a, clinician_b
):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)
    first = actions.refer_case(
        case, centre_c, by=clinician_a, reason=ReferralReason.NEARER, consent_given=True
    )
    with pytest.raises(actions.ReferralError, match="withdraw it first"):
        actions.refer_case(
            case, centre_b, by=clinician_a, reason=ReferralReason.NEARER, consent_given=True
        )
    # The receiving side cannot withdraw it.
    assert (
        sign_in(clinician_b).get(f"/staff/cases/referrals/{first.pk}/withdraw/").status_code == 404
    )

    client = sign_in(clinician_a)
    assert (
        client.post(f"/staff/cases/referrals/{first.pk}/withdraw/", {"reason": ""}).status_code
        == 400
    )
    response = client.post(
        f"/staff/cases/referrals/{first.pk}/withdraw/", {"reason": "Nobody answers there."}
    )

    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == ReferralStatus.WITHDRAWN
    actions.refer_case(
        case, centre_b, by=clinician_a, reason=ReferralReason.NEARER, consent_given=True
    )
    with pytest.raises(actions.ReferralError):
        actions.accept_referral(first, by=clinician_b)


def test_a_referral_from_the_inbox_carries_the_summary_with_consent_and_a_programme(
    sign_in, centre_a, counsellor_a, clinician_a
):
    conversation = make_conversation(centre_a)
    conversation.mailbox.pathway = "other"
    conversation.mailbox.save(update_fields=["pathway"])
    save_contact_summary(
        counsellor_a,
        conversation,
        writer="family_or_friend",
        concern="someone_else",
        risk_indicators=["access_to_children"],
    )
    client = sign_in(counsellor_a)
    page = client.get(f"/staff/inbox/{conversation.pk}/refer/")
    assert page.context["form"]["programme"].initial == Programme.FAMILY_SUPPORT
    assert "Family member or friend" in page.content.decode()

    response = client.post(
        f"/staff/inbox/{conversation.pk}/refer/",
        {
            "centre": str(centre_a.pk),
            "consent": "on",
            "consent_note": "Agreed in my second reply.",
            "programme": Programme.FAMILY_SUPPORT,
            "share_summary": "on",
        },
    )

    assert response.status_code == 302
    case = Case.objects.get(conversation=conversation)
    assert (case.programme, case.source) == (Programme.FAMILY_SUPPORT, CaseSource.INBOX)
    assert case.contact_summary["writer"] == "family_or_friend"
    shown = sign_in(clinician_a).get(f"/staff/cases/{case.pk}/").content.decode()
    assert "Family member or friend" in shown and "Regular access to children" in shown


def test_without_consent_to_share_the_summary_stays_in_the_inbox(sign_in, centre_a, counsellor_a):
    conversation = make_conversation(centre_a)
    save_contact_summary(
        counsellor_a, conversation, writer="self", concern="thoughts_only", risk_indicators=[]
    )
    sign_in(counsellor_a).post(
        f"/staff/inbox/{conversation.pk}/refer/",
        {"centre": str(centre_a.pk), "consent": "on", "consent_note": "Yes."},
    )
    case = Case.objects.get(conversation=conversation)
    assert case.contact_summary is None
    assert case.programme == Programme.INDIVIDUAL


def test_a_referral_from_the_inbox_to_a_full_centre_is_refused_and_keeps_the_form(
    sign_in, centre_a, centre_b, counsellor_a
):
    conversation = make_conversation(centre_a)
    centre_b.accepts_new_clients = False
    centre_b.save(update_fields=["accepts_new_clients"])
    response = sign_in(counsellor_a).post(
        f"/staff/inbox/{conversation.pk}/refer/",
        {"centre": str(centre_b.pk), "consent": "on", "consent_note": "Agreed on Tuesday."},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "takes no new clients" in text and "Agreed on Tuesday." in text
    assert not Case.objects.filter(conversation=conversation).exists()
