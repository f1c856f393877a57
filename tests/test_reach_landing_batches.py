"""Landings are counted in memory and written in batches (forestall.reach.landings).

Every landing arrives in the daily counts (the click-through count and the
``reach_landing`` statistics), once per visit, and nothing that identifies a
visitor is stored on the way. The landing page itself is kept per language
and variant, with the address it was reached at put back in its language switch.
"""

from __future__ import annotations

import time

import pytest
from django.db import IntegrityError, OperationalError
from django.test import Client

from forestall.reach import landings
from forestall.reach.models import ClickThroughCount, VariantText
from forestall.stats.events import Event
from forestall.stats.models import DailyCount, MonthlyCount, Source
from tests.database_dump import raw_database_text
from tests.factories_reach import (  # noqa: F401 - autouse fixture
    DETERRENT_ID,
    THERAPEUTIC_ID,
    make_partner,
    reach_defaults,
    shipped_variant,
)
from tests.journey_privacy import captured_logs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _batches_of_five(settings):
    settings.FORESTALL_REACH_LANDING_BATCH = 5
    settings.FORESTALL_REACH_LANDING_SECONDS = 3600
    yield
    # What a failing test left in this process's memory must not reach the next test.
    with landings._lock:
        landings._pending.clear()
        landings._oldest = 0.0


def _clicks(**filters) -> int:
    return sum(ClickThroughCount.objects.filter(**filters).values_list("count", flat=True))


def _landings_in_statistics(language: str | None = None) -> int:
    rows = DailyCount.objects.filter(event=Event.REACH_LANDING, source=Source.REACH)
    if language:
        rows = rows.filter(language=language)
    return sum(rows.values_list("count", flat=True))


def _visit(path: str) -> None:
    """A new visitor (a browser of its own) lands on ``path``."""
    assert Client().get(path).status_code == 200


def test_landings_are_written_together_when_the_batch_is_full():
    partner = make_partner("ahmia")
    for _ in range(3):
        _visit(f"/r/ahmia/{DETERRENT_ID}/")
    _visit(f"/de/r/ahmia/{DETERRENT_ID}/")
    assert _clicks() == 0
    assert _landings_in_statistics() == 0
    assert landings.pending() == 4

    _visit(f"/r/nobody/{THERAPEUTIC_ID}/")

    assert landings.pending() == 0
    assert _clicks(partner=partner, variant_id=DETERRENT_ID, language="en") == 3
    assert _clicks(partner=partner, variant_id=DETERRENT_ID, language="de") == 1
    assert _clicks(partner=None, variant_id=THERAPEUTIC_ID, language="en") == 1
    assert _landings_in_statistics("en") == 4
    assert _landings_in_statistics("de") == 1
    assert (
        sum(MonthlyCount.objects.filter(event=Event.REACH_LANDING).values_list("count", flat=True))
        == 5
    )


def test_a_second_batch_adds_to_the_counts_of_the_first():
    make_partner("ahmia")
    for _ in range(10):
        _visit(f"/r/ahmia/{DETERRENT_ID}/")
    assert _clicks(variant_id=DETERRENT_ID) == 10
    assert _landings_in_statistics() == 10


def test_a_visit_counts_once_however_often_the_page_is_reloaded():
    make_partner("ahmia")
    browser = Client()
    for _ in range(5):
        assert browser.get(f"/r/ahmia/{DETERRENT_ID}/").status_code == 200
    assert landings.pending() == 1
    assert landings.flush() == 1
    assert _clicks() == 1
    assert _landings_in_statistics() == 1


def test_a_failed_write_loses_no_landing(monkeypatch):
    make_partner("ahmia")
    for _ in range(3):
        _visit(f"/r/ahmia/{DETERRENT_ID}/")

    def broken(counts):
        raise IntegrityError("the database refused")

    with monkeypatch.context() as patched:
        patched.setattr(landings, "_write", broken)
        with pytest.raises(IntegrityError):
            landings.flush()
    assert landings.pending() == 3
    assert _clicks() == 0

    _visit(f"/r/ahmia/{DETERRENT_ID}/")
    _visit(f"/r/ahmia/{DETERRENT_ID}/")  # the fifth landing writes all five
    assert landings.pending() == 0
    assert _clicks() == 5
    assert _landings_in_statistics() == 5


def test_a_partner_deleted_before_the_write_takes_its_landings_with_it():
    gone = make_partner("gone")
    make_partner("ahmia")
    _visit(f"/r/gone/{DETERRENT_ID}/")
    _visit(f"/r/ahmia/{DETERRENT_ID}/")
    gone.delete()
    assert landings.flush() == 2
    assert _clicks() == 1
    assert ClickThroughCount.objects.get().partner.slug == "ahmia"
    assert _landings_in_statistics() == 2  # still two landings in the funnel


def test_nothing_identifying_is_stored_on_the_way():
    make_partner("ahmia")
    with captured_logs() as lines:
        for number in range(5):
            browser = Client(
                REMOTE_ADDR=f"203.0.113.{70 + number}",
                HTTP_USER_AGENT=f"Mozilla/5.0 UniqueAgent/42{number}",
                HTTP_REFERER="https://search.example/?q=secret-query-term",
            )
            browser.get(f"/r/ahmia/{DETERRENT_ID}/?q=another-secret-query")
    assert _clicks() == 5
    dump = raw_database_text()
    for needle in ("203.0.113.7", "UniqueAgent", "secret-query-term", "another-secret-query"):
        assert needle not in dump
        assert needle not in "\n".join(lines)


def _clicks_while_written() -> int:
    """``_clicks()`` while the timer's thread may be writing the batch.

    The test database is SQLite in memory with a shared cache, where a read
    meeting another connection's write fails at once ("database table is
    locked") instead of waiting as it does on a database file: 0 until the
    write is done.
    """
    try:
        return _clicks()
    except OperationalError as error:
        if "locked" not in str(error):
            raise
        return 0


@pytest.mark.django_db(transaction=True)
def test_a_background_write_that_fails_is_tried_again(settings, monkeypatch):
    """A failed write put the landings back, but no landing started a timer for them
    again: on a quiet page they waited for the batch to fill or the process to end."""
    settings.FORESTALL_REACH_LANDING_SECONDS = 0.2
    make_partner("ahmia")
    real_write = landings._write
    failures = []

    def fails_once(counts):
        if not failures:
            failures.append(counts)
            raise OperationalError("database is locked")
        real_write(counts)

    monkeypatch.setattr(landings, "_write", fails_once)
    _visit(f"/r/ahmia/{DETERRENT_ID}/")
    deadline = time.monotonic() + 10
    while _clicks_while_written() == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert failures
    assert _clicks() == 1
    assert landings.pending() == 0


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_does_not_fill_is_written_after_the_configured_seconds(settings):
    settings.FORESTALL_REACH_LANDING_SECONDS = 1
    make_partner("ahmia")
    _visit(f"/r/ahmia/{DETERRENT_ID}/")
    assert _clicks() == 0
    deadline = time.monotonic() + 10
    while _clicks_while_written() == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _clicks() == 1
    assert _landings_in_statistics() == 1
    assert landings.pending() == 0


def test_the_kept_page_links_to_the_address_it_was_reached_at(settings):
    settings.FORESTALL_PAGE_CACHE_SECONDS = 60
    make_partner("ahmia")
    first = Client().get(f"/r/ahmia/{DETERRENT_ID}/").content.decode()
    second = Client().get(f"/r/other&co/{DETERRENT_ID}/?src=feed").content.decode()
    german = Client().get(f"/de/r/ahmia/{DETERRENT_ID}/").content.decode()
    assert f'href="/de/r/ahmia/{DETERRENT_ID}/"' in first
    # The link's query is not carried on (see test_the_query_a_link_carries_is_not_repeated…).
    assert f'href="/de/r/other&amp;co/{DETERRENT_ID}/"' in second and "src=feed" not in second
    assert "ahmia" not in second
    assert f'href="/r/ahmia/{DETERRENT_ID}/"' in german
    assert "@@" not in first + second + german
    assert "Stop. What you are searching for is illegal." in first
    assert "Stopp. Wonach Sie suchen, ist verboten." in german


def test_a_published_text_shows_at_once_on_the_kept_page(
    settings, django_capture_on_commit_callbacks
):
    from forestall.reach import actions

    settings.FORESTALL_PAGE_CACHE_SECONDS = 60
    make_partner("ahmia")
    assert b"Stop. What you are searching for" in Client().get(f"/r/ahmia/{DETERRENT_ID}/").content
    with django_capture_on_commit_callbacks(execute=True):
        actions.publish_variant_text(
            shipped_variant(DETERRENT_ID),
            "en",
            title="A new title for this warning",
            crime="It is a crime.",
            harm="It harms children.",
            consequences="There are consequences.",
            help="Help is available.",
            by=None,
        )
    page = Client().get(f"/r/ahmia/{DETERRENT_ID}/").content.decode()
    assert "A new title for this warning" in page
    assert VariantText.objects.filter(variant_id=DETERRENT_ID, language="en").count() == 2


def test_a_new_partner_is_recognised_at_once(settings, django_capture_on_commit_callbacks):
    settings.FORESTALL_REACH_LANDING_BATCH = 1
    settings.FORESTALL_PAGE_CACHE_SECONDS = 60
    _visit(f"/r/newcomer/{DETERRENT_ID}/")  # unknown yet: the partner list is kept
    with django_capture_on_commit_callbacks(execute=True):
        partner = make_partner("newcomer")
    _visit(f"/r/newcomer/{DETERRENT_ID}/")
    assert _clicks(partner=None) == 1
    assert _clicks(partner=partner) == 1
