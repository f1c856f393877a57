"""One open case per person and centre, and one referral awaiting an answer per case,
also when two people act at the same moment.

The reopen page checked for an open case before opening a new one, but two
"Reopen" pages sent at the same moment both passed the check and gave the
person two open cases at one centre (two waiting-list places, two sets of
tasks). The database now refuses the second; each way a case is opened says
so in words and keeps what was typed.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from forestall.cases import actions
from forestall.cases.models import Case, Referral, ReferralStatus
from forestall.cases.pathway import Stage
from tests.concurrency import at_the_same_moment
from tests.factories_cases import make_case, make_referral


def test_the_database_refuses_a_second_open_case_at_the_same_centre(centre_a, centre_b):
    first = make_case(centre_a, stage=Stage.IN_TREATMENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_case(centre_a, stage=Stage.ENQUIRY, client=first.client)
    # Elsewhere, or once the first has ended, a new one is fine.
    make_case(centre_b, stage=Stage.ENQUIRY, client=first.client)
    Case.objects.filter(pk=first.pk).update(stage=Stage.CLOSED)
    make_case(centre_a, stage=Stage.ENQUIRY, client=first.client)


def test_opening_a_case_for_someone_with_one_open_here_says_so(centre_a, clinician_a):
    first = make_case(centre_a, stage=Stage.WAITING_LIST)
    with pytest.raises(actions.CaseError, match="already has an open case at this centre"):
        actions.open_case(first.client, centre_a, by=clinician_a)
    assert Case.objects.filter(client=first.client).count() == 1


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_reopen_page_sent_after_a_colleague_reopened_keeps_the_reason_and_links_the_case(
    sign_in, centre_a, clinician_a, manager_a, language
):
    ended = make_case(centre_a, stage=Stage.CLOSED)
    url = f"/staff/cases/{ended.pk}/reopen/"
    assert sign_in(clinician_a).get(url).status_code == 200  # the page, still open in a tab
    theirs = actions.open_case(ended.client, centre_a, by=manager_a)  # a colleague was first

    sent = sign_in(clinician_a).post(
        url,
        {"programme": ended.programme, "reason": "Called again after six months"},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert sent.status_code == 400
    page = sent.content.decode()
    said = {
        "en": "This person already has an open case at this centre.",
        "de": "hat an diesem Zentrum bereits einen offenen Fall.",
    }[language]
    assert page.count(said) == 1
    assert f"/staff/cases/{theirs.pk}/" in page
    assert "Called again after six months</textarea>" in page  # kept, to copy
    assert 'name="reason"' not in page  # no form that could only fail again
    assert Case.objects.open().filter(client=ended.client).count() == 1


def test_accepting_a_referral_for_someone_already_open_there_is_refused_in_words(
    sign_in, centre_a, centre_b, clinician_a, clinician_b
):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)
    referral = make_referral(case, centre_b, clinician_a)
    make_case(centre_b, stage=Stage.ENQUIRY, client=case.client)  # got in touch there too

    answered = sign_in(clinician_b).post(
        f"/staff/cases/referrals/{referral.pk}/", {"decision": "accept", "reason": "Welcome"}
    )

    assert answered.status_code == 400
    assert "already has an open case at this centre" in answered.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING
    case.refresh_from_db()
    assert case.stage == Stage.ASSESSMENT
    assert Case.objects.open().filter(client=case.client, centre=centre_b).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reopens_at_the_same_moment_give_one_open_case(centre_a, clinician_a, manager_a):
    """Both transactions look at the same moment; the second insert waits and is refused."""
    ended = make_case(centre_a, stage=Stage.CLOSED)

    results = at_the_same_moment(
        lambda: actions.open_case(ended.client, centre_a, by=clinician_a),
        lambda: actions.open_case(ended.client, centre_a, by=manager_a),
    )

    assert [type(result) for result in results] == [Case, actions.CaseError]
    assert Case.objects.open().filter(client=ended.client, centre=centre_a).count() == 1


# --- One referral awaiting an answer per case --------------------------------


def test_the_database_refuses_a_second_pending_referral_of_a_case(
    centre_a, centre_b, centre_c, clinician_a
):
    case = make_case(centre_a, stage=Stage.WAITING_LIST)
    first = make_referral(case, centre_b, clinician_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(
            case=case,
            from_centre_id=case.centre_id,
            to_centre=centre_c,
            programme=case.programme,
            reason=first.reason,
            consent_given=True,
            created_by=clinician_a,
        )
    # Once the first is answered or withdrawn, the case can be referred again.
    Referral.objects.filter(pk=first.pk).update(status=ReferralStatus.WITHDRAWN)
    make_referral(case, centre_c, clinician_a)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_referrals_sent_at_the_same_moment_give_one_pending(
    centre_a, centre_b, centre_c, clinician_a, manager_a
):
    """Both pass the "awaiting an answer" check; the second insert waits and is refused."""
    case = make_case(centre_a, stage=Stage.WAITING_LIST)

    results = at_the_same_moment(
        lambda: make_referral(case, centre_b, clinician_a),
        lambda: make_referral(case, centre_c, manager_a),
    )

    assert [type(result) for result in results] == [Referral, actions.ReferralError]
    assert "awaiting an answer" in str(results[1])
    assert Referral.objects.filter(case=case, status=ReferralStatus.PENDING).count() == 1
