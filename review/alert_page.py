"""What an alert page shows one officer: the alert cut to their office's view, its history, the
messages their office was sent about it, the charts they may see and the actions open to them now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from alerts.fields import EVIDENCE_LABELS, visible_details
from alerts.lifecycle import ACTION_ZH, ACTIONS, CLOSABLE_WHEN_RESOLVED, STATUS_ZH
from alerts.render import EXCERPT_CHANNEL_ZH, area_word, figure_text, industry_text
from features.text_categories import CATEGORY_ZH
from models.tiers import TIER_ZH
from review.charts import Chart, alert_charts
from review.roles import Principal
from sources.schema import OUTCOME_ZH
from store.tables import Alert, AlertTransition, EnterpriseTrend, Notification, Silence

ACTION_ORDER = ("acknowledge", "verify", "confirm", "false_alarm", "close")


@dataclass(frozen=True)
class AlertPage:
    alert: Alert
    view: dict[str, Any]
    title: str
    profile: list[tuple[str, str]]
    risk: str
    reasons: list[str]
    evidence: list[tuple[str, str]]
    excerpts: list[dict[str, str]]
    enterprises: list[dict[str, Any]]
    history: list[dict[str, str]]
    messages: list[dict[str, str]]
    series: dict[str, Any] | None
    """the enterprise's stored trend series (``EnterpriseTrend``), if any"""
    who: Principal
    actions: list[str]
    silences: list[Silence]

    def charts(self) -> list[Chart]:
        """The charts of ``series`` the office may see: drawn only for the HTML page, not for its JSON."""
        return alert_charts(self.series, self.who.sees) if self.series is not None else []


def alert_page(session: Session, alert: Alert, who: Principal, *, tz: ZoneInfo, today: date) -> AlertPage:
    assert who.office is not None and alert.id is not None
    view = visible_details(alert.details, who.office.sees)
    is_area = alert.kind == "area"
    trend = None if is_area else session.get(EnterpriseTrend, alert.subject)
    transitions = session.exec(
        select(AlertTransition).where(AlertTransition.alert_id == alert.id).order_by(col(AlertTransition.id))
    )
    notifications = session.exec(
        select(Notification)
        .where(Notification.alert_id == alert.id, Notification.office == who.office.key)
        .order_by(col(Notification.id))
    )
    silences = [] if is_area else list(
        session.exec(
            select(Silence)
            .where(Silence.uscc == alert.subject, col(Silence.until) >= today, col(Silence.lifted_at).is_(None))
            .order_by(col(Silence.id))
        )
    )  # fmt: skip
    return AlertPage(
        alert=alert, view=view,
        title=area_word(view) if is_area else view.get("name", alert.subject_name),
        profile=_profile(view), risk=_risk(alert, view),
        reasons=[r.get("sentence", "") for r in view.get("reasons", [])],
        evidence=[(EVIDENCE_LABELS.get(k, k), figure_text(k, v)) for k, v in view.get("evidence", {}).items()],
        excerpts=[_excerpt(e) for e in view.get("excerpts", [])],
        enterprises=view.get("enterprises", []) if is_area else [],
        history=[_history(t, tz) for t in transitions],
        messages=[_message(n, tz) for n in notifications],
        series=trend.series if trend is not None else None, who=who,
        actions=available_actions(alert) if who.runs_workflow else [],
        silences=silences,
    )  # fmt: skip


def available_actions(alert: Alert) -> list[str]:
    """The workflow actions the alert's status allows now (``alerts.lifecycle``)."""
    out = [a for a in ACTION_ORDER if alert.status in ACTIONS[a][0]]
    if "close" not in out and not alert.firing and alert.status in CLOSABLE_WHEN_RESOLVED:
        out.append("close")
    return out


def local_time(moment: datetime | None, tz: ZoneInfo) -> str:
    return "" if moment is None else moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _profile(view: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [("统一社会信用代码", view["uscc"])] if view.get("uscc") else []
    if view.get("township"):
        rows.append(("所属乡镇（街道）", view["township"]))
    if view.get("industry"):
        rows.append(("行业", industry_text(view["industry"])))
    if view.get("chain"):
        rows.append(("产业链", view["chain"]))
    if view.get("headcount") is not None:
        rows.append(("参保人数", f"{int(view['headcount']):,}人"))
    return rows


def _risk(alert: Alert, view: dict[str, Any]) -> str:
    tier = TIER_ZH.get(alert.tier, alert.tier)
    if not alert.firing:
        return f"已降至{tier}，风险解除中"
    if view.get("probability") is not None:
        return f"{tier}（未来90天发生规模性裁员的概率约{float(view['probability']):.0%}）"
    return tier


def _excerpt(excerpt: dict[str, Any]) -> dict[str, str]:
    return {
        "day": str(excerpt.get("day") or ""),
        "channel": EXCERPT_CHANNEL_ZH.get(excerpt.get("channel", ""), excerpt.get("channel", "")),
        "kinds": "、".join(CATEGORY_ZH.get(c, c) for c in excerpt.get("categories") or []),
        "text": str(excerpt.get("text", "")),
    }


def _history(t: AlertTransition, tz: ZoneInfo) -> dict[str, str]:
    extra = []
    if t.details.get("assigned_to"):
        extra.append(f"核查人：{t.details['assigned_to']}")
    if t.details.get("verify_due"):
        extra.append(f"核查时限：{t.details['verify_due']}")
    if t.details.get("outcome"):
        extra.append(f"核查结果：{OUTCOME_ZH.get(t.details['outcome'], t.details['outcome'])}")
    if t.details.get("affected_workers") is not None:
        extra.append(f"涉及人数：{t.details['affected_workers']}")
    return {
        "at": local_time(t.at, tz), "by": t.by, "action": ACTION_ZH.get(t.action, t.action),
        "status": STATUS_ZH.get(t.to_status, t.to_status), "reason": t.reason, "extra": "；".join(extra),
    }  # fmt: skip


def _message(n: Notification, tz: ZoneInfo) -> dict[str, str]:
    state = {
        "sent": "已送达",
        "digested": "已并入汇总消息（每日汇总或批量通知）",
        "held": "等待每日汇总",
        "pending": "待发送",
        "sending": "发送中",
    }
    return {
        "at": local_time(n.sent_at or n.created_at, tz),
        "title": n.title,
        "status": state.get(n.status, n.status),
    }
