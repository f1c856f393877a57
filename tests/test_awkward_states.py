"""Every staff page renders every state its data can be in, for every role.

The states are the ones the models allow and a real team reaches in its
first week: an appointment nobody is assigned to yet, a group without a
clinician that books a session, a staff account deleted after it authored
notes, pathway moves and appointments, a closed case with appointments still
in the future, a referral to a centre with no staff, a concern whose
conversation was deleted with its mailbox, an erased case, a concern raised
for the whole network. The URLs are discovered from the URLconf (like the
access matrix), every id parameter is filled with each awkward object of its
kind, and each page is asked for by each standing persona: no answer may be
a 5xx. The people and the data are built once for the module and walked by
one test per role (each in its own savepoint), so the module stays fast and
depends on nothing outside itself.
"""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from forestall.accounts.models import Role, User
from forestall.cases import actions
from forestall.cases.models import AttendanceStatus, Programme, ReferralReason
from forestall.cases.pathway import Stage
from forestall.directory.models import Centre
from forestall.instruments import actions as instrument_actions
from forestall.safeguarding import actions as safeguarding_actions
from forestall.safeguarding.models import Decision, Level
from tests import factories
from tests.factories_cases import make_case, make_client, make_conversation

PERSONAS = (
    "clinician_a",
    "clinician_b",
    "counsellor_a",
    "network_counsellor",
    "safeguarding_lead_a",
    "second_safeguarding_lead_a",
    "manager_a",
    "analyst",
    "network_admin",
    "outsider",
)
# Values for the few path parameters that are not ids.
OTHER_PARAMETERS = {
    "instrument": "phq9",
    "version": "1",
    "page": "home",
    "language": "en",
    "programme": "self",
    "module": "motivation",
}


def _staff_routes() -> list[str]:
    """Every staff URL pattern except Django's admin (tested by the admin's own tests)."""
    routes: list[str] = []

    def walk(patterns: list, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif (
                isinstance(entry, URLPattern)
                and route.startswith("staff/")
                and not route.startswith("staff/admin/")
            ):
                routes.append(route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(routes))


def _paths(route: str, ids: dict[str, list]) -> list[str]:
    """``route`` once for every awkward object its id parameter can take."""
    names = re.findall(r"<(?:\w+):(\w+)>", route)
    id_names = [name for name in names if name not in OTHER_PARAMETERS]
    path = route
    for name in names:
        if name in OTHER_PARAMETERS:
            path = re.sub(rf"<\w+:{name}>", OTHER_PARAMETERS[name], path)
    if not id_names:
        return ["/" + path]
    assert len(id_names) == 1, route
    values = ids.get(id_names[0]) or [uuid.uuid4()]
    return ["/" + re.sub(rf"<uuid:{id_names[0]}>", str(value), path) for value in values]


def _shows_one_object(route: str) -> bool:
    """Whether the page's address names an object by its id (a UUID parameter)."""
    return "<uuid:" in route


def _build_awkward_world(centre_a, centre_b, centre_c, people) -> dict[str, list]:
    """Every awkward state, made through the actions where a real team would make it."""
    clinician = people["clinician_a"]
    lead, second_lead = people["safeguarding_lead_a"], people["second_safeguarding_lead_a"]
    soon = timezone.now() + datetime.timedelta(days=2)
    leaver = factories.make_user(Role.CLINICIAN, centre_a, username="leaver")

    # An appointment nobody is assigned to ("Nobody yet"), one not attended.
    unassigned = make_case(centre_a, stage=Stage.ASSESSMENT)
    nobody = actions.schedule_appointment(unassigned, by=clinician, starts_at=soon)
    missed = actions.schedule_appointment(
        unassigned, by=clinician, starts_at=timezone.now() - datetime.timedelta(days=3)
    )
    actions.record_attendance(missed, unassigned, AttendanceStatus.DID_NOT_ATTEND, by=clinician)

    # The leaver's traces everywhere, then their account is deleted.
    authored = make_case(centre_a, stage=Stage.SCREENING)
    actions.add_note(authored, by=leaver, body="Seen for screening.")
    actions.transition_case(authored, Stage.ASSESSMENT, by=leaver, reason="screened")
    by_leaver = actions.schedule_appointment(
        authored, by=leaver, clinician=leaver, starts_at=soon + datetime.timedelta(hours=3)
    )
    actions.add_task(authored, by=leaver, title="Call back", assignee=leaver)
    leavers_group = actions.create_group(
        centre_a, by=leaver, name="Leaver's group", clinician=leaver
    )
    actions.add_group_member(leavers_group, authored, by=leaver)
    actions.schedule_group_session(leavers_group, by=leaver, starts_at=soon)
    leavers_concern = safeguarding_actions.raise_concern(
        by=leaver, level=Level.CONCERN, description="Mentioned a niece.", case=authored
    )

    # A group without a clinician books a session.
    clinicianless = actions.create_group(centre_a, by=clinician, name="Thursday group")
    waiting = make_case(centre_a, stage=Stage.WAITING_LIST, programme=Programme.GROUP)
    actions.add_group_member(clinicianless, waiting, by=clinician)
    group_session = actions.schedule_group_session(clinicianless, by=clinician, starts_at=soon)
    empty_group = actions.create_group(centre_a, by=clinician, name="Nobody yet group")

    # A closed case with appointments still in the future.
    closed = make_case(centre_a, stage=Stage.IN_TREATMENT)
    future = actions.schedule_appointment(closed, by=clinician, starts_at=soon, clinician=clinician)
    closed.stage = Stage.CLOSED
    closed.closed_at = timezone.now()
    closed.save(update_fields=["stage", "closed_at"])

    # Referrals: to a centre with no staff, declined, accepted.
    to_nobody = make_case(centre_a, stage=Stage.ASSESSMENT)
    unanswered = actions.refer_case(
        to_nobody, centre_c, by=clinician, reason=ReferralReason.NEARER, consent_given=True
    )
    declined_case = make_case(centre_a, stage=Stage.WAITING_LIST)
    declined = actions.refer_case(
        declined_case, centre_b, by=clinician, reason=ReferralReason.FREE_PLACE, consent_given=True
    )
    actions.decline_referral(declined, by=people["clinician_b"], reason="Full until spring.")
    moved = make_case(centre_a, stage=Stage.IN_TREATMENT)
    accepted = actions.refer_case(
        moved, centre_b, by=clinician, reason=ReferralReason.LANGUAGE, consent_given=True
    )
    new_case = actions.accept_referral(accepted, by=people["clinician_b"])

    # A case from the inbox whose conversation (and mailbox) was deleted,
    # and a concern raised from a conversation that was then deleted.
    conversation = make_conversation(centre_a)
    from_inbox = actions.open_enquiry_from_conversation(
        conversation, centre_a, by=people["counsellor_a"], consent_note="Agreed in writing."
    )
    orphaned_concern = safeguarding_actions.raise_concern(
        by=people["counsellor_a"],
        level=Level.IMMEDIATE_RISK,
        description="Said the child is alone with him tonight.",
        conversation=conversation,
    )
    conversation.mailbox.delete()
    # A concern about a conversation addressed to the whole network.
    network_conversation = make_conversation(None)
    network_concern = safeguarding_actions.raise_concern(
        by=people["network_counsellor"],
        level=Level.INFORMATION,
        description="Asked about the limits of confidentiality.",
        conversation=network_conversation,
    )

    # Concerns in every status, one decided by two leads (a disclosure).
    in_review = make_case(centre_a, stage=Stage.ENQUIRY)
    reviewed = safeguarding_actions.raise_concern(
        by=clinician, level=Level.CONCERN, description="Works at a school.", case=in_review
    )
    safeguarding_actions.start_review(reviewed, by=lead)
    disclosed = safeguarding_actions.raise_concern(
        by=clinician, level=Level.IMMEDIATE_RISK, description="Named a child.", case=in_review
    )
    safeguarding_actions.start_review(disclosed, by=lead)
    safeguarding_actions.decide_concern(
        disclosed, by=lead, decision=Decision.DISCLOSURE, note="Youth welfare office."
    )
    safeguarding_actions.approve_disclosure(disclosed, by=second_lead)
    proposed = safeguarding_actions.raise_concern(
        by=clinician, level=Level.IMMEDIATE_RISK, description="Babysits.", case=in_review
    )
    safeguarding_actions.start_review(proposed, by=lead)
    safeguarding_actions.decide_concern(
        proposed, by=lead, decision=Decision.DISCLOSURE, note="Police."
    )

    # An erased case (retention ended) and a client with nothing but a reference.
    erased = make_case(centre_a, stage=Stage.WITHDREW)
    erased.erased_at = timezone.now()
    erased.save(update_fields=["erased_at"])
    bare_client = make_client()
    bare = make_case(centre_a, client=bare_client, stage=Stage.ENQUIRY)

    # Measures: one recorded with a positive self-harm item, one sent and pending.
    measured = make_case(centre_a, stage=Stage.IN_TREATMENT, client=make_client(mailbox=None))
    administration = instrument_actions.record_administration(
        measured.client,
        "phq9",
        {f"q{i}": 1 for i in range(1, 9)} | {"q9": 2},
        occasion="session",
        by=leaver,
        centre=centre_a,
    )

    leaver.delete()

    cases = [unassigned, authored, waiting, closed, to_nobody, declined_case, moved, new_case]
    cases += [from_inbox, in_review, erased, bare, measured]
    concerns = [leavers_concern, orphaned_concern, network_concern, reviewed, disclosed, proposed]
    return {
        "case_id": [case.pk for case in cases],
        "client_id": [case.client_id for case in cases],
        "appointment_id": [nobody.pk, missed.pk, by_leaver.pk, group_session.pk, future.pk],
        "group_id": [leavers_group.pk, clinicianless.pk, empty_group.pk],
        "referral_id": [unanswered.pk, declined.pk, accepted.pk],
        "concern_id": [concern.pk for concern in concerns],
        "task_id": list(authored.tasks.values_list("pk", flat=True)),
        "entry_id": list(waiting.waiting_entries.values_list("pk", flat=True)),
        "conversation_id": [network_conversation.pk],
        "administration_id": [administration.pk],
        "centre_id": [centre_a.pk, centre_c.pk],
    }


# The people and the awkward world are built once for the module (``module_db``):
# the tests only ask for pages, and what a request writes (the audit of a read,
# the session it saves) is rolled back after each test, so every role walks the
# same world as it was built.


@pytest.fixture(scope="module")
def _centre_ids(module_db) -> dict[str, uuid.UUID]:
    north, south = factories.make_region("North"), factories.make_region("South")
    return {
        "centre_a": factories.make_centre("Centre A", north).pk,
        "centre_b": factories.make_centre("Centre B", north).pk,
        "centre_c": factories.make_centre("Centre C", south).pk,
    }


@pytest.fixture(scope="module")
def _people_ids(_centre_ids) -> dict[str, uuid.UUID]:
    """The standing personas of tests/conftest.py, with the same names and roles."""
    centre_a, centre_b = _centre_ids["centre_a"], _centre_ids["centre_b"]
    centres = Centre.objects.in_bulk([centre_a, centre_b])
    a, b = centres[centre_a], centres[centre_b]
    make = factories.make_user
    people = {
        "clinician_a": make(Role.CLINICIAN, a, username="clinician_a"),
        "clinician_b": make(Role.CLINICIAN, b, username="clinician_b"),
        "counsellor_a": make(Role.COUNSELLOR, a, username="counsellor_a"),
        "network_counsellor": make(Role.COUNSELLOR, None, username="network_counsellor"),
        "safeguarding_lead_a": make(Role.SAFEGUARDING_LEAD, a, username="safeguarding_a"),
        "second_safeguarding_lead_a": make(Role.SAFEGUARDING_LEAD, a, username="safeguarding_a2"),
        "manager_a": make(Role.CENTRE_MANAGER, a, username="manager_a"),
        "analyst": make(Role.ANALYST, None, username="analyst"),
        "network_admin": make(Role.NETWORK_ADMIN, None, username="network_admin"),
        "outsider": make(None, None, username="outsider"),
    }
    assert set(people) == set(PERSONAS)
    return {persona: user.pk for persona, user in people.items()}


@pytest.fixture(scope="module")
def _awkward_ids(_centre_ids, _people_ids) -> dict[str, list]:
    centres = Centre.objects.in_bulk(_centre_ids.values())
    users = User.objects.in_bulk(_people_ids.values())
    return _build_awkward_world(
        *(centres[_centre_ids[name]] for name in ("centre_a", "centre_b", "centre_c")),
        {persona: users[pk] for persona, pk in _people_ids.items()},
    )


@pytest.fixture
def people(_people_ids, db):
    """Each persona, freshly read for the test."""
    users = User.objects.in_bulk(_people_ids.values())
    return {persona: users[pk] for persona, pk in _people_ids.items()}


@pytest.fixture
def ids(_awkward_ids, db) -> dict[str, list]:
    """The ids of the awkward objects, by the URL parameter that takes them."""
    return {name: list(values) for name, values in _awkward_ids.items()}


@pytest.fixture
def centre_a(_centre_ids, db) -> Centre:
    return Centre.objects.get(pk=_centre_ids["centre_a"])


def test_the_walk_finds_the_case_and_safeguarding_pages():
    routes = _staff_routes()
    assert "staff/cases/<uuid:case_id>/" in routes
    assert "staff/cases/appointments/<uuid:appointment_id>/" in routes
    assert "staff/safeguarding/<uuid:concern_id>/" in routes


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_staff_page_renders_every_awkward_state_for_every_role(persona, people, ids, sign_in):
    # One role per test, so that a parallel run spreads the walk (about 270
    # requests each) and a failure names the role.
    from forestall.audit.models import AuditEntry, read_actions

    paths = [
        (path, _shows_one_object(route)) for route in _staff_routes() for path in _paths(route, ids)
    ]
    client = sign_in(people[persona])
    client.raise_request_exception = False
    reads = AuditEntry.objects.filter(read_actions(), actor=people[persona])
    failures, unaudited, answered = [], [], 0
    for path, shows_one_object in paths:
        before = reads.count()
        status = client.get(path).status_code
        if status >= 500:
            failures.append((path, status))
        elif status == 200:
            answered += 1
            # A page that shows an object records the read (the access layer does).
            if shows_one_object and reads.count() == before:
                unaudited.append(path)
    assert failures == []
    assert unaudited == []
    # The walk really reached pages (every role has at least its home and lists).
    assert answered >= 5


def test_the_roles_that_work_on_the_cases_reach_the_awkward_pages(people, ids, sign_in):
    clinician = sign_in(people["clinician_a"])
    reached = [clinician.get(f"/staff/cases/{case_id}/").status_code for case_id in ids["case_id"]]
    # All cases but the one accepted at centre B are centre A's.
    assert reached.count(200) == len(ids["case_id"]) - 1
    lead = sign_in(people["safeguarding_lead_a"])
    for concern_id in ids["concern_id"][:2] + ids["concern_id"][3:]:
        assert lead.get(f"/staff/safeguarding/{concern_id}/").status_code == 200


def test_the_states_are_named_not_hidden(people, ids, sign_in):
    client = sign_in(people["clinician_a"])
    unassigned, authored = ids["case_id"][0], ids["case_id"][1]
    page = client.get(f"/staff/cases/{unassigned}/").content.decode()
    assert "Nobody yet" in page
    assert "Did not attend" in page and "did_not_attend" not in page
    page = client.get(f"/staff/cases/{authored}/").content.decode()
    assert "former staff member" in page
    session = client.get(f"/staff/cases/appointments/{ids['appointment_id'][3]}/")
    assert session.status_code == 200
    assert "Nobody yet" in session.content.decode()


def test_stored_choices_show_their_german_labels(centre_a, people, sign_in):
    clinician_a = people["clinician_a"]
    case = make_case(centre_a, stage=Stage.ASSESSMENT)
    missed = actions.schedule_appointment(
        case, by=clinician_a, starts_at=timezone.now() - datetime.timedelta(days=1)
    )
    actions.record_attendance(missed, case, AttendanceStatus.DID_NOT_ATTEND, by=clinician_a)
    actions.schedule_appointment(
        case, by=clinician_a, starts_at=timezone.now() + datetime.timedelta(days=1)
    )

    page = sign_in(clinician_a).get(f"/staff/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="de")

    text = page.content.decode()
    assert "Nicht erschienen" in text
    assert "did_not_attend" not in text and "Did not attend" not in text
    assert "Noch niemand" in text
