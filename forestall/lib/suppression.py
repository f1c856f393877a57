"""Statistical disclosure control for tables of counts (pure functions).

Threat model: a reader of published statistics (the public page, the CSV and
JSON downloads, the API) who knows some people in a small centre, or who
combines several tables, tries to learn that one identifiable person was
counted ("the only Turkish-speaking client of centre X withdrew"). Counts of
1 to ``threshold - 1`` make that possible, so:

1. **Primary suppression**: every count from 1 to ``threshold - 1`` is
   withheld (zeros are published: "nobody" discloses nothing about a person).
2. **Secondary suppression**: a withheld cell must not be recoverable by
   subtracting the published cells of its row or column from the published
   total. In every line of the table (a row with its row total, a column with
   its column total, and the line of totals with the grand total) the number
   of withheld entries must be 0 or at least 2. While a line has exactly one,
   the smallest other entry of that line is withheld too (non-zero cells
   before zeros, cells before totals), until nothing changes.
3. Optional **rounding** of every published figure to a base (e.g. 5), after
   suppression; rounded totals are rounded independently.

A withheld figure is ``None``. The functions never see where the numbers
came from; ``forestall.stats.release`` applies them to every table that leaves
the staff side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

Cell = int | None


@dataclass(frozen=True)
class SuppressedTable:
    """A table after disclosure control: ``None`` marks a withheld figure."""

    cells: list[list[Cell]]
    row_totals: list[Cell]
    column_totals: list[Cell]
    total: Cell
    # False where the totals are not published at all (``None`` means absent).
    has_row_totals: bool = True
    has_column_totals: bool = True

    @property
    def suppressed_count(self) -> int:
        entries = [*self.row_totals, *self.column_totals, self.total]
        entries += [cell for row in self.cells for cell in row]
        return sum(1 for entry in entries if entry is None)


def is_sensitive(value: int, threshold: int) -> bool:
    """True for counts that primary suppression withholds (1 to threshold - 1)."""
    return 0 < value < threshold


def suppress_table(
    table: Sequence[Sequence[int]],
    *,
    threshold: int = 5,
    rounding_base: int = 1,
    row_totals: bool = True,
    column_totals: bool = True,
    withhold_cells: Iterable[tuple[int, int]] = (),
    withhold_row_totals: Iterable[int] = (),
    withhold_column_totals: Iterable[int] = (),
    withhold_total: bool = False,
) -> SuppressedTable:
    """Primary and secondary suppression of a table with row, column and grand totals.

    ``table`` is a list of rows of non-negative counts (all rows the same
    length). The published totals are computed from the true counts, then
    withheld where needed like any other cell. Totals that are not published
    at all (``row_totals=False`` where adding up a row means nothing, like the
    steps of a funnel) come back as ``None`` and give nothing away.

    The ``withhold_*`` arguments force figures to be withheld: for tables
    that share figures with another published table (the same monthly totals,
    a region's row that is the total of its centres' table), the callers
    withhold in each what the other withheld and repeat until both are stable
    (see ``suppress_linked``).
    """
    rows = [list(row) for row in table]
    width = len(rows[0]) if rows else 0
    if any(len(row) != width for row in rows):
        raise ValueError("every row needs the same number of cells")
    if any(value < 0 for row in rows for value in row):
        raise ValueError("counts are never negative")
    if threshold < 1:
        raise ValueError("the threshold must be at least 1")
    height = len(rows)
    # The extended grid: cells, a column of row totals, a row of column totals
    # and the grand total in the corner. Every row and every column of this
    # grid is one linear relation "cells add up to the total".
    grid = [[*row, sum(row)] for row in rows]
    grid.append([sum(rows[i][j] for i in range(height)) for j in range(width)])
    grid[-1].append(sum(sum(row) for row in rows))
    withheld = [[is_sensitive(value, threshold) for value in line] for line in grid]
    for i, j in withhold_cells:
        withheld[i][j] = True
    for i in withhold_row_totals:
        withheld[i][width] = True
    for j in withhold_column_totals:
        withheld[height][j] = True
    if withhold_total:
        withheld[height][width] = True
    # A total that is not published at all can never be learnt, so a line
    # that holds one cannot be solved: such lines need no protection, and an
    # absent total is never chosen for secondary suppression.
    absent = [[False] * (width + 1) for _line in grid]
    if not row_totals:
        for i in range(height + 1):
            absent[i][width] = withheld[i][width] = True
    if not column_totals:
        for j in range(width + 1):
            absent[height][j] = withheld[height][j] = True
    _secondary(grid, withheld, absent)

    def published(i: int, j: int) -> Cell:
        if withheld[i][j]:
            return None
        return round_to(grid[i][j], rounding_base)

    return SuppressedTable(
        cells=[[published(i, j) for j in range(width)] for i in range(height)],
        row_totals=[published(i, width) for i in range(height)],
        column_totals=[published(height, j) for j in range(width)],
        total=published(height, width),
        has_row_totals=row_totals,
        has_column_totals=column_totals,
    )


def _lines(height: int, width: int) -> list[list[tuple[int, int]]]:
    """Every relation of the extended grid as a list of positions; the total is last."""
    lines = [[(i, j) for j in range(width + 1)] for i in range(height + 1)]
    lines += [[(i, j) for i in range(height + 1)] for j in range(width + 1)]
    return lines


def _secondary(grid: list[list[int]], withheld: list[list[bool]], absent: list[list[bool]]) -> None:
    height, width = len(grid) - 1, len(grid[0]) - 1
    lines = [line for line in _lines(height, width) if not any(absent[i][j] for i, j in line)]
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [position for position in line if withheld[position[0]][position[1]]]
            if len(hidden) != 1:
                continue
            candidates = [position for position in line if not withheld[position[0]][position[1]]]
            if not candidates:
                continue
            total_position = line[-1]

            def cost(
                position: tuple[int, int], total_position: tuple[int, int] = total_position
            ) -> tuple[int, int, int, tuple[int, int]]:
                value = grid[position[0]][position[1]]
                # Prefer a non-zero cell (a withheld zero hides little),
                # then the smallest, and a total only as a last resort.
                return (position == total_position, value == 0, value, position)

            chosen = min(candidates, key=cost)
            withheld[chosen[0]][chosen[1]] = True
            changed = True


def suppress_series(
    values: Sequence[int], *, threshold: int = 5, rounding_base: int = 1
) -> tuple[list[Cell], Cell]:
    """A single row of counts with its total (e.g. the steps of a funnel by month)."""
    result = suppress_table([list(values)], threshold=threshold, rounding_base=rounding_base)
    if not values:
        return [], result.total
    return result.cells[0], result.row_totals[0]


def suppress_value(value: int, *, threshold: int = 5, rounding_base: int = 1) -> Cell:
    """One count that is published on its own (no total it could be derived from)."""
    if value < 0:
        raise ValueError("counts are never negative")
    if is_sensitive(value, threshold):
        return None
    return round_to(value, rounding_base)


def round_to(value: int, base: int) -> int:
    """``value`` rounded to the nearest multiple of ``base`` (halves round up)."""
    if base < 1:
        raise ValueError("the rounding base must be at least 1")
    if base == 1:
        return value
    return ((value + base // 2) // base) * base


def is_protected(table: SuppressedTable) -> bool:
    """True if no line of the published table has exactly one withheld entry.

    The condition the secondary suppression establishes; tests and the
    publishing code assert it.
    """
    height = len(table.cells)
    width = len(table.cells[0]) if height else len(table.column_totals)
    grid = [[*row, total] for row, total in zip(table.cells, table.row_totals, strict=True)]
    grid.append([*table.column_totals, table.total])
    for line in _lines(height, width):
        if any(
            (j == width and not table.has_row_totals)
            or (i == height and not table.has_column_totals)
            for i, j in line
        ):
            continue  # a line with a total that is never published cannot be solved
        hidden = sum(1 for i, j in line if grid[i][j] is None)
        if hidden == 1:
            return False
    return True


def suppress_linked(
    build: Callable[[dict[str, set]], dict[str, SuppressedTable]],
    *,
    links: Callable[[dict[str, SuppressedTable]], dict[str, set]],
    limit: int = 50,
) -> dict[str, SuppressedTable]:
    """Suppress several tables that share figures until no shared figure leaks.

    ``build(forced)`` suppresses every table, withholding what ``forced``
    names; ``links(results)`` says, from the tables just suppressed, which
    figures each table must withhold because a table it shares them with
    withheld them. Withheld sets only grow, so this ends.
    """
    forced: dict[str, set] = {}
    for _round in range(limit):
        results = build(forced)
        wanted = links(results)
        merged = {
            key: set(forced.get(key, set())) | set(wanted.get(key, set()))
            for key in set(forced) | set(wanted)
        }
        if merged == forced:
            return results
        forced = merged
    raise RuntimeError("linked suppression did not settle")  # pragma: no cover
