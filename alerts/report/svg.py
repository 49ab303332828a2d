"""Charts as inline SVG text: a line chart and a horizontal stacked bar chart.

The report opens on an offline intranet, so charts are markup the browser draws itself, with its
own fonts for the Chinese labels: no scripts, no external files. Every label is XML-escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape

FONT = "font-family=\"'Microsoft YaHei','PingFang SC','Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif\""
TIER_COLOURS = {"red": "#d7263d", "orange": "#f46036", "yellow": "#e2b007", "blue": "#2e86de"}
GRID = "#e3e3e3"
TEXT = "#333"


def line_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    names: Mapping[str, str],
    title: str,
    colours: Mapping[str, str] = TIER_COLOURS,
    width: int = 760,
    height: int = 300,
) -> str:
    """An ``<svg>`` line chart: one line per series (coloured by ``colours``, keyed like the series),
    x labels thinned to at most ten, y from zero to a round maximum, a legend above, a point marker
    on each value. A missing value (None) breaks its line."""
    left, right, top, bottom = 56, 16, 54, 40
    inner_w, inner_h = width - left - right, height - top - bottom
    peak = _nice_max(math.ceil(max((v for vs in series.values() for v in vs if v is not None), default=0)))
    count = len(labels)

    def x(i: int) -> float:
        return left + (inner_w / 2 if count == 1 else inner_w * i / (count - 1))

    def y(value: float) -> float:
        return top + inner_h - inner_h * value / peak

    parts = [_open(width, height, title), _title(title, width)]
    parts += _y_axis(peak, left, width - right, y)
    step = max(1, -(-count // 10))
    for i, label in enumerate(labels):
        # Every step-th label and the last, never a thinned one so close to the last that they overlap.
        if (i % step == 0 and count - 1 - i >= step / 2) or i == count - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 18}" font-size="11" text-anchor="middle" '
                f'fill="{TEXT}">{escape(label)}</text>'
            )
    for key, values in series.items():
        colour = colours.get(key, "#666")
        for run in _runs(values):
            points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run)
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
            for i, v in run:
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}">'
                    f"<title>{escape(labels[i])} {escape(names.get(key, key))}：{v:,.0f}</title></circle>"
                )
    parts += _legend(list(series), names, left, 40, colours)  # below the title, clear of it
    parts.append("</svg>")
    return "".join(parts)


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """The stretches of ``values`` without a gap, each as (index, value) pairs."""
    runs: list[list[tuple[int, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
        else:
            runs[-1].append((i, v))
    return [run for run in runs if run]


def stacked_bars(
    rows: Sequence[tuple[str, Mapping[str, int]]],
    *,
    keys: Sequence[str],
    names: Mapping[str, str],
    title: str,
    width: int = 760,
) -> str:
    """An ``<svg>`` horizontal bar chart, one bar per row (in the given order) stacked by ``keys``,
    with the row's total at the end of its bar. No rows gives a chart saying 无数据."""
    label_w, right, top, bar, gap = 150, 60, 58, 18, 8
    height = top + max(len(rows), 1) * (bar + gap) + 12
    inner_w = width - label_w - right
    peak = max((sum(c.get(k, 0) for k in keys) for _, c in rows), default=0) or 1
    parts = [_open(width, height, title), _title(title, width)]
    parts += _legend(keys, names, label_w, 40)  # below the title, clear of it
    if not rows:
        parts.append(
            f'<text x="{width / 2}" y="{top + 14}" font-size="13" text-anchor="middle" fill="#888">无数据</text>'
        )
    for i, (label, counts) in enumerate(rows):
        y = top + i * (bar + gap)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar - 4}" font-size="12" text-anchor="end" fill="{TEXT}">'
            f"{escape(_shorten(label, 12))}<title>{escape(label)}</title></text>"
        )
        x = float(label_w)
        for key in keys:
            value = counts.get(key, 0)
            if value <= 0:
                continue
            w = inner_w * value / peak
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" fill="{TIER_COLOURS.get(key, "#666")}">'
                f"<title>{escape(label)} {escape(names.get(key, key))}：{value:,}</title></rect>"
            )
            x += w
        total = sum(counts.get(k, 0) for k in keys)
        parts.append(f'<text x="{x + 6:.1f}" y="{y + bar - 4}" font-size="12" fill="{TEXT}">{total:,}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {FONT}>'
    )


def _title(title: str, width: int) -> str:
    return (
        f'<text x="{width / 2}" y="18" font-size="14" font-weight="bold" text-anchor="middle" '
        f'fill="{TEXT}">{escape(title)}</text>'
    )


def _y_axis(peak: int, x0: int, x1: int, y: Callable[[float], float]) -> list[str]:
    parts: list[str] = []
    for k in range(5):
        value = peak * k / 4
        yy = y(value)
        parts.append(f'<line x1="{x0}" x2="{x1}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{GRID}"/>')
        parts.append(
            f'<text x="{x0 - 6}" y="{yy + 4:.1f}" font-size="11" text-anchor="end" fill="{TEXT}">{value:,.0f}</text>'
        )
    return parts


def _legend(
    keys: Sequence[str], names: Mapping[str, str], x0: int, y: int, colours: Mapping[str, str] = TIER_COLOURS
) -> list[str]:
    parts: list[str] = []
    x = x0
    for key in keys:
        parts.append(
            f'<rect x="{x}" y="{y - 9}" width="12" height="10" fill="{colours.get(key, "#666")}"/>'
        )
        label = escape(names.get(key, key))
        parts.append(f'<text x="{x + 16}" y="{y}" font-size="12" fill="{TEXT}">{label}</text>')
        x += 28 + 14 * len(names.get(key, key))
    return parts


def _nice_max(value: int) -> int:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above ``value`` (at least 4, so ticks are whole)."""
    if value <= 4:
        return 4
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return 10 * magnitude


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
