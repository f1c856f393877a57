"""Disclosure control: small counts are withheld and cannot be recovered from totals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forestall.lib.suppression import (
    is_protected,
    round_to,
    suppress_series,
    suppress_table,
    suppress_value,
)


def _published(result):
    yield from (cell for row in result.cells for cell in row)
    yield from result.row_totals
    yield from result.column_totals
    yield result.total


def _grid(result):
    grid = [[*row, total] for row, total in zip(result.cells, result.row_totals, strict=True)]
    grid.append([*result.column_totals, result.total])
    return grid


def _recoverable(result, table):
    """Cells an attacker can compute exactly by subtracting published figures, repeatedly."""
    true = [[*row, sum(row)] for row in table]
    true.append([*(sum(column) for column in zip(*table, strict=True)), sum(map(sum, table))])
    known = [[cell is not None for cell in line] for line in _grid(result)]
    height, width = len(true) - 1, len(true[0]) - 1
    lines = [[(i, j) for j in range(width + 1)] for i in range(height + 1)]
    lines += [[(i, j) for i in range(height + 1)] for j in range(width + 1)]
    recovered = set()
    changed = True
    while changed:
        changed = False
        for line in lines:
            unknown = [(i, j) for i, j in line if not known[i][j]]
            if len(unknown) == 1:
                i, j = unknown[0]
                known[i][j] = True
                recovered.add((i, j))
                changed = True
    absent = {(i, width) for i in range(height + 1)} if not result.has_row_totals else set()
    if not result.has_column_totals:
        absent |= {(height, j) for j in range(width + 1)}
    # Working out a total that is not published is no disclosure: it is the
    # sum of published figures. Only withheld figures must stay unknown.
    return recovered - absent


def test_counts_from_one_to_four_are_withheld_and_zeros_published():
    result = suppress_table([[0, 3, 12, 20]], threshold=5)
    assert result.cells[0][0] == 0
    assert result.cells[0][1] is None


def test_a_lone_small_cell_takes_the_next_smallest_cell_of_its_row_with_it():
    result = suppress_table([[3, 7, 40], [10, 12, 30]], threshold=5)
    assert result.cells[0][0] is None
    # Row 0 would give 3 away as 50 - 7 - 40: the 7 is withheld too ...
    assert result.cells[0][1] is None
    # ... and column 0 and 1 each now hide one cell: the next smallest of each goes.
    assert result.cells[1][0] is None
    assert result.cells[1][1] is None
    assert result.cells[0][2] == 40
    assert result.row_totals == [50, 52]
    assert result.total == 102
    assert is_protected(result)


def test_a_small_total_is_withheld_with_its_cells():
    result = suppress_table([[1, 2], [30, 40]], threshold=5)
    assert result.row_totals[0] is None
    assert result.cells[0] == [None, None]
    assert is_protected(result)


def test_the_threshold_comes_from_the_caller():
    assert suppress_table([[9, 30]], threshold=10).cells[0][0] is None
    assert suppress_table([[9, 30]], threshold=5).cells[0] == [9, 30]


def test_rounding_applies_to_every_published_figure():
    result = suppress_table([[12, 23], [7, 48]], threshold=5, rounding_base=5)
    assert result.cells == [[10, 25], [5, 50]]
    assert result.row_totals == [35, 55]
    assert result.total == 90


@pytest.mark.parametrize(
    ("value", "base", "expected"),
    [(0, 5, 0), (2, 5, 0), (3, 5, 5), (12, 5, 10), (13, 10, 10), (15, 10, 20), (7, 1, 7)],
)
def test_round_to_rounds_to_the_nearest_multiple(value, base, expected):
    assert round_to(value, base) == expected


def test_a_single_figure_is_withheld_when_small():
    assert suppress_value(4) is None
    assert suppress_value(0) == 0
    assert suppress_value(5) == 5
    assert suppress_value(13, rounding_base=5) == 15


def test_a_series_keeps_a_lone_small_step_unrecoverable_from_its_total():
    cells, total = suppress_series([120, 40, 3, 8], threshold=5)
    assert cells[2] is None
    assert cells[3] is None
    assert total == 171


def test_bad_tables_are_refused():
    with pytest.raises(ValueError):
        suppress_table([[1, 2], [3]])
    with pytest.raises(ValueError):
        suppress_table([[-1, 2]])


tables = st.integers(min_value=1, max_value=6).flatmap(
    lambda width: st.lists(
        st.lists(
            st.one_of(st.integers(0, 12), st.integers(0, 400)), min_size=width, max_size=width
        ),
        min_size=1,
        max_size=6,
    )
)


@settings(max_examples=120, deadline=None)
@given(table=tables, threshold=st.integers(min_value=2, max_value=11))
def test_no_published_figure_lies_between_one_and_the_threshold(table, threshold):
    result = suppress_table(table, threshold=threshold)
    for cell in _published(result):
        assert cell is None or cell == 0 or cell >= threshold


@settings(max_examples=120, deadline=None)
@given(table=tables, threshold=st.integers(min_value=2, max_value=11))
def test_every_line_hides_none_or_at_least_two_figures(table, threshold):
    result = suppress_table(table, threshold=threshold)
    assert is_protected(result)
    for line in _grid(result):
        assert sum(cell is None for cell in line) != 1
    for column in zip(*_grid(result), strict=True):
        assert sum(cell is None for cell in column) != 1


@settings(max_examples=120, deadline=None)
@given(table=tables, threshold=st.integers(min_value=2, max_value=11))
def test_no_withheld_figure_can_be_derived_by_subtracting_published_ones(table, threshold):
    result = suppress_table(table, threshold=threshold)
    assert _recoverable(result, table) == set()


@settings(max_examples=100, deadline=None)
@given(table=tables)
def test_published_figures_are_the_true_figures(table):
    result = suppress_table(table, threshold=5)
    for row, published_row in zip(table, result.cells, strict=True):
        for value, published in zip(row, published_row, strict=True):
            assert published is None or published == value
    assert result.total is None or result.total == sum(map(sum, table))


@settings(max_examples=100, deadline=None)
@given(table=tables, base=st.sampled_from([2, 5, 10]))
def test_rounded_tables_never_publish_a_small_count(table, base):
    result = suppress_table(table, threshold=5, rounding_base=base)
    for cell in _published(result):
        assert cell is None or cell == 0 or cell >= 5
        assert cell is None or cell % base == 0


def test_totals_that_are_not_published_force_nothing_else_out():
    # The steps of a funnel do not add up to anything: no row totals.
    result = suppress_table([[777, 424, 36], [1414, 757, 66]], row_totals=False)
    assert result.cells == [[777, 424, 36], [1414, 757, 66]]
    assert result.row_totals == [None, None]
    assert result.column_totals == [2191, 1181, 102]


def test_without_row_totals_a_small_cell_still_protects_its_column():
    result = suppress_table([[700, 3], [1400, 60], [900, 80]], row_totals=False)
    assert result.cells[0] == [700, None]
    assert result.cells[1][1] is None  # the next smallest of the column
    assert result.cells[2] == [900, 80]
    assert is_protected(result)


def test_forced_figures_are_withheld_with_their_partners():
    result = suppress_table([[50, 60], [70, 80]], withhold_cells=[(0, 0)])
    assert result.cells[0][0] is None
    assert is_protected(result)
    assert result.suppressed_count >= 4


@settings(max_examples=100, deadline=None)
@given(
    table=tables,
    threshold=st.integers(min_value=2, max_value=11),
    rows=st.booleans(),
    columns=st.booleans(),
)
def test_tables_with_absent_totals_stay_unrecoverable(table, threshold, rows, columns):
    result = suppress_table(table, threshold=threshold, row_totals=rows, column_totals=columns)
    assert _recoverable(result, table) == set()
    for cell in _published(result):
        assert cell is None or cell == 0 or cell >= threshold
