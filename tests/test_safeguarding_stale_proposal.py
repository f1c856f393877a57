"""The second lead answers the proposal their page showed, never one that replaced it.

Before, the approve button carried nothing of the proposal: a page that said
"Approve “No further action”", left open while a colleague sent that proposal
back and the first lead proposed a disclosure instead, approved the
disclosure (breaking the person's confidentiality) that its approver never saw.
The same for "Do not approve". The answer now carries the proposal's key; a
changed proposal is shown, what was typed is kept, and nothing is recorded.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from forestall.accounts.models import Role
from forestall.audit.models import AuditEntry
from forestall.safeguarding import actions
from forestall.safeguarding.models import ConcernStatus, Decision, Level
from tests import factories
from tests.factories_cases import make_case


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def third_lead(centre_a):
    return factories.make_user(Role.SAFEGUARDING_LEAD, centre_a, username="third.lead")


@pytest.fixture
def proposed(centre_a, clinician_a, safeguarding_lead_a):
    """An immediate-risk concern with "no further action" proposed by the first lead."""
    concern = actions.raise_concern(
        by=clinician_a,
        level=Level.IMMEDIATE_RISK,
        description="Babysits for a neighbour.",
        case=make_case(centre_a),
    )
    actions.start_review(concern, by=safeguarding_lead_a)
    actions.decide_concern(
        concern, by=safeguarding_lead_a, decision=Decision.NO_FURTHER_ACTION, note="Low risk."
    )
    return concern


def _proposal_on(page: str) -> str:
    return re.search(r'name="proposal" value="([^"]*)"', page).group(1)


def _replace_the_proposal(concern, first_lead, third_lead):
    actions.reject_decision(concern, by=third_lead, note="Not without a home visit.")
    actions.decide_concern(
        concern, by=first_lead, decision=Decision.DISCLOSURE, note="Tell youth services."
    )


def test_a_stale_approve_button_does_not_approve_the_proposal_that_replaced_it(
    sign_in, proposed, safeguarding_lead_a, second_safeguarding_lead_a, third_lead
):
    second = sign_in(second_safeguarding_lead_a)
    page = second.get(f"/staff/safeguarding/{proposed.pk}/").content.decode()
    assert "Approve “No further action”" in page
    stale = _proposal_on(page)

    _replace_the_proposal(proposed, safeguarding_lead_a, third_lead)
    response = second.post(
        f"/staff/safeguarding/{proposed.pk}/approve/",
        {"proposal": stale, "note": "Agreed, no action."},
    )

    assert response.status_code == 400
    text = response.content.decode()
    assert "The proposal has changed since you opened this page" in text
    assert "Proposed: “Disclosure to an outside agency”" in text
    assert "Tell youth services." in text
    assert "Agreed, no action." in text
    proposed.refresh_from_db()
    assert proposed.status == ConcernStatus.AWAITING_APPROVAL
    assert proposed.approved_by_id is None
    assert not AuditEntry.objects.filter(action="concern.disclosure_approved").exists()

    # Having read it, the second lead may approve the proposal now shown.
    again = second.post(
        f"/staff/safeguarding/{proposed.pk}/approve/",
        {"proposal": _proposal_on(text), "note": "Read it: agreed."},
    )
    assert again.status_code == 302
    proposed.refresh_from_db()
    assert proposed.status == ConcernStatus.DECIDED
    assert proposed.decision == Decision.DISCLOSURE


def test_a_stale_do_not_approve_page_does_not_send_back_the_new_proposal(
    sign_in, proposed, safeguarding_lead_a, second_safeguarding_lead_a, third_lead
):
    second = sign_in(second_safeguarding_lead_a)
    form = second.get(f"/staff/safeguarding/{proposed.pk}/reject/").content.decode()
    assert "No further action" in form and "Low risk." in form
    stale = _proposal_on(form)

    _replace_the_proposal(proposed, safeguarding_lead_a, third_lead)
    response = second.post(
        f"/staff/safeguarding/{proposed.pk}/reject/",
        {"proposal": stale, "note": "Needs a home visit first."},
    )

    assert response.status_code == 400
    assert "Needs a home visit first." in response.content.decode()
    proposed.refresh_from_db()
    assert proposed.status == ConcernStatus.AWAITING_APPROVAL
    assert proposed.decision == Decision.DISCLOSURE


def test_the_current_proposal_is_approved_from_the_concern_page(
    sign_in, proposed, second_safeguarding_lead_a
):
    second = sign_in(second_safeguarding_lead_a)
    page = second.get(f"/staff/safeguarding/{proposed.pk}/").content.decode()
    response = second.post(
        f"/staff/safeguarding/{proposed.pk}/approve/", {"proposal": _proposal_on(page)}
    )
    assert response.status_code == 302
    proposed.refresh_from_db()
    assert proposed.status == ConcernStatus.DECIDED


def test_the_action_refuses_an_answer_to_a_replaced_proposal(
    proposed, safeguarding_lead_a, second_safeguarding_lead_a, third_lead
):
    stale = proposed.proposal_key
    _replace_the_proposal(proposed, safeguarding_lead_a, third_lead)
    with pytest.raises(actions.ProposalChanged):
        actions.approve_decision(proposed, by=second_safeguarding_lead_a, proposal=stale)
    with pytest.raises(actions.ProposalChanged):
        actions.reject_decision(proposed, by=second_safeguarding_lead_a, note="No.", proposal=stale)
