"""lib.spreadsheet: CSV cells that a spreadsheet would run as a formula are written as text."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils.translation import gettext_lazy

from forestall.lib.spreadsheet import safe_cell, writer


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
