"""Completion of the self-help modules, from the de-identified ``ModuleCount`` rows.

The staff statistics page shows the counts as they are; the public page gets
them after the network's disclosure control: counts from 1 to threshold - 1
are withheld (``forestall.lib.suppression``; no totals are published, so
none could reveal a withheld count), and a completion rate is published only where
both the completions and the non-completions are safe to show.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Sum
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from forestall.lib.suppression import is_sensitive, suppress_table
from forestall.selfhelp.content import catalogue
from forestall.selfhelp.models import CountEvent, ModuleCount

EVENTS = (CountEvent.STARTED, CountEvent.COMPLETED, CountEvent.SHARED, CountEvent.READ_THROUGH)


def _counts(start: datetime.date, end: datetime.date) -> dict[tuple[str, str, str], int]:
    rows = (
        ModuleCount.objects.filter(day__gte=start, day__lte=end)
        .values("programme", "module", "event")
        .annotate(total=Sum("count"))
    )
    return {(r["programme"], r["module"], r["event"]): r["total"] for r in rows}


def _rate(completed: int | None, started: int | None) -> str:
    if not started or completed is None:
        return "-"
    return f"{min(completed / started, 1.0):.0%}"


def _rows(start: datetime.date, end: datetime.date) -> list[tuple[str, list[int]]]:
    counts = _counts(start, end)
    language = get_language() or "en"
    rows = []
    for programme in catalogue().programmes:
        for module in programme.modules:
            heading = f"{programme.text(language).title}: {module.text(language).title}"
            values = [counts.get((programme.slug, module.slug, event), 0) for event in EVENTS]
            rows.append((heading, values))
    return rows


def _columns() -> list[str]:
    return [
        _("Module"),
        _("Started (with a mailbox)"),
        pgettext("self-help module", "Completed"),
        _("Shared with a counsellor"),
        _("Finished without a mailbox"),
        _("Completion rate"),
    ]


def staff_table(start: datetime.date, end: datetime.date) -> Any:
    """The counts per module as recorded, with completion rates (staff side only)."""
    from forestall.stats.pages import Table

    table = Table(_("Self-help: modules started and completed"), _columns())
    for heading, values in _rows(start, end):
        started, completed = values[0], values[1]
        table.rows.append((heading, [*values, _rate(completed, started)]))
    return table


def public_table(start: datetime.date, end: datetime.date, threshold: int) -> Any:
    """The same table after suppression; a withheld figure is ``None``."""
    from forestall.stats.pages import WITHHELD, Table

    rows = _rows(start, end)
    # No totals are published (a sum over modules or over events means
    # nothing here), so there is nothing a withheld cell could be worked out from.
    suppressed = suppress_table(
        [values for _heading, values in rows],
        threshold=threshold,
        row_totals=False,
        column_totals=False,
    )
    table = Table(_("Self-help: modules started and completed"), _columns())
    for (heading, values), cells in zip(rows, suppressed.cells, strict=True):
        started, completed = values[0], values[1]
        safe = (
            started >= threshold
            and not is_sensitive(completed, threshold)
            and not is_sensitive(max(started - completed, 0), threshold)
        )
        shown = [WITHHELD if cell is None else cell for cell in cells]
        table.rows.append((heading, [*shown, _rate(completed, started) if safe else WITHHELD]))
    return table
