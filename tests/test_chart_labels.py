"""Chart labels are never clipped: long labels wrap and the label column grows."""

from __future__ import annotations

import re

from django.utils import translation

from forestall.stats import charts

LONG = "Reliable deterioration (outcome of a finished course), counted per month"


def _view_box(svg: str) -> tuple[float, float]:
    width, height = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups()
    return float(width), float(height)


def test_a_long_label_is_shown_whole_on_several_lines():
    svg = str(charts.bar_chart("c", [(LONG, 3), ("Short", 1)], title="t"))
    assert "…" not in svg
    shown = " ".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg))
    for word in LONG.split():
        assert word in shown
    assert svg.count("<tspan") >= 3


def test_every_label_line_fits_inside_the_chart():
    labels = [LONG, "Verlässliche Verschlechterung (Ergebnis eines abgeschlossenen Verlaufs)"]
    svg = str(charts.bar_chart("c", [(label, 5) for label in labels], title="t"))
    _width, height = _view_box(svg)
    for x, y, text in re.findall(r'<tspan x="([\d.]+)" y="([\d.]+)">([^<]*)</tspan>', svg):
        # Anchored at the end: the text runs leftwards from x.
        assert float(x) - len(text) * charts.CHAR_WIDTH >= 0, text
        assert 0 < float(y) <= height


def test_the_last_month_label_of_a_line_chart_fits():
    with translation.override("de"):
        months = ["Jan. 2026", "Feb. 2026", "März 2026", "Apr. 2026", "Mai 2026", "Juni 2026"]
        svg = str(charts.line_chart("l", months, [("Kontakte", [1, 2, 3, 4, 5, 6])], title="t"))
    width, _height = _view_box(svg)
    x = float(re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="middle">Juni 2026', svg)[0])
    assert x + len("Juni 2026") * charts.CHAR_WIDTH / 2 <= width
