"""Opening hours as centres write them, read well enough to say "open now"."""

from __future__ import annotations

import datetime

import pytest

from forestall.directory.opening_hours import is_open, parse

MONDAY_10 = datetime.datetime(2026, 11, 30, 10, 0)
FRIDAY_15 = datetime.datetime(2026, 12, 4, 15, 0)
SUNDAY_3 = datetime.datetime(2026, 12, 6, 3, 0)


@pytest.mark.parametrize(
    ("text", "when", "expected"),
    [
        ("Mon-Thu 9:00-18:00\nFri 9:00-14:00", MONDAY_10, True),
        ("Mon-Thu 9:00-18:00\nFri 9:00-14:00", FRIDAY_15, False),
        ("Mon-Fri 8:30-16:30", FRIDAY_15, True),
        ("Tue and Thu 10:00-19:00", MONDAY_10, False),
        ("Mon, Wed, Fri 9:00-15:00", MONDAY_10, True),
        ("Mo-Do 9-18 Uhr", MONDAY_10, True),
        ("Sa-Mo 0:00-24:00", SUNDAY_3, True),
        ("24/7", SUNDAY_3, True),
        ("rund um die Uhr", SUNDAY_3, True),
    ],
)
def test_common_ways_of_writing_hours_are_understood(text, when, expected):
    assert is_open(text, when) is expected


def test_the_end_of_a_period_is_closed():
    assert not is_open("Mon 9:00-10:00", MONDAY_10)


@pytest.mark.parametrize("text", ["", "by appointment", "Mon 25:00-26:00", "Mon 18:00-9:00"])
def test_hours_it_cannot_read_never_claim_open(text):
    assert parse(text) == (False, [])
    assert not is_open(text, MONDAY_10)
