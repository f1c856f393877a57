"""Two requests or actions at the same moment, in two database connections.

``at_the_same_moment`` is the harness the race tests share (one open case,
mailbox deletion, appointments, ...): it needs PostgreSQL, where two
transactions really overlap; on SQLite every writer takes the database lock
at ``BEGIN`` (``BEGIN IMMEDIATE``), so the second always sees the first's
result, and the test is skipped.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction


def at_the_same_moment(first, second) -> list[object]:
    """Run ``first`` and ``second`` in two connections, each in its own transaction.

    ``second`` starts once ``first`` has done its work, while ``first`` still
    holds its transaction open: both have looked before either committed.
    Returns what each returned or raised, in the order they finished.
    """
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: two connections at once (SQLite writers queue at BEGIN)")
    done = threading.Event()
    results: list[object] = []

    def run(call, after: threading.Event | None, hold: float) -> None:
        try:
            if after is not None:
                after.wait(10)
            with transaction.atomic():
                results.append(call())
                done.set()
                threading.Event().wait(hold)  # the first keeps its transaction open a while
        except BaseException as error:  # reported to the caller
            results.append(error)
            done.set()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(first, None, 0.5)),
        threading.Thread(target=run, args=(second, done, 0)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results
