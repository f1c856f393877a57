"""Reply-time targets per queue and urgency: working days, breaches, the share in the statistics."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from forestall.inbox import actions
from forestall.inbox.targets import add_working_days, parse_target, target_for
from forestall.stats.events import Event
from forestall.stats.models import DailyCount
from tests.factories_inbox import make_conversation


def _local(*args):
    return timezone.make_aware(datetime.datetime(*args))


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        ((2026, 11, 27, 15, 0), 3, (2026, 12, 2, 15, 0)),  # Friday → Wednesday
        ((2026, 11, 23, 9, 30), 3, (2026, 11, 26, 9, 30)),  # Monday → Thursday
        ((2026, 11, 28, 10, 0), 3, (2026, 12, 3, 0, 0)),  # Saturday: clock starts Monday
        ((2026, 11, 29, 23, 0), 1, (2026, 12, 1, 0, 0)),  # Sunday night → Tuesday 00:00
    ],
)
def test_working_days_skip_weekends(start, days, due):
    assert add_working_days(_local(*start), days) == _local(*due)


def test_working_days_skip_holidays(settings):
    settings.FORESTALL_HOLIDAYS = ["2026-12-24", "2026-12-25"]
    assert add_working_days(_local(2026, 12, 23, 12, 0), 2) == _local(2026, 12, 29, 12, 0)


def test_working_days_keep_the_local_time_across_a_clock_change():
    # Europe/Berlin leaves summer time on Sunday 25 October 2026.
    assert add_working_days(_local(2026, 10, 23, 14, 0), 1) == _local(2026, 10, 26, 14, 0)


def test_malformed_targets_fail_loudly():
    for text in ("4", "0h", "three days", "4w"):
        with pytest.raises(ImproperlyConfigured):
            parse_target(text)


def test_targets_are_chosen_by_queue_and_urgency(settings, centre_a, centre_b):
    settings.FORESTALL_REPLY_TARGETS = {
        "default": {"urgent": "4h", "normal": "3wd"},
        centre_b.slug: {"urgent": "1h"},
        "network": {"normal": "2d"},
    }
    assert target_for(make_conversation(centre_a)) == parse_target("3wd")
    assert target_for(make_conversation(centre_a, urgent=True)) == parse_target("4h")
    assert target_for(make_conversation(centre_b, urgent=True)) == parse_target("1h")
    assert target_for(make_conversation(centre_b)) == parse_target("3wd")
    assert target_for(make_conversation(None)) == parse_target("2d")


def test_the_queue_marks_a_breach_and_shows_the_target(counsellor_a, centre_a, sign_in):
    overdue = make_conversation(centre_a, urgent=True, waited=datetime.timedelta(hours=5))
    fresh = make_conversation(centre_a, urgent=True, waited=datetime.timedelta(minutes=30))
    response = sign_in(counsellor_a).get(reverse("inbox:queue"))
    rows = {row.pk: row for row in response.context["rows"]}
    assert rows[overdue.pk].target_state.breached
    assert not rows[fresh.pk].target_state.breached
    page = response.content.decode()
    assert page.count("Overdue: target 4\xa0hours") + page.count("Overdue: target 4 hours") == 1
    assert 'class="breached"' in page


def _replies(detail: str, centre=None) -> int:
    rows = DailyCount.objects.filter(event=Event.REPLY_SENT, detail=detail)
    if centre is not None:
        rows = rows.filter(centre=centre)
    return sum(rows.values_list("count", flat=True))


def test_replies_are_counted_within_or_over_their_target(counsellor_a, centre_a):
    late = make_conversation(centre_a, urgent=True, waited=datetime.timedelta(hours=6))
    prompt = make_conversation(centre_a, urgent=True, waited=datetime.timedelta(hours=1))
    for conversation in (late, prompt):
        actions.claim_conversation(counsellor_a, conversation)
        actions.send_reply(counsellor_a, conversation, "Thank you for writing.")
    assert _replies("within_target", centre_a) == 1
    assert _replies("target_missed", centre_a) == 1
    # A second reply while nobody waits is not a reply to a waiting person.
    actions.send_reply(counsellor_a, prompt, "And one more thing.")
    assert _replies("within_target") + _replies("target_missed") == 2


def test_the_statistics_page_shows_the_share_within_target(
    counsellor_a, centre_a, manager_a, sign_in
):
    for waited in (datetime.timedelta(hours=1), datetime.timedelta(hours=2)):
        conversation = make_conversation(centre_a, urgent=True, waited=waited)
        actions.claim_conversation(counsellor_a, conversation)
        actions.send_reply(counsellor_a, conversation, "Hello.")
    late = make_conversation(centre_a, urgent=True, waited=datetime.timedelta(hours=9))
    actions.claim_conversation(counsellor_a, late)
    actions.send_reply(counsellor_a, late, "Sorry for the wait.")
    response = sign_in(manager_a).get(reverse("stats:centre", args=[centre_a.pk]))
    assert response.status_code == 200
    table = response.context["reply_target_table"]
    assert len(table.rows) == 1
    heading, values = table.rows[0]
    assert heading == centre_a.name
    assert values[1:3] == [3, 2]
    assert "Replies within the reply-time target" in response.content.decode()
