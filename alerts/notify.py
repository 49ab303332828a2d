"""Deciding to notify: one pure function, in the way Prometheus Alertmanager decides.

For one alert and one office it compares what the office was last told (``Told``) with the
alert now (``Current``) and returns why a message is due, or ``NONE``. The reason is stored on the
outbox row. A resolution is only announced to an office that was told of the risk; a silenced or
inhibited alert announces nothing (and, once the silence ends, the office is told as if first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from models.tiers import tier_rank


class NotifyReason(StrEnum):
    FIRST = "first"
    ESCALATED = "escalated"
    REPEAT = "repeat"
    RESOLVED = "resolved"
    NONE = "none"


REASON_ZH = {
    NotifyReason.FIRST: "首次通知",
    NotifyReason.ESCALATED: "风险升级",
    NotifyReason.REPEAT: "再次提醒",
    NotifyReason.RESOLVED: "风险解除",
    NotifyReason.NONE: "不通知",
}


@dataclass(frozen=True)
class Told:
    """The last message decided for this (alert, office): the tier and state it announced, and when."""

    tier: str
    firing: bool
    at: datetime


@dataclass(frozen=True)
class Current:
    tier: str
    firing: bool
    status: str
    silenced: bool = False
    inhibited: bool = False


def notify_reason(
    last: Told | None, current: Current, *, now: datetime, repeat_interval: timedelta
) -> NotifyReason:
    """Why the office should hear about this alert now (or ``NONE``).

    - silenced, inhibited or closed: nothing;
    - risk resolved: ``RESOLVED`` once, only if the office was told the risk was on;
    - never told (or told it had resolved) and firing: ``FIRST`` / ``ESCALATED``;
    - the tier rose above what the office was told: ``ESCALATED`` (a fall is not announced: the
      higher tier already told inhibits the lower one);
    - still open (nobody acknowledged) after ``repeat_interval`` since the last message: ``REPEAT``.
    """
    if current.silenced or current.inhibited or current.status == "closed":
        return NotifyReason.NONE
    if not current.firing:
        return NotifyReason.RESOLVED if last is not None and last.firing else NotifyReason.NONE
    if last is None:
        return NotifyReason.FIRST
    if not last.firing or tier_rank(current.tier) > tier_rank(last.tier):
        return NotifyReason.ESCALATED
    if current.status == "open" and now - last.at >= repeat_interval:
        return NotifyReason.REPEAT
    return NotifyReason.NONE
