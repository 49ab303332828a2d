"""Alerts as people look them up: filtered lists, one alert with its history and its messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from alerts.lifecycle import STATUS_ZH
from layoffwatch.errors import UserError
from models.tiers import TIER_RANK, TIER_ZH
from store.tables import ALERT_KINDS, Alert, AlertTransition, Notification

OPEN_STATUSES = tuple(s for s in STATUS_ZH if s != "closed")


@dataclass
class AlertRecord:
    alert: Alert
    transitions: list[AlertTransition]
    notifications: list[Notification]


def list_alerts(
    session: Session,
    *,
    statuses: Sequence[str] | None = None,
    tiers: Sequence[str] | None = None,
    office: str | None = None,
    kind: str | None = None,
    limit: int = 200,
) -> list[Alert]:
    """Alerts riskiest first (tier, then probability), not closed unless ``statuses`` says so."""
    for value, allowed, option in ((statuses, STATUS_ZH, "--status"), (tiers, TIER_RANK, "--tier")):
        unknown = sorted(set(value or ()) - set(allowed))
        if unknown:
            raise UserError(f"{option} {unknown[0]!r}：可选 {', '.join(allowed)}。")
    if kind is not None and kind not in ALERT_KINDS:
        raise UserError(f"--kind {kind!r}：可选 {', '.join(ALERT_KINDS)}。")
    query = select(Alert).where(col(Alert.status).in_(list(statuses or OPEN_STATUSES)))
    if tiers:
        query = query.where(col(Alert.tier).in_(list(tiers)))
    if kind:
        query = query.where(Alert.kind == kind)
    rank = sa.case(TIER_RANK, value=col(Alert.tier), else_=0)
    rows = list(session.exec(query.order_by(rank.desc(), col(Alert.probability).desc().nulls_last(), col(Alert.id))))
    if office is not None:
        rows = [a for a in rows if office in a.offices]
    return rows[:limit]


def alert_record(session: Session, alert_id: int) -> AlertRecord:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise UserError(f"没有编号为 {alert_id} 的预警。")
    transitions = list(
        session.exec(select(AlertTransition).where(AlertTransition.alert_id == alert_id).order_by(col(AlertTransition.id)))
    )
    notifications = list(
        session.exec(select(Notification).where(Notification.alert_id == alert_id).order_by(col(Notification.id)))
    )
    return AlertRecord(alert, transitions, notifications)


def alert_row(alert: Alert) -> dict[str, Any]:
    """One alert as a plain dict (JSON output), with Chinese labels beside the codes."""
    row = alert.model_dump()
    row["tier_zh"] = TIER_ZH.get(alert.tier, alert.tier)
    row["status_zh"] = STATUS_ZH[alert.status]
    return row
