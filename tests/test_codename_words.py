"""Codenames that are safe to write down: the curated word lists and their audit command.

A codename is written on paper a partner, parent or employer may find. The
EFF and German diceware lists held words such as "defiling", "excretion",
"preteen" or "abartig"; the project keeps its own list of removed words with a
reason for each, and no generated codename may ever contain one.
"""

from __future__ import annotations

import math
from importlib import resources
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from forestall.inbox.models import Mailbox
from forestall.lib import codenames
from forestall.lib.codenames import codename_hash
from forestall.public.models import Pathway

LANGUAGES = ("en", "de")
SOURCES = {"en": "eff-long", "de": "ger-long"}
CATEGORIES = {
    "sexual",
    "children",
    "body",
    "crime",
    "violence",
    "death",
    "disease",
    "drugs",
    "shame",
    "stigma",
    "alarming",
    "politics",
}


def _source_words(language: str) -> set[str]:
    text = resources.files("xkcdpass").joinpath("static", SOURCES[language]).read_text("utf-8")
    return set(text.split())


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_codename_word_is_on_the_removed_list(language):
    removed = codenames.removed_words(language)
    assert removed, "the removed list is empty: the curation file was not found"
    assert not set(codenames.wordlist(language)) & set(removed)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_removed_word_has_a_reason_and_comes_from_the_source_list(language):
    source = _source_words(language)
    for word, reason in codenames.removed_words(language).items():
        assert word in source, f"{word!r} is not in the {SOURCES[language]} list (a typo?)"
        category, _colon, explanation = reason.partition(": ")
        assert category in CATEGORIES, f"{word!r}: unknown reason {reason!r}"
        assert explanation.strip(), f"{word!r} has no explanation"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            [
                "defiling",
                "excretion",
                "preteen",
                "fondling",
                "childhood",
                "predator",
                "underage",
                "diaper",
                "arousal",
                "strangle",
                "prison",
                "coroner",
                # found by the outside review after the curation
                "explode",
                "aorta",
            ],
        ),
        (
            "de",
            [
                "abartig",
                "unzucht",
                "kinder",
                "beischlaf",
                "nackt",
                "ermorden",
                "knast",
                "gewalt",
                "amtsmissbrauch",
                "opfer",
                # found by the outside review after the curation
                "armbrust",
                "mundtot",
                "aufopfern",
                "giftschlange",
            ],
        ),
    ],
)
def test_the_words_the_issue_named_and_their_kind_are_gone(language, words):
    in_use = set(codenames.wordlist(language))
    removed = codenames.removed_words(language)
    for word in words:
        assert word not in in_use
        assert word in removed


@pytest.mark.parametrize("language", LANGUAGES)
def test_ten_thousand_codenames_hold_no_removed_word(language):
    removed = set(codenames.removed_words(language))
    seen: set[str] = set()
    for _ in range(10_000):
        words = codenames.generate_codename(language).split(" ")
        assert len(words) == codenames.WORD_COUNT
        seen.update(words)
    assert not seen & removed
    # 70,000 draws from ~7,000 words reach nearly all of them, so this is a real check.
    assert len(seen) > 0.95 * len(codenames.wordlist(language))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_codename_keeps_at_least_87_bits(language):
    assert codenames.codename_bits(language) >= codenames.MINIMUM_BITS
    size = len(codenames.wordlist(language))
    assert codenames.WORD_COUNT * math.log2(size) >= 87
    # The curation removed words but kept most of the list.
    assert size > 6500


def test_the_command_prints_the_words_in_use_one_a_line():
    for language in LANGUAGES:
        out = StringIO()
        call_command("codenames", "words", "--language", language, stdout=out)
        lines = out.getvalue().splitlines()
        assert lines == list(codenames.wordlist(language))
        assert not set(lines) & set(codenames.removed_words(language))


def test_the_command_prints_the_removed_words_with_their_reasons():
    out = StringIO()
    call_command("codenames", "words", "--language", "de", "--removed", stdout=out)
    rows = dict(line.split("\t") for line in out.getvalue().splitlines())
    assert rows == codenames.removed_words("de")
    assert rows["abartig"].startswith("sexual:")


def test_the_command_refuses_a_language_without_a_list():
    with pytest.raises(CommandError, match="no codename word list for 'tr'"):
        call_command("codenames", "words", "--language", "tr", stdout=StringIO())


@pytest.mark.django_db
def test_a_codename_made_before_the_curation_still_signs_in():
    # A mailbox opened last year with words that are now removed.
    old_codename = "preteen excretion defiling abacus zoom apple river"
    Mailbox.objects.create(
        codename_hash=codename_hash(old_codename),
        language="en",
        pathway=Pathway.SELF,
        last_active_on=timezone.localdate(),
    )
    client = Client()
    response = client.post("/mailbox/", {"codename": old_codename.upper()}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain and response.redirect_chain[-1][0] == "/mailbox/"
    assert b'name="body"' in response.content
