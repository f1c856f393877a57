"""Two staff members (or one person's two tabs) changing one case, diary or group at once.

Each test runs two actions in two connections at the same moment on
PostgreSQL (``tests.concurrency``): both look before either has written.
Before, two bookings of one clinician (or one client) at the same time both
found the time free; a case ended while an appointment was being booked,
a referral sent or a group place given kept that appointment, referral or
place on the ended case. Now the booking locks the diaries it checks and
everything that depends on the case being open locks the case first, as
ending it does; the second waits and is refused in words.
"""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from forestall.cases import actions
from forestall.cases.models import (
    Appointment,
    Attendance,
    AttendanceStatus,
    Case,
    CaseTransition,
    Referral,
    ReferralStatus,
    TherapyGroup,
)
from forestall.cases.pathway import Stage
from tests.concurrency import at_the_same_moment
from tests.factories_cases import make_case


def _tomorrow_at(hour: int) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _as_read_now(case: Case) -> Case:
    """The case as the second request reads it (the first has not committed yet)."""
    return Case.objects.get(pk=case.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_bookings_of_one_clinician_at_one_time_give_one_appointment(
    centre_a, clinician_a, manager_a
):
    first, second = (make_case(centre_a, stage=Stage.IN_TREATMENT) for _ in range(2))
    when = _tomorrow_at(10)

    results = at_the_same_moment(
        lambda: actions.schedule_appointment(
            first, by=clinician_a, clinician=clinician_a, starts_at=when
        ),
        lambda: actions.schedule_appointment(
            second, by=manager_a, clinician=clinician_a, starts_at=when
        ),
    )

    assert [type(result) for result in results] == [Appointment, actions.DoubleBookingError]
    assert Appointment.objects.filter(clinician=clinician_a, cancelled_at=None).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_bookings_of_one_client_at_one_time_give_one_appointment(
    centre_a, clinician_a, manager_a
):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    when = _tomorrow_at(10)

    results = at_the_same_moment(
        lambda: actions.schedule_appointment(case, by=clinician_a, starts_at=when),
        lambda: actions.schedule_appointment(case, by=manager_a, starts_at=when),
    )

    assert [type(result) for result in results] == [Appointment, actions.DoubleBookingError]
    assert Appointment.objects.filter(case=case).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_appointment_booked_as_the_case_ends_is_refused(centre_a, clinician_a, manager_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)

    results = at_the_same_moment(
        lambda: actions.transition_case(case, Stage.CLOSED, by=manager_a),
        lambda: actions.schedule_appointment(
            _as_read_now(case), by=clinician_a, starts_at=_tomorrow_at(10)
        ),
    )

    assert isinstance(results[1], actions.CaseError), results
    assert "case that has ended" in str(results[1])
    assert not Appointment.objects.filter(case=case, cancelled_at=None).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_referral_sent_as_the_case_ends_is_refused(centre_a, centre_b, clinician_a, manager_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)

    results = at_the_same_moment(
        lambda: actions.transition_case(case, Stage.CLOSED, by=manager_a),
        lambda: actions.refer_case(
            _as_read_now(case), centre_b, by=clinician_a, reason="Moving to B", consent_given=True
        ),
    )

    assert isinstance(results[1], actions.ReferralError), results
    assert "Only an open case can be referred." in str(results[1])
    assert not Referral.objects.filter(case=case, status=ReferralStatus.PENDING).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_group_place_given_as_the_case_ends_is_refused(centre_a, clinician_a, manager_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT, programme="group_therapy")
    group = actions.create_group(centre_a, by=clinician_a, name="Tuesday evening")
    session = actions.schedule_group_session(group, by=clinician_a, starts_at=_tomorrow_at(18))

    results = at_the_same_moment(
        lambda: actions.transition_case(case, Stage.CLOSED, by=manager_a),
        lambda: actions.add_group_member(group, _as_read_now(case), by=clinician_a),
    )

    assert isinstance(results[1], actions.CaseError), results
    assert not TherapyGroup.objects.filter(members=case).exists()
    assert not Attendance.objects.filter(
        appointment=session, case=case, status=AttendanceStatus.EXPECTED
    ).exists()
    assert Case.objects.get(pk=case.pk).stage == Stage.CLOSED


# --- Moving a case on from a stage it has left --------------------------------


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_move_from_a_page_that_showed_another_stage_is_refused_and_keeps_the_reason(
    sign_in, centre_a, clinician_a, manager_a, language
):
    case = make_case(centre_a, stage=Stage.WAITING_LIST)
    browser = sign_in(manager_a)
    url = f"/staff/cases/{case.pk}/move/"
    page = browser.get(url).content.decode()
    seen = re.search(r'name="from_stage" value="([^"]*)"', page).group(1)
    assert seen == Stage.WAITING_LIST
    # Meanwhile a colleague starts the treatment.
    actions.transition_case(case, Stage.IN_TREATMENT, by=clinician_a, reason="First session")

    sent = browser.post(
        url,
        {"to_stage": Stage.WITHDREW, "reason": "Said on the phone he stops", "from_stage": seen},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert sent.status_code == 409
    moved = CaseTransition.objects.get(case=case, to_stage=Stage.IN_TREATMENT)
    with translation.override(language):
        when = date_format(timezone.localtime(moved.at), "SHORT_DATETIME_FORMAT")
    said = {
        "en": f"Nothing was moved: clinician_a moved this case to “In treatment” on {when}, "
        "after you opened this page. What you wrote as the reason is still here.",
        "de": f"Es wurde nichts bewegt: clinician_a hat diesen Fall am {when} in „In Therapie“ "
        "bewegt, nachdem Sie diese Seite geöffnet haben.",
    }[language]
    assert said in html.unescape(sent.content.decode())
    assert "Said on the phone he stops</textarea>" in sent.content.decode()
    assert 'name="from_stage" value="in_treatment"' in sent.content.decode()
    assert Case.objects.get(pk=case.pk).stage == Stage.IN_TREATMENT


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_move_refused_because_of_ones_own_move_in_another_tab_says_so(
    sign_in, centre_a, manager_a, language
):
    case = make_case(centre_a, stage=Stage.WAITING_LIST)
    browser = sign_in(manager_a)
    url = f"/staff/cases/{case.pk}/move/"
    first = {"to_stage": Stage.IN_TREATMENT, "reason": "Starts", "from_stage": Stage.WAITING_LIST}
    assert browser.post(url, first).status_code == 302

    again = {"to_stage": Stage.WITHDREW, "reason": "Other tab", "from_stage": Stage.WAITING_LIST}
    sent = browser.post(url, again, HTTP_ACCEPT_LANGUAGE=language)

    assert sent.status_code == 409
    said = {
        "en": "Nothing more was moved: you moved this case to “In treatment” yourself on",
        "de": "Es wurde nichts weiter bewegt: Sie selbst haben diesen Fall am",
    }[language]
    page = html.unescape(sent.content.decode())
    assert said in page
    assert "Other tab</textarea>" in sent.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_moves_on_from_the_same_stage_at_once_make_one_move(centre_a, clinician_a, manager_a):
    case = make_case(centre_a, stage=Stage.WAITING_LIST)

    def move(to_stage, by):
        return lambda: actions.transition_case(
            _as_read_now(case), to_stage, by=by, from_stage=Stage.WAITING_LIST
        )

    results = at_the_same_moment(
        move(Stage.IN_TREATMENT, clinician_a), move(Stage.WITHDREW, manager_a)
    )

    assert isinstance(results[1], actions.StageChanged), results
    assert Case.objects.get(pk=case.pk).stage == Stage.IN_TREATMENT


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_member_joining_as_a_session_is_booked_is_expected_at_it(
    centre_a, clinician_a, manager_a
):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT, programme="group_therapy")
    group = actions.create_group(centre_a, by=clinician_a, name="Tuesday evening")

    results = at_the_same_moment(
        lambda: actions.schedule_group_session(group, by=clinician_a, starts_at=_tomorrow_at(18)),
        lambda: actions.add_group_member(group, _as_read_now(case), by=manager_a),
    )

    session = results[0]
    assert isinstance(session, Appointment), results
    assert Attendance.objects.filter(
        appointment=session, case=case, status=AttendanceStatus.EXPECTED
    ).exists()
