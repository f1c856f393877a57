"""In Chromium without JavaScript: codenames hold no removed word, and every label is whole."""

from __future__ import annotations

import re

import pytest

from forestall.accounts.models import Role
from forestall.inbox import actions as inbox_actions
from forestall.instruments import actions
from forestall.instruments.catalogue import REQUIRED_LANGUAGES, catalogue
from forestall.lib import codenames
from tests import factories
from tests.factories_cases import make_case, make_client


def _prefix(language: str) -> str:
    return "" if language == "en" else f"/{language}"


@pytest.mark.parametrize("language", ["en", "de"])
def test_no_codename_word_is_on_the_projects_own_list_of_removed_words(page_without_js, language):
    page = page_without_js
    removed = set(codenames.removed_words(language))
    in_use = set(codenames.wordlist(language))
    for _ in range(5):
        page.goto(f"{_prefix(language)}/mailbox/start/")
        page.locator("main form button[type=submit]").click()
        words = page.locator("#codename").inner_text().split()
        assert len(words) == codenames.WORD_COUNT
        assert not set(words) & removed, words
        assert set(words) <= in_use


def _shown_questions(page) -> list[dict]:
    questions = []
    for fieldset in page.locator("fieldset").all():
        legend = " ".join(fieldset.locator("legend").inner_text().split())
        questions.append(
            {
                "legend": re.sub(r"^\d+\.\s*", "", legend),
                "labels": [
                    " ".join(label.split()) for label in fieldset.locator("label").all_inner_texts()
                ],
            }
        )
    return questions


def _written_questions(definition, language) -> list[dict]:
    return [
        {
            "legend": " ".join(item.text[language].split()),
            "labels": [" ".join(option.label[language].split()) for option in item.options],
        }
        for item in definition.items
    ]


@pytest.mark.parametrize("language", REQUIRED_LANGUAGES)
def test_every_translated_label_of_every_instrument_is_complete(page_without_js, language):
    page = page_without_js
    page.goto(f"{_prefix(language)}/self-check/")
    assert _shown_questions(page) == _written_questions(catalogue().get("self-check"), language)

    centre = factories.make_centre("Centre Lindenhof", factories.make_region("North"))
    clinician = factories.make_user(Role.CLINICIAN, centre, username=f"labels.{language}")
    mailbox, codename = inbox_actions.start_mailbox(language, "self")
    person = make_client(mailbox=mailbox)
    make_case(centre, client=person)
    page.goto(f"{_prefix(language)}/mailbox/")
    page.fill('input[name="codename"]', codename)
    page.locator("main form button[type=submit]").click()
    assert page.locator('textarea[name="body"]').count() == 1
    for definition in catalogue().latest(kind="score"):
        pending = actions.send_to_mailbox(
            person, definition.id, occasion="session", by=clinician, centre=centre
        )
        page.goto(f"{_prefix(language)}/mailbox/questionnaires/{pending.pk}/")
        assert _shown_questions(page) == _written_questions(definition, language), definition.id
