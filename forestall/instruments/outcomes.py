"""Reliable change and the outcome of a course: NHS Talking Therapies rules, pure functions.

API::

    from forestall.instruments.outcomes import reliable_change, course_outcome, Change

    reliable_change("PHQ-9", first=18, last=11)   # Change.IMPROVED (a drop of 7 ≥ 6)
    outcome = course_outcome(phq9=(18, 7), gad7=(12, 6))
    outcome.caseness_start, outcome.caseness_end, outcome.recovered,
    outcome.reliable_improvement, outcome.reliable_deterioration,
    outcome.reliable_recovery, outcome.category   # "reliable_recovery", ...

The rules (NHS Talking Therapies for anxiety and depression Manual, 2024, and
the NHS Digital "Psychological Therapies" annual report methodology; the same
definitions as IAPT):

- **Caseness**: PHQ-9 ≥ 10 *or* GAD-7 ≥ 8.
- **Reliable change** on a measure: the score moves by at least the measure's
  reliable change index, PHQ-9 6 points, GAD-7 4 points (down = improvement).
- **Recovered**: at caseness at the first measurement and below caseness on
  *both* measures at the last. People who did not start at caseness cannot
  recover (``recovered`` is false and ``eligible_for_recovery`` is false; they
  leave the recovery rate's denominator).
- **Reliable improvement**: reliable improvement on at least one measure and
  no reliable deterioration on the other.
- **Reliable deterioration**: reliable deterioration on at least one measure
  and no reliable improvement on the other. (Improvement on one measure with
  deterioration on the other is neither: "no reliable change".)
- **Reliable recovery**: recovered *and* reliably improved.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass

from forestall.instruments.catalogue import Catalogue

# Thresholds of the NHS Talking Therapies rules; the shipped PHQ-9 and GAD-7
# definitions carry the same numbers (a test keeps them in step).
PHQ9_CASENESS = 10
GAD7_CASENESS = 8
PHQ9_RELIABLE_CHANGE = 6
GAD7_RELIABLE_CHANGE = 4
PHQ9_MAX = 27
GAD7_MAX = 21


class Change(enum.StrEnum):
    IMPROVED = "improved"
    DETERIORATED = "deteriorated"
    NO_RELIABLE_CHANGE = "no_reliable_change"


def _change(first: int, last: int, threshold: int, higher_is_worse: bool = True) -> Change:
    improvement = (first - last) if higher_is_worse else (last - first)
    if improvement >= threshold:
        return Change.IMPROVED
    if -improvement >= threshold:
        return Change.DETERIORATED
    return Change.NO_RELIABLE_CHANGE


def reliable_change(
    instrument_id: str,
    first: int,
    last: int,
    version: int | None = None,
    *,
    catalogue: Catalogue | None = None,
) -> Change | None:
    """How ``last`` compares with ``first`` on the instrument's reliable change index.

    Direction follows the instrument (``higher_is: better`` for the WHO-5).
    None when the instrument publishes no reliable change threshold.
    """
    from forestall.instruments.catalogue import catalogue as configured

    definition = (catalogue or configured()).get(instrument_id, version)
    if definition.reliable_change is None:
        return None
    return _change(first, last, definition.reliable_change, definition.higher_is == "worse")


@dataclass(frozen=True)
class Outcome:
    caseness_start: bool
    caseness_end: bool
    recovered: bool
    reliable_improvement: bool
    reliable_deterioration: bool
    reliable_recovery: bool
    eligible_for_recovery: bool
    phq9_change: Change
    gad7_change: Change

    @property
    def category(self) -> str:
        """One word for the course, from a fixed vocabulary (used as a statistics detail)."""
        if self.reliable_recovery:
            return "reliable_recovery"
        if self.recovered:
            return "recovered"
        if self.reliable_improvement:
            return "reliable_improvement"
        if self.reliable_deterioration:
            return "reliable_deterioration"
        return "no_reliable_change"

    def as_dict(self) -> dict[str, object]:
        result = asdict(self)
        result["phq9_change"] = str(self.phq9_change)
        result["gad7_change"] = str(self.gad7_change)
        return result


def _check(name: str, value: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise ValueError(f"{name} score must be a whole number from 0 to {maximum}, not {value!r}")
    return value


def course_outcome(*, phq9: tuple[int, int], gad7: tuple[int, int]) -> Outcome:
    """The outcome of a course from its first and last PHQ-9 and GAD-7 totals."""
    phq9_first, phq9_last = (_check("PHQ-9", value, PHQ9_MAX) for value in phq9)
    gad7_first, gad7_last = (_check("GAD-7", value, GAD7_MAX) for value in gad7)
    caseness_start = phq9_first >= PHQ9_CASENESS or gad7_first >= GAD7_CASENESS
    caseness_end = phq9_last >= PHQ9_CASENESS or gad7_last >= GAD7_CASENESS
    phq9_change = _change(phq9_first, phq9_last, PHQ9_RELIABLE_CHANGE)
    gad7_change = _change(gad7_first, gad7_last, GAD7_RELIABLE_CHANGE)
    changes = (phq9_change, gad7_change)
    improved = Change.IMPROVED in changes
    deteriorated = Change.DETERIORATED in changes
    reliable_improvement = improved and not deteriorated
    recovered = caseness_start and not caseness_end
    return Outcome(
        caseness_start=caseness_start,
        caseness_end=caseness_end,
        recovered=recovered,
        reliable_improvement=reliable_improvement,
        reliable_deterioration=deteriorated and not improved,
        reliable_recovery=recovered and reliable_improvement,
        eligible_for_recovery=caseness_start,
        phq9_change=phq9_change,
        gad7_change=gad7_change,
    )


__all__ = ["Change", "Outcome", "course_outcome", "reliable_change"]
