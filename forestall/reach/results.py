"""What the staff comparison page shows: rates with 95% intervals, from aggregates only.

Click-through rate = landings / impressions for a partner and variant. The
interval is Wilson's score interval; the difference between two variants is
Newcombe's hybrid score interval (method 10), built from the two Wilson
intervals, which behaves well for small rates such as 1%.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.db.models import Sum

from forestall.reach.models import ClickThroughCount, ImpressionCount, Partner, Variant

Z95 = 1.959963984540054


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson's score interval of ``successes / trials``, or None without trials."""
    if trials <= 0:
        return None
    p = min(successes, trials) / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def difference(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int
) -> tuple[float, float, float] | None:
    """Rate A - rate B with Newcombe's 95% interval (estimate, lower, upper)."""
    interval_a = wilson(successes_a, trials_a)
    interval_b = wilson(successes_b, trials_b)
    if interval_a is None or interval_b is None:
        return None
    p_a = min(successes_a, trials_a) / trials_a
    p_b = min(successes_b, trials_b) / trials_b
    (l_a, u_a), (l_b, u_b) = interval_a, interval_b
    estimate = p_a - p_b
    lower = estimate - math.sqrt((p_a - l_a) ** 2 + (u_b - p_b) ** 2)
    upper = estimate + math.sqrt((u_a - p_a) ** 2 + (p_b - l_b) ** 2)
    return estimate, lower, upper


@dataclass
class Row:
    partner: Partner | None
    variant: Variant | None
    impressions: int
    clicks: int

    @property
    def rate(self) -> float | None:
        return min(self.clicks, self.impressions) / self.impressions if self.impressions else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.clicks, self.impressions)

    @property
    def percent(self) -> tuple[float, float, float] | None:
        """Rate, lower and upper bound in percent (for the page)."""
        if self.rate is None or self.interval is None:
            return None
        return 100 * self.rate, 100 * self.interval[0], 100 * self.interval[1]


def rows(start: datetime.date, end: datetime.date) -> list[Row]:
    """Impressions and landings per partner and variant between ``start`` and ``end``."""
    impressions = {
        (item["partner"], item["variant"]): item["total"]
        for item in ImpressionCount.objects.filter(day__range=(start, end))
        .values("partner", "variant")
        .annotate(total=Sum("impressions"))
        .order_by()
    }
    clicks = {
        (item["partner"], item["variant"]): item["total"]
        for item in ClickThroughCount.objects.filter(day__range=(start, end))
        .values("partner", "variant")
        .annotate(total=Sum("count"))
        .order_by()
    }
    partners = {p.pk: p for p in Partner.objects.all()}
    variants = {v.pk: v for v in Variant.objects.all()}
    found = []
    for key in sorted(set(impressions) | set(clicks), key=str):
        partner_id, variant_id = key
        found.append(
            Row(
                partners.get(partner_id),
                variants.get(variant_id),
                int(impressions.get(key, 0)),
                int(clicks.get(key, 0)),
            )
        )
    found.sort(key=lambda r: (r.partner is None, str(r.partner), str(r.variant)))
    return found


def by_variant(all_rows: list[Row]) -> list[Row]:
    """The rows summed over partners (known partners and variants only)."""
    totals: dict[object, Row] = {}
    for row in all_rows:
        if row.variant is None or row.partner is None:
            continue
        total = totals.setdefault(row.variant.pk, Row(None, row.variant, 0, 0))
        total.impressions += row.impressions
        total.clicks += row.clicks
    return sorted(totals.values(), key=lambda r: r.variant.slug if r.variant else "")


def comparisons(variant_rows: list[Row]) -> list[dict[str, object]]:
    """Each variant against the one shown most (the reference), with the 95% interval."""
    shown = [row for row in variant_rows if row.impressions]
    if len(shown) < 2:
        return []
    reference = max(shown, key=lambda row: row.impressions)
    found: list[dict[str, object]] = []
    for row in shown:
        if row is reference:
            continue
        result = difference(row.clicks, row.impressions, reference.clicks, reference.impressions)
        percent = tuple(100 * value for value in result) if result else None
        found.append({"variant": row.variant, "reference": reference.variant, "percent": percent})
    return found


FUNNEL_EVENTS = (
    "self_check_completed",
    "mailbox_started",
    "contact",
    "case_opened",
    "therapy_started",
)


def funnel_by_month(start: datetime.date, end: datetime.date) -> list[dict[str, object]]:
    """Per month: warnings shown (as reported), landings, then what followed them."""
    from django.db.models.functions import TruncMonth

    from forestall.stats.models import MonthlyCount, Source

    months: dict[datetime.date, dict[str, int]] = {}
    shown = (
        ImpressionCount.objects.filter(day__range=(start, end))
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(total=Sum("impressions"))
        .order_by()
    )
    for item in shown:
        month = item["month"]
        month = month.date() if isinstance(month, datetime.datetime) else month
        months.setdefault(month, {})["impressions"] = int(item["total"])
    landings = (
        ClickThroughCount.objects.filter(day__range=(start, end))
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(total=Sum("count"))
        .order_by()
    )
    for item in landings:
        month = item["month"]
        month = month.date() if isinstance(month, datetime.datetime) else month
        months.setdefault(month, {})["landings"] = int(item["total"])
    counted = (
        MonthlyCount.objects.filter(
            source=Source.REACH,
            event__in=FUNNEL_EVENTS,
            month__range=(start.replace(day=1), end),
        )
        .values("month", "event")
        .annotate(total=Sum("count"))
        .order_by()
    )
    for item in counted:
        months.setdefault(item["month"], {})[item["event"]] = int(item["total"])
    return [
        {
            "month": month,
            "steps": [values.get(step, 0) for step in ("impressions", "landings", *FUNNEL_EVENTS)],
        }
        for month, values in sorted(months.items())
    ]
