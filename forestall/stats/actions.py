"""Recording de-identified counts: the only way facts reach the statistics.

Threat model: the counts are published (after disclosure control) and kept
after every personal record is erased, so they must never be joinable back to
a person. ``record`` therefore accepts only fixed vocabularies, a centre, a
day and a coarse duration range, and refuses anything else with
``ValueError`` (unknown values) or ``TypeError`` (unknown keywords such as a
person or mailbox id).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import connection, models, transaction
from django.utils import timezone

from forestall.public.models import Pathway
from forestall.stats.events import Detail, Event, bucket_for
from forestall.stats.models import CountChannel, CountLanguage, DailyCount, MonthlyCount, Source

if TYPE_CHECKING:
    from forestall.accounts.models import User
    from forestall.directory.models import Centre

_EVENTS = frozenset(Event.values)
_DETAILS = frozenset(Detail.values)
_CHANNELS = frozenset(CountChannel.values)
# Other names callers use for a channel of the vocabulary: the confidential
# mailbox is the "secure messaging" channel of the centre directory.
_CHANNEL_ALIASES = {"mailbox": CountChannel.MESSAGING.value}
_PATHWAYS = frozenset(Pathway.values)
_LANGUAGES = frozenset(CountLanguage.values)
# A well-formed language tag ("pt", "pt-BR", "zh_Hant"); anything else is refused.
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")

_DIMENSIONS = (
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
)


def _language(value: str) -> str:
    if not value:
        return ""
    if not _LANGUAGE_TAG.match(value):
        raise ValueError("language must be a language code")
    primary = re.split(r"[-_]", value)[0].lower()
    return primary if primary in _LANGUAGES else CountLanguage.OTHER.value


def _choice(name: str, value: str, allowed: frozenset[str]) -> str:
    value = str(value or "")
    if value and value not in allowed:
        raise ValueError(f"{name} {value!r} is not in the statistics vocabulary")
    return value


def count_row(
    event: str,
    *,
    centre: Centre | None = None,
    channel: str = "",
    language: str = "",
    pathway: str = "",
    detail: str = "",
    duration: datetime.timedelta | None = None,
    day: datetime.date | None = None,
    count: int = 1,
    source: str = Source.LIVE,
) -> tuple[object, ...]:
    """The validated dimension values of one count, in ``_DIMENSIONS`` order, plus the count."""
    event = str(event)
    if event not in _EVENTS:
        raise ValueError(f"unknown statistics event {event!r}")
    if isinstance(day, datetime.datetime) or (
        day is not None and not isinstance(day, datetime.date)
    ):
        raise ValueError("day must be a date (counts are never finer than a day)")
    if duration is not None and not isinstance(duration, datetime.timedelta):
        raise ValueError("duration must be a timedelta")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError("count must be a positive integer")
    if source not in Source.values:
        raise ValueError(f"unknown source {source!r}")
    centre_id = region_id = None
    if centre is not None:
        centre_id, region_id = centre.pk, centre.region_id
        if centre_id is None:
            raise ValueError("centre must be a saved Centre")
    return (
        day or timezone.localdate(),
        event,
        centre_id,
        region_id,
        _choice("channel", _CHANNEL_ALIASES.get(str(channel), channel), _CHANNELS),
        _language(str(language or "")),
        _choice("pathway", pathway, _PATHWAYS),
        _choice("detail", detail, _DETAILS),
        bucket_for(duration) if duration is not None else "",
        source,
        count,
    )


def _upsert_sql(model: type[models.Model], rows: int) -> str:
    table = model._meta.db_table
    time_column = "day" if model is DailyCount else "month"
    names = (time_column, *_DIMENSIONS[1:], "count")
    columns = ", ".join(f'"{name}"' for name in names)
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(names)) + ")"] * rows)
    # The conflict target repeats the expression of the model's unique index
    # (``*_unique_dimensions``): the same text works on SQLite (3.24+) and
    # PostgreSQL (9.5+). The increment happens inside the database, so
    # concurrent writers never lose a count.
    return (
        f'INSERT INTO "{table}" ({columns}) VALUES {placeholders} '  # noqa: S608 - fixed names
        f'ON CONFLICT ("{time_column}", "event", (COALESCE(CAST("centre_id" AS text), \'\')), '
        '"channel", "language", "pathway", "detail", "duration_bucket", "source") '
        f'DO UPDATE SET "count" = "{table}"."count" + excluded."count"'
    )


def _adapt(row: tuple[object, ...]) -> list[object]:
    """Parameters for the raw upsert, in the form each backend stores them."""
    field = DailyCount._meta.get_field("centre")
    values = list(row)
    for index in (2, 3):  # centre_id, region_id: UUIDs as the backend stores them
        if values[index] is not None:
            values[index] = field.target_field.get_db_prep_value(  # type: ignore[union-attr]
                values[index], connection
            )
    values[0] = connection.ops.adapt_datefield_value(values[0])  # type: ignore[arg-type]
    return values


def _monthly(row: tuple[object, ...]) -> tuple[object, ...]:
    day = row[0]
    return (day.replace(day=1), *row[1:])  # type: ignore[attr-defined]


def _upsert(model: type[models.Model], rows: list[tuple[object, ...]]) -> None:
    params: list[object] = []
    for row in rows:
        params.extend(_adapt(row))
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(model, len(rows)), params)  # type: ignore[arg-type]


def _merged(rows: Iterable[tuple[object, ...]]) -> dict[tuple[object, ...], int]:
    # One statement may not touch the same row twice (PostgreSQL refuses),
    # so identical dimensions are merged first.
    merged: dict[tuple[object, ...], int] = {}
    for row in rows:
        key = row[:-1]
        merged[key] = merged.get(key, 0) + int(row[-1])  # type: ignore[call-overload]
    return merged


def add_counts(rows: Iterable[tuple[object, ...]], *, batch_size: int = 500) -> int:
    """Upsert many validated rows from ``count_row`` (used by backfill and demo data).

    Callers that run it outside a transaction get one per batch; the daily and
    monthly tables are kept in step either way.
    """
    daily = _merged(rows)
    monthly = _merged((*_monthly(key), value) for key, value in daily.items())
    for model, merged in ((DailyCount, daily), (MonthlyCount, monthly)):
        batch = [(*key, value) for key, value in merged.items()]
        for start in range(0, len(batch), batch_size):
            _upsert(model, batch[start : start + batch_size])
    return sum(daily.values())


def delete_counts(source: str) -> None:
    """Remove every count of ``source`` (a backfill or the demo data being replaced)."""
    if source in (Source.LIVE, Source.REACH):
        raise ValueError("live counts are never deleted")
    DailyCount.objects.filter(source=source).delete()
    MonthlyCount.objects.filter(source=source).delete()


def rebuild_monthly() -> int:
    """Recompute the monthly table from the daily one (after a manual repair); rows written."""
    from django.db.models import Sum
    from django.db.models.functions import TruncMonth

    with transaction.atomic():
        MonthlyCount.objects.all().delete()
        groups = (
            DailyCount.objects.annotate(month=TruncMonth("day"))
            .values_list("month", *_DIMENSIONS[1:])
            .annotate(total=Sum("count"))
            .order_by()
        )
        rows = [
            (month.date() if isinstance(month, datetime.datetime) else month, *rest)
            for month, *rest in groups
        ]
        for start in range(0, len(rows), 500):
            _upsert(MonthlyCount, rows[start : start + 500])
    return len(rows)


def record(
    event: str,
    *,
    centre: Centre | None = None,
    channel: str = "",
    language: str = "",
    pathway: str = "",
    detail: str = "",
    duration: datetime.timedelta | None = None,
    day: datetime.date | None = None,
    count: int = 1,
    source: str = Source.LIVE,
) -> None:
    """Add ``count`` to the daily count of ``event`` (see ``stats.events.Event``).

    ``centre`` gives centre and region; ``channel``, ``language`` and ``pathway``
    are coarse dimensions; ``detail`` is a short value from a fixed vocabulary
    (``stats.events.Detail``, for example the self-check's recommended step),
    never free text; ``duration`` (a waiting or response time) is kept only as
    a coarse bucket. ``day`` defaults to today. ``source`` is ``live`` or, for
    someone who arrived through a reach warning, ``reach``. Nothing that identifies a
    person is accepted: unknown values raise ``ValueError``, unknown keywords
    ``TypeError``.

    The increment is one ``INSERT … ON CONFLICT DO UPDATE`` statement on the
    daily table and one on the monthly table, safe under concurrent writers;
    it joins the caller's transaction if there is one.
    """
    row = count_row(
        event,
        centre=centre,
        channel=channel,
        language=language,
        pathway=pathway,
        detail=detail,
        duration=duration,
        day=day,
        count=count,
        source=source,
    )
    if source not in (Source.LIVE, Source.REACH):
        raise ValueError("record() counts live events only (source 'live' or 'reach')")
    with transaction.atomic():
        _upsert(DailyCount, [row])
        _upsert(MonthlyCount, [_monthly(row)])


def record_dashboard_export(
    actor: User,
    *,
    centre: Centre | None,
    start: datetime.date,
    end: datetime.date,
    title: str,
) -> None:
    """Audit a CSV download of a staff dashboard (``statistics.export``, with its period).

    The figures are de-identified counts, but who took which centre's figures
    out of forestall, and for which period, is recorded like every staff read.
    """
    from forestall.audit.actions import record_event

    record_event(actor, "statistics.export", centre=centre, reason=f"{start}..{end}; {title}")
