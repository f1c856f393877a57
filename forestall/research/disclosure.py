"""The disclosure check of research exports: k-anonymity on the quasi-identifiers.

Quasi-identifiers of a case are its location (centre, or its region), its
programme and the period of first contact (month, quarter or year); age is
not recorded by forestall, so there is no age band. Before anything is
written, the cases are counted by those three at every level of coarsening,
from (centre, month) to (region, year); the finest level at which every group
holds at least k cases, or where the cases of the groups still smaller than
k are at most ``MAX_SUPPRESSED_SHARE`` of all (so that one outlying case does
not coarsen everybody), is used; those cases are suppressed (left out and
counted). If no level qualifies, (region, year) is used and its small groups
are suppressed. The manifest reports the
level used and the k reached (the smallest group written).

Only counts per group are held in memory (at most centres x programmes x
months), never the cases.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

# The share of cases a level may suppress rather than coarsen further.
MAX_SUPPRESSED_SHARE = 0.05

# From finest to coarsest: (location level, period level).
LEVELS: tuple[tuple[str, str], ...] = (
    ("centre", "month"),
    ("centre", "quarter"),
    ("region", "quarter"),
    ("region", "year"),
)


def period_label(day: datetime.date, level: str) -> str:
    if level == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if level == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}"


@dataclass(frozen=True)
class QuasiIdentifiers:
    case_id: bytes  # the internal ids as their 16 bytes (``research.export._key``)
    client_id: bytes
    centre: str
    region: str
    programme: str
    opened_on: datetime.date

    def key(self, level: tuple[str, str]) -> tuple[str, str, str]:
        location = self.centre if level[0] == "centre" else self.region
        return (location, self.programme, period_label(self.opened_on, level[1]))


@dataclass
class DisclosureDecision:
    k: int
    level: tuple[str, str]
    counts: Counter[tuple[str, str, str]]
    suppressed_cases: set[bytes] = field(default_factory=set)
    suppressed_clients: set[bytes] = field(default_factory=set)

    def key(self, row: QuasiIdentifiers) -> tuple[str, str, str]:
        return row.key(self.level)

    @property
    def k_reached(self) -> int | None:
        """The smallest group written (None if nothing is written)."""
        kept = [n for n in self.counts.values() if n >= self.k]
        return min(kept) if kept else None

    @property
    def location_level(self) -> str:
        return self.level[0]

    @property
    def period_level(self) -> str:
        return self.level[1]


def decide(rows: Iterable[QuasiIdentifiers], k: int) -> DisclosureDecision:
    """The finest level whose groups (nearly) all reach ``k``; the small groups are suppressed.

    ``rows`` is consumed once (it may be a streamed query). The small groups
    at the coarsest level are remembered by key; the second pass
    (``mark_suppressed``) collects their cases, of which there are fewer than
    k per group.
    """
    counts: dict[tuple[str, str], Counter[tuple[str, str, str]]] = {
        level: Counter() for level in LEVELS
    }
    for row in rows:
        for level in LEVELS:
            counts[level][row.key(level)] += 1
    for level in LEVELS:
        total = sum(counts[level].values())
        small = sum(n for n in counts[level].values() if n < k)
        if small <= MAX_SUPPRESSED_SHARE * total:
            return DisclosureDecision(k, level, counts[level])
    return DisclosureDecision(k, LEVELS[-1], counts[LEVELS[-1]])


def mark_suppressed(decision: DisclosureDecision, rows: Iterable[QuasiIdentifiers]) -> None:
    """Collect the cases (and clients) of the groups smaller than k at the chosen level."""
    small = {key for key, n in decision.counts.items() if n < decision.k}
    if not small:
        return
    for row in rows:
        if row.key(decision.level) in small:
            decision.suppressed_cases.add(row.case_id)
            decision.suppressed_clients.add(row.client_id)
