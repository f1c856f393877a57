"""The embedded SQLite database: how its connections are set up, in one place.

Why: forestall's default is one small machine with SQLite, and a surge of
help-seekers means many writers at once. SQLite allows one writer at a time;
what matters is that the others *wait* for it instead of failing with
"database is locked" (a 500 for the person writing):

* every transaction starts with ``BEGIN IMMEDIATE`` (``transaction_mode``),
  so it takes the write lock up front, where SQLite's busy timeout applies.
  A deferred transaction that reads first and writes later cannot wait: if
  another writer committed in between, SQLite fails it at once;
* the busy timeout (``timeout``, seconds) is how long a writer queues for the
  lock before giving up; writes take milliseconds, so 20 s only runs out if
  the machine is hopelessly overloaded;
* write-ahead logging lets readers go on while one connection writes, and
  ``synchronous=NORMAL`` is durable against application crashes in WAL mode
  (only a power cut may lose the last transactions, never corrupt the file).

Every pragma that should hold on every connection goes into ``PRAGMAS``, one
line each with its reason; ``sqlite_options()`` turns them into Django's
``OPTIONS``. Nothing here reads settings or imports Django: ``settings.py``
calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Seconds a writer waits for the write lock before SQLite gives up.
BUSY_TIMEOUT_SECONDS = 20

# Run in this order on every new connection (Django's ``init_command``).
PRAGMAS: dict[str, str] = {
    # Readers never block the writer, the writer never blocks readers
    # (persistent in the file; repeating it on a WAL database is a no-op).
    "journal_mode": "WAL",
    # In WAL mode: fsync at checkpoints, not at every commit; still safe
    # against an application crash.
    "synchronous": "NORMAL",
    # Deleted rows are overwritten in place, not left in free pages; after a
    # deletion the WAL is checkpointed and truncated too (forestall.lib.erasure).
    "secure_delete": "ON",
}


def init_command(pragmas: Mapping[str, str] = PRAGMAS) -> str:
    """The ``;``-separated ``PRAGMA`` statements Django runs on each new connection."""
    return "; ".join(f"PRAGMA {name}={value}" for name, value in pragmas.items())


def sqlite_options(options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Django ``DATABASES[...]["OPTIONS"]`` for SQLite; values in ``options`` win."""
    return {
        "init_command": init_command(),
        # Take the write lock at BEGIN, where the busy timeout applies.
        "transaction_mode": "IMMEDIATE",
        "timeout": BUSY_TIMEOUT_SECONDS,
        **(options or {}),
    }
