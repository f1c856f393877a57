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


@pytest.mark.parametrize(
    ("line", "language", "shown"),
    [
        ("Mon-Thu 9:00-18:00", "de", "Mo\u2013Do 9:00\u201318:00"),
        ("Mon-Thu 9:00-18:00", "en", "Mon\u2013Thu 9:00\u201318:00"),
        ("Tue and Thu 10:00-19:00", "de", "Di, Do 10:00\u201319:00"),
        ("Mo, Mi, Fr 9-15 Uhr", "en", "Mon, Wed, Fri 9:00\u201315:00"),
        ("Sat-Sun 10-24", "de", "Sa\u2013So 10:00\u201324:00"),
        ("by appointment only", "de", "by appointment only"),
    ],
)
def test_hours_it_understands_are_written_in_the_pages_language(line, language, shown):
    from forestall.directory.opening_hours import display_line

    assert display_line(line, language) == shown


def test_the_german_centre_page_shows_german_day_names(db, client):
    from tests import factories

    centre = factories.make_centre(
        "Open Centre", opening_hours="Mon-Thu 9:00-18:00\n24/7 hotline", is_active=True
    )
    german = client.get(f"/de/centres/{centre.slug}/").content.decode()
    assert "Mo\u2013Do 9:00\u201318:00" in german
    assert "Rund um die Uhr" in german
    assert "Mon-Thu" not in german
    english = client.get(f"/centres/{centre.slug}/").content.decode()
    assert "Mon\u2013Thu 9:00\u201318:00" in english
