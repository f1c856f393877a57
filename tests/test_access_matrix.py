"""The access matrix: every staff URL that takes the id of a person's data, for
every role at the object's own centre, at another centre and network-wide.

The URL configuration is walked (``get_resolver()``): any staff URL with a
``case_id``, ``client_id``, ``conversation_id``, ``concern_id`` or
``appointment_id`` (or any id at all in the cases and safeguarding areas)
must have a row in ``MATRIX``. A new URL without one fails
``test_every_url_with_an_id_is_in_the_matrix`` — "unknown URL: add it to the
matrix" — so a forgotten access check cannot slip through unnoticed.

Each row names who gets the page (200); everyone else must get 404, the same
answer as for an id that does not exist. URLs that only accept POST are
posted to with an empty form: the allowed get anything but 404 (a redirect or
a form error), everyone else exactly 404.
"""

from __future__ import annotations

import datetime
import functools
import uuid
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import UUIDConverter
from django.utils import timezone

from forestall.accounts.models import Role, User
from forestall.cases.models import (
    Appointment,
    Attendance,
    GlassBreak,
    Referral,
    ReferralReason,
    Task,
    TherapyGroup,
    WaitingListEntry,
)
from forestall.cases.pathway import Stage
from tests import factories
from tests.factories_cases import make_case, make_concern, make_conversation
from tests.html_checks import broken_id_references

# Kwargs that carry the id of a person's data, wherever the URL lives.
TRACKED_KWARGS = {"case_id", "client_id", "conversation_id", "concern_id", "appointment_id"}
# Areas where every id in a URL is tracked.
TRACKED_NAMESPACES = {"cases", "safeguarding"}

# --- Who is asking --------------------------------------------------------

OWN = ("clinician_a", "manager_a", "counsellor_a", "safeguarding_a")
OTHER = ("clinician_b", "manager_b", "counsellor_b", "safeguarding_b")
NETWORK = (
    "network_counsellor",
    "network_safeguarding",
    "analyst",
    "network_admin",
    "admin_with_glass",
    "outsider",
)
PERSONAS = OWN + OTHER + NETWORK

# The objects all live at centre A (the referral goes from A to B).
CASE_WORK = {"clinician_a", "manager_a", "admin_with_glass"}
CENTRE_WORK = {"clinician_a", "manager_a"}
CASE_SUMMARY = CASE_WORK | {"counsellor_a", "safeguarding_a", "network_safeguarding"}
CONCERN = {"safeguarding_a", "network_safeguarding"}
CONVERSATION = {"counsellor_a"}
REFERRAL = CENTRE_WORK | {"clinician_b", "manager_b"}


@dataclass(frozen=True)
class Row:
    allowed: frozenset[str]
    method: str = "GET"
    extra: tuple[tuple[str, str], ...] = ()


def row(allowed: set[str], method: str = "GET", **extra: str) -> Row:
    return Row(frozenset(allowed), method, tuple(extra.items()))


MATRIX: dict[str, Row] = {
    # cases
    "cases:case": row(CASE_SUMMARY),
    "cases:transition": row(CASE_WORK),
    "cases:note": row(CASE_WORK),
    "cases:task": row(CASE_WORK),
    "cases:lead": row(CASE_WORK),
    "cases:book": row(CASE_WORK),
    "cases:refer": row(CASE_WORK),
    "cases:concern": row(CASE_WORK),
    "cases:client": row(CASE_WORK),
    "cases:task_done": row(CASE_WORK),
    "cases:task_take": row(CASE_WORK, "POST"),
    "cases:priority": row(CASE_WORK),
    "cases:appointment": row(CASE_WORK),
    "cases:appointment_cancel": row(CASE_WORK),
    "cases:group": row(CENTRE_WORK),
    "cases:referral": row(REFERRAL),
    "cases:referral_withdraw": row(CENTRE_WORK),
    "cases:reopen": row(CASE_WORK),
    # safeguarding
    "safeguarding:concern": row(CONCERN),
    "safeguarding:review": row(CONCERN),
    "safeguarding:note": row(CONCERN),
    "safeguarding:decide": row(CONCERN),
    "safeguarding:approve": row(CONCERN),
    "safeguarding:reject": row(CONCERN),
    "safeguarding:disclosed": row(CONCERN),
    "safeguarding:context": row(CONCERN),
    # the counsellors' inbox
    "inbox:conversation": row(CONVERSATION),
    "inbox:claim": row(CONVERSATION, "POST"),
    "inbox:release": row(CONVERSATION, "POST"),
    "inbox:reply": row(CONVERSATION, "POST"),
    "inbox:add_note": row(CONVERSATION, "POST"),
    "inbox:flag": row(CONVERSATION, "POST"),
    "inbox:summary": row(CONVERSATION, "POST"),
    "inbox:protective_action": row(CONVERSATION, "POST"),
    "inbox:keep_draft": row(CONVERSATION, "POST"),
    "inbox:insert_template": row(CONVERSATION, "POST"),
    "inbox:close": row(CONVERSATION, "POST"),
    "inbox:reopen": row(CONVERSATION, "POST"),
    "inbox:refer": row(CONVERSATION),
    "inbox:concern": row(CONVERSATION),
    # questionnaires of a client (the instruments work)
    "instruments:client": row(CASE_WORK),
    "instruments:send": row(CASE_WORK, "POST"),
    "instruments:record": row(CASE_WORK, instrument="phq9"),
    # research consent on a case
    "research:consent": row(CASE_WORK),
}


def _walk(resolvers, prefix="", namespace=""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            converters = dict(getattr(entry.pattern, "converters", {}))
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield route, name, namespace, converters


@functools.cache
def _tracked_urls() -> dict[str, str]:
    """Every staff URL that takes an id of a person's data: name → route.

    Walked once per process: the URL configuration does not change in a run.
    """
    found = {}
    for route, name, namespace, converters in _walk(get_resolver().url_patterns):
        if not route.startswith("staff/"):
            continue
        ids = {kwarg for kwarg, c in converters.items() if isinstance(c, UUIDConverter)}
        tracked_here = namespace.split(":")[-1] in TRACKED_NAMESPACES and ids
        if ids & TRACKED_KWARGS or tracked_here or (set(converters) & TRACKED_KWARGS):
            found[name or route] = route
    return found


def test_every_url_with_an_id_is_in_the_matrix():
    unknown = sorted(set(_tracked_urls()) - set(MATRIX))
    assert not unknown, f"unknown URL: add it to the matrix: {unknown}"


def test_the_matrix_has_no_rows_for_urls_that_are_gone():
    assert sorted(set(MATRIX) - set(_tracked_urls())) == []


# --- The world the matrix is checked in ------------------------------------


# Built once for the module (``module_db``): the requests below read it, and
# what an allowed POST changes is rolled back after each test.


@pytest.fixture(scope="module")
def _centres(module_db):
    north = factories.make_region("North")
    return factories.make_centre("Centre A", north), factories.make_centre("Centre B", north)


@pytest.fixture(scope="module")
def _people_ids(_centres):
    centre_a, centre_b = _centres
    make = factories.make_user
    people = {
        "clinician_a": make(Role.CLINICIAN, centre_a),
        "manager_a": make(Role.CENTRE_MANAGER, centre_a),
        "counsellor_a": make(Role.COUNSELLOR, centre_a),
        "safeguarding_a": make(Role.SAFEGUARDING_LEAD, centre_a),
        "clinician_b": make(Role.CLINICIAN, centre_b),
        "manager_b": make(Role.CENTRE_MANAGER, centre_b),
        "counsellor_b": make(Role.COUNSELLOR, centre_b),
        "safeguarding_b": make(Role.SAFEGUARDING_LEAD, centre_b),
        "network_counsellor": make(Role.COUNSELLOR, None),
        "network_safeguarding": make(Role.SAFEGUARDING_LEAD, None),
        "analyst": make(Role.ANALYST, None),
        "network_admin": make(Role.NETWORK_ADMIN, None),
        "admin_with_glass": make(Role.NETWORK_ADMIN, None),
        "outsider": make(None, None),
    }
    assert set(people) == set(PERSONAS)
    return {persona: user.pk for persona, user in people.items()}


@pytest.fixture
def people(_people_ids, db):
    """Each persona, freshly read for the test."""
    users = User.objects.in_bulk(_people_ids.values())
    return {persona: users[pk] for persona, pk in _people_ids.items()}


@pytest.fixture(scope="module")
def _session_keys(_people_ids):
    """A signed-in session (second factor verified) for each persona, made once.

    The matrix makes a request per persona and test, each from a new client:
    signing in afresh for every one of them cost a quarter of the module's
    time. The session rows live in the module's data, so what a request
    writes into a session (every request saves it) is rolled back with the
    rest of the test.
    """
    users = User.objects.in_bulk(_people_ids.values())
    return {
        persona: factories.signed_in_client(users[pk]).cookies[settings.SESSION_COOKIE_NAME].value
        for persona, pk in _people_ids.items()
    }


@pytest.fixture
def signed_in(_session_keys, db):
    """``signed_in(persona)`` → a new test client in that persona's signed-in session."""

    def client_for(persona: str) -> Client:
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = _session_keys[persona]
        return client

    return client_for


@pytest.fixture(scope="module")
def _world(_centres, _people_ids):
    """One of everything at centre A, reachable by the ids the URLs take."""
    centre_a, centre_b = _centres
    conversation = make_conversation(centre_a)
    case = make_case(centre_a, stage=Stage.WAITING_LIST, conversation=conversation)
    appointment = Appointment.objects.create(
        centre=centre_a,
        case=case,
        clinician_id=_people_ids["clinician_a"],
        starts_at=timezone.now() + datetime.timedelta(days=1),
    )
    Attendance.objects.create(appointment=appointment, case=case)
    group = TherapyGroup.objects.create(centre=centre_a, name="Tuesday group")
    group.members.add(case)
    referral = Referral.objects.create(
        case=case,
        from_centre=centre_a,
        to_centre=centre_b,
        programme=case.programme,
        reason=ReferralReason.NEARER,
        summary="Assessed, motivated, prefers evenings.",
        consent_given=True,
        consent_note="Agreed on the phone.",
    )
    GlassBreak.objects.create(
        user_id=_people_ids["admin_with_glass"],
        case=case,
        reason="Subpoena check requested by the data protection officer",
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    return {
        "case_id": case.pk,
        "client_id": case.client_id,
        "conversation_id": conversation.pk,
        "concern_id": make_concern(case=case).pk,
        "appointment_id": appointment.pk,
        "task_id": Task.objects.create(case=case, title="Call back").pk,
        "entry_id": WaitingListEntry.objects.get(case=case).pk,
        "group_id": group.pk,
        "referral_id": referral.pk,
    }


@pytest.fixture
def world(_world, db):
    return dict(_world)


def _request(client, name: str, spec: Row, ids: dict) -> int:
    route = _tracked_urls()[name]
    kwargs = {kwarg: ids[kwarg] for kwarg in ids if f"<uuid:{kwarg}>" in route}
    kwargs.update(dict(spec.extra))
    url = reverse(name, kwargs=kwargs)
    if spec.method == "POST":
        return client.post(url, {}).status_code
    response = client.get(url)
    if response.status_code == 200 and "html" in response.get("Content-Type", ""):
        # Every page the matrix opens is also checked for labels and help
        # texts that point at nothing (``tests/html_checks.py``).
        broken = broken_id_references(response.content.decode())
        assert not broken, (url, broken)
    return response.status_code


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_role_gets_exactly_what_the_matrix_says(name, world, signed_in):
    spec = MATRIX[name]
    expected, actual = {}, {}
    # Those who may not see it first: their requests must change nothing.
    for persona in sorted(PERSONAS, key=lambda p: p in spec.allowed):
        status = _request(signed_in(persona), name, spec, world)
        if persona in spec.allowed:
            expected[persona] = "allowed"
            if spec.method == "POST":
                actual[persona] = "allowed" if status not in (404, 405) and status < 500 else status
            else:
                actual[persona] = "allowed" if status == 200 else status
        else:
            expected[persona] = 404
            actual[persona] = status
    assert actual == expected


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_an_id_that_does_not_exist_is_404_even_for_the_allowed(name, world, signed_in):
    spec = MATRIX[name]
    missing = {kwarg: uuid.uuid4() for kwarg in world}
    for persona in sorted(spec.allowed):
        assert _request(signed_in(persona), name, spec, missing) == 404, persona


# --- Lists, audit and breaking the glass -----------------------------------------


def test_lists_show_only_what_the_gate_allows(people, world, sign_in):
    own = sign_in(people["clinician_a"]).get("/staff/cases/")
    assert [row["url"] for row in own.context["rows"]] == [f"/staff/cases/{world['case_id']}/"]
    for persona in ("clinician_b", "analyst", "network_admin", "outsider"):
        listed = sign_in(people[persona]).get("/staff/cases/")
        assert listed.status_code == 200
        assert listed.context["rows"] == [], persona


def test_every_case_read_is_audited(people, world, sign_in):
    from forestall.audit.models import AuditEntry

    sign_in(people["clinician_a"]).get(f"/staff/cases/{world['case_id']}/")
    sign_in(people["counsellor_a"]).get(f"/staff/cases/{world['case_id']}/")

    reads = AuditEntry.objects.filter(target_id=world["case_id"]).values_list(
        "actor_username", "action"
    )
    assert (people["clinician_a"].username, "case.read") in set(reads)
    assert (people["counsellor_a"].username, "case.read_summary") in set(reads)


def _last_sequence() -> int:
    from django.db.models import Max

    from forestall.audit.models import AuditEntry

    return AuditEntry.objects.aggregate(last=Max("sequence"))["last"] or 0


@pytest.mark.parametrize(
    "name", sorted(name for name, spec in MATRIX.items() if spec.method == "GET")
)
def test_every_page_that_shows_an_object_records_the_read_at_its_centre(
    name, people, world, signed_in, _centres
):
    """Each allowed GET writes a read entry on the object, carrying its centre.

    The entry is written by the access layer that fetched the object, so a
    page cannot show it unaudited; the centre lets that centre's managers
    see the entry on their audit page. Those who are refused leave none.
    """
    from forestall.audit.models import AuditEntry, read_actions

    spec = MATRIX[name]
    centre_ids = {centre.pk for centre in _centres}
    object_ids = set(world.values())
    for persona in sorted(PERSONAS):
        before = _last_sequence()
        status = _request(signed_in(persona), name, spec, world)
        new = AuditEntry.objects.filter(sequence__gt=before, actor=people[persona])
        if persona not in spec.allowed:
            assert status == 404
            assert not new.filter(read_actions()).exists(), persona
            continue
        assert status == 200, persona
        reads = list(new.filter(read_actions()).values_list("action", "target_id", "centre_uuid"))
        assert any(
            target in object_ids and centre in centre_ids for _action, target, centre in reads
        ), (persona, reads)


def test_breaking_the_glass_needs_a_reason_and_is_audited_with_it(people, world, sign_in):
    from forestall.audit.models import AuditEntry
    from forestall.cases.models import Case

    admin = people["network_admin"]
    client = sign_in(admin)
    reference = Case.objects.get(pk=world["case_id"]).client.reference
    assert client.get(f"/staff/cases/{world['case_id']}/").status_code == 404

    refused = client.post("/staff/cases/break-glass/", {"reference": reference, "reason": " "})
    assert refused.status_code == 400
    assert client.get(f"/staff/cases/{world['case_id']}/").status_code == 404

    reason = "Court order 12 O 345/26 received by the data protection officer"
    opened = client.post("/staff/cases/break-glass/", {"reference": reference, "reason": reason})
    assert opened.status_code == 302
    assert client.get(f"/staff/cases/{world['case_id']}/").status_code == 200
    entry = AuditEntry.objects.get(action="case.break_glass")
    assert entry.reason == reason
    assert entry.target_id == world["case_id"]


def test_only_network_admins_can_break_the_glass(people, world, sign_in):
    for persona in ("clinician_b", "analyst", "network_safeguarding", "outsider"):
        assert sign_in(people[persona]).get("/staff/cases/break-glass/").status_code == 404


def test_a_glass_break_expires(people, world, sign_in):
    GlassBreak.objects.filter(user=people["admin_with_glass"]).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    client = sign_in(people["admin_with_glass"])
    assert client.get(f"/staff/cases/{world['case_id']}/").status_code == 404


def test_notes_tasks_and_waiting_entries_follow_the_case_gate(centre_a, centre_b, network_admin):
    """The related gates (one join on the case) open exactly what ``workable_by`` opens."""
    from forestall.cases.models import GlassBreak, Note, Task, WaitingListEntry

    clinician = factories.make_user(Role.CLINICIAN, centre_a)
    here = make_case(centre_a, stage=Stage.WAITING_LIST)
    there = make_case(centre_b, stage=Stage.WAITING_LIST)
    for case in (here, there):
        Note.objects.create(case=case, body="n")
        Task.objects.create(case=case, title="t")

    def seen(user, model):
        return set(model.objects.visible_to(user).values_list("case_id", flat=True))

    for model in (Note, Task, WaitingListEntry):
        assert seen(clinician, model) == {here.pk}
        assert seen(network_admin, model) == set()
    GlassBreak.objects.create(
        user=network_admin,
        case=there,
        reason="r",
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    for model in (Note, Task, WaitingListEntry):
        assert seen(network_admin, model) == {there.pk}
        assert seen(User(), model) == set()
