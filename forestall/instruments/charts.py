"""Server-rendered SVG charts of a client's measures over time.

API used by the case page::

    from forestall.instruments.charts import client_charts, measure_chart, measure_chart_svg

    charts = client_charts(client, "de")          # one MeasureChart per instrument used
    {% include "instruments/_measure_chart.html" with chart=chart %}

    measure_chart_svg(administrations, "PHQ-9", "en")  # just the <svg> markup

The SVG uses presentation attributes only (no ``style``, no script), so the
strict CSP allows it inline. Severity bands are shaded, the caseness threshold
is a dashed line, the reliable change limits around the first score are dotted
lines, and each measurement that differs reliably from the first is ringed
(green: improvement, red: deterioration). ``<title>`` and ``<desc>`` describe
it for screen readers, and the include puts the same data in a table beside
it. Bands and thresholds are drawn from the version of the latest
measurement; every point keeps the total stored when it was scored.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import override

from forestall.instruments.catalogue import Definition, catalogue, localized
from forestall.instruments.models import Administration, Occasion, Status, completion_order
from forestall.instruments.outcomes import Change, _change

if TYPE_CHECKING:
    from forestall.cases.models import Client

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 20, 14, 58
# Light fills from "well" to "unwell"; dark enough text stays readable on all.
BAND_FILLS = ("#e3f1e6", "#eef2dc", "#f8eed5", "#f8e2d3", "#f3d5d5")
POINT_FILL = "#23527c"
IMPROVED = "#2f7a45"
DETERIORATED = "#9b2c1c"
CHANGE_COLOURS = {Change.IMPROVED: IMPROVED, Change.DETERIORATED: DETERIORATED}
INK = "#17202a"
MUTED = "#51606f"


@dataclass(frozen=True)
class ChartPoint:
    administration_id: object
    when: datetime.datetime
    date_label: str
    occasion: str
    total: int
    band: str
    prorated: bool
    change: Change | None


@dataclass
class MeasureChart:
    instrument: str
    name: str
    title: str
    description: str
    svg: SafeString
    points: list[ChartPoint] = field(default_factory=list)
    caseness: str = ""
    reliable_change: int | None = None

    @property
    def dom_id(self) -> str:
        return f"chart-{self.instrument}"


def _completed(administrations: Iterable[Administration], instrument: str) -> list[Administration]:
    rows = [
        administration
        for administration in administrations
        if administration.instrument == instrument
        and administration.status == Status.COMPLETED
        and administration.total is not None
    ]
    return sorted(rows, key=lambda row: (row.completed_at or row.created_at, row.created_at))


def _caseness_text(definition: Definition) -> str:
    if definition.caseness_at_least is not None:
        return _("caseness: %(value)d or more") % {"value": definition.caseness_at_least}
    if definition.caseness_at_most is not None:
        return _("caseness: %(value)d or less") % {"value": definition.caseness_at_most}
    return ""


def _points(definition: Definition, rows: list[Administration], language: str) -> list[ChartPoint]:
    occasions = dict(Occasion.choices)
    first = rows[0].total if rows else None
    points = []
    for index, row in enumerate(rows):
        if row.total is None:  # nothing to plot (the charts read completed administrations)
            continue
        when = row.completed_at or row.created_at
        band = definition.band_for(row.total)
        change = None
        if index and definition.reliable_change and first is not None:
            change = _change(
                int(first),
                int(row.total),
                definition.reliable_change,
                definition.higher_is == "worse",
            )
        points.append(
            ChartPoint(
                administration_id=row.pk,
                when=when,
                date_label=formats.date_format(timezone.localtime(when), "SHORT_DATE_FORMAT"),
                occasion=str(occasions.get(row.occasion, row.occasion)),
                total=int(row.total),
                band=localized(band.label, language) if band else "",
                prorated=row.prorated,
                change=change,
            )
        )
    return points


def _describe(definition: Definition, points: list[ChartPoint]) -> str:
    name = definition.name
    if not points:
        return _("No completed %(name)s yet.") % {"name": name}
    first, last = points[0], points[-1]
    if len(points) == 1:
        return _("One %(name)s measurement: %(total)d (%(band)s) on %(date)s.") % {
            "name": name,
            "total": first.total,
            "band": first.band,
            "date": first.date_label,
        }
    text = _(
        "%(count)d %(name)s measurements, from %(first)d (%(first_band)s) on %(first_date)s "
        "to %(last)d (%(last_band)s) on %(last_date)s."
    ) % {
        "count": len(points),
        "name": name,
        "first": first.total,
        "first_band": first.band,
        "first_date": first.date_label,
        "last": last.total,
        "last_band": last.band,
        "last_date": last.date_label,
    }
    if last.change == Change.IMPROVED:
        text += " " + _("This is a reliable improvement.")
    elif last.change == Change.DETERIORATED:
        text += " " + _("This is a reliable deterioration.")
    elif last.change == Change.NO_RELIABLE_CHANGE:
        text += " " + _("This is no reliable change.")
    return text


def _svg(
    definition: Definition,
    points: list[ChartPoint],
    title: str,
    description: str,
    language: str,
) -> str:
    low, high = definition.min_total, definition.max_total
    span = max(high - low, 1)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    dom_id = f"chart-{definition.key}"

    def y(value: float) -> float:
        return round(TOP + plot_height * (high - value) / span, 1)

    def x(index: int) -> float:
        if len(points) <= 1:
            return round(LEFT + plot_width / 2, 1)
        return round(LEFT + plot_width * index / (len(points) - 1), 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" class="measure-chart-svg" role="img" '
        f'aria-labelledby="{dom_id}-title {dom_id}-desc" font-family="sans-serif">',
        f'<title id="{dom_id}-title">{escape(title)}</title>',
        f'<desc id="{dom_id}-desc">{escape(description)}</desc>',
    ]
    # Severity bands, shaded from well to unwell, each with its name.
    bands = list(definition.bands)
    ordered = bands if definition.higher_is == "worse" else list(reversed(bands))
    for rank, band in enumerate(ordered):
        fill_index = round(rank * (len(BAND_FILLS) - 1) / max(len(ordered) - 1, 1))
        top_value = band.max + 0.5 if band.max < high else high
        bottom_value = band.min - 0.5 if band.min > low else low
        band_top, band_bottom = y(top_value), y(bottom_value)
        band_name = escape(localized(band.label, language))
        parts.append(
            f'<rect x="{LEFT}" y="{band_top}" width="{plot_width}" '
            f'height="{round(band_bottom - band_top, 1)}" fill="{BAND_FILLS[fill_index]}">'
            f"<title>{band_name}</title></rect>"
        )
        if band_bottom - band_top >= 14:
            parts.append(
                f'<text x="{LEFT + plot_width - 4}" '
                f'y="{round((band_top + band_bottom) / 2 + 4, 1)}" '
                f'font-size="10" fill="{MUTED}" text-anchor="end">{band_name}</text>'
            )
    # Axis ticks at the band boundaries.
    ticks = sorted({low, high, *(band.min for band in bands)})
    for tick in ticks:
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(tick) + 4}" font-size="11" fill="{MUTED}" '
            f'text-anchor="end">{tick}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_height}" stroke="{MUTED}" '
        f'stroke-width="1"/>'
    )
    # Caseness threshold.
    threshold = definition.caseness_at_least
    if threshold is None and definition.caseness_at_most is not None:
        threshold = definition.caseness_at_most + 1
    if threshold is not None:
        line_y = y(threshold - 0.5)
        parts.append(
            f'<line x1="{LEFT}" y1="{line_y}" x2="{LEFT + plot_width}" y2="{line_y}" '
            f'stroke="{INK}" stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
        parts.append(
            f'<text x="{LEFT + 4}" y="{line_y - 4}" font-size="11" fill="{INK}">'
            f"{escape(_caseness_text(definition))}</text>"
        )
    # Reliable change limits around the first score.
    if points and definition.reliable_change:
        first = points[0].total
        for limit in (first - definition.reliable_change, first + definition.reliable_change):
            if low <= limit <= high:
                parts.append(
                    f'<line x1="{LEFT}" y1="{y(limit)}" x2="{LEFT + plot_width}" y2="{y(limit)}" '
                    f'stroke="{MUTED}" stroke-width="1" stroke-dasharray="2 3"/>'
                )
    # The measurements.
    if len(points) > 1:
        coordinates = " ".join(f"{x(index)},{y(point.total)}" for index, point in enumerate(points))
        parts.append(
            f'<polyline points="{coordinates}" fill="none" stroke="{POINT_FILL}" stroke-width="2"/>'
        )
    label_every = max(1, -(-len(points) // 8))
    for index, point in enumerate(points):
        cx, cy = x(index), y(point.total)
        colour = CHANGE_COLOURS.get(point.change, POINT_FILL) if point.change else POINT_FILL
        if point.change in (Change.IMPROVED, Change.DETERIORATED):
            parts.append(
                f'<circle cx="{cx}" cy="{cy}" r="9" fill="none" stroke="{colour}" '
                'stroke-width="2"/>'
            )
        parts.append(
            f'<circle cx="{cx}" cy="{cy}" r="5" fill="{colour}" stroke="#ffffff" stroke-width="1">'
            f"<title>{escape(point.date_label)}: {point.total} ({escape(point.band)})</title>"
            "</circle>"
        )
        if index % label_every == 0 or index == len(points) - 1:
            parts.append(
                f'<text x="{cx}" y="{TOP + plot_height + 16}" font-size="11" fill="{MUTED}" '
                f'text-anchor="middle">{escape(point.date_label)}</text>'
            )
    # Legend.
    legend_y = HEIGHT - 12
    legend = [
        ("line-dash", INK, _caseness_text(definition) if threshold is not None else ""),
        ("line-dot", MUTED, _("reliable change limits") if definition.reliable_change else ""),
        ("ring", IMPROVED, _("reliable improvement") if definition.reliable_change else ""),
        ("ring", DETERIORATED, _("reliable deterioration") if definition.reliable_change else ""),
    ]
    position = LEFT
    for kind, colour, text in legend:
        if not text:
            continue
        if kind == "ring":
            parts.append(
                f'<circle cx="{position + 6}" cy="{legend_y - 4}" r="5" fill="none" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
        else:
            dash = "6 4" if kind == "line-dash" else "2 3"
            parts.append(
                f'<line x1="{position}" y1="{legend_y - 4}" x2="{position + 14}" '
                f'y2="{legend_y - 4}" stroke="{colour}" stroke-width="1.5" '
                f'stroke-dasharray="{dash}"/>'
            )
        parts.append(
            f'<text x="{position + 18}" y="{legend_y}" font-size="11" fill="{INK}">'
            f"{escape(text)}</text>"
        )
        position += 24 + 6 * len(text)
    parts.append("</svg>")
    return "".join(parts)


def measure_chart(
    administrations: Iterable[Administration], instrument_id: str, language: str
) -> MeasureChart:
    """The chart (SVG, description and table rows) of one measure for one client."""
    rows = _completed(administrations, catalogue().get(instrument_id).id)
    version = rows[-1].version if rows else None
    definition = catalogue().get(instrument_id, version)
    with override(language):
        points = _points(definition, rows, language)
        title = _("%(name)s over time") % {"name": definition.name}
        description = _describe(definition, points)
        svg = _svg(definition, points, title, description, language)
        caseness = _caseness_text(definition)
    return MeasureChart(
        instrument=definition.key,
        name=definition.name,
        title=title,
        description=description,
        svg=mark_safe(svg),  # noqa: S308 - every interpolated text is escaped above
        points=points,
        caseness=caseness,
        reliable_change=definition.reliable_change,
    )


def measure_chart_svg(
    administrations: Iterable[Administration], instrument_id: str, language: str
) -> str:
    """Just the ``<svg>`` of ``measure_chart`` (safe to insert into a template)."""
    return measure_chart(administrations, instrument_id, language).svg


def client_charts(
    client: Client, language: str, completed: Sequence[Administration] | None = None
) -> list[MeasureChart]:
    """One chart per scored instrument the client has completed, in catalogue order.

    The caller has already passed the client through ``Client.objects.visible_to``.
    ``completed``: the client's completed administrations if the caller has
    them already (``Administration.objects.completed_of``), to save a query.
    """
    if completed is None:
        completed = Administration.objects.completed_of(client)
    rows = sorted((row for row in completed if row.total is not None), key=completion_order)
    used = {row.instrument for row in rows}
    return [
        measure_chart(rows, definition.id, language)
        for definition in catalogue().latest(kind="score")
        if definition.id in used
    ]
