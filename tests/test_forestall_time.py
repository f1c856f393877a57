"""``|time_element`` is the markup of the two ``date`` filters it replaces, remembered or not."""

from __future__ import annotations

import datetime

from django.template import Context, Template
from django.utils import timezone, translation

_BOTH = Template(
    "{% load forestall_time %}{{ moment|time_element }}|"
    "<time datetime=\"{{ moment|date:'c' }}\">{{ moment|date:'DATETIME_FORMAT' }}</time>"
)


def test_the_same_markup_in_each_language_and_time_zone():
    moment = datetime.datetime(2026, 3, 29, 0, 30, tzinfo=datetime.UTC)  # a clock change
    for language in ("en", "de"):
        for zone in ("Europe/Berlin", "UTC", "America/New_York"):
            with translation.override(language), timezone.override(zone):
                for _round in range(2):  # the second from the remembered markup
                    ours, filters = _BOTH.render(Context({"moment": moment})).split("|")
                    assert ours == filters, (language, zone)
    with translation.override("de"), timezone.override("Europe/Berlin"):
        assert "März" in _BOTH.render(Context({"moment": moment}))


def test_a_missing_moment_shows_nothing():
    template = Template("{% load forestall_time %}[{{ moment|time_element }}]")
    assert template.render(Context({"moment": None})) == "[]"


def test_time_elements_for_one_page_are_the_filters_markup():
    from forestall.templatetags.forestall_time import time_element, time_elements

    aware = datetime.datetime(2026, 3, 29, 0, 30, tzinfo=datetime.UTC)
    naive = datetime.datetime(2026, 3, 29, 0, 30)
    for language in ("en", "de"):
        for zone in ("Europe/Berlin", "America/New_York"):
            with translation.override(language), timezone.override(zone):
                element = time_elements()
                for moment in (aware, naive, None):
                    assert element(moment) == time_element(moment), (language, zone, moment)
