"""Two pages recording the same thing for the first time at the same moment.

Where an action looks for an existing row and creates one when there is
none, a row lock on "the existing row" locks nothing the first time: both
transactions find none and both insert. The database constraint then failed
the second (a 500), or, without one, the row was made twice. Each test runs
the two at the same moment on PostgreSQL (``tests.concurrency``).
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from forestall.accounts import actions as account_actions
from forestall.accounts.models import BackupCodeSet
from forestall.cases.pathway import Stage
from forestall.lib.stale_edits import ChangedMeanwhile
from forestall.public import actions as public_actions
from forestall.public.models import Page, PageContent
from forestall.reach import actions as reach_actions
from forestall.reach.models import VariantText
from forestall.research import actions as research_actions
from forestall.research.models import ResearchConsent
from tests.concurrency import at_the_same_moment
from tests.factories_cases import make_case
from tests.factories_reach import reach_defaults, shipped_variant  # noqa: F401 - autouse fixture
from tests.research_network import make_study


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_research_consent_recorded_from_two_pages_is_recorded_once(
    centre_a, clinician_a, manager_a
):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    study = make_study()
    today = timezone.localdate()

    results = at_the_same_moment(
        lambda: research_actions.record_research_consent(clinician_a, case, study, today),
        lambda: research_actions.record_research_consent(manager_a, case, study, today),
    )

    assert [type(result) for result in results] == [
        ResearchConsent,
        research_actions.ConsentError,
    ], results
    assert ResearchConsent.objects.filter(case=case, study=study).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_consent_withdrawn_from_two_pages_is_withdrawn_once(centre_a, clinician_a, manager_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    study = make_study()
    consent = research_actions.record_research_consent(
        clinician_a, case, study, timezone.localdate() - datetime.timedelta(days=30)
    )

    def withdraw(by, days_ago):
        day = timezone.localdate() - datetime.timedelta(days=days_ago)
        return lambda: research_actions.withdraw_research_consent(
            by, ResearchConsent.objects.get(pk=consent.pk), day
        )

    results = at_the_same_moment(withdraw(clinician_a, 1), withdraw(manager_a, 2))

    assert [type(result) for result in results] == [
        ResearchConsent,
        research_actions.ConsentError,
    ], results
    consent.refresh_from_db()
    assert consent.withdrawn_on == timezone.localdate() - datetime.timedelta(days=1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_first_edit_of_a_page_saved_from_two_tabs_keeps_one_and_says_so(network_admin):
    def save(body):
        return lambda: public_actions.save_page_content(
            Page.HOME, "en", "Welcome", body, by=network_admin, based_on=0
        )

    results = at_the_same_moment(save("First tab."), save("Second tab."))

    assert [type(result) for result in results] == [
        PageContent,
        ChangedMeanwhile,
    ], results
    assert results[1].version == "1"
    assert PageContent.objects.get(page=Page.HOME, language="en").body == "First tab."
    assert PageContent.objects.filter(page=Page.HOME, language="en").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_message_variant_published_from_two_tabs_gets_two_versions(network_admin):
    variant = shipped_variant()

    def publish(title):
        return lambda: reach_actions.publish_variant_text(
            variant,
            "en",
            title=title,
            crime="c",
            harm="h",
            consequences="x",
            help="y",
            by=network_admin,
        )

    results = at_the_same_moment(publish("One"), publish("Two"))

    assert [type(result) for result in results] == [VariantText, VariantText], results
    versions = VariantText.objects.filter(variant=variant, language="en")
    assert versions.count() == len({text.version for text in versions})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_backup_codes_made_in_two_tabs_leave_one_working_set(centre_a, clinician_a):
    results = at_the_same_moment(
        lambda: account_actions.generate_backup_codes(clinician_a),
        lambda: account_actions.generate_backup_codes(clinician_a),
    )

    assert [type(result) for result in results] == [list, list], results
    devices = BackupCodeSet.objects.filter(user=clinician_a)
    assert devices.count() == 1
    assert devices.get().codes.count() == len(results[1])
