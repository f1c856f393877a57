"""The staff audit page: who may search which part of the log."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from forestall.accounts.models import Role
from forestall.audit.actions import record_event
from forestall.audit.models import AuditEntry
from tests import factories

URL = "/staff/audit/"


@pytest.fixture
def log(clinician_a, clinician_b, centre_a, centre_b):
    """Entries at centre A, at centre B, and one without a centre."""
    record_event(clinician_a, "case.read", centre_a, centre=centre_a)
    record_event(clinician_a, "case.update", centre_a, centre=centre_a, reason="new address")
    record_event(clinician_b, "case.read", centre_b, centre=centre_b)
    record_event(None, "retention.purge", reason="mailbox: 3")


def _rows(response) -> list[AuditEntry]:
    return [entry for entry, _centre in response.context["rows"]]


def _actions(response) -> list[tuple[str, str]]:
    return [(entry.actor_username, entry.action) for entry in _rows(response)]


def test_a_network_admin_sees_the_whole_log(sign_in, network_admin, log):
    response = sign_in(network_admin).get(URL)
    assert response.status_code == 200
    assert _actions(response) == [
        ("", "retention.purge"),
        ("clinician_b", "case.read"),
        ("clinician_a", "case.update"),
        ("clinician_a", "case.read"),
    ]
    page = response.content.decode()
    assert "new address" in page
    assert "Centre A" in page


def test_a_centre_manager_sees_only_entries_of_their_centre(sign_in, manager_a, log):
    response = sign_in(manager_a).get(URL)
    assert response.status_code == 200
    assert _actions(response) == [("clinician_a", "case.update"), ("clinician_a", "case.read")]


def test_a_centre_manager_cannot_reach_another_centre_by_filtering(
    sign_in, manager_a, centre_b, log
):
    response = sign_in(manager_a).get(URL, {"centre": str(centre_b.pk)})
    assert response.status_code == 400
    assert _rows(response) == []


def test_a_manager_of_two_centres_sees_both(sign_in, manager_a, centre_b, log):
    factories.add_role(manager_a, Role.CENTRE_MANAGER, centre_b)
    response = sign_in(manager_a).get(URL)
    assert {entry.action for entry in _rows(response)} == {"case.read", "case.update"}
    assert len(_rows(response)) == 3


@pytest.mark.parametrize(
    "persona",
    [
        "clinician_a",
        "counsellor_a",
        "network_counsellor",
        "safeguarding_lead_a",
        "analyst",
        "outsider",
    ],
)
def test_everyone_else_gets_not_found(request, sign_in, persona, log):
    response = sign_in(request.getfixturevalue(persona)).get(URL)
    assert response.status_code == 404


def test_signing_in_is_required(client, log):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/staff/login/" in response["Location"]


def test_the_log_is_searchable_by_user_action_and_kind(sign_in, network_admin, log):
    staff = sign_in(network_admin)
    assert _actions(staff.get(URL, {"user": "CLINICIAN_A"})) == [
        ("clinician_a", "case.update"),
        ("clinician_a", "case.read"),
    ]
    assert [e.action for e in _rows(staff.get(URL, {"action": "retention."}))] == [
        "retention.purge"
    ]
    reads = _rows(staff.get(URL, {"kind": "read"}))
    assert reads and all(entry.action.endswith(".read") for entry in reads)
    writes = _rows(staff.get(URL, {"kind": "write"}))
    assert writes and not any(entry.action.endswith(".read") for entry in writes)


def test_the_log_is_searchable_by_object_and_centre(sign_in, network_admin, centre_a, log):
    staff = sign_in(network_admin)
    by_target = _rows(staff.get(URL, {"target": str(centre_a.pk)}))
    assert {entry.target_id for entry in by_target} == {centre_a.pk}
    assert len(by_target) == 2
    by_centre = _rows(staff.get(URL, {"centre": str(centre_a.pk)}))
    assert {entry.centre_uuid for entry in by_centre} == {centre_a.pk}


def test_the_log_is_searchable_by_date_range(sign_in, network_admin, log):
    staff = sign_in(network_admin)
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    assert len(_rows(staff.get(URL, {"date_from": today.isoformat()}))) == 4
    assert _rows(staff.get(URL, {"date_to": yesterday.isoformat()})) == []


def test_bad_filters_get_a_translated_message_and_keep_what_was_typed(sign_in, network_admin, log):
    response = sign_in(network_admin).get(
        "/staff/audit/", {"target": "not-a-uuid", "user": "clinician_a"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter an object id" in page
    assert 'value="not-a-uuid"' in page
    assert 'value="clinician_a"' in page


def test_an_end_date_before_the_start_date_is_refused(sign_in, network_admin, log):
    response = sign_in(network_admin).get(URL, {"date_from": "2026-02-02", "date_to": "2026-01-01"})
    assert response.status_code == 400
    assert "must not be before the start date" in response.content.decode()


def test_the_log_is_paginated_and_pages_keep_the_filters(sign_in, network_admin, clinician_a):
    for _number in range(60):
        record_event(clinician_a, "case.read", clinician_a)
    staff = sign_in(network_admin)
    first = staff.get(URL, {"user": "clinician_a"})
    assert len(_rows(first)) == 50
    assert "user=clinician_a&amp;page=2" in first.content.decode()
    second = staff.get(URL, {"user": "clinician_a", "page": "2"})
    assert len(_rows(second)) == 10
    assert staff.get(URL, {"page": "nonsense"}).status_code == 200


def test_reading_the_log_is_itself_recorded(sign_in, network_admin, log):
    sign_in(network_admin).get(URL)
    newest = AuditEntry.objects.order_by("-sequence").first()
    assert (newest.actor, newest.action) == (network_admin, "audit.read")


def test_the_page_is_german_for_german_staff(sign_in, network_admin, log):
    staff = sign_in(network_admin)
    response = staff.get(URL, HTTP_ACCEPT_LANGUAGE="de")
    page = response.content.decode()
    assert "Das Protokoll kann nur ergänzt werden" in page
    assert ">Benutzername</label>" in page
    assert "Search the audit log" not in page
