"""A seeded, random set of daily counts and its plain-Python twin, for statistics tests."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from forestall.stats import actions
from forestall.stats.events import Detail, Event
from forestall.stats.models import Source

EVENTS = [
    (Event.CONTACT, ""),
    (Event.CASE_OPENED, ""),
    (Event.ASSESSED, ""),
    (Event.THERAPY_STARTED, "individual_therapy"),
    (Event.THERAPY_COMPLETED, ""),
    (Event.WAITLISTED, "group_therapy"),
    (Event.WITHDREW, Detail.SCREENING),
    (Event.LOST_CONTACT, Detail.WAITING_LIST),
    (Event.NOT_SUITABLE, Detail.ASSESSMENT),
    (Event.FIRST_REPLY_SENT, ""),
    (Event.CONCERN_DECIDED, Detail.ADVICE_GIVEN),
    (Event.COURSE_FINISHED, Detail.AT_CASENESS),
    (Event.COURSE_FINISHED, Detail.NOT_AT_CASENESS),
    (Event.RECOVERED, ""),
    (Event.RELIABLY_IMPROVED, ""),
    (Event.PROTECTIVE_ACTION_AGREED, Detail.STOP_SITES),
    (Event.PROTECTIVE_ACTION_TAKEN, Detail.STOP_SITES),
    (Event.MAILBOX_STARTED, ""),
]
TIMED = {Event.FIRST_REPLY_SENT, Event.CONCERN_DECIDED}
DURATIONS = [
    datetime.timedelta(minutes=20),
    datetime.timedelta(hours=6),
    datetime.timedelta(days=2),
    datetime.timedelta(days=40),
]


@dataclass(frozen=True)
class Recorded:
    """One call of ``record`` as the test made it."""

    day: datetime.date
    event: str
    centre: object
    channel: str
    language: str
    pathway: str
    detail: str
    duration: datetime.timedelta | None
    count: int


def seed_counts(
    centres, *, start: datetime.date, days: int, seed: int = 7, per_day: int = 12
) -> list[Recorded]:
    """Record random events through ``stats.record``; return what was recorded."""
    rng = random.Random(seed)
    made = []
    for offset in range(days):
        day = start + datetime.timedelta(days=offset)
        for _ in range(rng.randint(0, per_day)):
            event, detail = rng.choice(EVENTS)
            centre = (
                rng.choice([*centres, None])
                if event in (Event.CONTACT, Event.MAILBOX_STARTED)
                else rng.choice(centres)
            )
            item = Recorded(
                day=day,
                event=event,
                centre=centre,
                channel=rng.choice(["", "messaging", "phone"]),
                language=rng.choice(["de", "en", "tr"]),
                pathway=rng.choice(["self", "other", ""]),
                detail=detail,
                duration=rng.choice(DURATIONS) if event in TIMED else None,
                count=rng.randint(1, 3),
            )
            actions.record(
                item.event,
                centre=item.centre,
                channel=item.channel,
                language=item.language,
                pathway=item.pathway,
                detail=item.detail,
                duration=item.duration,
                day=item.day,
                count=item.count,
            )
            made.append(item)
    return made


def seed_source(centre, day: datetime.date, source: str = Source.DEMO, count: int = 3) -> None:
    actions.add_counts(
        [actions.count_row(Event.CONTACT, centre=centre, day=day, count=count, source=source)]
    )
