"""SQLite under concurrent writers: a second writer waits for the lock, it never fails.

These tests open real connections, in real threads, to a database file, with
exactly the connection settings forestall runs with (``DATABASES["default"]``,
built by ``forestall/lib/sqlite.py``); nothing is mocked. A "database is
locked" error here is what a help-seeker would see as a 500 while sending.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import OperationalError
from django.db.utils import ConnectionHandler

from forestall.lib import sqlite

pytestmark = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="SQLite's locking only",
)


def _open(path: Path, **options: Any):
    """A new Django connection to the file ``path`` with forestall's SQLite options."""
    configured = {**settings.DATABASES["default"]["OPTIONS"], **options}
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(path),
                "OPTIONS": configured,
            }
        }
    )
    connection = handler["default"]
    connection.ensure_connection()
    return connection


def _begin(connection) -> None:
    # Exactly what ``transaction.atomic()`` does on SQLite (BEGIN <transaction_mode>).
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def _finish(connection) -> None:
    connection.commit()
    connection.set_autocommit(True)


@pytest.fixture
def database(tmp_path: Path, django_db_blocker) -> Iterator[Path]:
    # Our own database file, not the test database: unblock opening it.
    with django_db_blocker.unblock():
        yield _create(tmp_path / "race.sqlite3")


def _create(path: Path) -> Path:
    connection = _open(path)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE message (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    connection.close()
    return path


def test_the_configured_connection_takes_the_lock_up_front_and_waits_for_it(database):
    connection = _open(database)
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] == (
            sqlite.BUSY_TIMEOUT_SECONDS * 1000
        )
    assert connection.transaction_mode == "IMMEDIATE"
    assert sqlite.BUSY_TIMEOUT_SECONDS >= 5
    connection.close()


def test_a_write_racing_another_writer_waits_instead_of_failing(database):
    """The second writer reads and writes in one transaction while the first holds the lock."""
    first_holds_lock = threading.Event()
    second_is_trying = threading.Event()
    errors: list[BaseException] = []
    seen_by_second: list[int] = []

    def first_writer() -> None:
        connection = _open(database)
        try:
            _begin(connection)
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO message (body) VALUES ('first')")
            first_holds_lock.set()
            second_is_trying.wait(timeout=10)
            # Let the second writer run into the held lock (not a timing
            # assertion: the test passes however the threads are scheduled).
            time.sleep(0.3)
            _finish(connection)
        except BaseException as error:  # reported by the assertions below
            errors.append(error)
            first_holds_lock.set()
        finally:
            connection.close()

    def second_writer() -> None:
        first_holds_lock.wait(timeout=10)
        connection = _open(database)
        try:
            second_is_trying.set()
            _begin(connection)
            with connection.cursor() as cursor:
                # Read, then write — the shape of every action (audit head, then append).
                seen_by_second.append(cursor.execute("SELECT COUNT(*) FROM message").fetchone()[0])
                cursor.execute("INSERT INTO message (body) VALUES ('second')")
            _finish(connection)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_writer), threading.Thread(target=second_writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    # The second transaction began only once the first had committed: it saw its row.
    assert seen_by_second == [1]
    connection = _open(database)
    with connection.cursor() as cursor:
        rows = cursor.execute("SELECT body FROM message ORDER BY id").fetchall()
    connection.close()
    assert rows == [("first",), ("second",)]


def test_without_taking_the_lock_up_front_the_same_race_fails(database):
    """Why ``BEGIN IMMEDIATE``: a deferred transaction that read first cannot wait."""
    reader_then_writer = _open(database, transaction_mode="DEFERRED")
    other_writer = _open(database)
    try:
        _begin(reader_then_writer)
        with reader_then_writer.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM message").fetchone()
        _begin(other_writer)
        with other_writer.cursor() as cursor:
            cursor.execute("INSERT INTO message (body) VALUES ('other')")
        _finish(other_writer)
        with (
            pytest.raises(OperationalError, match="locked"),
            reader_then_writer.cursor() as cursor,
        ):
            cursor.execute("INSERT INTO message (body) VALUES ('too late')")
    finally:
        reader_then_writer.rollback()
        reader_then_writer.close()
        other_writer.close()


@pytest.mark.django_db
def test_reading_a_mailbox_writes_nothing_when_no_reply_is_unread(client, counsellor_a):
    """A read that writes must queue for SQLite's one write lock; a plain read must not."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from forestall.inbox.models import Conversation, Message, MessageAuthor
    from tests.test_mailbox import open_new_mailbox

    open_new_mailbox(client)
    client.post("/mailbox/write/", {"body": "question", "centre": ""})
    client.get("/mailbox/")  # today's activity is noted once, on the first visit
    with CaptureQueriesContext(connection) as plain_read:
        assert client.get("/mailbox/").status_code == 200
    assert not [q["sql"] for q in plain_read.captured_queries if not q["sql"].startswith("SELECT")]

    reply = Message(
        conversation=Conversation.objects.get(),
        author_kind=MessageAuthor.COUNSELLOR,
        author=counsellor_a,
        body="Thank you for writing.",
    )
    reply.save()
    with CaptureQueriesContext(connection) as read_with_reply:
        assert b"Thank you for writing." in client.get("/mailbox/").content
    assert any(q["sql"].startswith("UPDATE") for q in read_with_reply.captured_queries)
    reply.refresh_from_db()
    assert reply.read_at is not None
