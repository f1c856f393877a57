"""Statistics benchmark: dashboards and the public page at national scale on PostgreSQL.

100 centres in 10 regions x 10 years of daily counts (about 10 million
``DailyCount`` rows, generated inside PostgreSQL with ``generate_series``) in
the database named by ``BENCH_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/forestall_bench_stats``; created if
missing, and the rows are kept so that a second run reuses them).

For each page, in the same run:

* the real view through the test client (signed-in analyst, 2FA session):
  the network dashboard (12 months and 10 years), a region, a centre, and the
  public page with its 24-month release;
* the figures of that page computed by a naive Python aggregation of the
  same rows (every row in scope fetched and summed in Python);

and reports the page time, the speed-up (goal: at least 20x) and whether the
page answers under a second.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

from bench.server import client_env, ensure_postgres_database, run_child

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/forestall_bench_stats"
CENTRES = int(os.environ.get("FORESTALL_BENCH_STATS_CENTRES", "100"))
YEARS = int(os.environ.get("FORESTALL_BENCH_STATS_YEARS", "10"))
REPEATS = 3

# The dimension combinations each centre records each day: 27 rows per centre-day.
COMBINATIONS = [
    ("contact", "messaging", "de", "self", "", ""),
    ("contact", "messaging", "de", "other", "", ""),
    ("contact", "messaging", "en", "professional", "", ""),
    ("contact", "phone", "de", "self", "", ""),
    ("contact", "phone", "tr", "other", "", ""),
    ("contact", "in_person", "de", "self", "", ""),
    ("first_reply_sent", "messaging", "de", "self", "", "1-4h"),
    ("first_reply_sent", "messaging", "de", "self", "", "4-24h"),
    ("first_reply_sent", "phone", "de", "other", "", "1-3d"),
    ("case_opened", "", "de", "", "", ""),
    ("case_opened", "", "tr", "", "", ""),
    ("screened", "", "de", "", "", "1-2w"),
    ("assessed", "", "de", "", "", "2-4w"),
    ("waitlisted", "", "de", "", "individual_therapy", ""),
    ("therapy_started", "", "de", "", "individual_therapy", "1-3m"),
    ("therapy_started", "", "de", "", "group_therapy", "3-6m"),
    ("therapy_completed", "", "de", "", "", ""),
    ("withdrew", "", "de", "", "screening", ""),
    ("withdrew", "", "de", "", "waiting_list", ""),
    ("lost_contact", "", "de", "", "enquiry", ""),
    ("not_suitable", "", "de", "", "assessment", ""),
    ("concern_raised", "", "", "", "medium", ""),
    ("concern_decided", "", "", "", "advice_given", "4-24h"),
    ("course_finished", "", "", "", "at_caseness", ""),
    ("recovered", "", "", "", "", ""),
    ("protective_action_agreed", "messaging", "de", "self", "stop_sites", ""),
    ("protective_action_taken", "messaging", "de", "self", "stop_sites", ""),
]


def run() -> list[str]:
    """Run the measurements in a fresh interpreter and return the report lines."""
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        return ["skipped: the statistics benchmark needs PostgreSQL (BENCH_DATABASE_URL)"]
    problem = ensure_postgres_database(url)
    if problem:
        return [problem]
    with tempfile.TemporaryDirectory(prefix="forestall-bench-stats-") as directory:
        return run_child(
            "bench_stats",
            {
                **client_env(),
                "FORESTALL_VAR": directory,
                "DATABASE_URL": url,
                "FORESTALL_BENCH_STATS_CENTRES": str(CENTRES),
                "FORESTALL_BENCH_STATS_YEARS": str(YEARS),
            },
        )


# --- the child process -------------------------------------------------------


def _expected_rows(days: int) -> int:
    return CENTRES * days * len(COMBINATIONS)


def _fill(today) -> tuple[int, float]:
    """Generate the counts in SQL unless the same data set is already there."""
    import datetime

    from django.db import connection

    from forestall.stats.models import DailyCount, MonthlyCount

    start = today - datetime.timedelta(days=365 * YEARS)
    days = (today - start).days
    expected = _expected_rows(days)
    started = time.perf_counter()
    if not _daily_rows_reusable(today, expected):
        _generate_daily(start, today)
    daily_table, monthly_table = DailyCount._meta.db_table, MonthlyCount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {monthly_table}")  # noqa: S608
        monthly_rows = cursor.fetchone()[0]
    months = len({(start + datetime.timedelta(days=n)).replace(day=1) for n in range(days)})
    if abs(monthly_rows - CENTRES * months * len(COMBINATIONS)) > CENTRES:
        # The roll-up, computed once in SQL exactly as record() maintains it.
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {monthly_table}")
            cursor.execute(
                f"""
                INSERT INTO {monthly_table}
                    (month, event, centre_id, region_id, channel, language, pathway, detail,
                     duration_bucket, source, count)
                SELECT date_trunc('month', day)::date, event, centre_id, region_id, channel,
                       language, pathway, detail, duration_bucket, source, sum(count)
                FROM {daily_table}
                GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
                """  # noqa: S608 - table names from the models
            )
            cursor.execute(f"VACUUM ANALYZE {monthly_table}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [daily_table])
        rows = cursor.fetchone()[0]
    seconds = time.perf_counter() - started
    return rows, seconds if seconds > 5 else 0.0


def _daily_rows_reusable(today, expected: int) -> bool:
    import datetime

    from django.db import connection

    from forestall.directory.models import Centre
    from forestall.stats.models import DailyCount

    if Centre.objects.filter(slug__startswith="bench-").count() != CENTRES:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'stats_dailycount'")
        estimate = cursor.fetchone()[0]
    if abs(estimate - expected) > expected * 0.02:
        return False
    latest = DailyCount.objects.order_by("-day").values_list("day", flat=True).first()
    return latest == today - datetime.timedelta(days=1)


def _generate_daily(start, today) -> None:
    import datetime

    from django.db import connection

    from forestall.directory.models import Centre, Region
    from forestall.stats.models import DailyCount, MonthlyCount

    table = DailyCount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table}, {MonthlyCount._meta.db_table}")
    Centre.objects.filter(slug__startswith="bench-").delete()
    Region.objects.filter(slug__startswith="bench-").delete()
    regions = Region.objects.bulk_create(
        [Region(slug=f"bench-{n}", name=f"Bench region {n:02d}") for n in range(CENTRES // 10 or 1)]
    )
    Centre.objects.bulk_create(
        [
            Centre(
                slug=f"bench-{n}", name=f"Bench centre {n:03d}", region=regions[n % len(regions)]
            )
            for n in range(CENTRES)
        ]
    )
    values = ", ".join(
        "(" + ", ".join(f"'{value}'" for value in combination) + ")" for combination in COMBINATIONS
    )
    with connection.cursor() as cursor:
        # Indexes are dropped for the load and built once afterwards, and the
        # foreign-key triggers are skipped (the centres were just made): much faster.
        for constraint in DailyCount._meta.constraints:
            cursor.execute(f'DROP INDEX IF EXISTS "{constraint.name}"')
        for index in DailyCount._meta.indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{index.name}"')
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            f"""
            INSERT INTO {table}
                (day, event, centre_id, region_id, channel, language, pathway, detail,
                 duration_bucket, source, count)
            SELECT d::date, e.event, c.id, c.region_id, e.channel, e.language, e.pathway,
                   e.detail, e.bucket, 'live', 1 + floor(random() * 6)::int
            FROM generate_series(%s::date, %s::date, interval '1 day') AS d
            CROSS JOIN (SELECT id, region_id FROM directory_centre WHERE slug LIKE 'bench-%%') AS c
            CROSS JOIN (VALUES {values}) AS e(event, channel, language, pathway, detail, bucket)
            """,  # noqa: S608 - fixed vocabulary values written by this module
            [start, today - datetime.timedelta(days=1)],
        )
        cursor.execute("SET session_replication_role = DEFAULT")
    with connection.schema_editor() as editor:
        for index in DailyCount._meta.indexes:
            editor.add_index(DailyCount, index)
        for constraint in DailyCount._meta.constraints:
            editor.add_constraint(DailyCount, constraint)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")


def _signed_in_analyst():
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from forestall.accounts.models import Membership, Role, TOTPAuthenticator, User

    user, _created = User.objects.get_or_create(username="bench-analyst")
    Membership.objects.get_or_create(user=user, centre=None, role=Role.ANALYST)
    device, _created = TOTPAuthenticator.objects.get_or_create(
        user=user, name="bench", confirmed=True
    )
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _naive(scope, period, *, funnel_by: tuple[str, ...]) -> dict:
    """The same figures from every row in scope, fetched and summed in Python."""
    from collections import defaultdict

    from forestall.stats import figures as fig

    rows = (
        scope.counts()
        .filter(day__lte=period.end)
        .values_list(
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
        .iterator(chunk_size=20000)
    )
    by_event_detail: dict = defaultdict(int)
    monthly: dict = defaultdict(int)
    reach: dict = defaultdict(int)
    durations: dict = defaultdict(int)
    by_place: dict = defaultdict(int)
    waiting_before = 0
    waiting_changes: dict = defaultdict(int)
    for day, event, centre, region, channel, language, pathway, detail, bucket, count in rows:
        joined = event == "waitlisted"
        left = (event == "therapy_started" and bucket) or (
            event in fig.EXIT_EVENTS and detail == "waiting_list"
        )
        if joined or left:
            change = count if joined else -count
            if day < period.start:
                waiting_before += change
            else:
                waiting_changes[day.replace(day=1)] += change
        if day < period.start:
            continue
        month = day.replace(day=1)
        by_event_detail[(event, detail)] += count
        monthly[(event, month)] += count
        if event == "contact":
            reach[("pathway", pathway, month)] += count
            reach[("channel", channel, month)] += count
            reach[("language", language, month)] += count
        if bucket and event in fig.TIMED_EVENTS:
            durations[(event, bucket)] += count
        if event in fig.FUNNEL_STEPS:
            for dimension in funnel_by:
                place = centre if dimension == "centre_id" else region
                if place is not None:
                    by_place[(dimension, place, event)] += count
    return {
        "totals": dict(by_event_detail),
        "monthly": dict(monthly),
        "reach": dict(reach),
        "durations": dict(durations),
        "funnel_by": dict(by_place),
        "waiting": (waiting_before, dict(waiting_changes)),
    }


def _best(function, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def _child() -> list[str]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from forestall.directory.models import Centre, Region
    from forestall.stats import figures as fig
    from forestall.stats.release import public_release, release_period

    setup_test_environment()
    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    rows, fill_seconds = _fill(today)
    client = _signed_in_analyst()
    region = Region.objects.filter(slug__startswith="bench-").order_by("slug").first()
    centre = Centre.objects.filter(slug__startswith="bench-").order_by("slug").first()
    last_12 = fig.Period.last_months(11, today)
    last_120 = fig.Period.last_months(119, today)
    pages = [
        (
            "network dashboard, 12 months",
            "/staff/statistics/",
            fig.Scope(),
            last_12,
            ("region_id", "centre_id"),
        ),
        (
            "network dashboard, 10 years",
            "/staff/statistics/?months=120",
            fig.Scope(),
            last_120,
            ("region_id", "centre_id"),
        ),
        (
            "region dashboard, 12 months",
            f"/staff/statistics/regions/{region.pk}/",
            fig.Scope(region_id=region.pk),
            last_12,
            ("centre_id",),
        ),
        (
            "centre dashboard, 12 months",
            f"/staff/statistics/centres/{centre.pk}/",
            fig.Scope(centre_ids=(centre.pk,)),
            last_12,
            (),
        ),
        (
            "public page, 24-month release",
            "/statistics/",
            fig.Scope(),
            release_period(today),
            ("region_id", "centre_id"),
        ),
    ]
    lines = [
        f"data set: {rows:,} daily count rows, {CENTRES} centres, {YEARS} years"
        + (f" (generated in {fill_seconds:.0f} s)" if fill_seconds else " (reused)"),
    ]
    worst_ratio, worst_page = float("inf"), 0.0
    for name, url, scope, period, funnel_by in pages:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        page_seconds = _best(lambda url=url: client.get(url))
        if url == "/statistics/":
            database_seconds = _best(public_release)
        else:
            database_seconds = _best(lambda scope=scope, period=period: fig.figures(scope, period))
        naive_seconds = _best(
            lambda scope=scope, period=period, funnel_by=funnel_by: _naive(
                scope, period, funnel_by=funnel_by
            ),
            repeats=1,
        )
        ratio = naive_seconds / database_seconds
        worst_ratio, worst_page = min(worst_ratio, ratio), max(worst_page, page_seconds)
        page_ms, database_ms = page_seconds * 1000, database_seconds * 1000
        lines.append(
            f"{name}: page {page_ms:.0f} ms (aggregation {database_ms:.0f} ms)"
            f" vs naive Python {naive_seconds:.1f} s: {ratio:.0f}x faster"
        )
    fast = "met" if worst_page < 1 else "NOT met"
    faster = "met" if worst_ratio >= 20 else "NOT met"
    lines.append(
        f"slowest page {worst_page * 1000:.0f} ms (goal < 1000 ms: {fast});"
        f" smallest speed-up {worst_ratio:.0f}x (goal >= 20x: {faster})"
    )
    return lines


if __name__ == "__main__" and "--child" in sys.argv:
    print(json.dumps(_child()))
