"""Daily digests: an office that asked for one gets a single message a day with every alert
message held for it (``status='held'``), instead of one message per alert.

Building a digest is one transaction: the digest row (key: office, target and day) is added and
the held rows become ``digested`` with its id, so a digest is built once and nothing is lost.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from alerts import outbox
from alerts.config import AlertingConfig
from alerts.render import Rendered, render_digest
from store.tables import Notification

NOTIFICATION: sa.Table = Notification.__table__  # type: ignore[attr-defined]


def build_digests(session: Session, config: AlertingConfig, *, now: datetime, tz: ZoneInfo) -> int:
    """Digests due at ``now`` (the office's ``digest_at`` has passed today); returns how many were made."""
    local = now.astimezone(tz)
    made = 0
    for office in config.offices:
        if office.delivery != "digest" or office.digest_at is None or local.time() < office.digest_at:
            continue
        for target in office.targets:
            held = session.execute(
                sa.select(NOTIFICATION.c.id, NOTIFICATION.c.title, NOTIFICATION.c.body)
                .where(NOTIFICATION.c.status == "held", NOTIFICATION.c.office == office.key,
                       NOTIFICATION.c.target == target.name, NOTIFICATION.c.created_at <= now)
                .order_by(NOTIFICATION.c.id)
            ).all()  # fmt: skip
            if not held:
                continue
            digest = render_digest(office, [Rendered(t, b) for _, t, b in held], day=local.date())
            message = outbox.Message(
                kind="digest", alert_id=None, state=f"digest:{local.date().isoformat()}:{held[-1][0]}",
                reason="digest", office=office.key, target=target.name, title=digest.title, body=digest.body,
                routing_version=config.version,
            )  # fmt: skip
            if not outbox.add(session, [message], now=now):
                continue
            digest_id = session.execute(
                sa.select(NOTIFICATION.c.id).where(NOTIFICATION.c.key == message.key)
            ).scalar_one()
            session.execute(
                NOTIFICATION.update()
                .where(NOTIFICATION.c.id.in_([i for i, _, _ in held]))
                .values(status="digested", digest_id=digest_id)
            )
            made += 1
    return made
