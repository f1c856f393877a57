"""Landings on ``/r/<partner>/<variant>/``, counted in memory and written in batches.

Why: a landing page that wrote three rows per visit (the click-through count
and the daily and monthly statistics counts) made every visitor wait for the
database's write lock; on SQLite the server's threads took turns at it. A
landing now adds one to a counter in this process's memory, and the counts
are written together, one transaction for all of them, when
``FORESTALL_REACH_LANDING_BATCH`` landings have gathered or the oldest of them
is ``FORESTALL_REACH_LANDING_SECONDS`` old (a timer started with the batch's
first landing), and when the process ends.

What is kept is what the database keeps anyway: per day, partner, variant and
language, a number. No time finer than the day, nothing about a visitor.

No count is lost on a write: the counts are taken out under a lock, and put
back if the transaction fails, to be written with the next batch. A count
still in memory when the process is killed outright (not stopped) is lost;
at most one batch or the configured seconds of landings.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import logging
import threading
import time
import uuid
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

logger = logging.getLogger(__name__)

# (day, partner id or None, variant id or None, language) → landings not yet written.
Key = tuple[datetime.date, uuid.UUID | None, uuid.UUID | None, str]

_lock = threading.Lock()
_pending: Counter[Key] = Counter()
_oldest = 0.0  # time.monotonic() of the oldest landing not yet written (0: none)


def count_landing(
    partner_id: uuid.UUID | None, variant_id: uuid.UUID | None, language: str
) -> None:
    """Add one landing to today's count; write the batch when it is full or old enough."""
    global _oldest
    with _lock:
        _pending[(timezone.localdate(), partner_id, variant_id, language)] += 1
        due = sum(_pending.values()) >= settings.FORESTALL_REACH_LANDING_BATCH
        first = not _oldest
        if first:
            _oldest = time.monotonic()
    if due:
        flush()
    elif first:
        # However quiet the page is afterwards, this batch is written in time.
        _flush_later()


def _flush_later() -> None:
    timer = threading.Timer(settings.FORESTALL_REACH_LANDING_SECONDS, _flush_in_background)
    timer.daemon = True
    timer.start()


def pending() -> int:
    """Landings counted in this process and not yet written."""
    with _lock:
        return sum(_pending.values())


def flush() -> int:
    """Write every landing counted in this process so far; the number written."""
    global _oldest
    with _lock:
        taken = dict(_pending)
        _pending.clear()
        _oldest = 0.0
    if not taken:
        return 0
    try:
        _write(taken)
    except BaseException:
        with _lock:
            _pending.update(taken)  # written with the next batch, never lost
            _oldest = _oldest or time.monotonic()
        raise
    return sum(taken.values())


def _write(counts: dict[Key, int]) -> None:
    from forestall.reach.models import ClickThroughCount, Partner, Variant
    from forestall.stats.actions import record
    from forestall.stats.events import Event
    from forestall.stats.models import Source

    per_language: Counter[tuple[datetime.date, str]] = Counter()
    with transaction.atomic():
        # A partner or variant deleted since its landing took its counts with it.
        partners = set(
            Partner.objects.filter(pk__in={key[1] for key in counts}).values_list("pk", flat=True)
        )
        variants = set(
            Variant.objects.filter(pk__in={key[2] for key in counts}).values_list("pk", flat=True)
        )
        for (day, partner_id, variant_id, language), count in sorted(
            counts.items(), key=lambda item: repr(item[0])
        ):
            per_language[(day, language)] += count
            if (partner_id is not None and partner_id not in partners) or (
                variant_id is not None and variant_id not in variants
            ):
                continue
            # None (an unknown partner or variant) matches the rows where it is empty.
            row: dict[str, object] = {
                "partner_id": partner_id,
                "variant_id": variant_id,
                "day": day,
                "language": language,
            }
            updated = ClickThroughCount.objects.filter(**row).update(count=F("count") + count)
            if not updated:
                ClickThroughCount.objects.create(
                    partner_id=partner_id,
                    variant_id=variant_id,
                    day=day,
                    language=language,
                    count=count,
                )
        # The landing is also the first step of the reach funnel in the statistics.
        for (day, language), count in sorted(per_language.items()):
            record(
                Event.REACH_LANDING, language=language, day=day, count=count, source=Source.REACH
            )


def _flush_in_background() -> None:
    from django.db import connection

    try:
        flush()
    except Exception:
        logger.exception("reach landings not written yet; tried again shortly")
        # The landings went back to the pending batch, which is no longer
        # "first": no landing would start a timer for it again, and on a
        # quiet page it would wait for the batch to fill or the process to end.
        _flush_later()
    finally:
        connection.close()


def _flush_at_exit() -> None:
    # Nothing is left to report to at interpreter exit.
    with contextlib.suppress(Exception):
        flush()


atexit.register(_flush_at_exit)
