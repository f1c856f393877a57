"""Scoring every shipped instrument, reversed items, subscales, missing answers, the self-check."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forestall.instruments.catalogue import DEFINITIONS_DIR, Catalogue, Definition
from forestall.instruments.scoring import InvalidAnswers, UnknownInstrument, recommend, score

FIXTURES = Path(__file__).parent / "instrument_fixtures"
SHIPPED = Catalogue.load([DEFINITIONS_DIR])
WITH_TEST_SCALE = Catalogue.load([DEFINITIONS_DIR, FIXTURES])
SCORED = [definition for definition in SHIPPED.latest(kind="score")]


def answers_totalling(definition: Definition, total: int) -> list[int]:
    """Answers (no reversed items) that add up to exactly ``total``."""
    answers = []
    remaining = total - definition.min_total
    for item in definition.items:
        step = min(item.max_value - item.min_value, remaining)
        answers.append(item.min_value + step)
        remaining -= step
    assert remaining == 0
    return answers


BOUNDARIES = [
    pytest.param(definition.id, band.id, value, id=f"{definition.id}-{band.id}-{value}")
    for definition in SCORED
    for band in definition.bands
    for value in sorted({band.min, band.max})
]


@pytest.mark.parametrize(("instrument", "band", "total"), BOUNDARIES)
def test_every_band_boundary_of_every_shipped_instrument(instrument, band, total):
    definition = SHIPPED.get(instrument)
    result = score(instrument, answers_totalling(definition, total), catalogue=SHIPPED)
    assert result.total == total
    assert result.band == band
    assert result.complete and not result.prorated


@pytest.mark.parametrize(
    ("instrument", "below", "at"),
    [("phq9", 9, 10), ("gad7", 7, 8), ("auditc", 4, 5)],
)
def test_caseness_starts_exactly_at_the_threshold(instrument, below, at):
    definition = SHIPPED.get(instrument)
    assert (
        score(instrument, answers_totalling(definition, below), catalogue=SHIPPED).caseness is False
    )
    assert score(instrument, answers_totalling(definition, at), catalogue=SHIPPED).caseness is True


def test_who5_caseness_is_a_low_score_and_the_percentage_is_four_times_the_raw_score():
    definition = SHIPPED.get("who5")
    low = score("WHO-5", answers_totalling(definition, 12), catalogue=SHIPPED)
    adequate = score("WHO-5", answers_totalling(definition, 13), catalogue=SHIPPED)
    assert (low.caseness, low.band, low.derived) == (True, "poor", {"percentage": 48})
    assert (adequate.caseness, adequate.band, adequate.derived) == (
        False,
        "adequate",
        {"percentage": 52},
    )
    assert score("who5", [5, 5, 5, 5, 5], catalogue=SHIPPED).derived == {"percentage": 100}


def test_the_issue_example_scores_as_moderate_depression():
    result = score("PHQ-9", [1, 2, 0, 3, 1, 0, 2, 1, 0], catalogue=SHIPPED)
    assert result.as_dict() == {
        "instrument": "phq9",
        "version": 1,
        "total": 10,
        "band": "moderate",
        "caseness": True,
        "complete": True,
        "prorated": False,
    }


def test_phq9_item_nine_raises_a_flag_whatever_the_total():
    result = score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1], catalogue=SHIPPED)
    assert result.total == 1
    assert result.flags == ("self_harm_thoughts",)
    assert score("phq9", [3] * 8 + [0], catalogue=SHIPPED).flags == ()


def test_reversed_items_count_mirrored_and_subscales_add_up():
    # a1=3, a2=0 (reversed → 3), b1=1, b2=3 (reversed → 0)
    result = score("test-scale", [3, 0, 1, 3], catalogue=WITH_TEST_SCALE)
    assert result.total == 7
    assert result.subscales == {"worry": 6, "sleep": 1}
    assert (result.band, result.caseness) == ("high", True)


def test_answers_may_be_given_by_item_id():
    result = score("test-scale", {"a1": 0, "a2": 3, "b1": 0, "b2": 3}, catalogue=WITH_TEST_SCALE)
    assert result.total == 0
    assert result.subscales == {"worry": 0, "sleep": 0}


def test_a_missing_answer_is_prorated_where_allowed_and_the_subscale_left_open():
    result = score("test-scale", [3, None, 1, 3], catalogue=WITH_TEST_SCALE)
    # answered a1=3, b1=1, b2 reversed to 0: 4 x 4/3 = 5.33, rounded to 5
    assert (result.total, result.prorated, result.complete) == (5, True, True)
    assert result.subscales == {"worry": None, "sleep": 1}


def test_phq9_is_prorated_with_up_to_two_missing_answers_rounding_half_up():
    one_missing = score("phq9", [1, 1, 1, 1, 1, 1, 1, 1, None], catalogue=SHIPPED)
    assert (one_missing.total, one_missing.prorated) == (9, True)
    # 8 x 9/8 = 9; and 4 x 9/8 = 4.5 rounds half up to 5.
    half = score("phq9", [1, 1, 1, 1, 0, 0, 0, 0, None], catalogue=SHIPPED)
    assert half.total == 5
    two_missing = score("phq9", [3, 3, 3, 3, 3, 3, 3, "", None], catalogue=SHIPPED)
    assert (two_missing.total, two_missing.band) == (27, "severe")


def test_too_many_missing_answers_make_the_score_incomplete():
    result = score("phq9", [1, 1, 1, 1, 1, 1, None, None, None], catalogue=SHIPPED)
    assert result.complete is False
    assert (result.total, result.band, result.caseness) == (None, None, None)


def test_instruments_without_prorating_are_incomplete_with_one_missing_answer():
    assert score("who5", [5, 5, 5, 5, None], catalogue=SHIPPED).complete is False
    assert score("auditc", [1, None, 1], catalogue=SHIPPED).complete is False
    assert score("gad7", [1, 1, 1, 1, 1, 1, None], catalogue=SHIPPED).total == 7
    assert score("gad7", [1, 1, 1, 1, 1, None, None], catalogue=SHIPPED).complete is False


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([1, 2, 3], "PHQ-9 has 9 items, got 3 answers"),
        ([0, 0, 0, 0, 0, 0, 0, 0, 4], "PHQ-9 q9: 4 is not one of the answers (0, 1, 2, 3)"),
        ([0, 0, 0, 0, 0, 0, 0, 0, -1], "PHQ-9 q9: -1 is not one of the answers"),
        ([0, 0, 0, 0, 0, 0, 0, 0, "x"], "PHQ-9 q9: 'x' is not a number"),
        ([0, 0, 0, 0, 0, 0, 0, 0, True], "PHQ-9 q9: True is not a number"),
        ({"q10": 1}, "PHQ-9 has no item 'q10'"),
        ("123456789", "answers must be a list"),
    ],
)
def test_invalid_answers_are_refused_with_one_clear_line(answers, message):
    with pytest.raises(InvalidAnswers) as caught:
        score("phq9", answers, catalogue=SHIPPED)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_numbers_as_text_are_accepted():
    assert score("gad7", ["3", "3", "3", "0", "0", "0", " 1 "], catalogue=SHIPPED).total == 10


def test_unknown_instruments_and_the_self_check_cannot_be_scored():
    with pytest.raises(UnknownInstrument):
        score("HADS", [1], catalogue=SHIPPED)
    with pytest.raises(InvalidAnswers, match="not scored"):
        score("self-check", ["own_thoughts", "soon", "no", "write"], catalogue=SHIPPED)


def test_an_old_version_is_scored_under_its_own_rules(tmp_path):
    text = (DEFINITIONS_DIR / "gad7.v1.yaml").read_text(encoding="utf-8")
    text = text.replace("version: 1", "version: 2").replace("at_least: 8", "at_least: 10")
    (tmp_path / "gad7.v2.yaml").write_text(text, encoding="utf-8")
    both = Catalogue.load([DEFINITIONS_DIR, tmp_path])
    answers = [2, 2, 2, 2, 1, 0, 0]  # 9
    assert score("gad7", answers, catalogue=both).caseness is False
    assert score("gad7", answers, catalogue=both).version == 2
    assert score("gad7", answers, 1, catalogue=both).caseness is True


# --- Properties --------------------------------------------------------------


@st.composite
def definition_and_answers(draw, *, missing: bool = False):
    definition = draw(st.sampled_from([*SCORED, WITH_TEST_SCALE.get("test-scale")]))
    answers = [draw(st.sampled_from(item.values)) for item in definition.items]
    if missing and definition.max_missing:
        count = draw(st.integers(0, definition.max_missing))
        for index in draw(st.permutations(range(len(answers))))[:count]:
            answers[index] = None
    return definition, answers


@settings(max_examples=300, deadline=None)
@given(definition_and_answers())
def test_totals_stay_in_range_and_always_fall_in_a_band(case):
    definition, answers = case
    result = score(definition.id, answers, catalogue=WITH_TEST_SCALE)
    assert definition.min_total <= result.total <= definition.max_total
    assert result.band is not None
    for subscale in definition.subscales:
        highest = sum(definition.item(item_id).max_value for item_id in subscale.items)
        assert 0 <= result.subscales[subscale.id] <= min(highest, result.total)


@settings(max_examples=300, deadline=None)
@given(definition_and_answers(missing=True))
def test_prorated_totals_stay_in_range_too(case):
    definition, answers = case
    result = score(definition.id, answers, catalogue=WITH_TEST_SCALE)
    assert result.complete
    assert definition.min_total <= result.total <= definition.max_total
    assert result.prorated == (None in answers)


@pytest.mark.parametrize("definition", SCORED, ids=lambda definition: definition.id)
def test_bands_cover_the_whole_range_without_gaps_or_overlaps(definition):
    for total in range(definition.min_total, definition.max_total + 1):
        assert len([band for band in definition.bands if band.contains(total)]) == 1, total
    assert definition.bands[0].min == definition.min_total
    assert definition.bands[-1].max == definition.max_total


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_caseness_always_agrees_with_the_threshold(data):
    definition = data.draw(st.sampled_from([d for d in SCORED if d.caseness_at_least is not None]))
    total = data.draw(st.integers(definition.min_total, definition.max_total))
    result = score(definition.id, answers_totalling(definition, total), catalogue=SHIPPED)
    assert result.caseness == (total >= definition.caseness_at_least)


# --- The self-check ------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "step", "urgent"),
    [
        ({"child_at_risk": "yes"}, "urgent", True),
        ({"child_at_risk": "yes", "help_wanted": "read", "urgency": "can_wait"}, "urgent", True),
        ({"child_at_risk": "not_sure", "urgency": "now"}, "urgent", True),
        ({"child_at_risk": "not_sure", "urgency": "can_wait"}, "child_unsure", True),
        ({"child_at_risk": "not_sure", "self_harm": "now"}, "crisis", True),
        ({"worry": "own_thoughts", "help_wanted": "talk"}, "contact_centre", False),
        ({"worry": "images", "help_wanted": "write"}, "write_to_counsellor", False),
        (
            {"worry": "someone_else", "urgency": "soon", "help_wanted": "read"},
            "write_to_counsellor",
            False,
        ),
        (
            {"worry": "professional", "urgency": "can_wait", "help_wanted": "read"},
            "self_help",
            False,
        ),
        ({"help_wanted": "read"}, "self_help", False),
        ({"urgency": "can_wait", "help_wanted": "not_sure"}, "self_help", False),
        ({}, "write_to_counsellor", False),
    ],
)
def test_the_self_check_recommends_a_next_step(answers, step, urgent):
    advice = recommend(answers, "en", catalogue=SHIPPED)
    assert (advice.step, advice.urgent) == (step, urgent)
    assert advice.feedback and advice.title


def test_the_self_check_answers_in_german_and_falls_back_to_english():
    german = recommend({"child_at_risk": "yes"}, "de", catalogue=SHIPPED)
    assert "Notrufnummer" in german.feedback and "Kind" in german.feedback
    assert recommend({}, "tr", catalogue=SHIPPED).feedback.startswith("You do not have to")
    assert recommend({}, "de-at", catalogue=SHIPPED).title.startswith("Schreiben Sie")


def test_the_self_check_refuses_answers_it_does_not_know():
    with pytest.raises(InvalidAnswers, match="worry"):
        recommend({"worry": "the weather"}, "en", catalogue=SHIPPED)
    with pytest.raises(InvalidAnswers, match="5 items, got 2"):
        recommend(["own_thoughts", "now"], "en", catalogue=SHIPPED)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_child_at_risk_always_leads_to_the_urgent_step(data):
    definition = SHIPPED.get("self-check")
    answers = {
        item.id: data.draw(st.sampled_from([None, *item.values])) for item in definition.items
    }
    answers["child_at_risk"] = "yes"
    assert recommend(answers, "en", catalogue=SHIPPED).urgent is True
