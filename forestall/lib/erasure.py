"""What is deleted is gone from the database files too.

Threat model: a seized server or a copied database file after a help-seeker
pressed "Delete everything". A plain ``DELETE`` only marks rows as free: the
bytes stay in the page until it is reused, and in SQLite's write-ahead log
(WAL) the old versions of every changed page stay until a checkpoint
overwrites them. So:

- SQLite runs with ``PRAGMA secure_delete=ON`` (settings), which overwrites
  deleted content with zeros in the page itself;
- after a deletion commits, ``scrub_after_delete`` checkpoints the WAL into
  the main file and truncates it to zero bytes (``wal_checkpoint(TRUNCATE)``),
  so the old page versions are gone from every file of the database.

PostgreSQL keeps dead row versions until VACUUM and keeps its WAL, archives
and backups for as long as the operator configures (docs/operating.md):
``vacuum_tables`` runs ``VACUUM`` on the tables a purge erased from.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.db.models import CASCADE, Model

logger = logging.getLogger(__name__)

_ATTEMPTS = 20


def secure_delete_enabled(using: str = DEFAULT_DB_ALIAS) -> bool:
    """True if deleted content is overwritten in place (always true off SQLite)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return True
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        row = cursor.fetchone()
    return bool(row and int(row[0]) == 1)


def checkpoint_now(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Copy the SQLite WAL into the main file and truncate it; True when it completed.

    A reader that still holds an old snapshot makes the checkpoint wait
    ("busy"); it is retried for a moment. Outside SQLite this does nothing.
    """
    connection = connections[using]
    if connection.vendor != "sqlite" or connection.is_in_memory_db():  # type: ignore[attr-defined]
        # An in-memory database (the test suite's) has no files to scrub.
        return True
    if connection.in_atomic_block:
        # A checkpoint cannot run inside a transaction; on_commit calls come after it.
        return False
    for attempt in range(_ATTEMPTS):
        try:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                row = cursor.fetchone()
        except OperationalError:
            row = (1,)
        if row is None or int(row[0]) == 0:
            return True
        time.sleep(0.05 * (attempt + 1))
    logger.warning("The database log could not be checkpointed after a deletion; retry later.")
    return False


def scrub_after_delete(using: str = DEFAULT_DB_ALIAS) -> None:
    """Once the current transaction commits, remove the deleted bytes from the log."""
    transaction.on_commit(lambda: checkpoint_now(using), using=using)


def cascade_tables(model: type[Model]) -> set[str]:
    """The table of ``model`` and of every model its deletion cascades to."""
    seen: set[type[Model]] = set()
    pending = [model]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for relation in current._meta.related_objects:
            if getattr(relation, "on_delete", None) is CASCADE and relation.related_model:
                pending.append(relation.related_model)  # type: ignore[arg-type]
    return {found._meta.db_table for found in seen}


def vacuum_tables(tables: Iterable[str], using: str = DEFAULT_DB_ALIAS) -> None:
    """Reclaim dead row versions of ``tables`` (PostgreSQL VACUUM; SQLite checkpoint)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        names = sorted(set(tables))
        if not names:
            return
        quoted = ", ".join(connection.ops.quote_name(name) for name in names)

        def vacuum() -> None:
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM {quoted}")

        # VACUUM cannot run inside a transaction block: inside one (a caller's
        # atomic block), it runs once the outermost block has committed.
        if connection.in_atomic_block:
            transaction.on_commit(vacuum, using=using)
        else:
            vacuum()
    else:
        checkpoint_now(using)
