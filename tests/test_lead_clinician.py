"""Choosing who leads a case: from the case page, among the centre's case workers, audited.

The lead clinician is who a risk assessment asked for on the case goes to;
until this page nothing in forestall could set one, so every case opened
after the demo had nobody, and every urgent task waited for someone to take it.
"""

from __future__ import annotations

import pytest

from forestall.accounts.models import Role
from forestall.audit.models import AuditEntry
from forestall.cases.models import Case, Task, TaskKind
from forestall.cases.pathway import Stage
from tests import factories
from tests.factories_cases import make_case, record_phq9


def _lead_url(case) -> str:
    return f"/staff/cases/{case.pk}/lead/"


@pytest.fixture
def case(centre_a):
    return make_case(centre_a, stage=Stage.IN_TREATMENT)


def test_a_manager_chooses_the_lead_from_the_case_page_and_it_is_audited(
    sign_in, case, manager_a, clinician_a
):
    browser = sign_in(manager_a)
    page = browser.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "Lead clinician" in page and "Choose a lead clinician" in page
    form = browser.get(_lead_url(case))
    assert form.status_code == 200
    assert clinician_a.username in form.content.decode()
    before = AuditEntry.objects.filter(action="case.update", target_id=case.pk).count()

    chosen = browser.post(_lead_url(case), {"lead": str(clinician_a.pk)}, follow=True)

    assert chosen.redirect_chain[-1][0] == f"/staff/cases/{case.pk}/"
    assert f"{clinician_a.username} leads the case now." in chosen.content.decode()
    assert Case.objects.get(pk=case.pk).lead_clinician == clinician_a
    assert "Change the lead clinician" in chosen.content.decode()
    updates = AuditEntry.objects.filter(action="case.update", target_id=case.pk)
    assert updates.count() == before + 1
    assert updates.latest("sequence").actor == manager_a


def test_the_lead_can_be_cleared(sign_in, case, manager_a, clinician_a):
    Case.objects.filter(pk=case.pk).update(lead_clinician=clinician_a)
    # With a lead, the empty choice says that it removes them ("Nobody yet" is for no lead).
    form = sign_in(manager_a).get(_lead_url(case)).content.decode()
    assert '<option value="">Nobody: remove the lead clinician</option>' in form
    assert "Nobody yet" not in form
    cleared = sign_in(manager_a).post(_lead_url(case), {"lead": ""}, follow=True)
    assert "The case has no lead clinician now." in cleared.content.decode()
    assert Case.objects.get(pk=case.pk).lead_clinician is None


def test_an_open_risk_assessment_nobody_had_goes_to_the_new_lead(
    sign_in, case, manager_a, clinician_a
):
    record_phq9(sign_in(manager_a), case, 1)
    [task] = Task.objects.filter(case=case, kind=TaskKind.RISK_ASSESSMENT, done_at=None)
    assert task.assignee is None

    sign_in(manager_a).post(_lead_url(case), {"lead": str(clinician_a.pk)})

    task.refresh_from_db()
    assert task.assignee == clinician_a
    mine = sign_in(clinician_a).get("/staff/cases/tasks/").content.decode()
    assert f"/staff/cases/{case.pk}/" in mine and "Nobody is assigned" not in mine


@pytest.mark.parametrize("language", ["en", "de"])
def test_someone_from_another_centre_cannot_be_made_lead(
    sign_in, case, manager_a, clinician_b, language
):
    """A forged choice (a person of another centre) is refused with the form again, 400."""
    refused = sign_in(manager_a).post(
        _lead_url(case), {"lead": str(clinician_b.pk)}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert refused.status_code == 400
    page = refused.content.decode()
    assert ("Select a valid choice" if language == "en" else "Bitte eine gültige Auswahl") in page
    assert Case.objects.get(pk=case.pk).lead_clinician is None


def test_a_counsellor_or_another_centre_gets_404(sign_in, case, centre_a, clinician_b):
    counsellor = factories.make_user(Role.COUNSELLOR, centre_a, username="counsellor.lead")
    for person in (counsellor, clinician_b):
        browser = sign_in(person)
        assert browser.get(_lead_url(case)).status_code == 404
        assert browser.post(_lead_url(case), {"lead": ""}).status_code == 404
    assert Case.objects.get(pk=case.pk).lead_clinician is None


def test_a_glass_break_grant_can_look_but_not_choose_the_lead(
    sign_in, case, network_admin, clinician_a
):
    from datetime import timedelta

    from django.utils import timezone

    from forestall.cases.models import GlassBreak

    GlassBreak.objects.create(
        user=network_admin, case=case, reason="r", expires_at=timezone.now() + timedelta(hours=1)
    )
    refused = sign_in(network_admin).post(_lead_url(case), {"lead": str(clinician_a.pk)})
    assert refused.status_code == 400
    assert "Only someone working at the case" in refused.content.decode()
    assert Case.objects.get(pk=case.pk).lead_clinician is None


def test_the_lead_page_and_the_case_page_read_german(sign_in, case, manager_a, clinician_a):
    browser = sign_in(manager_a)
    page = browser.get(f"/staff/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Fallführung" in page and "Fallführung festlegen" in page
    form = browser.get(_lead_url(case), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Meine Aufgaben" in form and "Noch niemand" in form
    done = browser.post(
        _lead_url(case), {"lead": str(clinician_a.pk)}, HTTP_ACCEPT_LANGUAGE="de", follow=True
    )
    assert "führt den Fall jetzt." in done.content.decode()
