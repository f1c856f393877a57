"""Scoring questionnaires and the self-check: pure functions, no database.

API used by the rest of forestall::

    from forestall.instruments.scoring import score, recommend, InvalidAnswers

    result = score("PHQ-9", [1, 2, 0, 3, 1, 0, 2, 1, 0])
    result.total, result.band, result.caseness, result.complete, result.prorated
    result.subscales          # {"subscale id": total or None}
    result.derived            # {"percentage": 48} for the WHO-5
    result.flags              # ("self_harm_thoughts",) when PHQ-9 item 9 > 0
    result.as_dict()          # JSON-ready (the CLI prints this)

    advice = recommend({"worry": "own_thoughts", "urgency": "soon"}, language="de")
    advice.step, advice.urgent, advice.title, advice.feedback

Answers are either a sequence in item order (``None`` or ``""`` for a missing
answer) or a mapping ``{item id: value}``. Bad answers raise
``InvalidAnswers`` with a one-line message; an unknown instrument raises
``UnknownInstrument``. Both are ``ValueError``/``LookupError`` subclasses and
safe to show to staff.

Missing answers: an instrument may allow ``max_missing`` answers to be left
out, in which case the total is prorated (sum x items / answered, rounded half
up) and ``prorated`` is true; with more missing answers the score is
``complete=False`` with no total, band or caseness. Subscale totals are only
given when all their items are answered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from forestall.instruments.catalogue import (
    Catalogue,
    Definition,
    UnknownInstrument,
    catalogue,
    localized,
)

__all__ = [
    "InvalidAnswers",
    "Recommendation",
    "Score",
    "UnknownInstrument",
    "normalise_answers",
    "recommend",
    "score",
]

SELF_CHECK_ID = "self-check"


class InvalidAnswers(ValueError):
    """The answers do not fit the instrument (count, unknown item, value out of range)."""


@dataclass(frozen=True)
class Score:
    instrument: str
    version: int
    total: int | None
    band: str | None
    caseness: bool | None
    subscales: dict[str, int | None] = field(default_factory=dict)
    complete: bool = True
    prorated: bool = False
    derived: dict[str, int] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    answered: int = 0

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "instrument": self.instrument,
            "version": self.version,
            "total": self.total,
            "band": self.band,
            "caseness": self.caseness,
            "complete": self.complete,
            "prorated": self.prorated,
        }
        if self.subscales:
            result["subscales"] = dict(self.subscales)
        if self.derived:
            result["derived"] = dict(self.derived)
        if self.flags:
            result["flags"] = list(self.flags)
        return result


@dataclass(frozen=True)
class Recommendation:
    step: str
    urgent: bool
    title: str
    feedback: str
    version: int


def _catalogue(given: Catalogue | None) -> Catalogue:
    return given if given is not None else catalogue()


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _coerce(definition: Definition, item_id: str, value: Any) -> int | str:
    item = definition.item(item_id)
    if definition.is_scored:
        if isinstance(value, bool):
            raise InvalidAnswers(f"{definition.name} {item_id}: {value!r} is not a number")
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise InvalidAnswers(
                    f"{definition.name} {item_id}: {value.strip()!r} is not a number"
                ) from None
        if not isinstance(value, int):
            raise InvalidAnswers(f"{definition.name} {item_id}: {value!r} is not a whole number")
    else:
        value = str(value).strip()
    if value not in item.values:
        allowed = ", ".join(str(option) for option in item.values)
        raise InvalidAnswers(
            f"{definition.name} {item_id}: {value!r} is not one of the answers ({allowed})"
        )
    return value


def normalise_answers(definition: Definition, answers: Any) -> dict[str, int | str | None]:
    """``answers`` as ``{item id: value or None}`` in item order, checked against ``definition``."""
    item_ids = [item.id for item in definition.items]
    if isinstance(answers, Mapping):
        unknown = [str(key) for key in answers if key not in item_ids]
        if unknown:
            raise InvalidAnswers(f"{definition.name} has no item {unknown[0]!r}")
        raw = {item_id: answers.get(item_id) for item_id in item_ids}
    elif isinstance(answers, Sequence) and not isinstance(answers, str | bytes):
        if len(answers) != len(item_ids):
            raise InvalidAnswers(
                f"{definition.name} has {len(item_ids)} items, got {len(answers)} answers"
            )
        raw = dict(zip(item_ids, answers, strict=True))
    else:
        raise InvalidAnswers("answers must be a list in item order or a mapping of item ids")
    return {
        item_id: None if _is_missing(value) else _coerce(definition, item_id, value)
        for item_id, value in raw.items()
    }


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def score_definition(definition: Definition, answers: Any) -> Score:
    """Score ``answers`` under exactly this definition (a pinned version)."""
    if not definition.is_scored:
        raise InvalidAnswers(f"{definition.name} is not scored; it gives a recommendation")
    values = normalise_answers(definition, answers)
    scored = {
        item.id: item.scored_value(int(values[item.id]))  # type: ignore[arg-type]
        for item in definition.items
        if values[item.id] is not None
    }
    answered = len(scored)
    missing = len(definition.items) - answered
    subscales = {
        subscale.id: (
            sum(scored[item_id] for item_id in subscale.items)
            if all(item_id in scored for item_id in subscale.items)
            else None
        )
        for subscale in definition.subscales
    }
    flags = tuple(
        flag.id
        for flag in definition.flags
        if values.get(flag.item) is not None and int(values[flag.item]) >= flag.at_least  # type: ignore[arg-type]
    )
    if answered == 0 or missing > definition.max_missing:
        return Score(
            instrument=definition.id,
            version=definition.version,
            total=None,
            band=None,
            caseness=None,
            subscales=subscales,
            complete=False,
            prorated=False,
            flags=flags,
            answered=answered,
        )
    total = sum(scored.values())
    prorated = missing > 0
    if prorated:
        total = _round_half_up(Decimal(total) * len(definition.items) / answered)
    band = definition.band_for(total)
    return Score(
        instrument=definition.id,
        version=definition.version,
        total=total,
        band=band.id if band else None,
        caseness=definition.is_case(total),
        subscales=subscales,
        complete=True,
        prorated=prorated,
        derived={derived.id: total * derived.factor for derived in definition.derived},
        flags=flags,
        answered=answered,
    )


def score(
    instrument_id: str,
    answers: Any,
    version: int | None = None,
    *,
    catalogue: Catalogue | None = None,
) -> Score:
    """Score ``answers`` to ``instrument_id`` (newest version unless ``version`` is given)."""
    definition = _catalogue(catalogue).get(instrument_id, version)
    return score_definition(definition, answers)


def recommend(
    answers: Any,
    language: str | None = None,
    *,
    version: int | None = None,
    instrument_id: str = SELF_CHECK_ID,
    catalogue: Catalogue | None = None,
) -> Recommendation:
    """The self-check's recommended next step for ``answers``, with feedback in ``language``.

    The first rule in the definition whose conditions all match decides;
    otherwise the definition's default step. Skipped questions match no
    condition. ``language`` defaults to the active Django language.
    """
    definition = _catalogue(catalogue).get(instrument_id, version)
    if definition.is_scored:
        raise InvalidAnswers(f"{definition.name} is scored, not a self-check")
    values = normalise_answers(definition, answers)
    step_id = next(
        (rule.step for rule in definition.rules if rule.matches(values)), definition.default_step
    )
    step = definition.step(step_id)
    if language is None:
        from django.utils.translation import get_language

        language = get_language()
    return Recommendation(
        step=step.id,
        urgent=step.urgent,
        title=localized(step.title, language),
        feedback=localized(step.feedback, language),
        version=definition.version,
    )
