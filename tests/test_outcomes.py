"""The NHS Talking Therapies outcome rules at their boundaries, and reliable change."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forestall.instruments.catalogue import DEFINITIONS_DIR, Catalogue
from forestall.instruments.outcomes import Change, course_outcome, reliable_change

SHIPPED = Catalogue.load([DEFINITIONS_DIR])


def test_caseness_at_the_start_is_phq9_of_10_or_gad7_of_8():
    assert course_outcome(phq9=(10, 0), gad7=(0, 0)).caseness_start is True
    assert course_outcome(phq9=(0, 0), gad7=(8, 0)).caseness_start is True
    assert course_outcome(phq9=(9, 0), gad7=(7, 0)).caseness_start is False


def test_caseness_at_the_end_uses_the_same_thresholds():
    assert course_outcome(phq9=(15, 10), gad7=(12, 0)).caseness_end is True
    assert course_outcome(phq9=(15, 0), gad7=(12, 8)).caseness_end is True
    assert course_outcome(phq9=(15, 9), gad7=(12, 7)).caseness_end is False


def test_recovery_needs_both_measures_below_caseness_at_the_end():
    recovered = course_outcome(phq9=(15, 9), gad7=(12, 7))
    assert recovered.recovered is True
    still_anxious = course_outcome(phq9=(15, 9), gad7=(12, 8))
    assert still_anxious.recovered is False


def test_people_not_at_caseness_at_the_start_cannot_recover():
    outcome = course_outcome(phq9=(9, 0), gad7=(7, 0))
    assert outcome.recovered is False
    assert outcome.reliable_recovery is False
    assert outcome.eligible_for_recovery is False
    # ... but they can still improve reliably.
    assert outcome.reliable_improvement is True


def test_reliable_change_starts_exactly_at_6_on_phq9_and_4_on_gad7():
    assert course_outcome(phq9=(16, 10), gad7=(10, 10)).phq9_change == Change.IMPROVED
    assert course_outcome(phq9=(16, 11), gad7=(10, 10)).phq9_change == Change.NO_RELIABLE_CHANGE
    assert course_outcome(phq9=(10, 10), gad7=(12, 8)).gad7_change == Change.IMPROVED
    assert course_outcome(phq9=(10, 10), gad7=(12, 9)).gad7_change == Change.NO_RELIABLE_CHANGE
    assert course_outcome(phq9=(10, 16), gad7=(8, 12)).phq9_change == Change.DETERIORATED
    assert course_outcome(phq9=(10, 15), gad7=(8, 11)).gad7_change == Change.NO_RELIABLE_CHANGE


def test_reliable_improvement_on_one_measure_is_enough():
    outcome = course_outcome(phq9=(16, 10), gad7=(10, 9))
    assert outcome.reliable_improvement is True
    assert outcome.reliable_deterioration is False


def test_improvement_on_one_measure_and_deterioration_on_the_other_is_neither():
    outcome = course_outcome(phq9=(20, 14), gad7=(5, 9))
    assert (outcome.phq9_change, outcome.gad7_change) == (Change.IMPROVED, Change.DETERIORATED)
    assert outcome.reliable_improvement is False
    assert outcome.reliable_deterioration is False
    assert outcome.reliable_recovery is False
    assert outcome.category == "no_reliable_change"


def test_reliable_deterioration_on_one_measure_without_improvement_on_the_other():
    outcome = course_outcome(phq9=(12, 18), gad7=(9, 9))
    assert outcome.reliable_deterioration is True
    assert outcome.reliable_improvement is False
    assert outcome.category == "reliable_deterioration"


def test_recovered_without_reliable_improvement_is_not_reliable_recovery():
    outcome = course_outcome(phq9=(10, 9), gad7=(8, 7))
    assert outcome.recovered is True
    assert outcome.reliable_improvement is False
    assert outcome.reliable_recovery is False
    assert outcome.category == "recovered"


def test_reliable_recovery_is_recovery_with_reliable_improvement():
    outcome = course_outcome(phq9=(18, 7), gad7=(12, 6))
    assert outcome.reliable_recovery is True
    assert outcome.category == "reliable_recovery"
    assert outcome.as_dict() == {
        "caseness_start": True,
        "caseness_end": False,
        "recovered": True,
        "reliable_improvement": True,
        "reliable_deterioration": False,
        "reliable_recovery": True,
        "eligible_for_recovery": True,
        "phq9_change": "improved",
        "gad7_change": "improved",
    }


@pytest.mark.parametrize(
    ("phq9", "gad7", "message"),
    [
        ((28, 0), (0, 0), "PHQ-9 score must be a whole number from 0 to 27"),
        ((0, 0), (0, 22), "GAD-7 score must be a whole number from 0 to 21"),
        ((-1, 0), (0, 0), "PHQ-9"),
        ((1.5, 0), (0, 0), "PHQ-9"),
    ],
)
def test_scores_outside_the_range_are_refused(phq9, gad7, message):
    with pytest.raises(ValueError, match=message):
        course_outcome(phq9=phq9, gad7=gad7)


def test_reliable_change_follows_each_instruments_direction():
    assert reliable_change("PHQ-9", 18, 12, catalogue=SHIPPED) == Change.IMPROVED
    assert reliable_change("gad7", 5, 9, catalogue=SHIPPED) == Change.DETERIORATED
    # WHO-5: higher is better, so a rise is an improvement.
    assert reliable_change("who5", 10, 13, catalogue=SHIPPED) == Change.IMPROVED
    assert reliable_change("who5", 13, 11, catalogue=SHIPPED) == Change.NO_RELIABLE_CHANGE
    # AUDIT-C publishes no reliable change index.
    assert reliable_change("auditc", 10, 2, catalogue=SHIPPED) is None


phq9_scores = st.integers(0, 27)
gad7_scores = st.integers(0, 21)


@given(phq9_scores, phq9_scores, gad7_scores, gad7_scores)
def test_the_outcome_flags_are_consistent(phq9_first, phq9_last, gad7_first, gad7_last):
    outcome = course_outcome(phq9=(phq9_first, phq9_last), gad7=(gad7_first, gad7_last))
    assert not (outcome.reliable_improvement and outcome.reliable_deterioration)
    assert outcome.reliable_recovery == (outcome.recovered and outcome.reliable_improvement)
    if outcome.recovered:
        assert outcome.caseness_start and not outcome.caseness_end
    if not outcome.caseness_start:
        assert not outcome.recovered
    if phq9_first == phq9_last and gad7_first == gad7_last:
        assert outcome.category in ("no_reliable_change",)
