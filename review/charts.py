"""The charts of an alert page, from the enterprise's stored series (``store.tables.EnterpriseTrend``),
each only for an office that sees its category (``alerts.config.SEE_CATEGORIES``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from alerts.fields import EXCERPT_CATEGORY
from alerts.render import EXCERPT_CHANNEL_ZH
from alerts.report.svg import line_chart

COLOURS = {
    "headcount": "#2e86de", "workers_paid": "#2e86de", "gross_pay": "#8e44ad", "arrears_workers": "#d7263d",
    "contributions_due": "#7f8c8d", "contributions_paid": "#27ae60",
    "online": "#f46036", "petition": "#d7263d", "hotline": "#e2b007", "police": "#2c3e50",
}  # fmt: skip


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str


@dataclass(frozen=True)
class _Spec:
    title: str
    axis: str
    lines: Mapping[str, tuple[str, str]]
    """series key -> (its name, the category an office must see to be shown it)"""
    scale: Callable[[float], float] = float


_SPECS = (
    _Spec("参保人数（月末）", "months", {"headcount": ("参保人数", "headcount")}),
    _Spec(
        "工资发放",
        "months",
        {
            "workers_paid": ("发放人数", "payroll"),
            "arrears_workers": ("欠薪人数", "wage_arrears"),
        },
    ),  # fmt: skip
    _Spec("工资总额（万元）", "months", {"gross_pay": ("工资总额", "payroll")}, lambda v: v / 10_000),
    _Spec(
        "社保缴费（万元）",
        "months",
        {
            "contributions_due": ("应缴", "contributions"),
            "contributions_paid": ("实缴", "contributions"),
        },
        lambda v: v / 10_000,
    ),  # fmt: skip
    _Spec(
        "{}（每周件数）",
        "weeks",
        {channel: (EXCERPT_CHANNEL_ZH[channel], category) for channel, category in EXCERPT_CATEGORY.items()},
    ),  # fmt: skip
)


def alert_charts(series: Mapping[str, Any], sees: Callable[[str], bool]) -> list[Chart]:
    """The charts ``series`` gives, each with only the lines an office that ``sees`` may be shown."""
    charts = []
    for spec in _SPECS:
        lines = {key: name for key, (name, category) in spec.lines.items() if sees(category)}
        labels = list(series.get(spec.axis) or [])
        values = {key: _values(series, key, spec.scale) for key in lines}
        values = {key: v for key, v in values.items() if len(v) == len(labels)}
        if not labels or not values or all(v is None for vs in values.values() for v in vs):
            continue
        shown = [label[5:] if spec.axis == "weeks" else label for label in labels]  # 2026-06-01 -> 06-01
        # A title lists only the lines drawn, never a kind of record the office is not shown.
        title = spec.title.format("、".join(lines[key] for key in values))
        svg = line_chart(shown, values, names=lines, title=title, colours=COLOURS, width=560, height=240)
        charts.append(Chart(title, svg))
    return charts


def _values(series: Mapping[str, Any], key: str, scale: Callable[[float], float]) -> list[float | None]:
    raw = series.get("sentiment", {}).get(key) if key in EXCERPT_CATEGORY else series.get(key)
    return [None if v is None else scale(float(v)) for v in raw or []]
