"""The matcher partners run: whole words and phrases after normalisation, no Django needed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from forestall.reach.matcher import Matcher, normalise_words

TERMS = ["child porn", "preteen", "lolita", "Kinderpornos", "jailbait", "pthc"]


@pytest.fixture(scope="module")
def matcher():
    return Matcher(TERMS)


@pytest.mark.parametrize(
    "query",
    [
        "ch1ld p0rn",  # 1→i, 0→o
        "l0l1t4",  # 0→o, 1→i, 4→a
        "j@ilb@it",  # @→a
        "pr3t33n pics",  # 3→e
    ],
)
def test_it_sees_through_look_alike_substitutions(matcher, query):
    assert matcher.match(query).match


def test_it_reads_dollar_and_five_as_s():
    assert Matcher(["sister"]).match("5i$ter").match


def test_it_does_not_invent_substitutions_it_was_not_told():
    assert not Matcher(["pthc"]).match("p7hc").match


FULLWIDTH_LOLITA = "\uff2c\uff2f\uff2c\uff29\uff34\uff21"


@pytest.mark.parametrize(
    "query", ["Kinderpornös", "KINDERPORNOS", "kínderpórnos", FULLWIDTH_LOLITA]
)
def test_it_ignores_case_diacritics_and_compatibility_forms(matcher, query):
    assert matcher.match(query).match


@pytest.mark.parametrize(
    "query",
    [
        "c.h.i.l.d p.o.r.n",
        "child-porn",
        "child_porn",
        "c h i l d   p o r n",
        "childporn",
        "child\tporn!!",
    ],
)
def test_it_ignores_punctuation_and_spacing_inside_and_between_words(matcher, query):
    result = matcher.match(query)
    assert result.match
    assert result.terms == ("child porn",)


@pytest.mark.parametrize(
    "query", ["children", "schild porn", "lolitas", "preteenage", "grandchild pornography"]
)
def test_a_term_inside_a_longer_word_does_not_match(matcher, query):
    assert not matcher.match(query).match


def test_a_whole_word_inside_a_longer_query_matches(matcher):
    result = matcher.match("where can I find preteen videos")
    assert result.terms == ("preteen",)


def test_a_phrase_needs_all_its_words_in_order(matcher):
    assert not matcher.match("porn child").match
    assert not matcher.match("child").match
    assert matcher.match("free child porn videos").terms == ("child porn",)


def test_it_names_every_matched_term_once():
    result = Matcher(["lolita", "pthc"]).match("pthc lolita pthc")
    assert result.match
    assert set(result.terms) == {"lolita", "pthc"}
    assert len(result.terms) == 2


def test_harmless_queries_do_not_match(matcher):
    for query in ["weather berlin", "child care near me", "porn", "", "   ", "🙂"]:
        assert not matcher.match(query).match


def test_empty_lines_and_comments_in_the_term_list_are_skipped():
    matcher = Matcher(["", "# a comment", "  lolita  "])
    assert matcher.size == 1
    assert matcher.match("lolita").terms == ("lolita",)


def test_normalisation_is_the_same_for_ascii_and_other_queries():
    assert normalise_words("Ch1ld-P0rn!") == ["child", "porn"]
    assert normalise_words("Ch1ld-P0rné!") == ["child", "porne"]


def test_the_matcher_imports_without_django_settings():
    code = (
        "import sys; from forestall.reach.matcher import Matcher; "
        "assert Matcher(['x y']).match('X-Y').match; "
        "from django.conf import settings; "
        "assert not settings.configured"
    )
    env = {"PATH": "/usr/bin:/bin"}
    subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], check=True, env=env, cwd=Path(__file__).parent.parent
    )


def test_the_command_writes_one_json_object_per_query(tmp_path):
    terms = tmp_path / "terms.txt"
    terms.write_text("child porn\n# comment\npreteen\n", encoding="utf-8")
    queries = "Ch1ld p0rn\nchildren's books\nPRE-TEEN\n"
    result = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "forestall.cli", "reach", "match", "--terms", str(terms)],
        input=queries,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "FORESTALL_DEBUG": "1", "FORESTALL_VAR": str(tmp_path)},
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == [
        {"match": True, "terms": ["child porn"]},
        {"match": False, "terms": []},
        {"match": True, "terms": ["preteen"]},
    ]
