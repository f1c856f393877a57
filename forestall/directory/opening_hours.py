"""Opening hours as people write them, read well enough to say "open now".

Centres keep their hours as free text, one line per day or period
("Mon-Thu 9:00-18:00", "Tue and Thu 10:00-19:00", "Mo, Mi, Fr 9-15",
"24/7"). This reads the lines it understands; a line it does not understand
is simply not used to claim that a centre is open (the text is still shown).
Pure functions, no database; the time zone is the deployment's.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

# Monday = 0. English and German abbreviations and names.
_DAYS = {
    "mon": 0, "monday": 0, "mo": 0, "montag": 0,
    "tue": 1, "tues": 1, "tuesday": 1, "di": 1, "dienstag": 1,
    "wed": 2, "wednesday": 2, "mi": 2, "mittwoch": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "do": 3, "donnerstag": 3,
    "fri": 4, "friday": 4, "fr": 4, "freitag": 4,
    "sat": 5, "saturday": 5, "sa": 5, "samstag": 5,
    "sun": 6, "sunday": 6, "so": 6, "sonntag": 6,
}  # fmt: skip
_ALWAYS = re.compile(r"^\s*(24\s*/\s*7|24 hours|rund um die uhr|always open|immer)\b", re.I)
_TIME = r"(\d{1,2})(?:[:.](\d{2}))?"
_LINE = re.compile(
    rf"^\s*(?P<days>[^\d]+?)\s*:?\s*{_TIME}\s*[-\u2013]\s*{_TIME}\s*(?:uhr|h)?\s*$", re.I
)


@dataclass(frozen=True)
class Period:
    days: frozenset[int]
    start: datetime.time
    end: datetime.time

    def covers(self, when: datetime.datetime) -> bool:
        return when.weekday() in self.days and self.start <= when.time() < self.end


def _days(text: str) -> frozenset[int] | None:
    days: set[int] = set()
    for part in re.split(r"\s*(?:,|&|\band\b|\bund\b|/)\s*", text.strip().lower()):
        if not part:
            continue
        ends = [end.strip().rstrip(".") for end in re.split(r"\s*[-\u2013]\s*", part)]
        if len(ends) == 1 and ends[0] in _DAYS:
            days.add(_DAYS[ends[0]])
        elif len(ends) == 2 and ends[0] in _DAYS and ends[1] in _DAYS:
            first, last = _DAYS[ends[0]], _DAYS[ends[1]]
            day = first
            while True:
                days.add(day)
                if day == last:
                    break
                day = (day + 1) % 7
        else:
            return None
    return frozenset(days) or None


def _time(hours: str, minutes: str | None) -> datetime.time | None:
    hour, minute = int(hours), int(minutes or 0)
    if hour == 24 and minute == 0:
        return datetime.time.max
    if hour > 23 or minute > 59:
        return None
    return datetime.time(hour, minute)


def parse(text: str) -> tuple[bool, list[Period]]:
    """(always open, the periods understood) for an opening-hours text."""
    periods: list[Period] = []
    for line in text.splitlines():
        if _ALWAYS.match(line):
            return True, []
        match = _LINE.match(line)
        if not match:
            continue
        days = _days(match.group("days"))
        start = _time(match.group(2), match.group(3))
        end = _time(match.group(4), match.group(5))
        if days and start is not None and end is not None and start < end:
            periods.append(Period(days, start, end))
    return False, periods


def is_open(text: str, when: datetime.datetime) -> bool:
    """Whether ``text`` says it is open at ``when`` (local time of the deployment)."""
    always, periods = parse(text)
    return always or any(period.covers(when) for period in periods)


# Day abbreviations as each language writes them (Monday first).
_SHORT_DAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
}


def _day_runs(days: frozenset[int], names: tuple[str, ...]) -> str:
    ordered = sorted(days)
    runs: list[list[int]] = []
    for day in ordered:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(
        names[run[0]] if len(run) == 1 else f"{names[run[0]]}\u2013{names[run[-1]]}" for run in runs
    )


def _clock(value: datetime.time) -> str:
    return "24:00" if value == datetime.time.max else f"{value.hour}:{value.minute:02d}"


def display_line(line: str, language: str) -> str:
    """One line of opening hours as the page's language writes it.

    A line this module understands ("Mon-Thu 9:00-18:00", "Mo, Mi 9-15 Uhr")
    is written anew with that language's day names; "24/7" becomes "around
    the clock"; any other line is shown exactly as the centre wrote it.
    """
    from django.utils.translation import gettext

    if _ALWAYS.match(line):
        return gettext("Around the clock")
    match = _LINE.match(line)
    names = _SHORT_DAYS.get(language[:2], _SHORT_DAYS["en"])
    if match:
        days = _days(match.group("days"))
        start = _time(match.group(2), match.group(3))
        end = _time(match.group(4), match.group(5))
        if days and start is not None and end is not None and start < end:
            return f"{_day_runs(days, names)} {_clock(start)}\u2013{_clock(end)}"
    return line
