"""Small server-rendered SVG charts: no JavaScript, no external resources.

The Content-Security-Policy forbids inline ``style`` attributes, so every
chart uses SVG presentation attributes (``fill``, ``stroke``, ``font-size``)
only. Each chart has a ``<title>`` and ``<desc>`` and is shown beside a data
table with the same figures, which is what screen readers read.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Colour-blind safe palette (Okabe-Ito), dark enough against white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#7A6A00", "#56B4E9", "#000000", "#E69F00")
INK = "#17202a"
GRID = "#d5dbe1"
FONT = "system-ui, sans-serif"


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f") if value >= 1000 else f"{value:g}"


def _nice_max(value: float) -> float:
    if value <= 1:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)  # pragma: no cover


def _open(chart_id: str, width: int, height: int, title: str, description: str) -> str:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" width="100%" '
        'viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-title {id}-desc" '
        'preserveAspectRatio="xMinYMin meet" font-family="{font}" font-size="12" fill="{ink}">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        '<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>',
        id=chart_id,
        w=width,
        h=height,
        font=FONT,
        ink=INK,
        title=title,
        desc=description,
    )


def bar_chart(
    chart_id: str,
    items: Sequence[tuple[str, float | None]],
    *,
    title: str,
    description: str = "",
    colour: str = PALETTE[0],
) -> SafeString:
    """Horizontal bars, one per item; an item without a value is marked as withheld."""
    label_width, bar_width, row, top = 210, 380, 26, 10
    width = label_width + bar_width + 70
    height = top * 2 + row * max(len(items), 1)
    maximum = _nice_max(max((v for _l, v in items if v is not None), default=0))
    parts = [_open(chart_id, width, height, title, description)]
    for index, (label, value) in enumerate(items):
        y = top + index * row
        text = escape(label if len(label) <= 34 else label[:33] + "…")
        parts.append(f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end">{text}</text>')
        if value is None:
            parts.append(
                f'<text x="{label_width + 4}" y="{y + 17}" fill="#51606f">'
                f"{escape(_('withheld'))}</text>"
            )
            continue
        length = bar_width * value / maximum
        parts.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" '
            f'fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{label_width + length + 6:.1f}" y="{y + 17}">{_number(value)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label is escaped above


def line_chart(
    chart_id: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    description: str = "",
) -> SafeString:
    """Lines over months (or any ordered labels); a withheld value breaks the line."""
    left, right, top, bottom = 56, 16, 14, 58
    plot_width, plot_height = 620, 220
    width, height = left + plot_width + right, top + plot_height + bottom + 22 * len(series)
    values = [v for _name, points in series for v in points if v is not None]
    # Four grid steps of a round size, so that every tick is a whole number.
    maximum = 4 * _nice_max(max(values, default=0) / 4)
    count = max(len(x_labels), 1)
    step = plot_width / max(count - 1, 1)
    parts = [_open(chart_id, width, height, title, description)]
    for tick in range(5):
        value = maximum * tick / 4
        y = top + plot_height - plot_height * tick / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_width}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(value)}</text>'
        )
    every = max(1, -(-count // 6))  # at most six labels, so that they never overlap
    for index, label in enumerate(x_labels):
        if index % every:
            continue
        x = left + index * step
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_height + 18}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    for number, (name, points) in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        segments: list[list[str]] = [[]]
        for index, value in enumerate(points):
            if value is None:
                segments.append([])
                continue
            x = left + index * step
            y = top + plot_height - plot_height * value / maximum
            segments[-1].append(f"{x:.1f},{y:.1f}")
        for segment in segments:
            if len(segment) == 1:
                x, y = segment[0].split(",")
                parts.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>')
            elif segment:
                parts.append(
                    f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2.5"/>'
                )
        legend_y = top + plot_height + 40 + 22 * number
        parts.append(
            f'<rect x="{left}" y="{legend_y - 10}" width="14" height="14" fill="{colour}"/>'
            f'<text x="{left + 20}" y="{legend_y + 2}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label is escaped above
