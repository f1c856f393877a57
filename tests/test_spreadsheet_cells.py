"""lib.spreadsheet: CSV cells that a spreadsheet would run as a formula are written as text."""

from __future__ import annotations

import ast
import csv
import datetime
import io
from pathlib import Path

import pytest
from django.utils.translation import gettext_lazy

from forestall.lib.spreadsheet import safe_cell, safe_row, writer


@pytest.mark.parametrize(
    "text", ["=1+1", "+1+A1", "-A1", "@SUM(A1)", "\t=1+1", "\r=1+1", "-", "=", "- item"]
)
def test_a_text_a_spreadsheet_would_run_gets_a_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value", [0, -3, 2.5, -0.25, "-3", "+4", "-1.5", "1e3", "-2E-3", "Berlin", "", None, "a=b"]
)
def test_numbers_and_ordinary_text_are_left_alone(value):
    assert safe_cell(value) == value


def test_a_lazy_translation_is_checked_as_its_text():
    assert safe_cell(gettext_lazy("=1+1")) == "'=1+1"


def test_the_writer_quotes_every_cell_of_every_row():
    buffer = io.StringIO()
    out = writer(buffer, lineterminator="\n")
    out.writerow(["=1+1", 5, "-5"])
    out.writerows([["@A1", "ok"], [-2, "+x"]])
    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [
        ["'=1+1", "5", "-5"],
        ["'@A1", "ok"],
        ["-2", "'+x"],
    ]


def test_a_row_without_a_suspect_cell_is_written_as_it_is():
    row = ["c_1a2b", "berlin", 3, -2, 0.5, None, ""]
    assert safe_row(row) is row
    assert safe_row(["ok", "-x"]) == ["ok", "'-x"]
    assert safe_row(iter(["=1", 2])) == ["'=1", 2]


def test_a_date_or_a_lazy_text_in_a_row_gets_the_full_check():
    day = datetime.date(2026, 1, 2)
    assert safe_row([day, gettext_lazy("@x")]) == [day, "'@x"]


# --- No CSV writer outside lib.spreadsheet ----------------------------------

FORESTALL = Path(__file__).resolve().parent.parent / "forestall"
HELPER = FORESTALL / "lib" / "spreadsheet.py"
_WRITERS = {"writer", "DictWriter"}


def _imports_csv_by_name(call: ast.Call) -> bool:
    """``__import__("csv")`` or ``importlib.import_module("csv")``."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    return name in ("__import__", "import_module") and any(
        isinstance(arg, ast.Constant) and arg.value in ("csv", "_csv") for arg in call.args
    )


def csv_writers_in(source: str) -> list[str]:
    """Every way ``source`` could make a ``csv`` writer without ``lib.spreadsheet``."""
    found: list[str] = []
    aliases: set[str] = set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for name in node.names:
                if name.name in ("csv", "_csv"):
                    aliases.add(name.asname or name.name)
        elif isinstance(node, ast.ImportFrom) and node.module in ("csv", "_csv"):
            found += [f"from csv import {n.name}" for n in node.names if n.name in _WRITERS | {"*"}]
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in _WRITERS
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            found.append(f"{node.value.id}.{node.attr} (line {node.lineno})")
        elif isinstance(node, ast.Call) and _imports_csv_by_name(node):
            found.append(f"csv imported by name (line {node.lineno})")
    return found


@pytest.mark.parametrize(
    "source",
    [
        "import csv\ncsv.writer(f)",
        "import csv as c\nw = c.DictWriter(f, [])",
        "from csv import writer",
        "from csv import DictWriter as W",
        "from csv import *",
        "import _csv\n_csv.writer(f)",
        "csv = __import__('csv')",
        "import importlib\nc = importlib.import_module('csv')",
    ],
)
def test_the_source_check_finds_a_writer_that_bypasses_the_helper(source):
    assert csv_writers_in(source)


def test_the_source_check_lets_reading_and_the_helper_through():
    assert csv_writers_in("import csv\ncsv.reader(f)\nfrom forestall.lib import spreadsheet") == []


def test_no_module_but_the_helper_makes_a_csv_writer():
    """A new download or export must write through ``lib.spreadsheet``, never ``csv`` itself."""
    offenders = {
        str(path.relative_to(FORESTALL)): found
        for path in sorted(FORESTALL.rglob("*.py"))
        if path != HELPER and (found := csv_writers_in(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
    # ... and the check is looking at the right files: the helper itself is caught.
    assert csv_writers_in(HELPER.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "module",
    [
        "stats/staff_views.py",
        "stats/opendata.py",
        "research/codebook.py",
        "research/export.py",
        "reach/staff_views.py",
    ],
)
def test_every_csv_forestall_writes_goes_through_the_helper(module):
    assert "spreadsheet.writer(" in (FORESTALL / module).read_text(encoding="utf-8")
