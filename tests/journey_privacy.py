"""Helpers for the journey tests: a raw dump of every table, and captured logs.

The privacy property under test: after a whole help-seeker journey, neither
the message text, the reply, nor the codename appears anywhere in the raw
database or in any log output, and no client address appears in any table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


def raw_database_text() -> str:
    """Everything the database holds, as text.

    SQLite: the raw bytes of the whole database file (free pages included, so
    deleted rows would still show), plus every row. PostgreSQL: every row of
    every table as ``SELECT t::text``.
    """
    connection.ensure_connection()
    parts: list[str] = []
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        for table in tables:
            quoted = connection.ops.quote_name(table)
            if connection.vendor == "postgresql":
                cursor.execute(f"SELECT t::text FROM {quoted} AS t")  # noqa: S608 - table names from introspection
            else:
                cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                parts.append(" | ".join(str(value) for value in row))
    if connection.vendor == "sqlite":
        raw = connection.connection.serialize()
        parts.append(raw.decode("utf-8", errors="replace"))
        parts.append(raw.decode("latin-1"))
    return "\n".join(parts)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a broken record is still worth inspecting
            text = f"{record.msg!r} {record.args!r}"
        extra = {
            key: value
            for key, value in record.__dict__.items()
            if key not in logging.LogRecord("", 0, "", 0, "", (), None).__dict__
        }
        self.lines.append(f"{record.levelname} {record.name}: {text} {extra!r}")
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


# Loggers that do not propagate to the root (see settings.LOGGING).
_NAMED_LOGGERS = ("django.request", "django.server", "django.security", "axes", "django")


@contextmanager
def captured_logs() -> Iterator[list[str]]:
    """Every log record emitted meanwhile, at any level, from any logger."""
    handler = _Collect()
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in _NAMED_LOGGERS)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def assert_nowhere(haystacks: dict[str, str], needles: dict[str, str]) -> None:
    for needle_name, needle in needles.items():
        variants = {needle, needle.lower(), needle.upper()}
        for haystack_name, haystack in haystacks.items():
            for variant in variants:
                assert variant not in haystack, f"the {needle_name} appears in the {haystack_name}"
