"""The officers' workflow of an alert: open → acknowledged → verifying (核查) → confirmed or
false_alarm → closed, as one pure function from (alert, action) to the new state and its audit row.

``transition`` checks that the action is allowed from the alert's status and that what it needs
(a reason, an outcome, an assignee) is given; it changes nothing itself. A closed alert is never
reopened: a new rise of risk starts a new alert (``alerts.episodes``). Closing before verification
is allowed only once the risk has resolved (an alert nobody needs to verify any more).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from layoffwatch.errors import UserError
from store.tables import Alert

STATUS_ZH = {
    "open": "待确认",
    "acknowledged": "已确认收到",
    "verifying": "核查中",
    "confirmed": "核查属实",
    "false_alarm": "核查不属实",
    "closed": "已关闭",
}
ACTION_ZH = {
    "opened": "生成预警",
    "tier_changed": "风险等级变化",
    "resolved": "风险解除",
    "refired": "风险再次出现",
    "escalated": "超时未确认，已上报负责人",
    "acknowledge": "确认收到",
    "verify": "派发核查",
    "confirm": "核查属实",
    "false_alarm": "核查不属实",
    "close": "关闭",
}
# Verified outcomes an officer may record, as the outcomes source (CONTRACT.md) spells them.
CONFIRMED_OUTCOMES = ("mass_layoff", "partial_layoff", "closed")

# action -> (statuses it may start from, status it leads to)
ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "acknowledge": (("open",), "acknowledged"),
    "verify": (("open", "acknowledged"), "verifying"),
    "confirm": (("verifying",), "confirmed"),
    "false_alarm": (("verifying",), "false_alarm"),
    "close": (("confirmed", "false_alarm"), "closed"),
}
CLOSABLE_WHEN_RESOLVED = ("open", "acknowledged")


class IllegalTransition(UserError):
    pass


@dataclass(frozen=True)
class Change:
    """What an action does to an alert: the fields to set and the audit row's content."""

    action: str
    from_status: str
    to_status: str
    fields: dict[str, Any]
    reason: str
    by: str
    at: datetime
    details: dict[str, Any] = field(default_factory=dict)


def transition(
    alert: Alert,
    action: str,
    *,
    by: str,
    reason: str,
    at: datetime,
    assignee: str | None = None,
    due: date | None = None,
    outcome: str | None = None,
    affected_workers: int | None = None,
) -> Change:
    """The change ``action`` makes to ``alert``; raises ``IllegalTransition`` (one Chinese sentence)
    when the action is not allowed now or lacks what it needs."""
    if action not in ACTIONS:
        raise IllegalTransition(f"未知操作 {action!r}；可用操作：{', '.join(ACTIONS)}。")
    allowed, to_status = ACTIONS[action]
    if alert.status == "closed":
        raise IllegalTransition(f"预警 {alert.id} 已关闭，不能再{ACTION_ZH[action]}；风险再次出现时会生成新的预警。")
    resolved_close = action == "close" and not alert.firing and alert.status in CLOSABLE_WHEN_RESOLVED
    if alert.status not in allowed and not resolved_close:
        starts = "、".join(STATUS_ZH[s] for s in allowed)
        raise IllegalTransition(
            f"预警 {alert.id} 当前状态为「{STATUS_ZH[alert.status]}」，不能{ACTION_ZH[action]}"
            f"（只能在「{starts}」状态下进行）。"
        )
    if not reason.strip():
        raise IllegalTransition(f"{ACTION_ZH[action]}需要填写原因或说明（--reason）。")
    fields: dict[str, Any] = {"status": to_status, "updated_at": at}
    details: dict[str, Any] = {}
    if action == "acknowledge":
        fields |= {"acknowledged_at": at, "acknowledged_by": by}
    elif action == "verify":
        if not assignee:
            raise IllegalTransition("派发核查需要指定核查人（--assign）。")
        fields |= {"assigned_to": assignee, "verify_due": due}
        details = {"assigned_to": assignee, "verify_due": due.isoformat() if due else None}
        if alert.acknowledged_at is None:
            fields |= {"acknowledged_at": at, "acknowledged_by": by}
    elif action == "confirm":
        if outcome not in CONFIRMED_OUTCOMES:
            raise IllegalTransition(
                f"核查属实需要填写核查结果（--outcome），可选：{', '.join(CONFIRMED_OUTCOMES)}"
                "（规模裁员 / 部分裁员 / 关停）。"
            )
        fields |= {"outcome": outcome, "affected_workers": affected_workers}
        details = {"outcome": outcome, "affected_workers": affected_workers}
    elif action == "false_alarm":
        fields |= {"outcome": "no_layoff", "affected_workers": affected_workers}
        details = {"outcome": "no_layoff"}
    elif action == "close":
        fields |= {"closed_at": at}
    return Change(action, alert.status, to_status, fields, reason.strip(), by, at, details)
