"""Appointments and group sessions: booking, the agenda, attendance flowing into the case."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from forestall.cases import actions
from forestall.cases.models import (
    Appointment,
    AppointmentMode,
    AppointmentPurpose,
    Attendance,
    AttendanceStatus,
    Programme,
)
from forestall.cases.pathway import Stage
from tests.factories_cases import make_case
from tests.stale import opened


def _soon(hours: int = 2) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=hours)


def _earlier(hours: int = 2) -> datetime.datetime:
    """A session that has begun: whether someone came can be recorded only then."""
    return timezone.now() - datetime.timedelta(hours=hours)


def test_the_first_attended_treatment_session_starts_treatment_on_the_pathway(
    centre_a, clinician_a
):
    case = make_case(centre_a, stage=Stage.WAITING_LIST)
    appointment = actions.schedule_appointment(
        case, by=clinician_a, starts_at=_earlier(), clinician=clinician_a
    )

    actions.record_attendance(appointment, case, AttendanceStatus.ATTENDED, by=clinician_a)

    case.refresh_from_db()
    assert case.stage == Stage.IN_TREATMENT
    assert case.attended_sessions == 1
    assert case.first_attended_at == appointment.starts_at
    assert case.treatment_started_at is not None
    assert case.transitions.last().reason == "first treatment session attended"


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "first treatment session attended"), ("de", "erste Therapiesitzung wahrgenommen")],
)
def test_the_case_history_says_why_treatment_started_in_the_reader_s_language(
    sign_in, centre_a, clinician_a, language, said
):
    """The step's reason is recorded by the code: it was shown in English to German readers."""
    case = make_case(centre_a, stage=Stage.WAITING_LIST)
    appointment = actions.schedule_appointment(
        case, by=clinician_a, starts_at=_earlier(), clinician=clinician_a
    )
    actions.record_attendance(appointment, case, AttendanceStatus.ATTENDED, by=clinician_a)
    page = sign_in(clinician_a).get(f"/staff/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    reasons = re.findall(r'<span class="muted" dir="auto">([^<]*)</span>', page.content.decode())
    assert reasons == [said]


def test_a_missed_session_is_counted_and_does_not_start_treatment(centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.WAITING_LIST)
    appointment = actions.schedule_appointment(case, by=clinician_a, starts_at=_earlier())

    actions.record_attendance(appointment, case, AttendanceStatus.DID_NOT_ATTEND, by=clinician_a)

    case.refresh_from_db()
    assert case.stage == Stage.WAITING_LIST
    assert case.missed_sessions == 1
    assert case.attended_sessions == 0


def test_correcting_an_attendance_moves_the_count(centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    appointment = actions.schedule_appointment(case, by=clinician_a, starts_at=_earlier())

    actions.record_attendance(appointment, case, AttendanceStatus.DID_NOT_ATTEND, by=clinician_a)
    actions.record_attendance(appointment, case, AttendanceStatus.ATTENDED, by=clinician_a)

    case.refresh_from_db()
    assert (case.attended_sessions, case.missed_sessions) == (1, 0)


def test_an_assessment_appointment_does_not_start_treatment(centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)
    appointment = actions.schedule_appointment(
        case, by=clinician_a, starts_at=_earlier(), purpose=AppointmentPurpose.ASSESSMENT
    )

    actions.record_attendance(appointment, case, AttendanceStatus.ATTENDED, by=clinician_a)

    case.refresh_from_db()
    assert case.stage == Stage.ASSESSMENT
    assert case.attended_sessions == 1


def test_a_group_session_expects_the_roster_and_records_each_person(sign_in, centre_a, clinician_a):
    group = actions.create_group(centre_a, by=clinician_a, name="Tuesday evening")
    waiting = make_case(centre_a, stage=Stage.WAITING_LIST, programme=Programme.GROUP)
    treated = make_case(centre_a, stage=Stage.IN_TREATMENT)
    for case in (waiting, treated):
        actions.add_group_member(group, case, by=clinician_a)
    session = actions.schedule_group_session(group, by=clinician_a, starts_at=_earlier())
    assert set(session.attendances.values_list("case_id", flat=True)) == {waiting.pk, treated.pk}

    staff = sign_in(clinician_a)
    url = f"/staff/cases/appointments/{session.pk}/"
    response = staff.post(
        url,
        {
            f"attendance_{waiting.pk}": AttendanceStatus.ATTENDED,
            f"attendance_{treated.pk}": AttendanceStatus.DID_NOT_ATTEND,
            **opened(staff, url),
        },
    )

    assert response.status_code == 302
    waiting.refresh_from_db()
    treated.refresh_from_db()
    assert waiting.stage == Stage.IN_TREATMENT
    assert waiting.attended_sessions == 1
    assert treated.missed_sessions == 1


def test_a_case_of_another_centre_cannot_join_a_group(centre_a, centre_b, clinician_a):
    group = actions.create_group(centre_a, by=clinician_a, name="Group")
    with pytest.raises(actions.CaseError):
        actions.add_group_member(group, make_case(centre_b), by=clinician_a)


def test_a_cancelled_appointment_marks_everyone_cancelled_and_takes_no_attendance(
    centre_a, clinician_a
):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    appointment = actions.schedule_appointment(case, by=clinician_a, starts_at=_soon())

    actions.cancel_appointment(appointment, by=clinician_a)

    assert Attendance.objects.get(appointment=appointment).status == AttendanceStatus.CANCELLED
    with pytest.raises(actions.CaseError):
        actions.record_attendance(appointment, case, AttendanceStatus.ATTENDED, by=clinician_a)


def test_the_clinician_is_someone_from_the_cases_centre(centre_a, clinician_a, clinician_b):
    case = make_case(centre_a)
    with pytest.raises(actions.CaseError):
        actions.schedule_appointment(case, by=clinician_a, starts_at=_soon(), clinician=clinician_b)


def test_booking_through_the_page_supports_phone_and_video(sign_in, centre_a, clinician_a):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)
    client = sign_in(clinician_a)

    response = client.post(
        f"/staff/cases/{case.pk}/appointments/",
        {
            "starts_at": timezone.localtime(_soon()).strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "50",
            "purpose": AppointmentPurpose.ASSESSMENT,
            "mode": AppointmentMode.VIDEO,
            "clinician": str(clinician_a.pk),
        },
    )

    assert response.status_code == 302
    appointment = Appointment.objects.get(case=case)
    assert appointment.mode == AppointmentMode.VIDEO
    assert appointment.clinician == clinician_a


def test_a_bad_booking_keeps_what_was_typed_and_answers_400(sign_in, centre_a, clinician_a):
    case = make_case(centre_a)

    response = sign_in(clinician_a).post(
        f"/staff/cases/{case.pk}/appointments/",
        {"starts_at": "next tuesday", "duration_minutes": "50", "mode": "carrier pigeon"},
    )

    assert response.status_code == 400
    assert b"next tuesday" in response.content


def test_the_agenda_shows_a_clinicians_week_and_the_centres_week(sign_in, centre_a, clinician_a):
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    at = timezone.make_aware(datetime.datetime.combine(monday, datetime.time(9, 0)))
    mine = actions.schedule_appointment(
        make_case(centre_a), by=clinician_a, starts_at=at, clinician=clinician_a
    )
    nobodys = actions.schedule_appointment(
        make_case(centre_a), by=clinician_a, starts_at=at + datetime.timedelta(days=2)
    )
    next_week = actions.schedule_appointment(
        make_case(centre_a),
        by=clinician_a,
        starts_at=at + datetime.timedelta(days=7),
        clinician=clinician_a,
    )
    client = sign_in(clinician_a)

    own = client.get("/staff/cases/agenda/")
    centre = client.get("/staff/cases/agenda/", {"centre": centre_a.pk, "week": monday})

    def shown(response):
        return {a.pk for _day, appointments in response.context["days"] for a in appointments}

    assert shown(own) == {mine.pk}
    assert shown(centre) == {mine.pk, nobodys.pk}
    assert next_week.pk not in shown(centre)
    assert b"<script" not in own.content


def test_the_agenda_of_another_centre_is_refused(sign_in, centre_a, centre_b, clinician_b):
    response = sign_in(clinician_b).get("/staff/cases/agenda/", {"centre": centre_a.pk})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("days", "language", "told"),
    [
        (-91, "en", "An appointment can start at most 90 days ago"),
        (2 * 366 + 2, "de", "Ein Termin kann höchstens 90 Tage zurückliegen"),
        (-365 * 75, "en", "Check the year."),
    ],
)
def test_a_start_far_in_the_past_or_future_is_refused_as_a_typo(
    sign_in, centre_a, clinician_a, days, language, told
):
    """Muddle: 1950 typed for 2025, or a year too far ahead; refused, with what was typed."""
    case = make_case(centre_a, stage=Stage.ASSESSMENT)
    client = sign_in(clinician_a)
    # Days counted on the calendar, at noon: "now" plus 91 days of 24 hours is
    # a day less in the hour before midnight when the clocks change between.
    typed = datetime.datetime.combine(
        timezone.localdate() + datetime.timedelta(days=days), datetime.time(12, 0)
    )
    typed_text = typed.strftime("%Y-%m-%dT%H:%M")
    page = client.post(
        f"/staff/cases/{case.pk}/appointments/",
        {
            "starts_at": typed_text,
            "duration_minutes": "50",
            "purpose": AppointmentPurpose.ASSESSMENT,
            "mode": AppointmentMode.IN_PERSON,
            "clinician": "",
        },
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert page.status_code == 400
    assert told in re.sub(r"\s+", " ", page.content.decode())
    assert f'value="{typed_text}"' in page.content.decode()
    assert not Appointment.objects.filter(case=case).exists()


def test_an_appointment_forgotten_last_month_can_still_be_written_down(
    sign_in, centre_a, clinician_a
):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)
    last_month = timezone.localtime(timezone.now() - datetime.timedelta(days=30))
    page = sign_in(clinician_a).post(
        f"/staff/cases/{case.pk}/appointments/",
        {
            "starts_at": last_month.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "50",
            "purpose": AppointmentPurpose.ASSESSMENT,
            "mode": AppointmentMode.IN_PERSON,
            "clinician": "",
        },
    )
    assert page.status_code == 302
    assert Appointment.objects.filter(case=case).exists()
