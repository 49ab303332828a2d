"""Escalation: an alert nobody acknowledged by its deadline is sent to the lead contact of each
office it was routed to (``escalation`` targets in the configuration), once per tier."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from alerts import outbox
from alerts.config import AlertingConfig
from alerts.fields import visible_details
from alerts.notify import NotifyReason
from alerts.render import render_alert
from alerts.silences import silenced_on
from store.tables import Alert, AlertTransition

ALERT: sa.Table = Alert.__table__  # type: ignore[attr-defined]
TRANSITION: sa.Table = AlertTransition.__table__  # type: ignore[attr-defined]


def escalate_overdue(session: Session, config: AlertingConfig, *, now: datetime, tz: ZoneInfo) -> list[int]:
    """Alerts still open (unacknowledged, firing) past their deadline: outbox rows to the lead
    contacts, ``escalated_at`` set and an audit row, in the caller's transaction. Returns their ids."""
    overdue = session.execute(
        sa.select(ALERT.c.id, ALERT.c.kind, ALERT.c.subject, ALERT.c.tier, ALERT.c.details, ALERT.c.offices,
                  ALERT.c.ack_deadline)
        .where(ALERT.c.status == "open", ALERT.c.firing.is_(True), ALERT.c.escalated_at.is_(None),
               ALERT.c.ack_deadline.is_not(None), ALERT.c.ack_deadline < now)
        .order_by(ALERT.c.id)
    ).all()  # fmt: skip
    if not overdue:
        return []
    muted = silenced_on(session, now.astimezone(tz).date())
    escalated: list[int] = []
    messages: list[outbox.Message] = []
    for alert_id, kind, subject, tier, details, offices, deadline in overdue:
        if kind == "enterprise" and subject in muted:
            continue
        escalated.append(alert_id)
        for key in offices:
            office = config.office(key)
            view = visible_details({**details, "tier": tier}, office.sees)
            rendered = render_alert(
                office, view, reason=NotifyReason.ESCALATED, alert_id=alert_id,
                link=config.alert_link(alert_id), firing=True, deadline=None, tz=tz,
            )  # fmt: skip
            title = rendered.title.replace("（风险升级）", "（超时未确认，请督办）")
            late = f"**督办提示**：本预警应于{deadline.astimezone(tz):%Y年%m月%d日 %H:%M}前确认收到，目前仍未确认。\n\n"
            messages.extend(
                outbox.Message(
                    kind="overdue", alert_id=alert_id, state=f"overdue:{tier}", reason="escalated",
                    office=key, target=target.name, title=title, body=late + rendered.body, tier=tier,
                    routing_version=config.version,
                )  # fmt: skip
                for target in office.escalation
            )
    if escalated:
        session.execute(ALERT.update().where(ALERT.c.id.in_(escalated)).values(escalated_at=now, updated_at=now))
        session.execute(
            TRANSITION.insert(),
            [
                {"alert_id": i, "action": "escalated", "from_status": "open", "to_status": "open", "at": now,
                 "by": "system", "reason": "超过确认时限未确认，已通知各单位负责人", "details": {}}
                for i in escalated
            ],
        )  # fmt: skip
        outbox.add(session, messages, now=now)
    return escalated
