"""The report's tables as rows of plain values with Chinese headers, shared by the HTML and the XLSX,
so both show the same figures under the same words."""

from __future__ import annotations

from alerts.lifecycle import STATUS_ZH
from alerts.report.figures import DISTRIBUTION_TIERS, REPORT_TIERS, AlertEvent, DailyFigures
from models.tiers import TIER_ZH
from sources.schema import SOURCES

TITLE = "规模性失业风险监测日报"
KIND_ZH = {"enterprise": "企业", "area": "区域"}
ALERT_HEADERS = ("编号", "企业/区域", "类型", "等级", "乡镇", "主要原因", "通知单位", "当日变化")
WATCH_HEADERS = ("变动", "企业名称", "统一社会信用代码", "所属乡镇", "方式", "风险等级", "原因")
QUALITY_HEADERS = ("数据源", "文件数", "读取行数", "有效行数", "隔离行数", "拒收行数", "拒收文件数")
TREND_HEADERS = tuple(TIER_ZH[t] for t in REPORT_TIERS) + ("蓝色及以上合计",)
ALERT_TABLES = (
    ("new_alerts", "新增预警", "当日没有新增预警。"),
    ("escalated_alerts", "升级预警（等级上升、风险再次出现或已上报负责人）", "当日没有升级的预警。"),
    ("closed_alerts", "解除或关闭的预警", "当日没有解除或关闭的预警。"),
)
DISTRIBUTIONS = (("by_township", "按乡镇（街道）", "乡镇（街道）"), ("by_chain", "按产业链", "产业链"))


def tier_label(tier: str) -> str:
    return TIER_ZH.get(tier, tier)


def signed(change: int | None) -> str:
    """A change as people read it: ``较上一评分日 +3``, ``持平``, or ``—`` when there is no earlier day."""
    if change is None:
        return "—"
    if change == 0:
        return "较上一评分日持平"
    return f"较上一评分日 {change:+,}"


def overview_rows(f: DailyFigures) -> list[tuple[str, object, str]]:
    """(figure, value, change) rows of the headline: enterprises scored, each tier, alerts, areas."""
    scored_change = None if f.scored_previous is None else f.scored - f.scored_previous
    rows: list[tuple[str, object, str]] = [
        ("报告日期", f.as_of.isoformat(), ""),
        ("数据截至", f.data_as_of.isoformat(), ""),
        ("评估企业数", f.scored, signed(scored_change)),
    ]
    rows += [(f"{tier_label(t)}风险企业", f.tiers.get(t, 0), signed(f.tier_change(t))) for t in REPORT_TIERS]
    rows += [(f"在办预警：{STATUS_ZH[s]}", n, "") for s, n in f.statuses.items()]
    rows += [
        ("在办预警合计", sum(f.statuses.values()), ""),
        ("区域预警（生效中）", f.area_warnings, ""),
        ("当日新增预警", len(f.new_alerts), ""),
        ("当日升级预警", len(f.escalated_alerts), ""),
        ("当日解除或关闭预警", len(f.closed_alerts), ""),
        ("清单纳入", sum(c.direction == "纳入" for c in f.watchlist), ""),
        ("清单移出", sum(c.direction == "移出" for c in f.watchlist), ""),
    ]
    return rows


def trend_rows(f: DailyFigures) -> list[tuple[object, ...]]:
    """One row per scored day, oldest first: the day, each tier's count (red to blue), their sum."""
    return [(d.isoformat(), *(c.get(t, 0) for t in REPORT_TIERS), sum(c.values())) for d, c in f.trend]


def distribution_rows(groups: list[tuple[str, dict[str, int]]]) -> list[tuple[object, ...]]:
    """One row per township or chain: its name, red, orange, yellow, total."""
    return [(name, *(c[t] for t in DISTRIBUTION_TIERS), sum(c.values())) for name, c in groups]


def alert_rows(events: list[AlertEvent]) -> list[tuple[object, ...]]:
    """One row per alert in ``ALERT_HEADERS`` order."""
    return [
        (
            e.alert_id,
            e.name,
            KIND_ZH.get(e.kind, e.kind),
            tier_label(e.tier),
            e.township,
            e.reason,
            e.offices,
            e.change,
        )
        for e in events
    ]


def watch_rows(f: DailyFigures) -> list[tuple[object, ...]]:
    """One row per watchlist change in ``WATCH_HEADERS`` order."""
    return [
        (c.direction, c.name, c.uscc, c.township, c.kind, tier_label(c.tier), c.reason) for c in f.watchlist
    ]


def quality_rows(f: DailyFigures) -> list[tuple[object, ...]]:
    """One row per source in ``QUALITY_HEADERS`` order, then a 合计 row when there are several."""
    rows: list[tuple[object, ...]] = [
        (
            source_label(q.source),
            q.files,
            q.rows_read,
            q.rows_valid,
            q.rows_quarantined,
            q.rows_rejected,
            len(q.rejected),
        )
        for q in f.quality
    ]
    if len(rows) > 1:
        q = f.quality
        rows.append((
            "合计", sum(s.files for s in q), sum(s.rows_read for s in q), sum(s.rows_valid for s in q),
            sum(s.rows_quarantined for s in q), sum(s.rows_rejected for s in q), sum(len(s.rejected) for s in q),
        ))  # fmt: skip
    return rows


def rejected_rows(f: DailyFigures) -> list[tuple[str, str, str]]:
    """(source, file, reason) for every file refused on the day."""
    return [(source_label(q.source), name, reason) for q in f.quality for name, reason in q.rejected]


def source_label(source: str) -> str:
    known = SOURCES.get(source)
    return known.label if known is not None else source
