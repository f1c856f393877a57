"""Retention: closed cases and decided concerns lose their content after the period."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from forestall.cases import actions
from forestall.cases.models import Case, CaseTransition, Note, Referral, Task
from forestall.cases.pathway import Stage
from forestall.lib.retention import get_policy, purge
from forestall.safeguarding import actions as safeguarding
from forestall.safeguarding.models import Concern, ConcernStep, Decision, Level
from tests.factories_cases import make_case, make_client, make_mailbox, make_referral

DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _short_periods(settings):
    settings.FORESTALL_RETENTION_DAYS = {
        **settings.FORESTALL_RETENTION_DAYS,
        "case": 30,
        "concern": 30,
    }


def _closed(case, days_ago):
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - days_ago * DAY)
    case.refresh_from_db()
    return case


def _case_with_content(centre, clinician, **client_fields):
    client = make_client(
        contact_details={"name": "Jan", "phone": "0170 000000"},
        mailbox=make_mailbox(),
        **client_fields,
    )
    case = make_case(centre, stage=Stage.ASSESSMENT, client=client)
    actions.add_note(case, by=clinician, body="Talked about the weekend.")
    actions.add_task(case, by=clinician, title="Send the letter")
    actions.transition_case(case, Stage.WITHDREW, by=clinician, reason="Moved to Munich.")
    return case


def test_a_case_closed_longer_than_the_period_loses_its_content_but_not_its_counts(
    centre_a, clinician_a
):
    case = _closed(_case_with_content(centre_a, clinician_a), 31)

    result = purge(get_policy("case"), apply=True)

    assert result.erased == 1
    case.refresh_from_db()
    assert case.erased_at is not None
    assert case.stage == Stage.WITHDREW
    assert case.centre == centre_a
    assert not Note.objects.filter(case=case).exists()
    assert not Task.objects.filter(case=case).exists()
    assert {t.reason for t in CaseTransition.objects.filter(case=case)} == {""}
    assert [t.to_stage for t in case.transitions.all()] == [Stage.ASSESSMENT, Stage.WITHDREW]
    case.client.refresh_from_db()
    assert case.client.contact_details is None
    assert case.client.mailbox_id is None


def test_an_erased_case_keeps_no_contact_summary(centre_a, clinician_a):
    case = _case_with_content(centre_a, clinician_a)
    case.contact_summary = {"topics": ["worried about myself"]}
    case.save(update_fields=["contact_summary"])
    _closed(case, 31)

    purge(get_policy("case"), apply=True)

    case.refresh_from_db()
    assert case.contact_summary is None


def test_a_case_closed_within_the_period_is_kept_whole(centre_a, clinician_a):
    case = _closed(_case_with_content(centre_a, clinician_a), 29)

    assert purge(get_policy("case"), apply=True).erased == 0

    case.refresh_from_db()
    assert case.erased_at is None
    assert Note.objects.get(case=case).body == "Talked about the weekend."


def test_open_cases_are_never_erased(centre_a):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT, opened_ago=datetime.timedelta(days=900))

    assert purge(get_policy("case"), apply=True).erased == 0
    assert Case.objects.get(pk=case.pk).erased_at is None


def test_a_client_keeps_contact_details_while_another_case_still_holds_content(
    centre_a, centre_b, clinician_a, clinician_b
):
    old = _closed(_case_with_content(centre_a, clinician_a), 60)
    current = make_case(centre_b, stage=Stage.IN_TREATMENT, client=old.client)

    purge(get_policy("case"), apply=True)

    current.client.refresh_from_db()
    assert current.client.contact_details == {"name": "Jan", "phone": "0170 000000"}


def test_referral_texts_go_with_the_case(centre_a, centre_b, clinician_a, clinician_b):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)
    referral = make_referral(case, centre_b, clinician_a, summary="Lives near B.")
    actions.decline_referral(referral, by=clinician_b, reason="Full.")
    actions.transition_case(case, Stage.LOST_CONTACT, by=clinician_a)
    _closed(case, 31)

    purge(get_policy("case"), apply=True)

    referral = Referral.objects.get(pk=referral.pk)
    assert (referral.summary, referral.consent_note, referral.decision_reason) == ("", "", "")
    assert referral.consent_given is True


def test_purging_twice_erases_nothing_more(centre_a, clinician_a):
    _closed(_case_with_content(centre_a, clinician_a), 31)

    purge(get_policy("case"), apply=True)
    assert purge(get_policy("case"), apply=True).erased == 0


def test_a_dry_run_counts_and_erases_nothing(centre_a, clinician_a):
    case = _closed(_case_with_content(centre_a, clinician_a), 31)

    result = purge(get_policy("case"), apply=False)

    assert (result.due, result.erased) == (1, 0)
    assert Note.objects.filter(case=case).exists()


def test_a_decided_concern_loses_its_text_after_the_period(
    centre_a, clinician_a, safeguarding_lead_a
):
    concern = safeguarding.raise_concern(
        by=clinician_a, level=Level.CONCERN, description="Details.", case=make_case(centre_a)
    )
    safeguarding.start_review(concern, by=safeguarding_lead_a)
    safeguarding.add_review_note(concern, by=safeguarding_lead_a, note="Spoke to him.")
    safeguarding.decide_concern(
        concern, by=safeguarding_lead_a, decision=Decision.ADVICE_GIVEN, note="Advice."
    )
    Concern.objects.filter(pk=concern.pk).update(decided_at=timezone.now() - 31 * DAY)
    undecided = safeguarding.raise_concern(
        by=clinician_a, level=Level.CONCERN, description="Still open.", case=make_case(centre_a)
    )
    Concern.objects.filter(pk=undecided.pk).update(raised_at=timezone.now() - 400 * DAY)

    assert purge(get_policy("concern"), apply=True).erased == 1

    concern.refresh_from_db()
    assert (concern.description, concern.decision_note) == ("", "")
    assert concern.decision == Decision.ADVICE_GIVEN
    assert {step.note for step in ConcernStep.objects.filter(concern=concern)} == {""}
    assert Concern.objects.get(pk=undecided.pk).description == "Still open."


def test_a_concern_outlives_the_conversation_it_came_from(centre_a, counsellor_a):
    from tests.factories_cases import make_conversation

    conversation = make_conversation(centre_a)
    concern = safeguarding.raise_concern(
        by=counsellor_a, level=Level.INFORMATION, description="x", conversation=conversation
    )

    conversation.mailbox.delete()

    concern.refresh_from_db()
    assert concern.conversation_id is None
    assert concern.centre == centre_a


def test_an_erased_concern_keeps_no_encrypted_text_at_all(
    centre_a, clinician_a, safeguarding_lead_a
):
    """Every encrypted field is blanked, the disclosure's agency and reference included."""
    from forestall.lib.crypto import encrypted_fields

    concern = safeguarding.raise_concern(
        by=clinician_a, level=Level.CONCERN, description="Details.", case=make_case(centre_a)
    )
    Concern.objects.filter(pk=concern.pk).update(
        status="decided", decided_at=timezone.now() - 31 * DAY
    )
    concern.refresh_from_db()
    concern.decision_note = "Reported."
    concern.disclosure_agency = "Jugendamt Nord"
    concern.disclosure_reference = "JA-2026-0042"
    concern.save()

    assert purge(get_policy("concern"), apply=True).erased == 1

    concern.refresh_from_db()
    fields = [field.name for field in encrypted_fields(Concern)]
    assert {"description", "decision_note", "disclosure_agency", "disclosure_reference"} <= set(
        fields
    )
    assert {name: getattr(concern, name) for name in fields} == dict.fromkeys(fields, "")


def test_an_erased_case_leaves_no_encrypted_content_in_any_row_it_covers(centre_a, clinician_a):
    """The class: after erasure, every encrypted field of the case, its transitions,
    referrals, client and questionnaires (answers and the flags drawn from them) is empty."""
    from forestall.instruments.models import Administration
    from forestall.lib.crypto import encrypted_fields

    case = _case_with_content(centre_a, clinician_a)
    Administration.objects.create(
        client=case.client, instrument="phq9", version=1, answers={"q9": 2}, flags=["q9"]
    )
    _closed(case, 31)

    assert purge(get_policy("case"), apply=True).erased == 1

    rows = [
        *Case.objects.filter(pk=case.pk),
        *CaseTransition.objects.filter(case=case),
        *Referral.objects.filter(case=case),
        *type(case.client).objects.filter(pk=case.client_id),
        *Administration.objects.filter(client_id=case.client_id),
    ]
    assert len(rows) >= 4
    left = {
        f"{type(row).__name__}.{field.name}": getattr(row, field.name)
        for row in rows
        for field in encrypted_fields(type(row))
        if getattr(row, field.name) not in (None, "", [], {})
    }
    assert left == {}
