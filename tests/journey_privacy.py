"""Helpers for the journey tests: a raw dump of every table, and captured logs.

The privacy property under test: after a whole help-seeker journey, neither
the message text, the reply, nor the codename appears anywhere in the raw
database or in any log output, and no client address appears in any table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from tests.database_dump import raw_database_text  # noqa: F401 - the journey tests use it from here


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
    """Every log record emitted meanwhile, from any logger, at the configured levels.

    The levels stay as configured (``FORESTALL_LOG_LEVEL``, INFO by default):
    what is tested is what a deployment writes. (At DEBUG, Django's template
    engine logs whole template contexts on a missing variable; never run a
    public deployment at DEBUG.)
    """
    handler = _Collect()
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in _NAMED_LOGGERS)]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def assert_nowhere(haystacks: dict[str, str], needles: dict[str, str]) -> None:
    for needle_name, needle in needles.items():
        variants = {needle, needle.lower(), needle.upper()}
        for haystack_name, haystack in haystacks.items():
            for variant in variants:
                where = haystack.find(variant)
                # The context says where it leaked, without printing the secret itself.
                context = haystack[max(0, where - 300) : where].replace(variant, "<…>")
                assert where < 0, (
                    f"the {needle_name} appears in the {haystack_name} after: {context}"
                )
