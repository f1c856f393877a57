"""Recording de-identified counts: what ``stats.record`` accepts, refuses and stores."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, models

from forestall.stats import actions
from forestall.stats.events import Detail, DurationBucket, Event, bucket_for
from forestall.stats.models import DailyCount, MonthlyCount, Source

DAY = datetime.date(2025, 3, 14)


def _rows():
    return list(
        DailyCount.objects.order_by("event", "detail").values(
            "day",
            "event",
            "centre_id",
            "region_id",
            "channel",
            "language",
            "pathway",
            "detail",
            "duration_bucket",
            "source",
            "count",
        )
    )


def test_it_counts_an_event_with_its_centre_and_region(centre_a):
    actions.record(Event.CASE_OPENED, centre=centre_a, channel="phone", language="de", day=DAY)

    [row] = _rows()
    assert row["event"] == "case_opened"
    assert row["centre_id"] == centre_a.pk
    assert row["region_id"] == centre_a.region_id
    assert row["channel"] == "phone"
    assert row["language"] == "de"
    assert row["day"] == DAY
    assert row["source"] == Source.LIVE
    assert row["count"] == 1


def test_repeated_events_increment_one_row(centre_a):
    for _ in range(3):
        actions.record(Event.ASSESSED, centre=centre_a, day=DAY)
    actions.record(Event.ASSESSED, centre=centre_a, day=DAY, count=4)

    [row] = _rows()
    assert row["count"] == 7


def test_network_level_events_without_a_centre_share_one_row(db):
    actions.record(Event.MAILBOX_STARTED, pathway="self", language="en", day=DAY)
    actions.record(Event.MAILBOX_STARTED, pathway="self", language="en", day=DAY)

    [row] = _rows()
    assert row["centre_id"] is None
    assert row["region_id"] is None
    assert row["count"] == 2


def test_different_dimensions_are_different_rows(centre_a, centre_b):
    actions.record(Event.CONTACT, centre=centre_a, day=DAY)
    actions.record(Event.CONTACT, centre=centre_b, day=DAY)
    actions.record(Event.CONTACT, centre=centre_a, day=DAY + datetime.timedelta(days=1))
    actions.record(Event.CONTACT, centre=centre_a, day=DAY, language="tr")

    assert DailyCount.objects.count() == 4


def test_the_day_defaults_to_today(db):
    from django.utils import timezone

    actions.record(Event.SELF_CHECK_COMPLETED, detail=Detail.SELF_HELP)
    assert DailyCount.objects.get().day == timezone.localdate()


def test_a_duration_is_kept_only_as_a_coarse_bucket(centre_a):
    actions.record(
        Event.FIRST_REPLY_SENT,
        centre=centre_a,
        duration=datetime.timedelta(hours=5, minutes=17, seconds=3),
        day=DAY,
    )
    assert DailyCount.objects.get().duration_bucket == DurationBucket.H4_24


@pytest.mark.parametrize(
    ("duration", "bucket"),
    [
        (datetime.timedelta(0), "<1h"),
        (datetime.timedelta(minutes=59), "<1h"),
        (datetime.timedelta(hours=1), "1-4h"),
        (datetime.timedelta(hours=23, minutes=59), "4-24h"),
        (datetime.timedelta(days=1), "1-3d"),
        (datetime.timedelta(days=6), "3-7d"),
        (datetime.timedelta(days=7), "1-2w"),
        (datetime.timedelta(days=20), "2-4w"),
        (datetime.timedelta(days=60), "1-3m"),
        (datetime.timedelta(days=120), "3-6m"),
        (datetime.timedelta(days=400), ">6m"),
        (datetime.timedelta(days=-3), "<1h"),
    ],
)
def test_durations_fall_into_their_bucket(duration, bucket):
    assert bucket_for(duration) == bucket


@pytest.mark.parametrize(
    "kwargs",
    [
        {"event": "person_identified"},
        {"event": Event.CONTACT, "detail": "Max Mustermann, Hauptstr. 1"},
        {"event": Event.CONTACT, "channel": "carrier pigeon"},
        {"event": Event.CONTACT, "pathway": "neighbour of Anna"},
        {"event": Event.CONTACT, "language": "call me on 0170 1234567"},
        {"event": Event.CONTACT, "count": 0},
        {"event": Event.CONTACT, "count": -2},
        {"event": Event.CONTACT, "day": datetime.datetime(2025, 3, 14, 13, 37)},
        {"event": Event.CONTACT, "duration": 37},
    ],
)
def test_it_refuses_values_outside_the_vocabularies(db, kwargs):
    event = kwargs.pop("event")
    with pytest.raises(ValueError):
        actions.record(event, **kwargs)
    assert not DailyCount.objects.exists()


@pytest.mark.parametrize(
    "forbidden",
    [
        "mailbox",
        "mailbox_id",
        "person",
        "client",
        "client_id",
        "case",
        "user",
        "codename",
        "conversation",
        "timestamp",
        "at",
        "note",
        "text",
        "ip",
    ],
)
def test_it_refuses_anything_that_could_identify_a_person(db, forbidden):
    with pytest.raises(TypeError):
        actions.record(Event.CONTACT, **{forbidden: "x"})
    assert not DailyCount.objects.exists()


def test_unknown_language_codes_are_counted_as_other(db):
    actions.record(Event.CONTACT, language="pt-BR", day=DAY)
    actions.record(Event.CONTACT, language="de-AT", day=DAY)
    assert sorted(DailyCount.objects.values_list("language", flat=True)) == ["de", "other"]


@pytest.mark.parametrize(("model", "time_column"), [(DailyCount, "day"), (MonthlyCount, "month")])
def test_the_count_tables_hold_nothing_that_identifies_a_person(model, time_column):
    """Over the tables' columns: only the day (or month), the centre/region and vocabularies."""
    fields = {field.name: field for field in model._meta.concrete_fields}
    assert set(fields) == {
        "id",
        time_column,
        "event",
        "centre",
        "region",
        "channel",
        "language",
        "pathway",
        "detail",
        "duration_bucket",
        "source",
        "count",
    }
    relations = {name for name, field in fields.items() if field.is_relation}
    assert relations == {"centre", "region"}
    assert {fields[name].related_model._meta.label for name in relations} == {
        "directory.Centre",
        "directory.Region",
    }
    for name, field in fields.items():
        assert not isinstance(field, models.DateTimeField | models.TimeField), name
        if isinstance(field, models.CharField):
            # Every text column is a closed vocabulary: no room for free text.
            assert field.choices, f"{name} must be a fixed vocabulary"
            assert field.max_length <= 32
        assert not isinstance(field, models.TextField | models.JSONField | models.BinaryField)


def test_the_stats_app_stores_only_the_count_tables():
    from django.apps import apps

    names = [model.__name__ for model in apps.get_app_config("stats").get_models()]
    # NoisyRelease keeps the published, differentially private release of a
    # period: aggregated figures only (see test_differential_privacy).
    assert names == ["DailyCount", "MonthlyCount", "NoisyRelease"]


def test_the_monthly_table_is_the_daily_table_summed_by_month(centre_a):
    actions.record(Event.CONTACT, centre=centre_a, day=DAY, count=2)
    actions.record(Event.CONTACT, centre=centre_a, day=DAY + datetime.timedelta(days=3))
    actions.record(Event.CONTACT, centre=centre_a, day=DAY + datetime.timedelta(days=30))
    actions.add_counts([actions.count_row(Event.CONTACT, day=DAY, count=5, source=Source.DEMO)])
    months = sorted(MonthlyCount.objects.values_list("month", "source", "count"))
    assert months == [
        (datetime.date(2025, 3, 1), "demo", 5),
        (datetime.date(2025, 3, 1), "live", 3),
        (datetime.date(2025, 4, 1), "live", 1),
    ]
    assert actions.rebuild_monthly() == 3
    assert sorted(MonthlyCount.objects.values_list("month", "source", "count")) == months
    actions.delete_counts(Source.DEMO)
    assert not MonthlyCount.objects.filter(source=Source.DEMO).exists()
    with pytest.raises(ValueError):
        actions.delete_counts(Source.LIVE)


def test_a_recorded_event_joins_the_callers_transaction(centre_a):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        actions.record(Event.CASE_OPENED, centre=centre_a, day=DAY)
        raise RuntimeError("the case could not be opened")
    assert not DailyCount.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_lose_a_count(centre_a):
    if connection.vendor == "sqlite":
        pytest.skip("the test database is in memory there, not shared between threads")
    errors: list[BaseException] = []

    def work() -> None:
        from django.db import connections

        try:
            for _ in range(20):
                actions.record(Event.CONTACT, centre=centre_a, day=DAY)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert DailyCount.objects.get().count == 80


def test_add_counts_merges_and_upserts_many_rows(centre_a):
    rows = [
        actions.count_row(Event.CONTACT, centre=centre_a, day=DAY, count=2, source=Source.DEMO),
        actions.count_row(Event.CONTACT, centre=centre_a, day=DAY, count=3, source=Source.DEMO),
        actions.count_row(Event.ASSESSED, centre=centre_a, day=DAY, source=Source.DEMO),
    ]
    assert actions.add_counts(rows, batch_size=1) == 6
    assert actions.add_counts(rows[:1]) == 2
    assert dict(DailyCount.objects.values_list("event", "count")) == {"contact": 7, "assessed": 1}


def test_the_mailbox_channel_is_counted_as_secure_messaging(db):
    actions.record(Event.FIRST_REPLY_SENT, channel="mailbox", day=DAY)
    assert DailyCount.objects.get().channel == "messaging"


def test_every_protective_action_kind_of_the_inbox_is_in_the_vocabulary():
    from forestall.inbox.models import ProtectiveActionKind

    assert set(ProtectiveActionKind.values) <= set(Detail.values)


def test_every_pathway_stage_of_the_cases_is_in_the_vocabulary():
    from forestall.cases.pathway import OPEN_STAGES

    assert {str(stage) for stage in OPEN_STAGES} <= set(Detail.values)


# --- what the capabilities record, and rebuilding it from their records -------


def _flows(centre, clinician, lead):
    """Drive real flows of the front door, the cases and safeguarding."""
    from forestall.cases.actions import open_case_for_new_client, transition_case
    from forestall.inbox.actions import post_seeker_message, start_mailbox
    from forestall.safeguarding.actions import decide_concern, raise_concern, start_review

    mailbox, _codename = start_mailbox("de", "self")
    post_seeker_message(mailbox, "Ich mache mir Sorgen.", centre)
    case = open_case_for_new_client(centre, by=clinician, language="tr")
    for stage in ("screening", "assessment", "waiting_list", "in_treatment"):
        transition_case(case, stage, by=clinician)
    other = open_case_for_new_client(centre, by=clinician)
    transition_case(other, "withdrew", by=clinician)
    concern = raise_concern(by=lead, level="concern", description="A worry.", case=case)
    start_review(concern, by=lead)
    decide_concern(concern, by=lead, decision="advice_given", note="Advice given.")


def _table(source):
    fields = (
        "day",
        "event",
        "centre_id",
        "region_id",
        "channel",
        "language",
        "pathway",
        "detail",
        "duration_bucket",
        "count",
    )
    return sorted(DailyCount.objects.filter(source=source).values_list(*fields), key=str)


def test_real_flows_record_only_vocabulary_values(centre_a, clinician_a, safeguarding_lead_a):
    _flows(centre_a, clinician_a, safeguarding_lead_a)
    rows = DailyCount.objects.filter(source=Source.LIVE)
    events = set(rows.values_list("event", flat=True))
    assert {
        "mailbox_started",
        "contact",
        "case_opened",
        "screened",
        "assessed",
        "waitlisted",
        "therapy_started",
        "withdrew",
        "concern_raised",
        "concern_decided",
    } <= events
    for row in rows:
        assert row.centre_id in (None, centre_a.pk)
        assert row.detail in ("", *Detail.values)
    assert rows.get(event="withdrew").detail == "enquiry"
    assert rows.get(event="concern_decided").detail == "advice_given"


def test_the_backfill_rebuilds_what_the_flows_recorded(centre_a, clinician_a, safeguarding_lead_a):
    from forestall.stats.backfill import backfill

    _flows(centre_a, clinician_a, safeguarding_lead_a)
    live = _table(Source.LIVE)
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    before, totals = backfill(tomorrow, apply=True)
    assert before == tomorrow
    assert _table(Source.BACKFILL) == live
    assert totals["case_opened"] == 2


def test_the_backfill_is_idempotent_and_leaves_live_counts_alone(
    centre_a, clinician_a, safeguarding_lead_a
):
    from forestall.stats.backfill import backfill

    _flows(centre_a, clinician_a, safeguarding_lead_a)
    live = _table(Source.LIVE)
    later = datetime.date.today() + datetime.timedelta(days=2)
    backfill(later, apply=True)
    first = _table(Source.BACKFILL)
    backfill(later, apply=True)
    assert _table(Source.BACKFILL) == first
    assert _table(Source.LIVE) == live


def test_the_backfill_only_covers_days_before_counting_started(
    centre_a, clinician_a, safeguarding_lead_a
):
    from forestall.stats.backfill import backfill, counting_started

    _flows(centre_a, clinician_a, safeguarding_lead_a)
    assert (
        counting_started() == datetime.date.today()
        or counting_started() == DailyCount.objects.order_by("day").first().day
    )
    _before, totals = backfill(apply=True)
    assert sum(totals.values()) == 0
    assert not DailyCount.objects.filter(source=Source.BACKFILL).exists()


def test_the_command_is_a_dry_run_unless_applied(centre_a, clinician_a, safeguarding_lead_a):
    import io

    from django.core.management import call_command

    _flows(centre_a, clinician_a, safeguarding_lead_a)
    later = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    out = io.StringIO()
    call_command("backfill-stats", "--before", later, stdout=out)
    assert "Would backfill" in out.getvalue()
    assert "case_opened: 2" in out.getvalue()
    assert not DailyCount.objects.filter(source=Source.BACKFILL).exists()
    call_command("backfill-stats", "--before", later, "--apply", stdout=io.StringIO())
    assert DailyCount.objects.filter(source=Source.BACKFILL).exists()


def test_the_command_refuses_a_bad_date(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("backfill-stats", "--before", "last tuesday")


def test_the_demo_history_is_idempotent(db, monkeypatch):
    from django.utils import timezone

    from forestall.demo import DemoNetwork
    from forestall.directory import demo as directory_demo
    from forestall.stats import demo

    # The history ends on the local day of the seed: both seeds on one day,
    # even when the test runs over midnight (it failed once in CI at 00:00).
    today = timezone.localdate()
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today)
    network = DemoNetwork()
    directory_demo.seed(network)
    actions.record(Event.CONTACT, day=DAY)
    demo.seed(network)
    first = _table(Source.DEMO)
    assert len(first) > 1000
    again = DemoNetwork()
    directory_demo.seed(again)
    demo.seed(again)
    assert _table(Source.DEMO) == first
    assert DailyCount.objects.filter(source=Source.LIVE).count() == 1
    events = set(DailyCount.objects.filter(source=Source.DEMO).values_list("event", flat=True))
    assert {
        "contact",
        "assessed",
        "therapy_started",
        "therapy_completed",
        "course_finished",
        "recovered",
        "concern_decided",
        "protective_action_taken",
        "first_reply_sent",
    } <= events


def test_every_capability_calls_record_with_the_allowed_keywords_only():
    """A grep over the code: each call of ``stats.record`` names only de-identified dimensions."""
    import ast
    from pathlib import Path

    import forestall

    allowed = {
        "centre",
        "channel",
        "language",
        "pathway",
        "detail",
        "duration",
        "day",
        "count",
        # "live" or "reach" (arrived through a reach warning), never more.
        "source",
    }
    root = Path(forestall.__file__).parent
    calls = 0
    for path in root.rglob("*.py"):
        if "migrations" in path.parts or path.parts[-2:] == ("stats", "actions.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported_as = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "forestall.stats.actions"
            for alias in node.names
            if alias.name == "record"
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            function = node.func
            is_record = (isinstance(function, ast.Name) and function.id in imported_as) or (
                isinstance(function, ast.Attribute)
                and function.attr == "record"
                and isinstance(function.value, ast.Name)
                and function.value.id in ("stats", "stats_actions")
            )
            if not is_record:
                continue
            calls += 1
            named = {keyword.arg for keyword in node.keywords if keyword.arg is not None}
            assert named <= allowed, (
                f"{path.relative_to(root)}:{node.lineno} passes {named - allowed}"
            )
    assert calls >= 10  # the front door, inbox, cases, safeguarding and instruments all count
