"""An outside tester's staff working day: dates at the ends of the calendar,
and stale pages acting on what has since changed.

Each test is an attack or a tired person's muddle that must stay harmless;
its docstring names it.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from forestall.audit.models import AuditEntry
from forestall.cases import actions as case_actions
from forestall.cases.models import Appointment, Task, WaitingListEntry
from forestall.cases.pathway import Stage
from forestall.inbox.models import Conversation
from tests.factories_cases import make_case
from tests.stale import opened

OUT_OF_RANGE = "Choose a day between 1900 and 2999."
OUT_OF_RANGE_DE = "Bitte einen Tag zwischen 1900 und 2999 wählen."
EDGE_DAYS = ["0001-01-01", "9999-12-31"]
EDGE_MOMENTS = ["0001-01-01T00:30", "9999-12-31T23:30"]


# --- Days at the ends of the calendar ----------------------------------------------


@pytest.mark.parametrize("week", [*EDGE_DAYS, "9999-12-27"])
def test_the_agenda_of_a_week_at_the_end_of_the_calendar_is_a_400_not_a_500(
    sign_in, clinician_a, week
):
    """Attack: ``?week=9999-12-31`` (or year 1); adding the week's seven days overflowed."""
    page = sign_in(clinician_a).get(f"/staff/cases/agenda/?week={week}")

    assert page.status_code == 400
    assert OUT_OF_RANGE in page.content.decode()


@pytest.mark.parametrize("moment", EDGE_MOMENTS)
def test_an_appointment_in_year_1_or_9999_is_refused_with_what_was_typed(
    sign_in, clinician_a, centre_a, moment
):
    """Attack: a forged start in year 1 (or 9999) overflowed in the double-booking check."""
    case = make_case(centre_a, stage=Stage.ASSESSMENT)

    page = sign_in(clinician_a).post(
        f"/staff/cases/{case.pk}/appointments/",
        {
            "starts_at": moment,
            "duration_minutes": "50",
            "purpose": "assessment",
            "mode": "in_person",
            "clinician": "",
        },
    )

    assert page.status_code == 400
    assert OUT_OF_RANGE in page.content.decode()
    assert f'value="{moment}"' in page.content.decode()
    assert not Appointment.objects.filter(case=case).exists()


def test_a_task_due_in_year_9999_is_refused_in_german(sign_in, clinician_a, centre_a):
    """Muddle: a year typed with one digit too many; refused in the reader's language."""
    case = make_case(centre_a, stage=Stage.ASSESSMENT)
    client = sign_in(clinician_a)

    page = client.post(
        f"/staff/cases/{case.pk}/tasks/",
        {"title": "Call back", "due_on": "9999-12-31", "assignee": ""},
        HTTP_ACCEPT_LANGUAGE="de",
    )

    assert page.status_code == 400
    assert OUT_OF_RANGE_DE in page.content.decode()
    assert "Call back" in page.content.decode()
    assert not Task.objects.filter(case=case).exists()


@pytest.mark.parametrize("moment", EDGE_MOMENTS)
def test_a_logged_contact_in_year_1_is_refused_not_a_500(sign_in, counsellor_a, centre_a, moment):
    """Attack: "When" forged to year 1; storing it overflowed."""
    before = Conversation.objects.count()

    page = sign_in(counsellor_a).post(
        "/staff/inbox/contacts/new/",
        {
            "centre": str(centre_a.pk),
            "channel": "phone",
            "happened_at": moment,
            "duration_minutes": "10",
            "language": "de",
            "writer": "self",
            "follow_up": "none",
            "note": "What the counsellor wrote",
        },
    )

    assert page.status_code == 400
    assert "What the counsellor wrote" in page.content.decode()
    assert Conversation.objects.count() == before


@pytest.mark.parametrize("day", EDGE_DAYS)
def test_the_audit_log_filtered_from_year_1_says_so(sign_in, network_admin, day):
    """Attack: the audit log's dates at the ends of the calendar."""
    page = sign_in(network_admin).get(f"/staff/audit/?date_from={day}")

    assert page.status_code == 400
    assert OUT_OF_RANGE in page.content.decode()


# --- Stale pages -----------------------------------------------------------------


def test_a_stale_priority_page_cannot_change_someone_who_has_left_the_list(
    sign_in, clinician_a, centre_a
):
    """Stale page: "Change priority" opened, then a colleague starts the person's
    treatment; saving the old page rewrote the closed entry and said "Priority changed."."""
    case = make_case(centre_a, stage=Stage.WAITING_LIST, priority=3)
    entry = WaitingListEntry.objects.get(case=case)
    client = sign_in(clinician_a)
    assert client.get(f"/staff/cases/waiting-list/{entry.pk}/priority/").status_code == 200
    case_actions.transition_case(case, Stage.IN_TREATMENT, by=clinician_a, reason="started")
    audited = AuditEntry.objects.filter(action="waiting_list.priority").count()

    page = client.post(
        f"/staff/cases/waiting-list/{entry.pk}/priority/",
        {"priority": "1"},
        HTTP_ACCEPT_LANGUAGE="de",
    )

    assert page.status_code == 400
    assert "steht nicht mehr auf der Warteliste" in page.content.decode()
    entry.refresh_from_db()
    assert entry.priority == 3
    assert AuditEntry.objects.filter(action="waiting_list.priority").count() == audited


def test_a_waiting_person_s_priority_still_changes(sign_in, clinician_a, centre_a):
    """The ordinary change keeps working (and is audited)."""
    case = make_case(centre_a, stage=Stage.WAITING_LIST, priority=3)
    entry = WaitingListEntry.objects.get(case=case)

    page = sign_in(clinician_a).post(
        f"/staff/cases/waiting-list/{entry.pk}/priority/", {"priority": "1"}
    )

    assert page.status_code == 302
    entry.refresh_from_db()
    assert entry.priority == 1
    assert AuditEntry.objects.filter(action="waiting_list.priority").exists()


def test_reasons_typed_on_a_stale_decision_page_are_offered_back_as_a_review_note(
    sign_in, safeguarding_lead_a, second_safeguarding_lead_a, centre_a
):
    """Stale page: two leads have "Decide" open; the second one's confirmed decision
    arrives after the first one's. The refusal dropped every word of their reasons."""
    from forestall.safeguarding import actions as safeguarding_actions
    from forestall.safeguarding.models import ConcernStep, StepKind
    from tests.factories_cases import make_concern

    concern = make_concern(case=make_case(centre_a, stage=Stage.ASSESSMENT))
    safeguarding_actions.start_review(concern, by=safeguarding_lead_a)
    safeguarding_actions.decide_concern(
        concern, by=safeguarding_lead_a, decision="plan_agreed", note="Agreed a plan."
    )
    reasons = "Spoke with the clinician at length; the niece is no longer visiting."
    client = sign_in(second_safeguarding_lead_a)

    page = client.post(
        f"/staff/safeguarding/{concern.pk}/decide/",
        {"decision": "advice_given", "note": reasons, "confirmed": "True"},
        HTTP_ACCEPT_LANGUAGE="de",
    )

    assert page.status_code == 400
    html = page.content.decode()
    assert "bereits eine Entscheidung" in html
    assert reasons in html
    assert f'action="/staff/safeguarding/{concern.pk}/note/"' in html
    kept = client.post(f"/staff/safeguarding/{concern.pk}/note/", {"note": reasons})
    assert kept.status_code == 302
    assert ConcernStep.objects.filter(concern=concern, kind=StepKind.REVIEW_NOTE).count() == 1


# --- Appointments: cancelled twice, attended before they happen ----------------------


def test_cancelling_an_appointment_from_a_second_tab_says_so_and_is_audited_once(
    sign_in, clinician_a, centre_a
):
    """Stale page: "Cancel this appointment" confirmed in two tabs; the second said
    "Appointment cancelled." again and wrote a second audit entry."""
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    appointment = case_actions.schedule_appointment(
        case, by=clinician_a, starts_at=timezone.now() + datetime.timedelta(days=2)
    )
    client = sign_in(clinician_a)
    url = f"/staff/cases/appointments/{appointment.pk}/cancel/"
    assert client.post(url).status_code == 302

    again = client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="de")

    assert "Dieser Termin war bereits abgesagt." in again.content.decode()
    assert AuditEntry.objects.filter(action="appointment.cancel").count() == 1


def test_attendance_cannot_be_recorded_before_the_appointment_has_begun(
    sign_in, clinician_a, centre_a
):
    """Muddle: the wrong row of the agenda; Thursday's first session recorded as attended
    on Tuesday counted a session, dated the first attendance ahead and started the
    waiting person's treatment on the pathway."""
    case = make_case(centre_a, stage=Stage.WAITING_LIST)
    appointment = case_actions.schedule_appointment(
        case, by=clinician_a, starts_at=timezone.now() + datetime.timedelta(days=2)
    )

    page = sign_in(clinician_a).post(
        f"/staff/cases/appointments/{appointment.pk}/",
        {f"attendance_{case.pk}": "attended"},
        HTTP_ACCEPT_LANGUAGE="de",
    )

    assert page.status_code == 400
    assert "sobald der Termin begonnen hat" in page.content.decode()
    case.refresh_from_db()
    assert (case.stage, case.attended_sessions, case.first_attended_at) == (
        Stage.WAITING_LIST,
        0,
        None,
    )
    with pytest.raises(case_actions.CaseError):
        case_actions.record_attendance(appointment, case, "did_not_attend", by=clinician_a)


def test_a_future_group_session_is_refused_as_a_whole_but_can_be_cancelled_for_one(
    sign_in, clinician_a, centre_a
):
    """A group's choices are refused together (none half saved); marking one person
    cancelled ahead of the session still works."""
    group = case_actions.create_group(centre_a, by=clinician_a, name="Tuesday evening")
    first = make_case(centre_a, stage=Stage.IN_TREATMENT, programme="group_therapy")
    second = make_case(centre_a, stage=Stage.IN_TREATMENT, programme="group_therapy")
    for member in (first, second):
        case_actions.add_group_member(group, member, by=clinician_a)
    session = case_actions.schedule_group_session(
        group, by=clinician_a, starts_at=timezone.now() + datetime.timedelta(days=1)
    )
    client = sign_in(clinician_a)
    url = f"/staff/cases/appointments/{session.pk}/"

    version = opened(client, url)
    refused = client.post(
        url,
        {f"attendance_{first.pk}": "cancelled", f"attendance_{second.pk}": "attended", **version},
    )
    assert refused.status_code == 400
    assert set(session.attendances.values_list("status", flat=True)) == {"expected"}

    assert client.post(url, {f"attendance_{first.pk}": "cancelled", **version}).status_code == 302
    assert session.attendances.get(case=first).status == "cancelled"


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "so it cannot be cancelled"), ("de", "daher nicht abgesagt werden")],
)
def test_an_appointment_with_attendance_recorded_cannot_be_cancelled(
    sign_in, clinician_a, centre_a, language, said
):
    """Muddle: cancelling a session that took place kept its counted attendance, and a
    cancelled appointment's attendance could no longer be corrected."""
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    appointment = case_actions.schedule_appointment(
        case, by=clinician_a, starts_at=timezone.now() - datetime.timedelta(hours=2)
    )
    case_actions.record_attendance(appointment, case, "attended", by=clinician_a)

    page = sign_in(clinician_a).get(
        f"/staff/cases/appointments/{appointment.pk}/", HTTP_ACCEPT_LANGUAGE=language
    )
    assert f"/staff/cases/appointments/{appointment.pk}/cancel/" not in page.content.decode()
    refused = sign_in(clinician_a).post(
        f"/staff/cases/appointments/{appointment.pk}/cancel/", HTTP_ACCEPT_LANGUAGE=language
    )

    assert refused.status_code == 400 and said in refused.content.decode()
    appointment.refresh_from_db()
    assert appointment.cancelled_at is None
    assert not AuditEntry.objects.filter(action="appointment.cancel").exists()
    # The attendance can still be corrected.
    case_actions.record_attendance(appointment, case, "did_not_attend", by=clinician_a)
    case.refresh_from_db()
    assert (case.attended_sessions, case.missed_sessions) == (0, 1)


def test_attendance_is_refused_once_a_cancel_has_gone_through_on_a_stale_copy(
    clinician_a, centre_a
):
    """A cancel at the same moment: the attendance is checked against the locked row,
    not the copy the page was built from."""
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    appointment = case_actions.schedule_appointment(
        case, by=clinician_a, starts_at=timezone.now() - datetime.timedelta(hours=2)
    )
    stale = type(appointment).objects.get(pk=appointment.pk)  # read before the cancel
    assert case_actions.cancel_appointment(appointment, by=clinician_a)

    with pytest.raises(case_actions.CaseError, match="cancelled"):
        case_actions.record_attendance(stale, case, "attended", by=clinician_a)
    case.refresh_from_db()
    assert case.attended_sessions == 0
