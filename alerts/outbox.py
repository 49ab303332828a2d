"""The outbox: notification rows written in the same transaction as the alert change that caused them.

A row's ``key`` is its identity across re-runs and restarts: (alert, state, office, target) for
alert messages. ``add`` inserts with ``ON CONFLICT (key) DO NOTHING``, so deciding the same thing
twice writes one row, and a row once written is sent at most once (``alerts.sender``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from store.tables import Notification

TABLE: sa.Table = Notification.__table__  # type: ignore[attr-defined]
CHUNK = 2_000


@dataclass(frozen=True)
class Message:
    """What to put in the outbox: one message for one target of one office."""

    kind: str  # alert | overdue | digest | test | pipeline
    alert_id: int | None
    state: str  # what this message announces, e.g. "first:red:2026-12-01", "resolved:2026-12-20"
    reason: str  # first | escalated | repeat | resolved (or the kind, for other messages)
    office: str
    target: str
    title: str
    body: str
    tier: str | None = None
    firing: bool = True
    held: bool = False  # waiting for the office's daily digest instead of going out at once
    routing_version: str | None = None

    @property
    def key(self) -> str:
        return notification_key(self.kind, self.alert_id, self.state, self.office, self.target)


def notification_key(kind: str, alert_id: int | None, state: str, office: str, target: str) -> str:
    """The identity of a message: the same (alert, state, office, target) is one message, ever."""
    return "|".join((kind, "-" if alert_id is None else str(alert_id), state, office, target))


def add(session: Session, messages: Sequence[Message], *, now: datetime) -> int:
    """Insert the messages not already in the outbox; returns how many were new."""
    if not messages:
        return 0
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    added = 0
    for start in range(0, len(messages), CHUNK):
        rows = [
            {
                "key": m.key,
                "kind": m.kind,
                "alert_id": m.alert_id,
                "state": m.state,
                "reason": m.reason,
                "office": m.office,
                "target": m.target,
                "tier": m.tier,
                "firing": m.firing,
                "title": m.title,
                "body": m.body,
                "body_format": "markdown",
                "status": "held" if m.held else "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "routing_version": m.routing_version,
                "created_at": now,
            }
            for m in messages[start : start + CHUNK]
        ]
        # executemany with RETURNING: compiled once, and only the rows actually inserted come back.
        statement = insert(TABLE).on_conflict_do_nothing(index_elements=["key"]).returning(TABLE.c.id)
        added += len(session.execute(statement, rows).all())
    return added
