"""Demo statistics: two years of plausible de-identified daily counts.

The funnel is shaped like the one the Kein-Täter-werden network published
(about 9,500 contacts → 2,900 assessed → 925 started therapy → 360 completed):
many first contacts, fewer cases and assessments, fewer starts, fewer
completions. Only rows with ``source="demo"`` are replaced, so running the
seeder twice gives the same table and live counts are never touched.
"""

from __future__ import annotations

import datetime
import math
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from django.utils import timezone

from forestall.demo import DemoNetwork
from forestall.stats.actions import add_counts, count_row, delete_counts
from forestall.stats.events import Detail, Event
from forestall.stats.models import Source

DAYS = 730

Weights = Sequence[tuple[str, float]]

LANGUAGES: Weights = (("de", 85), ("en", 7), ("tr", 3), ("ar", 2), ("pl", 1.5), ("ru", 1.5))
PATHWAYS: Weights = (("self", 68), ("other", 22), ("professional", 10))
CHANNELS: Weights = (("messaging", 55), ("phone", 33), ("in_person", 7), ("video", 5))
STEPS: Weights = (
    ("self_help", 40),
    ("write_to_counsellor", 35),
    ("contact_centre", 22),
    ("urgent", 3),
)
REPLY_TIMES: Weights = (("<1h", 8), ("1-4h", 24), ("4-24h", 42), ("1-3d", 20), ("3-7d", 6))
WAITS: Weights = (("1-2w", 6), ("2-4w", 18), ("1-3m", 46), ("3-6m", 24), (">6m", 6))
DECISION_TIMES: Weights = (("<1h", 10), ("1-4h", 25), ("4-24h", 35), ("1-3d", 22), ("3-7d", 8))
PROTECTIVE: Weights = (
    ("stop_sites", 30),
    ("blocking_software", 18),
    ("tell_trusted_person", 14),
    ("contact_centre", 16),
    ("avoid_alone_with_children", 10),
    ("self_help", 8),
    ("see_doctor", 4),
)
PROGRAMMES: Weights = (("individual_therapy", 65), ("group_therapy", 35))
LEVELS: Weights = (("low", 45), ("medium", 35), ("high", 15), ("urgent", 5))
DECISIONS: Weights = (
    ("no_further_action", 40),
    ("advice_given", 30),
    ("plan_agreed", 25),
    ("disclosure", 5),
)

# Events per centre per day (a centre of the size of the demo centres).
CENTRE_RATES = {
    Event.CONTACT: 1.6,
    Event.CASE_OPENED: 0.75,
    Event.SCREENED: 0.62,
    Event.ASSESSED: 0.5,
    Event.WAITLISTED: 0.2,
    Event.THERAPY_STARTED: 0.16,
    Event.THERAPY_COMPLETED: 0.065,
    Event.CONCERN_RAISED: 0.05,
    Event.COURSE_FINISHED: 0.06,
}
# Exits per centre per day, by the stage people left at.
EXITS = {
    Event.LOST_CONTACT: (
        (Detail.ENQUIRY, 0.08),
        (Detail.SCREENING, 0.05),
        (Detail.IN_TREATMENT, 0.01),
    ),
    Event.WITHDREW: (
        (Detail.ENQUIRY, 0.03),
        (Detail.SCREENING, 0.03),
        (Detail.ASSESSMENT, 0.02),
        (Detail.IN_TREATMENT, 0.02),
    ),
    Event.NOT_SUITABLE: ((Detail.SCREENING, 0.04), (Detail.ASSESSMENT, 0.1)),
    Event.REFERRED_ELSEWHERE: ((Detail.SCREENING, 0.02), (Detail.ASSESSMENT, 0.06)),
}
# The share of starts that come from a waiting list (the rest start straight after assessment).
STARTS_FROM_WAITING_LIST = 0.85
# Of those who join a waiting list, the share who leave it without starting
# (withdrew, lost contact), after a wait like everyone else's.
LEAVE_WAITING_LIST = 0.22
# Centres differ in size: Berlin is the largest.
CENTRE_SIZE = {"berlin": 1.5, "hamburg": 1.1, "kiel": 0.6, "regensburg": 0.8}


def _poisson(rng: random.Random, rate: float) -> int:
    """A Poisson draw (Knuth's method; the rates here are small)."""
    limit, k, product = math.exp(-rate), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _pick(rng: random.Random, weights: Weights) -> str:
    return rng.choices([value for value, _w in weights], [w for _v, w in weights])[0]


def _rows(network: DemoNetwork, today: datetime.date) -> Iterator[tuple[object, ...]]:
    # Its own random source: the demo counts do not depend on what other seeders drew.
    rng = random.Random(network.seed)  # noqa: S311 - demo data, not security
    centres = [c for slug, c in sorted(network.centres.items()) if slug in CENTRE_SIZE]
    # (centre id, day) -> the people leaving a waiting list that day.
    leaving: dict[tuple[object, datetime.date], list[tuple[str, str, str, datetime.timedelta]]]
    leaving = defaultdict(list)
    first_day = today - datetime.timedelta(days=DAYS)
    for centre in centres:
        # People already waiting when the history begins (about joining per day x
        # mean wait): each leaves after the rest of their wait.
        already = _poisson(
            rng, CENTRE_RATES[Event.WAITLISTED] * 0.8 * CENTRE_SIZE[centre.slug] * 80
        )
        yield count_row(
            Event.WAITLISTED,
            centre=centre,
            day=first_day,
            source=Source.DEMO,
            detail="individual_therapy",
            count=already,
        )
        for _ in range(already):
            waited = _duration(rng, WAITS)
            joined = first_day - datetime.timedelta(days=rng.uniform(0, waited.days))
            _schedule_leaving(
                rng, leaving, centre, joined, "individual_therapy", today, waited=waited
            )
    for offset in range(DAYS, 0, -1):
        day = today - datetime.timedelta(days=offset)
        # Slow growth over the two years and fewer contacts at weekends.
        trend = 0.8 + 0.4 * (DAYS - offset) / DAYS
        weekday = 0.55 if day.weekday() >= 5 else 1.0

        def row(
            event: str, centre: object = None, *, _day: datetime.date = day, **dimensions: object
        ) -> tuple[object, ...]:
            return count_row(event, centre=centre, day=_day, source=Source.DEMO, **dimensions)  # type: ignore[arg-type]

        for _ in range(_poisson(rng, 9 * trend * weekday)):
            yield row(
                Event.SELF_CHECK_COMPLETED,
                channel="online",
                language=_pick(rng, LANGUAGES),
                pathway=_pick(rng, PATHWAYS),
                detail=_pick(rng, STEPS),
            )
        for _ in range(_poisson(rng, 3.5 * trend * weekday)):
            yield row(
                Event.MAILBOX_STARTED,
                channel="messaging",
                language=_pick(rng, LANGUAGES),
                pathway=_pick(rng, PATHWAYS),
            )
        # Conversations addressed to the network rather than a centre.
        for _ in range(_poisson(rng, 1.2 * trend * weekday)):
            yield from _contact(rng, row, None)
        for centre in centres:
            size = CENTRE_SIZE[centre.slug] * trend
            for _ in range(_poisson(rng, CENTRE_RATES[Event.CONTACT] * size * weekday)):
                yield from _contact(rng, row, centre)
            for event in (Event.CASE_OPENED, Event.SCREENED, Event.ASSESSED):
                for _ in range(_poisson(rng, CENTRE_RATES[event] * size)):
                    yield row(
                        event, centre, language=_pick(rng, LANGUAGES), pathway=_pick(rng, PATHWAYS)
                    )
            # Each person who joins the waiting list leaves it after their own
            # wait (a start, or an exit at the stage "waiting list"), so the
            # month-end list and the median wait tell one story (Little's law).
            for _ in range(_poisson(rng, CENTRE_RATES[Event.WAITLISTED] * size)):
                programme = _pick(rng, PROGRAMMES)
                yield row(Event.WAITLISTED, centre, detail=programme)
                _schedule_leaving(rng, leaving, centre, day, programme, today)
            for _ in range(
                _poisson(
                    rng, CENTRE_RATES[Event.THERAPY_STARTED] * (1 - STARTS_FROM_WAITING_LIST) * size
                )
            ):
                # Straight from assessment: no wait.
                yield row(Event.THERAPY_STARTED, centre, detail=_pick(rng, PROGRAMMES))
            for left, detail, programme, waited in leaving.pop((centre.pk, day), []):
                if left == Event.THERAPY_STARTED:
                    yield row(left, centre, detail=programme, duration=waited)
                else:
                    yield row(left, centre, detail=detail)
            for _ in range(_poisson(rng, CENTRE_RATES[Event.THERAPY_COMPLETED] * size)):
                yield row(Event.THERAPY_COMPLETED, centre)
            for event, stages in EXITS.items():
                for stage, rate in stages:
                    for _ in range(_poisson(rng, rate * size)):
                        yield row(event, centre, detail=stage)
            for _ in range(_poisson(rng, CENTRE_RATES[Event.CONCERN_RAISED] * size)):
                yield row(Event.CONCERN_RAISED, centre, detail=_pick(rng, LEVELS))
                yield row(
                    Event.CONCERN_DECIDED,
                    centre,
                    detail=_pick(rng, DECISIONS),
                    duration=_duration(rng, DECISION_TIMES),
                )
            for _ in range(_poisson(rng, CENTRE_RATES[Event.COURSE_FINISHED] * size)):
                yield from _course(rng, row, centre)


def _contact(rng: random.Random, row, centre: object) -> Iterator[tuple[object, ...]]:
    dimensions = {
        "channel": _pick(rng, CHANNELS),
        "language": _pick(rng, LANGUAGES),
        "pathway": _pick(rng, PATHWAYS),
    }
    if centre is None:
        dimensions["channel"] = "messaging"
    yield row(Event.CONTACT, centre, **dimensions)
    if rng.random() < 0.93:
        yield row(
            Event.FIRST_REPLY_SENT, centre, duration=_duration(rng, REPLY_TIMES), **dimensions
        )
    if centre is None and rng.random() < 0.3:
        yield row(Event.CONVERSATION_REFERRED, None, **dimensions)
    if dimensions["channel"] == "messaging" and rng.random() < 0.45:
        kind = _pick(rng, PROTECTIVE)
        yield row(Event.PROTECTIVE_ACTION_AGREED, centre, detail=kind, **dimensions)
        if rng.random() < 0.6:
            yield row(Event.PROTECTIVE_ACTION_TAKEN, centre, detail=kind, **dimensions)


def _course(rng: random.Random, row, centre: object) -> Iterator[tuple[object, ...]]:
    at_caseness = rng.random() < 0.75
    yield row(
        Event.COURSE_FINISHED,
        centre,
        detail=Detail.AT_CASENESS if at_caseness else Detail.NOT_AT_CASENESS,
    )
    improved = rng.random() < 0.58
    deteriorated = not improved and rng.random() < 0.12
    if improved:
        yield row(Event.RELIABLY_IMPROVED, centre)
    if deteriorated:
        yield row(Event.RELIABLY_DETERIORATED, centre)
    if at_caseness and rng.random() < (0.6 if improved else 0.15):
        yield row(Event.RECOVERED, centre)


_BUCKET_HOURS = {
    "<1h": (0.1, 0.9),
    "1-4h": (1, 3.9),
    "4-24h": (4, 23),
    "1-3d": (24, 71),
    "3-7d": (72, 167),
    "1-2w": (168, 335),
    "2-4w": (336, 671),
    "1-3m": (672, 2183),
    "3-6m": (2184, 4367),
    ">6m": (4368, 6000),
}


def _schedule_leaving(
    rng: random.Random,
    leaving: dict,
    centre: Any,
    joined: datetime.date,
    programme: str,
    today: datetime.date,
    *,
    waited: datetime.timedelta | None = None,
) -> None:
    """Book the day a person who joined on ``joined`` leaves the waiting list (if before today)."""
    waited = waited or _duration(rng, WAITS)
    day = joined + datetime.timedelta(days=max(waited.days, 1))
    if day >= today:
        return  # still waiting
    if rng.random() < LEAVE_WAITING_LIST:
        event = Event.WITHDREW if rng.random() < 0.5 else Event.LOST_CONTACT
        leaving[(centre.pk, day)].append((event, Detail.WAITING_LIST, programme, waited))
    else:
        leaving[(centre.pk, day)].append((Event.THERAPY_STARTED, "", programme, waited))


def _duration(rng: random.Random, weights: Weights) -> datetime.timedelta:
    low, high = _BUCKET_HOURS[_pick(rng, weights)]
    return datetime.timedelta(hours=rng.uniform(low, high))


def seed(network: DemoNetwork) -> None:
    """Replace the demo counts with two years of history up to yesterday."""
    delete_counts(Source.DEMO)
    total = add_counts(_rows(network, timezone.localdate()))
    network.say(f"Statistics: {total} demo events over {DAYS} days.")
