"""Whom staff can give work to: colleagues who can still sign in, at the right centre.

Before, a colleague whose account a network admin had closed (deactivated)
was still offered, and accepted, as the lead clinician, a task's assignee, an
appointment's or a new group's clinician: work given to someone who can no
longer see it. And a person working at two centres who created a group at
one with a clinician of the other lost that choice without a word (the group
was created with nobody).
"""

from __future__ import annotations

import pytest

from forestall.accounts.models import Role
from forestall.cases.models import Case, Task, TaskKind, TherapyGroup
from forestall.cases.pathway import Stage
from tests import factories
from tests.factories_cases import make_case, record_phq9


@pytest.fixture
def case(centre_a):
    return make_case(centre_a, stage=Stage.IN_TREATMENT)


@pytest.fixture
def departed(centre_a):
    user = factories.make_user(Role.CLINICIAN, centre_a, username="departed.clinician")
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


@pytest.mark.parametrize("form", ["lead", "tasks", "appointments"])
def test_a_closed_account_is_not_offered_on_the_case_forms(
    sign_in, case, clinician_a, departed, form
):
    page = sign_in(clinician_a).get(f"/staff/cases/{case.pk}/{form}/").content.decode()
    assert clinician_a.username in page
    assert departed.username not in page


def test_a_closed_account_posted_as_lead_is_refused_and_nothing_changes(
    sign_in, case, clinician_a, departed
):
    response = sign_in(clinician_a).post(f"/staff/cases/{case.pk}/lead/", {"lead": departed.pk})
    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).lead_clinician is None


def test_a_closed_account_posted_as_assignee_is_refused_and_the_title_kept(
    sign_in, case, clinician_a, departed
):
    response = sign_in(clinician_a).post(
        f"/staff/cases/{case.pk}/tasks/",
        {"title": "Call the probation officer back", "assignee": departed.pk},
    )
    assert response.status_code == 400
    assert "Call the probation officer back" in response.content.decode()
    assert not Task.objects.filter(case=case, title__startswith="Call the").exists()


def test_the_agenda_still_finds_what_a_closed_account_holds(
    sign_in, clinician_a, departed, centre_a
):
    page = sign_in(clinician_a).get("/staff/cases/agenda/").content.decode()
    assert departed.username in page


def _new_group_by_someone_at_both_centres(sign_in, centre_a, centre_b, *, centre, clinician):
    """A group made by a clinician of centres A and B, at ``centre``, led by ``clinician``."""
    both = factories.make_user(Role.CLINICIAN, centre_a, username="two.centres")
    factories.add_role(both, Role.CLINICIAN, centre_b)
    return sign_in(both).post(
        "/staff/cases/groups/",
        {
            "name": "Tuesday evening group",
            "programme": "group_therapy",
            "centre": str(centre.pk),
            "clinician": str(clinician.pk),
        },
    )


def test_a_group_with_a_clinician_of_another_centre_is_refused_not_created_without(
    sign_in, centre_a, centre_b, clinician_b
):
    response = _new_group_by_someone_at_both_centres(
        sign_in, centre_a, centre_b, centre=centre_a, clinician=clinician_b
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "does not work at the centre chosen for the group" in page
    assert "Tuesday evening group" in page
    assert not TherapyGroup.objects.exists()


def test_a_group_with_a_clinician_of_its_own_centre_is_created_with_them(
    sign_in, centre_a, centre_b, clinician_b
):
    response = _new_group_by_someone_at_both_centres(
        sign_in, centre_a, centre_b, centre=centre_b, clinician=clinician_b
    )
    assert response.status_code == 302
    assert TherapyGroup.objects.get().clinician == clinician_b


# --- A risk assessment never waits in the list of someone who has left -------------


def _my_tasks(sign_in, user) -> str:
    return sign_in(user).get("/staff/cases/tasks/").content.decode()


def test_a_risk_assessment_for_a_case_whose_lead_was_closed_reaches_the_centre(
    sign_in, case, clinician_a, manager_a, departed
):
    Case.objects.filter(pk=case.pk).update(lead_clinician=departed)
    record_phq9(sign_in(manager_a), case, 2)

    task = Task.objects.get(case=case, kind=TaskKind.RISK_ASSESSMENT)
    assert task.assignee is None
    assert case.client.reference in _my_tasks(sign_in, clinician_a)


@pytest.mark.parametrize("how", ["account closed", "role taken away"])
def test_a_risk_assessment_left_with_someone_who_left_is_on_everyones_list(
    sign_in, case, clinician_a, manager_a, centre_a, how
):
    lead = factories.make_user(Role.CLINICIAN, centre_a, username="leaving.lead")
    Case.objects.filter(pk=case.pk).update(lead_clinician=lead)
    record_phq9(sign_in(manager_a), case, 2)
    assert Task.objects.get(case=case, kind=TaskKind.RISK_ASSESSMENT).assignee == lead
    assert case.client.reference not in _my_tasks(sign_in, clinician_a)

    if how == "account closed":
        lead.is_active = False
        lead.save(update_fields=["is_active"])
    else:
        lead.memberships.all().delete()

    assert case.client.reference in _my_tasks(sign_in, clinician_a)
    assert case.client.reference in _my_tasks(sign_in, manager_a)


def test_a_risk_assessment_of_a_lead_who_still_works_there_stays_theirs(
    sign_in, case, clinician_a, manager_a, centre_a
):
    lead = factories.make_user(Role.CLINICIAN, centre_a, username="staying.lead")
    Case.objects.filter(pk=case.pk).update(lead_clinician=lead)
    record_phq9(sign_in(manager_a), case, 2)
    assert case.client.reference in _my_tasks(sign_in, lead)
    assert case.client.reference not in _my_tasks(sign_in, clinician_a)


def test_another_centre_never_sees_a_left_behind_risk_assessment(
    sign_in, case, clinician_b, manager_a, departed
):
    Case.objects.filter(pk=case.pk).update(lead_clinician=departed)
    record_phq9(sign_in(manager_a), case, 2)
    Task.objects.filter(case=case).update(assignee=departed)
    assert case.client.reference not in _my_tasks(sign_in, clinician_b)
