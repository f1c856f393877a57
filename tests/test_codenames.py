"""Codenames: seven diceware words, forgiving normalisation, a peppered hash only."""

from __future__ import annotations

import hashlib
import hmac
import math

import pytest

from forestall.lib import codenames


def test_a_codename_has_seven_words_from_the_english_list():
    codename = codenames.generate_codename("en")
    words = codename.split(" ")
    assert len(words) == 7
    assert all(word in codenames.wordlist("en") for word in words)


def test_a_german_codename_uses_the_german_list():
    words = codenames.generate_codename("de").split(" ")
    german = set(codenames.wordlist("de"))
    assert all(word in german for word in words)
    assert not german & {"abacus", "abdomen", "zoom"}


def test_an_unknown_language_falls_back_to_english():
    assert codenames.wordlist("tr") == codenames.wordlist("en")


def test_the_curated_word_lists_still_give_at_least_87_bits():
    for language in ("en", "de"):
        words = codenames.wordlist(language)
        assert codenames.WORD_COUNT * math.log2(len(words)) >= 87


def test_every_listed_word_survives_normalisation_unchanged():
    for language in ("en", "de"):
        for word in codenames.wordlist(language):
            assert codenames.codename_words(word) == [word]


def test_two_codenames_are_not_the_same():
    assert len({codenames.generate_codename("en") for _ in range(50)}) == 50


@pytest.mark.parametrize(
    "typed",
    [
        "Apple Tree Hat Blue Lamp River Stone",
        "  apple   tree hat\tblue\nlamp river stone  ",
        "APPLE-TREE.HAT,BLUE;LAMP RIVER STONE",
        "\uff41\uff50\uff50\uff4c\uff45 tree hat blue lamp river stone",  # full-width (NFKC)
    ],
)
def test_normalisation_ignores_case_spacing_punctuation_and_width(typed):
    assert codenames.normalise_codename(typed) == "apple tree hat blue lamp river stone"
    assert codenames.codename_hash(typed) == codenames.codename_hash(
        "apple tree hat blue lamp river stone"
    )


def test_the_hash_is_an_hmac_under_the_pepper(settings):
    expected = hmac.new(
        settings.FORESTALL_PEPPER.encode(),
        b"codename:apple tree hat blue lamp river stone",
        hashlib.sha256,
    ).hexdigest()
    assert codenames.codename_hash("Apple tree hat blue lamp river stone") == expected


def test_a_different_pepper_gives_a_different_hash(settings):
    before = codenames.codename_hash("apple tree hat blue lamp river stone")
    settings.FORESTALL_PEPPER = "another pepper"
    assert codenames.codename_hash("apple tree hat blue lamp river stone") != before


def test_a_message_containing_the_codename_is_recognised_from_the_hash_alone():
    stored = codenames.codename_hash("apple tree hat blue lamp river stone")
    assert codenames.contains_codename("my code: Apple tree hat blue lamp river stone!", stored)
    assert codenames.contains_codename("apple\ntree/hat - blue lamp... RIVER stone", stored)
    assert not codenames.contains_codename("apple tree hat blue lamp river", stored)
    assert not codenames.contains_codename("stone river lamp blue hat tree apple", stored)
    assert not codenames.contains_codename("", stored)


def test_looks_like_codename_counts_words():
    assert codenames.looks_like_codename("a b c d e f g")
    assert not codenames.looks_like_codename("a b c")
