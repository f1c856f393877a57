"""The waiting list: ordered by priority then date added, explained, and timed."""

from __future__ import annotations

import datetime

from django.test import Client
from django.utils import timezone

from forestall.cases.actions import transition_case, typical_wait_weeks, update_typical_wait
from forestall.cases.models import Priority, Programme, WaitingListEntry
from forestall.cases.pathway import Stage
from tests.factories_cases import make_case

WEEK = datetime.timedelta(weeks=1)


def _waiting(centre, weeks, priority=Priority.ROUTINE, programme=Programme.INDIVIDUAL):
    return make_case(
        centre,
        stage=Stage.WAITING_LIST,
        waitlisted_ago=weeks * WEEK,
        priority=priority,
        programme=programme,
    )


def test_the_list_is_ordered_by_priority_then_by_the_date_added(centre_a):
    routine_old = _waiting(centre_a, 10)
    urgent_new = _waiting(centre_a, 1, Priority.URGENT)
    routine_new = _waiting(centre_a, 2)
    high_mid = _waiting(centre_a, 5, Priority.HIGH)

    order = [entry.case for entry in WaitingListEntry.objects.waiting().in_order()]

    assert order == [urgent_new, high_mid, routine_old, routine_new]


def test_the_page_explains_each_place_and_shows_the_waiting_time(sign_in, clinician_a, centre_a):
    routine_old = _waiting(centre_a, 10)
    _waiting(centre_a, 1, Priority.URGENT)
    routine_new = _waiting(centre_a, 2)

    response = sign_in(clinician_a).get(
        "/staff/cases/waiting-list/", {"centre": centre_a.pk, "programme": Programme.INDIVIDUAL}
    )

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["entry"].case for row in rows][1:] == [routine_old, routine_new]
    assert rows[2]["position"] == 3
    assert rows[2]["ahead_higher"] == 1
    assert rows[2]["ahead_same"] == 1
    assert rows[1]["waiting_weeks"] == 10
    assert b"After 1 with a higher priority and 1 with the same priority added earlier." in (
        response.content
    )


def test_each_programme_has_its_own_list(sign_in, clinician_a, centre_a):
    _waiting(centre_a, 3, programme=Programme.GROUP)
    individual = _waiting(centre_a, 3)

    response = sign_in(clinician_a).get(
        "/staff/cases/waiting-list/", {"centre": centre_a.pk, "programme": Programme.INDIVIDUAL}
    )

    assert [row["entry"].case for row in response.context["rows"]] == [individual]


def test_another_centres_list_is_not_shown(sign_in, clinician_b, centre_a, centre_b):
    _waiting(centre_a, 3)

    response = sign_in(clinician_b).get(
        "/staff/cases/waiting-list/", {"centre": centre_a.pk, "programme": Programme.INDIVIDUAL}
    )

    assert response.status_code == 400
    assert response.context["rows"] == []


def test_the_typical_wait_is_the_median_of_recent_starts_and_reaches_the_finder(
    centre_a, clinician_a
):
    for weeks in (2, 6, 9):
        transition_case(_waiting(centre_a, weeks), Stage.IN_TREATMENT, by=clinician_a)

    centre_a.refresh_from_db()
    assert centre_a.typical_wait_weeks == 7  # median six weeks and a bit, rounded up


def test_old_starts_do_not_count_towards_the_typical_wait(centre_a):
    case = _waiting(centre_a, 30)
    WaitingListEntry.objects.filter(case=case).update(
        left_at=timezone.now() - datetime.timedelta(days=400), outcome=Stage.IN_TREATMENT
    )

    assert typical_wait_weeks(centre_a) is None
    centre_a.typical_wait_weeks = 4
    centre_a.save()
    assert update_typical_wait(centre_a) is None
    centre_a.refresh_from_db()
    assert centre_a.typical_wait_weeks == 4


def test_a_priority_change_moves_the_person_up(sign_in, clinician_a, centre_a):
    first = _waiting(centre_a, 8)
    second = _waiting(centre_a, 2)
    entry = WaitingListEntry.objects.get(case=second)

    response = sign_in(clinician_a).post(
        f"/staff/cases/waiting-list/{entry.pk}/priority/", {"priority": Priority.HIGH}
    )

    assert response.status_code == 302
    order = [e.case for e in WaitingListEntry.objects.waiting().in_order()]
    assert order == [second, first]


def test_the_waiting_list_speaks_german(sign_in, clinician_a, centre_a):
    _waiting(centre_a, 3)

    response = sign_in(clinician_a).get(
        "/staff/cases/waiting-list/",
        {"centre": centre_a.pk, "programme": Programme.INDIVIDUAL},
        HTTP_ACCEPT_LANGUAGE="de",
    )

    text = response.content.decode()
    assert "Warteliste" in text
    assert "Nach 0 mit höherer Priorität und 0 mit gleicher Priorität" in text
    assert "Waiting list" not in text


def test_a_new_typical_wait_shows_at_once_on_kept_and_cached_finder_pages(
    client, settings, centre_a, clinician_a, django_capture_on_commit_callbacks
):
    """A start of treatment changes a public figure: every finder page and the
    centre's page show it at once, as after any other change of a centre."""
    settings.FORESTALL_PAGE_CACHE_SECONDS = 60
    pages = ["/centres/", "/de/centres/", "/centres/?remote=", f"/centres/{centre_a.slug}/"]
    visitor = Client()
    visitor.cookies["forestall_mailbox"] = "anything"  # kept parts, not cached pages
    for page in pages:
        assert "About 9 weeks" not in client.get(page).content.decode()
        visitor.get(page)
    with django_capture_on_commit_callbacks(execute=True):
        # Eight weeks and a bit: nine, rounded up.
        transition_case(_waiting(centre_a, 8), Stage.IN_TREATMENT, by=clinician_a)
    for page in pages:
        fresh = "Etwa 9 Wochen" if page.startswith("/de/") else "About 9 weeks"
        assert fresh in Client().get(page).content.decode(), page
        assert fresh in visitor.get(page).content.decode(), page
