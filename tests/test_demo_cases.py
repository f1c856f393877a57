"""The demo's case work as its staff meet it: the cases have lead clinicians.

Before, no demo case had one, so every risk assessment the demo's
questionnaires asked for sat in "My tasks" as "Nobody is assigned: the case
has no lead clinician". Now every case past the first contact is led by a
clinician of its centre; only the enquiries nobody has triaged yet (and
contact lost before screening) have none, as in a real centre.
"""

from __future__ import annotations

import pytest
from django.test import Client

from forestall.accounts.models import Role
from forestall.cases.models import Case, CaseSource, Task, TaskKind
from forestall.cases.pathway import Stage
from tests import factories

TASKS = "/staff/cases/tasks/"


@pytest.fixture
def demo(db):
    from forestall.accounts import demo as accounts_demo
    from forestall.cases import demo as cases_demo
    from forestall.demo import DemoNetwork
    from forestall.directory import demo as directory_demo

    network = DemoNetwork()
    for seeder in (directory_demo, accounts_demo, cases_demo):
        seeder.seed(network)
    return network


def _clinicians_at(centre) -> set[str]:
    return set(
        centre.memberships.filter(role=Role.CLINICIAN).values_list("user__username", flat=True)
    )


def test_every_demo_case_past_the_first_contact_is_led_by_a_clinician_of_its_centre(demo):
    led = unled = 0
    for case in Case.objects.filter(client__reference__endswith="-DM").select_related(
        "centre", "lead_clinician"
    ):
        clinicians = _clinicians_at(case.centre)
        if not clinicians:  # Kiel has no demo staff: nobody there to lead a case
            assert case.lead_clinician is None, case.client.reference
            continue
        screened = case.transitions.filter(to_stage=Stage.SCREENING).exists()
        if screened or case.source == CaseSource.NETWORK:
            assert case.lead_clinician is not None, case.client.reference
            assert case.lead_clinician.username in clinicians, case.client.reference
            led += 1
        else:
            # Not triaged yet: nobody leads it.
            assert case.lead_clinician is None, case.client.reference
            unled += 1
    assert unled > 0 and led > 5 * unled  # most cases, not all
    untriaged = Case.objects.filter(stage=Stage.ENQUIRY, centre=demo.centres["berlin"])
    assert untriaged.exists() and not untriaged.filter(lead_clinician__isnull=False).exists()


@pytest.mark.parametrize(
    ("language", "nobody"), [("en", "Nobody is assigned"), ("de", "Niemand ist zugewiesen")]
)
def test_a_demo_clinicians_risk_assessments_are_their_own(demo, language, nobody):
    """Signed in as the demo's Berlin clinician: the risk assessments in "My tasks" are
    theirs, none of them "nobody's"."""
    clinician = demo.staff["clinician.berlin"]
    risk = Task.objects.filter(
        kind=TaskKind.RISK_ASSESSMENT, done_at__isnull=True, case__centre=demo.centres["berlin"]
    )
    assert risk.exists()
    assert set(risk.values_list("assignee__username", flat=True)) == {"clinician.berlin"}

    browser = factories.signed_in_client(clinician, Client(HTTP_ACCEPT_LANGUAGE=language))
    page = browser.get(TASKS)

    assert page.status_code == 200
    content = page.content.decode()
    for task in risk.select_related("case__client"):
        assert task.case.client.reference in content
    assert nobody not in content


def test_only_someone_working_at_the_cases_centre_can_lead_it(demo):
    from forestall.cases.actions import CaseError, assign_lead_clinician

    case = Case.objects.filter(centre=demo.centres["berlin"], stage=Stage.ENQUIRY).first()
    with pytest.raises(CaseError):
        assign_lead_clinician(case, demo.staff["clinician.hamburg"], by=None)
    case.refresh_from_db()
    assert case.lead_clinician is None
