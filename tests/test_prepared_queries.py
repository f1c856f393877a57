"""Querysets compiled once (forestall.lib.prepared.PreparedQuery) return what the ORM returns.

The case page reads its sections with them (forestall.cases.case_page): each
section is compared with the queryset it replaced, for a reader at the
case's centre and for a network admin with a glass-break grant, and two
cases read one after the other must each get only their own rows.
"""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Q
from django.utils import timezone

from forestall.cases import actions, case_page
from forestall.cases.models import Appointment, Case, Note, Referral
from forestall.cases.pathway import Stage
from forestall.instruments.actions import record_administration, send_to_mailbox
from forestall.instruments.models import Administration
from forestall.lib.prepared import PreparedQuery
from forestall.safeguarding.models import Concern
from tests.factories_cases import make_case, make_concern, make_mailbox


def _fields(instance):
    return {
        field.attname: getattr(instance, field.attname)
        for field in type(instance)._meta.concrete_fields
    }


def _busy_case(centre, clinician, *, words: str) -> Case:
    """A case with something in every section the case page lists."""
    case = make_case(centre, stage=Stage.ASSESSMENT)
    actions.add_note(case, by=clinician, body=f"First note {words}")
    actions.add_note(case, by=clinician, body=f"Second note {words}")
    actions.add_task(case, by=clinician, title=f"Call back {words}", assignee=clinician)
    actions.add_task(
        case, by=clinician, title=f"Send the form {words}", due_on=timezone.localdate()
    )
    soon = timezone.now() + datetime.timedelta(days=3)
    actions.schedule_appointment(
        case, by=clinician, starts_at=soon, clinician=clinician, allow_overlap=True
    )
    group = actions.create_group(centre, by=clinician, name=f"Group {words}")
    actions.add_group_member(group, case, by=clinician)
    actions.schedule_group_session(
        group, by=clinician, starts_at=soon + datetime.timedelta(days=1), allow_overlap=True
    )
    make_concern(case=case)
    record_administration(
        case.client,
        "phq9",
        {f"q{i}": 1 for i in range(1, 10)},
        occasion="session",
        by=clinician,
        centre=centre,
    )
    case.client.mailbox = make_mailbox()
    case.client.save(update_fields=["mailbox"])
    send_to_mailbox(case.client, "phq9", occasion="session", by=clinician, centre=centre)
    return case


def _from_the_orm(user, case: Case) -> dict:
    """The section querysets as the case page built them through the ORM."""
    referrals = list(
        Referral.objects.filter(Q(case=case) | Q(new_case=case))
        .select_related("to_centre", "decided_by", "from_centre")
        .order_by("-created_at")
    )
    return {
        "history": list(case.transitions.select_related("by").order_by("-at")[:20]),
        "appointments": list(
            Appointment.objects.visible_to(user)
            .filter(attendances__case=case)
            .select_related("clinician", "group")
            .order_by("-starts_at")[:20]
        ),
        "statuses": dict(case.attendances.values_list("appointment_id", "status")),
        "waiting": case.waiting_entries.filter(left_at__isnull=True).first(),
        "referrals_out": [row for row in referrals if row.case_id == case.pk],
        "referral_in": next((row for row in referrals if row.new_case_id == case.pk), None),
        "notes": list(case.notes.select_related("author")[:20]),
        "tasks": list(case.tasks.select_related("assignee").order_by("done_at", "due_on")[:20]),
        "concern_count": case.concerns.count(),
        "completed": Administration.objects.completed_of(case.client),
        "pending": list(
            Administration.objects.visible_to(user)
            .pending()
            .filter(client_id=case.client.pk)
            .order_by("-created_at")[:20]
        ),
    }


def _same(prepared, orm) -> None:
    assert prepared.keys() == orm.keys()
    for name, expected in orm.items():
        found = prepared[name]
        if isinstance(expected, list) and expected and hasattr(expected[0], "_meta"):
            assert [_fields(row) for row in found] == [_fields(row) for row in expected], name
        elif hasattr(expected, "_meta"):
            assert _fields(found) == _fields(expected), name
        else:
            assert found == expected, name


@pytest.mark.django_db
def test_every_section_is_what_the_orm_read(clinician_a, centre_a, centre_b, network_admin):
    case = _busy_case(centre_a, clinician_a, words="of the first case")
    other = _busy_case(centre_a, clinician_a, words="of the second case")
    actions.refer_case(
        case, centre_b, by=clinician_a, reason="capacity", consent_given=True, summary="S"
    )
    for each in (case, other, case):  # the second read of a compiled shape too
        found = case_page.sections(clinician_a, each)
        _same(found, _from_the_orm(clinician_a, each))
        assert all(note.case_id == each.pk for note in found["notes"])
        assert found["notes"] and found["tasks"] and found["history"]
        assert len(found["appointments"]) == 2  # the individual and the group session
        assert found["concern_count"] == 1
        assert len(found["completed"]) == 1 and len(found["pending"]) == 1
    assert case_page.sections(clinician_a, case)["referrals_out"]
    # select_related objects come with the rows, as the ORM gives them.
    note = case_page.sections(clinician_a, case)["notes"][0]
    assert note.author == clinician_a
    assert "of the first case" in note.body


@pytest.mark.django_db
def test_a_glass_break_reader_sees_what_the_gate_lets_them_see(
    clinician_a, centre_a, network_admin
):
    case = _busy_case(centre_a, clinician_a, words="opened by a grant")
    actions.break_glass(case, by=network_admin, reason="An emergency on the phone")
    found = case_page.sections(network_admin, case)
    _same(found, _from_the_orm(network_admin, case))
    # The gate keeps a group session of the centre out: only the case's own
    # appointment is opened by the grant.
    assert [a.group_id for a in found["appointments"]] == [None]


def test_values_and_lists_of_values_are_parameters(db, clinician_a, centre_a, centre_b):
    first, second = make_case(centre_a), make_case(centre_b)
    by_centres: PreparedQuery[Case] = PreparedQuery(
        lambda p: Case.objects.filter(centre_id__in=p.centres).order_by("opened_at"),
        centres=[Case._meta.get_field("id")],
    )
    assert {c.pk for c in by_centres.all(centres=[centre_a.pk, centre_b.pk])} == {
        first.pk,
        second.pk,
    }
    assert [c.pk for c in by_centres.all(centres=[centre_b.pk])] == [second.pk]
    assert by_centres.all(centres=[]) == []  # as pk__in=[]: nothing
    ids: PreparedQuery[Case] = PreparedQuery(
        lambda p: Case.objects.filter(pk=p.case).values_list("pk", flat=True),
        case=Case._meta.get_field("id"),
    )
    assert ids.all(case=first.pk) == [first.pk]
    assert ids.first(case=second.pk) == second.pk
    with pytest.raises(TypeError):
        ids.all(case=first.pk, extra=1)


def test_what_a_prepared_query_cannot_do_is_refused(db, centre_a):
    distinct: PreparedQuery[Note] = PreparedQuery(
        lambda p: Note.objects.filter(case_id=p.case).distinct(),
        case=Note._meta.get_field("id"),
    )
    with pytest.raises(ValueError, match="distinct"):
        distinct.all(case=make_case(centre_a).pk)
    as_dicts: PreparedQuery[Concern] = PreparedQuery(
        lambda p: Concern.objects.filter(case_id=p.case).values("pk"),
        case=Concern._meta.get_field("id"),
    )
    with pytest.raises(ValueError, match="values_list"):
        as_dicts.all(case=make_case(centre_a).pk)


@pytest.mark.django_db
def test_my_tasks_are_what_the_gate_and_the_orm_give(clinician_a, centre_a, centre_b):
    from forestall.cases.access import list_my_tasks
    from forestall.cases.models import Task, TaskKind
    from tests import factories

    here = _busy_case(centre_a, clinician_a, words="here")
    elsewhere = make_case(centre_b)
    # A task of a case at a centre where the clinician no longer works.
    Task.objects.create(case=elsewhere, title="Left behind", assignee=clinician_a)
    done = actions.add_task(here, by=clinician_a, title="Done already", assignee=clinician_a)
    actions.complete_task(done, by=clinician_a)
    expected = list(
        Task.objects.visible_to(clinician_a)
        .pending()
        .filter(
            Q(assignee=clinician_a)
            | Q(assignee__isnull=True, kind=TaskKind.RISK_ASSESSMENT, case__centre=centre_a)
        )
        .select_related("case__client", "case__centre")[:200]
    )
    found = list_my_tasks(clinician_a)
    assert [_fields(task) for task in found] == [_fields(task) for task in expected]
    # Their own task, and the risk assessment the PHQ-9 asked for on a case
    # without a lead clinician (nobody's yet); not "Send the form", nobody's
    # but not urgent.
    assert sorted(task.display_title for task in found) == [
        "Call back here",
        "Risk assessment today: PHQ-9 self-harm item answered positively; "
        "raise a safeguarding concern if someone is at risk.",
    ]
    assert {task.case.client.reference for task in found} == {here.client.reference}
    other = factories.make_user("clinician", centre_b, username="clinician_b")
    assert list_my_tasks(other) == []
