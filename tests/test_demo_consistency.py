"""The demo statistics tell one consistent story per centre.

A centre's month-end waiting list must agree with its median wait: by
Little's law the number of people waiting is about the number joining per
day times the (mean) wait. Before, the demo list started empty two years
ago and grew steadily, so a centre showed a few people waiting next to a
two-month median wait.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from forestall.stats import demo
from forestall.stats.events import Event
from forestall.stats.figures import Period, Scope, figures


@pytest.fixture
def demo_network(db):
    from forestall.demo import DemoNetwork
    from forestall.directory import demo as directory_demo

    network = DemoNetwork()
    directory_demo.seed(network)
    demo.seed(network)
    return network


def test_each_centres_waiting_list_agrees_with_its_median_wait(demo_network):
    today = timezone.localdate()
    whole = Period(today - datetime.timedelta(days=demo.DAYS), today)
    last_year = Period.last_months(12, today)
    for slug in demo.CENTRE_SIZE:
        centre = demo_network.centres[slug]
        scope = Scope(centre_ids=(centre.pk,))
        year = figures(scope, last_year)
        median = year.durations[Event.THERAPY_STARTED].median
        assert median is not None and median.hours is not None, slug
        joining_per_day = year.totals[Event.WAITLISTED] / ((today - last_year.start).days + 1)
        expected = joining_per_day * median.hours / 24
        months = sorted(year.waiting_list)[:-1]  # whole months only
        average = sum(year.waiting_list[month] for month in months) / len(months)
        assert 0.6 * expected <= average <= 2.0 * expected, (slug, average, expected)
        # Already waiting when the history begins: the first month-end is not empty.
        first_month = figures(scope, whole).waiting_list
        assert first_month[min(first_month)] >= 0.5 * expected, slug
