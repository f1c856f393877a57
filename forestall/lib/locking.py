"""Row locks for actions that look at a state, decide, then write.

Two staff members (or one person's two tabs) acting at the same moment both
read the same state before either has written. An action whose decision
depends on what it read therefore takes the rows it decides on first, for
the rest of its transaction (``SELECT … FOR UPDATE`` on PostgreSQL), and
decides on what it finds there, not on what the page showed. The second
writer waits for the first to commit, then sees its result and is refused
in words (or, where the first only made the same change, does nothing).

On SQLite ``select_for_update`` does nothing; every writing transaction there
begins with ``BEGIN IMMEDIATE`` (see settings), which serialises writers for
the whole transaction, so the same code is right on both.

Where the decision is "is there a row like this yet?" there is nothing to
lock: that is a database constraint (one open case per person and centre,
one pending referral per case), and the insert runs in a savepoint so that
the action can report the refusal.

Rows are always locked parent before child (a mailbox before its
conversations, a case before its appointments, referrals or tasks) and
rows of one kind in the order of their primary key, so that two actions that
lock some of the same rows never wait for each other in a circle.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models

Row = TypeVar("Row", bound=models.Model)


def lock_row(model: type[Row], pk: object) -> Row | None:
    """The ``model`` row ``pk``, locked until the transaction ends; None if it is gone.

    None is the row deleted before we could look (or while we waited for
    its lock): the caller raises the error that says so in words.
    """
    found: Row | None = model._default_manager.select_for_update().filter(pk=pk).first()
    return found


def lock_rows(rows: models.QuerySet[Row]) -> list[object]:
    """Lock every row of ``rows`` in primary-key order; return their keys.

    Only the rows of ``rows``' own table are locked, not the rows of tables
    its filter joins. On PostgreSQL a row another transaction changed while
    we waited for it is checked against the filter again and left out (and
    unlocked) if it no longer matches.
    """
    locking = rows.select_for_update(of=("self",))
    return list(locking.order_by("pk").values_list("pk", flat=True))
