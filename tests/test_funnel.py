"""The figures of the dashboards match an independent computation over the same events."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forestall.directory.models import Centre, Region
from forestall.stats import figures as fig
from forestall.stats import tables
from forestall.stats.events import Detail, Event, bucket_for
from tests import factories
from tests.factories_stats import seed_counts

START = datetime.date(2024, 1, 1)
PERIOD = fig.Period(datetime.date(2024, 2, 1), datetime.date(2024, 5, 31))


# The events are recorded once for the module (``module_db``) and only read;
# a test that records events of its own does so outside their 180 days.


@pytest.fixture(scope="module")
def _seeded(module_db) -> tuple[dict[str, object], list]:
    north, south = factories.make_region("North"), factories.make_region("South")
    centres = [
        factories.make_centre("Centre A", north),
        factories.make_centre("Centre B", north),
        factories.make_centre("Centre C", south),
    ]
    recorded = seed_counts(centres, start=START, days=180)
    return {"north": north.pk, "centre_a": centres[0].pk}, recorded


@pytest.fixture
def seeded(_seeded, db) -> list:
    """What was recorded at centres A, B and C (and network-wide) over 180 days from START."""
    return list(_seeded[1])


@pytest.fixture
def centre_a(_seeded, db) -> Centre:
    return Centre.objects.get(pk=_seeded[0]["centre_a"])


@pytest.fixture
def north(_seeded, db) -> Region:
    return Region.objects.get(pk=_seeded[0]["north"])


def _in(period, item):
    return period.start <= item.day <= period.end


def _centre_ids(item):
    return item.centre.pk if item.centre else None


def test_the_funnel_steps_are_the_sums_of_recorded_events(seeded):
    figures = fig.figures(fig.Scope(), PERIOD)

    expected = Counter()
    for item in seeded:
        if _in(PERIOD, item):
            expected[item.event] += item.count
    assert figures.funnel.steps == {step: expected[step] for step in fig.FUNNEL_STEPS}
    assert figures.totals == {event: n for event, n in expected.items() if n}
    losses = figures.funnel.losses()
    assert losses[0] == (
        Event.CONTACT,
        Event.CASE_OPENED,
        expected[Event.CONTACT] - expected[Event.CASE_OPENED],
    )


def test_a_centre_sees_only_its_own_counts(seeded, centre_a):
    figures = fig.figures(fig.Scope(centre_ids=(centre_a.pk,)), PERIOD)
    expected = Counter()
    for item in seeded:
        if _in(PERIOD, item) and item.centre == centre_a:
            expected[item.event] += item.count
    assert figures.funnel.steps == {step: expected[step] for step in fig.FUNNEL_STEPS}


def test_a_region_is_the_sum_of_its_centres(seeded, centre_a, north):
    figures = fig.figures(fig.Scope(region_id=north.pk), PERIOD)
    expected = Counter()
    for item in seeded:
        if _in(PERIOD, item) and item.centre and item.centre.region_id == north.pk:
            expected[item.event] += item.count
    assert figures.funnel.steps == {step: expected[step] for step in fig.FUNNEL_STEPS}


def test_the_funnel_per_centre_and_per_region_match(seeded):
    by_centre = fig.funnel_by(fig.Scope(), PERIOD, "centre_id")
    by_region = fig.funnel_by(fig.Scope(), PERIOD, "region_id")
    expected_centre = defaultdict(Counter)
    expected_region = defaultdict(Counter)
    for item in seeded:
        if _in(PERIOD, item) and item.centre and item.event in fig.FUNNEL_STEPS:
            expected_centre[item.centre.pk][item.event] += item.count
            expected_region[item.centre.region_id][item.event] += item.count
    assert by_centre == {k: dict(v) for k, v in expected_centre.items()}
    assert by_region == {k: dict(v) for k, v in expected_region.items()}


def test_exits_are_counted_by_the_stage_people_left_at(seeded):
    figures = fig.figures(fig.Scope(), PERIOD)
    expected = Counter()
    for item in seeded:
        if _in(PERIOD, item) and item.event in (
            Event.WITHDREW,
            Event.LOST_CONTACT,
            Event.NOT_SUITABLE,
        ):
            expected[(item.event, item.detail)] += item.count
    assert (
        figures.funnel.exits[Event.WITHDREW][Detail.SCREENING]
        == expected[(Event.WITHDREW, Detail.SCREENING)]
    )
    assert (
        figures.funnel.exits[Event.LOST_CONTACT][Detail.WAITING_LIST]
        == expected[(Event.LOST_CONTACT, Detail.WAITING_LIST)]
    )
    assert (
        figures.funnel.exits[Event.NOT_SUITABLE][Detail.ASSESSMENT]
        == expected[(Event.NOT_SUITABLE, Detail.ASSESSMENT)]
    )


def test_contacts_per_month_by_pathway_channel_and_language(seeded):
    figures = fig.figures(fig.Scope(), PERIOD)
    for dimension in ("pathway", "channel", "language"):
        expected = defaultdict(Counter)
        for item in seeded:
            if _in(PERIOD, item) and item.event == Event.CONTACT:
                expected[getattr(item, dimension)][item.day.replace(day=1)] += item.count
        assert figures.reach[dimension] == {k: dict(v) for k, v in expected.items()}


def test_monthly_counts_match(seeded):
    figures = fig.figures(fig.Scope(), PERIOD)
    expected = Counter()
    for item in seeded:
        if _in(PERIOD, item) and item.event == Event.CASE_OPENED:
            expected[item.day.replace(day=1)] += item.count
    assert figures.monthly[Event.CASE_OPENED] == dict(expected)


def test_response_time_buckets_and_answered_share(seeded):
    figures = fig.figures(fig.Scope(), PERIOD)
    expected = Counter()
    contacts = replies = 0
    for item in seeded:
        if not _in(PERIOD, item):
            continue
        if item.event == Event.FIRST_REPLY_SENT:
            expected[bucket_for(item.duration)] += item.count
            replies += item.count
        if item.event == Event.CONTACT:
            contacts += item.count
    assert figures.durations[Event.FIRST_REPLY_SENT].counts == dict(expected)
    assert figures.answered_share.denominator == contacts
    assert figures.answered_share.numerator == min(replies, contacts)


def test_the_waiting_list_is_joined_minus_left_since_the_beginning(seeded):
    figures = fig.figures(fig.Scope(), PERIOD)
    for month in PERIOD.months():
        year, number = divmod(month.year * 12 + month.month, 12)
        month_end = datetime.date(year, number + 1, 1) - datetime.timedelta(days=1)
        size = 0
        for item in seeded:
            if item.day > month_end:
                continue
            if item.event == Event.WAITLISTED:
                size += item.count
            elif item.event == Event.LOST_CONTACT and item.detail == Detail.WAITING_LIST:
                size -= item.count
        # therapy_started in the seeded set carries no waiting time: a direct start.
        assert figures.waiting_list[month] == max(size, 0)


def test_outcome_rates_use_the_right_denominators(seeded):
    figures = fig.figures(fig.Scope(), PERIOD)
    counts = Counter()
    for item in seeded:
        if _in(PERIOD, item):
            counts[(item.event, item.detail)] += item.count
    at_caseness = counts[(Event.COURSE_FINISHED, Detail.AT_CASENESS)]
    finished = at_caseness + counts[(Event.COURSE_FINISHED, Detail.NOT_AT_CASENESS)]
    recovery = figures.outcomes["recovery"]
    assert recovery.denominator == at_caseness
    assert recovery.numerator == min(counts[(Event.RECOVERED, "")], at_caseness)
    assert figures.outcomes["reliable_improvement"].denominator == finished


def test_protective_actions_agreed_and_taken(seeded):
    table = tables.protective_actions(tables.load_counts(fig.Scope(), PERIOD))
    agreed = sum(
        i.count for i in seeded if _in(PERIOD, i) and i.event == Event.PROTECTIVE_ACTION_AGREED
    )
    taken = sum(
        i.count for i in seeded if _in(PERIOD, i) and i.event == Event.PROTECTIVE_ACTION_TAKEN
    )
    row = [key for key, _label in table.rows].index(Detail.STOP_SITES)
    assert table.cells[row] == [agreed, taken]


def test_the_figures_take_a_fixed_number_of_queries(seeded, centre_a):
    with CaptureQueriesContext(connection) as small:
        fig.figures(fig.Scope(centre_ids=(centre_a.pk,)), fig.Period(START, START))
    with CaptureQueriesContext(connection) as large:
        fig.figures(fig.Scope(), fig.Period(START, datetime.date(2024, 6, 30)))
    assert len(small) == len(large) <= 10


@pytest.mark.parametrize(
    ("successes", "trials", "lower", "upper"),
    [
        # Reference values from the Wilson formula (Newcombe 1998, table I).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (20, 20, 0.8389, 1.0),
    ],
)
def test_wilson_intervals_match_published_values(successes, trials, lower, upper):
    low, high = fig.wilson_interval(successes, trials)
    assert low == pytest.approx(lower, abs=5e-4)
    assert high == pytest.approx(upper, abs=5e-4)


def test_percentiles_interpolate_inside_their_bucket():
    # 10 replies: 5 under an hour, 5 in 1-4 hours.
    counts = {"<1h": 5, "1-4h": 5}
    assert fig.percentile_from_buckets(counts, 0.5).hours == pytest.approx(1.0)
    assert fig.percentile_from_buckets(counts, 0.9).hours == pytest.approx(1 + 0.8 * 3)
    assert fig.percentile_from_buckets({">6m": 3}, 0.5).open_ended
    assert fig.percentile_from_buckets({}, 0.5) is None


def test_the_last_months_period_covers_whole_months():
    period = fig.Period.last_months(11, datetime.date(2025, 3, 14))
    assert period.start == datetime.date(2024, 4, 1)
    assert period.end == datetime.date(2025, 3, 14)
    assert len(period.months()) == 12


def test_network_contacts_without_a_centre_count_for_the_network_only(db):
    centre = factories.make_centre()
    from forestall.stats import actions

    # The day before the module's recorded events (``_seeded``) begin.
    day = START - datetime.timedelta(days=1)
    actions.record(Event.CONTACT, day=day)
    actions.record(Event.CONTACT, centre=centre, day=day)
    period = fig.Period(day, day)
    assert fig.figures(fig.Scope(), period).funnel.steps[Event.CONTACT] == 2
    assert fig.figures(fig.Scope(centre_ids=(centre.pk,)), period).funnel.steps[Event.CONTACT] == 1


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime.date(2024, 2, 10), datetime.date(2024, 5, 20)),  # partial months at both ends
        (datetime.date(2024, 3, 5), datetime.date(2024, 3, 25)),  # inside one month
        (datetime.date(2024, 1, 1), datetime.date(2024, 6, 28)),  # whole months, partial tail
    ],
)
def test_periods_that_cut_months_add_up_from_daily_and_monthly_counts(seeded, start, end):
    period = fig.Period(start, end)
    figures = fig.figures(fig.Scope(), period)
    expected = Counter()
    monthly = Counter()
    for item in seeded:
        if _in(period, item):
            expected[item.event] += item.count
            if item.event == Event.CONTACT:
                monthly[item.day.replace(day=1)] += item.count
    assert figures.totals == {event: n for event, n in expected.items() if n}
    assert figures.monthly[Event.CONTACT] == dict(monthly)
