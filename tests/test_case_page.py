"""The case page: what it shows, and where each action's form lives.

The case page renders the note form only; moving along the pathway, adding a
task and booking an appointment each have a page of their own, linked from
the case page, that works without JavaScript and keeps what was typed when
the input is refused.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from forestall.cases.models import Task
from forestall.cases.pathway import Stage, allowed_targets
from tests.factories_cases import make_case


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_the_case_page_links_every_next_stage_to_the_move_page(clinician_a, centre_a, sign_in):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)
    page = sign_in(clinician_a).get(f"/staff/cases/{case.pk}/").content.decode()
    for stage in allowed_targets(Stage.ASSESSMENT):
        assert f'href="/staff/cases/{case.pk}/move/?to={stage.value}"' in page
    assert f'href="/staff/cases/{case.pk}/tasks/"' in page
    assert f'href="/staff/cases/{case.pk}/appointments/"' in page


def test_the_case_page_carries_the_note_form_and_no_other_action_form(
    clinician_a, centre_a, sign_in
):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    page = sign_in(clinician_a).get(f"/staff/cases/{case.pk}/").content.decode()
    assert f'action="/staff/cases/{case.pk}/notes/"' in page
    for address in ("move", "tasks", "appointments"):
        assert f'action="/staff/cases/{case.pk}/{address}/"' not in page
    assert 'name="to_stage"' not in page and 'name="starts_at"' not in page


def test_a_next_stage_chosen_on_the_case_page_is_selected_on_the_move_page(
    clinician_a, centre_a, sign_in
):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)
    page = (
        sign_in(clinician_a)
        .get(f"/staff/cases/{case.pk}/move/", {"to": Stage.WAITING_LIST})
        .content.decode()
    )
    assert f'<option value="{Stage.WAITING_LIST.value}" selected>' in page


@pytest.mark.parametrize("chosen", ["closed", "nonsense", ""])
def test_a_stage_the_case_cannot_move_to_is_not_preselected(clinician_a, centre_a, sign_in, chosen):
    case = make_case(centre_a, stage=Stage.ENQUIRY)
    response = sign_in(clinician_a).get(f"/staff/cases/{case.pk}/move/", {"to": chosen})
    assert response.status_code == 200
    options = _stage_options(response.content.decode())
    assert options.count(" selected>") == 1 and '<option value="" selected>' in options


def test_an_ended_case_offers_no_move_but_a_new_case(clinician_a, centre_a, sign_in):
    case = make_case(centre_a, stage=Stage.WITHDREW)
    page = sign_in(clinician_a).get(f"/staff/cases/{case.pk}/").content.decode()
    assert f"/staff/cases/{case.pk}/move/" not in page
    assert "Reopen as a new case" in page


def test_a_refused_task_keeps_what_was_typed_on_its_own_page(clinician_a, centre_a, sign_in):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    client = sign_in(clinician_a)
    response = client.post(
        f"/staff/cases/{case.pk}/tasks/",
        {"title": "Call the GP about the referral letter", "due_on": "not a date"},
    )
    assert response.status_code == 400
    assert "Call the GP about the referral letter" in response.content.decode()
    assert not Task.objects.filter(case=case).exists()
    saved = client.post(
        f"/staff/cases/{case.pk}/tasks/", {"title": "Call the GP about the referral letter"}
    )
    assert saved.status_code == 302 and saved["Location"] == f"/staff/cases/{case.pk}/"


def test_the_case_page_is_in_german_for_german_staff(clinician_a, centre_a, sign_in):
    case = make_case(centre_a, stage=Stage.ASSESSMENT)
    page = (
        sign_in(clinician_a)
        .get(f"/staff/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="de")
        .content.decode()
    )
    assert "Wechseln zu:" in page


def _current_step(page: str) -> str:
    pathway = page.split('<ol class="pathway"')[1].split("</ol>")[0]
    return pathway.split('aria-current="step">')[1].split("</li>")[0]


def test_the_kept_pathway_marks_each_case_s_own_stage_in_its_language(
    clinician_a, centre_a, sign_in
):
    """The pathway's markup is kept per stage and language: never another case's stage."""
    client = sign_in(clinician_a)
    assessed = make_case(centre_a, stage=Stage.ASSESSMENT)
    treated = make_case(centre_a, stage=Stage.IN_TREATMENT)
    ended = make_case(centre_a, stage=Stage.WITHDREW)
    for _round in range(2):  # the second round from what was kept
        for case, stage in ((assessed, Stage.ASSESSMENT), (treated, Stage.IN_TREATMENT)):
            page = client.get(f"/staff/cases/{case.pk}/").content.decode()
            assert _current_step(page) == str(stage.label)
            assert page.count('aria-current="step"') == 1
            german = client.get(f"/staff/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="de")
            with translation.override("de"):
                assert _current_step(german.content.decode()) == str(stage.label)
        page = client.get(f"/staff/cases/{ended.pk}/").content.decode()
        assert 'aria-current="step"' not in page
        assert f"Ended: {Stage.WITHDREW.label}" in page


def _stage_options(page: str) -> str:
    return page.split('name="to_stage"')[1].split("</select>")[0]


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_move_page_chooses_no_stage_for_the_person(clinician_a, centre_a, sign_in, language):
    """The first stage used to be selected: after a refused move it was "Closed"."""
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    page = (
        sign_in(clinician_a)
        .get(f"/staff/cases/{case.pk}/move/", HTTP_ACCEPT_LANGUAGE=language)
        .content.decode()
    )
    options = _stage_options(page)
    assert options.split("<option")[1].startswith(' value="" selected>')
    assert {"en": "— choose —", "de": "— bitte wählen —"}[language] in options
    assert options.count(" selected>") == 1


def test_a_move_without_a_chosen_stage_is_refused_and_keeps_the_reason(
    clinician_a, centre_a, sign_in
):
    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    response = sign_in(clinician_a).post(
        f"/staff/cases/{case.pk}/move/",
        {"to_stage": "", "reason": "Pressed save too soon", "from_stage": Stage.IN_TREATMENT},
    )
    assert response.status_code == 400
    assert "Pressed save too soon</textarea>" in response.content.decode()
    case.refresh_from_db()
    assert case.stage == Stage.IN_TREATMENT


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_move_page_of_an_ended_case_says_so_instead_of_an_empty_choice(
    clinician_a, centre_a, sign_in, language
):
    case = make_case(centre_a, stage=Stage.WITHDREW)
    response = sign_in(clinician_a).get(
        f"/staff/cases/{case.pk}/move/", HTTP_ACCEPT_LANGUAGE=language
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="to_stage"' not in page
    ended = {
        "en": "This case has ended; a returning person gets a new case.",
        "de": "Dieser Fall ist beendet; wer wiederkommt, bekommt einen neuen Fall.",
    }[language]
    assert ended in page
    assert f'href="/staff/cases/{case.pk}/reopen/"' in page


def test_a_move_refused_because_a_colleague_ended_the_case_keeps_the_reason_to_copy(
    clinician_a, manager_a, centre_a, sign_in
):
    from forestall.cases import actions

    case = make_case(centre_a, stage=Stage.IN_TREATMENT)
    browser = sign_in(manager_a)
    actions.transition_case(case, Stage.WITHDREW, by=clinician_a, reason="Stopped coming")
    response = browser.post(
        f"/staff/cases/{case.pk}/move/",
        {
            "to_stage": Stage.AFTERCARE,
            "reason": "Moves to aftercare",
            "from_stage": Stage.IN_TREATMENT,
        },
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert 'name="to_stage"' not in page
    assert "This case has ended; a returning person gets a new case." in page
    assert "readonly" in page and "Moves to aftercare</textarea>" in page
