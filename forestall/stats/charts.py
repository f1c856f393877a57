"""Small server-rendered SVG charts: no JavaScript, no external resources.

The Content-Security-Policy forbids inline ``style`` attributes, so every
chart uses SVG presentation attributes (``fill``, ``stroke``, ``font-size``)
only. Each chart has a ``<title>`` and ``<desc>`` and is shown beside a data
table with the same figures, which is what screen readers read.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Colour-blind safe palette (Okabe-Ito), dark enough against white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#7A6A00", "#56B4E9", "#000000", "#E69F00")
INK = "#17202a"
GRID = "#d5dbe1"
FONT = "system-ui, sans-serif"
# A generous average glyph width at font-size 12, for laying out labels.
CHAR_WIDTH = 7.0
# Characters per line of a bar label before it wraps.
LABEL_LINE = 32


def _wrap(label: str) -> list[str]:
    """``label`` in lines of at most ``LABEL_LINE`` characters (a longer word is split)."""
    lines = textwrap.wrap(str(label), LABEL_LINE, break_long_words=True) or [""]
    return lines


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
    """Horizontal bars, one per item; an item without a value is marked as withheld.

    Labels are never cut: a long one wraps onto further lines (the row grows)
    and the label column is as wide as the longest line needs.
    """
    bar_width, line_height, top = 380, 14, 10
    wrapped = [_wrap(label) for label, _value in items]
    longest = max((len(line) for lines in wrapped for line in lines), default=0)
    label_width = int(min(max(longest * CHAR_WIDTH + 16, 120), LABEL_LINE * CHAR_WIDTH + 16))
    rows = [max(26, line_height * len(lines) + 12) for lines in wrapped]
    width = label_width + bar_width + 70
    height = top * 2 + max(sum(rows), 26)
    maximum = _nice_max(max((v for _l, v in items if v is not None), default=0))
    parts = [_open(chart_id, width, height, title, description)]
    y = top
    for (_label, value), lines, row in zip(items, wrapped, rows, strict=True):
        middle = y + row / 2
        first = middle + 4 - line_height * (len(lines) - 1) / 2
        spans = "".join(
            f'<tspan x="{label_width - 8}" y="{first + line_height * number:.1f}">'
            f"{escape(line)}</tspan>"
            for number, line in enumerate(lines)
        )
        parts.append(f'<text text-anchor="end">{spans}</text>')
        if value is None:
            parts.append(
                f'<text x="{label_width + 4}" y="{middle + 4:.1f}" fill="#51606f">'
                f"{escape(_('withheld'))}</text>"
            )
            y += row
            continue
        length = bar_width * value / maximum
        parts.append(
            f'<rect x="{label_width}" y="{middle - 9:.1f}" width="{length:.1f}" height="18" '
            f'fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{label_width + length + 6:.1f}" y="{middle + 4:.1f}">{_number(value)}</text>'
        )
        y += row
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
    # The right margin holds half of the last month's label (centred on its tick).
    left, right, top, bottom = 56, 40, 14, 58
    plot_width, plot_height = 620, 220
    width, height = left + plot_width + right, top + plot_height + bottom + 22 * len(series)
    values = [v for _name, points in series for v in points if v is not None]
    # Four grid steps of a round size, so that every tick is a whole number.
    maximum = 4 * _nice_max(max(values, default=0) / 4)
    count = max(len(x_labels), 1)
    step = plot_width / max(count - 1, 1)
    parts = [_open(chart_id, width, height, title, description)]
    for tick in range(5):
        tick_value = maximum * tick / 4
        y = top + plot_height - plot_height * tick / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_width}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(tick_value)}</text>'
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
                point_x, point_y = segment[0].split(",")
                parts.append(f'<circle cx="{point_x}" cy="{point_y}" r="3" fill="{colour}"/>')
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
