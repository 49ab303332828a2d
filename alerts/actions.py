"""The officers' actions on an alert, each one unit of work: the state change and its audit row
commit together; a verified outcome (confirmed or false alarm) also becomes an ``outcomes`` row in
the lake, where the labels of the next retraining read it (``features.labels``).

The outcome is written to the lake before the database commits. Its batch id is the hash of its
content, so a retried action writes the same file again, never a second label.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

import polars as pl
from sqlmodel import Session

from alerts.lifecycle import Change, transition
from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from sources.schema import OUTCOMES
from store import batches, lake
from store.db import engine_for
from store.tables import Alert, AlertTransition
from store.uow import unit_of_work

OUTCOME_SOURCE_NAME = "alert"


def act(
    settings: Settings,
    alert_id: int,
    action: str,
    *,
    by: str,
    reason: str,
    now: datetime,
    assignee: str | None = None,
    due: date | None = None,
    outcome: str | None = None,
    affected_workers: int | None = None,
) -> Alert:
    """Apply ``action`` to the alert and return it as it now is."""
    with unit_of_work(engine_for(settings)) as session:
        alert = get_alert(session, alert_id)
        change = transition(
            alert, action, by=by, reason=reason, at=now, assignee=assignee, due=due,
            outcome=outcome, affected_workers=affected_workers,
        )  # fmt: skip
        apply(session, alert, change)
        if change.action in ("confirm", "false_alarm") and alert.kind == "enterprise":
            record_outcome(settings, session, alert, verified_on=now.astimezone(settings.tz).date(), note=change.reason, now=now)
        session.commit()
        session.refresh(alert)
        session.expunge(alert)
        return alert


def get_alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise UserError(f"没有编号为 {alert_id} 的预警。")
    return alert


def apply(session: Session, alert: Alert, change: Change) -> None:
    """Set the change's fields on the alert and add its audit row (the caller commits)."""
    assert alert.id is not None
    for name, value in change.fields.items():
        setattr(alert, name, value)
    session.add(alert)
    session.add(
        AlertTransition(
            alert_id=alert.id, action=change.action, from_status=change.from_status, to_status=change.to_status,
            at=change.at, by=change.by, reason=change.reason, details=change.details,
        )  # fmt: skip
    )
    session.flush()


def record_outcome(
    settings: Settings, session: Session, alert: Alert, *, verified_on: date, note: str, now: datetime
) -> str:
    """Write the alert's verified outcome to the lake as an ``outcomes`` batch; returns the batch id."""
    assert alert.outcome is not None
    row = {
        "uscc": alert.subject,
        "verified_on": verified_on,
        "outcome": alert.outcome,
        "affected_workers": alert.affected_workers,
        "note": f"预警{alert.id}：{note}",
    }
    frame = pl.DataFrame([row], schema=OUTCOMES.polars_schema)
    batch_id = hashlib.sha256(json.dumps(row, default=str, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    paths = lake.append(settings, OUTCOMES, frame, batch_id=batch_id, received_at=now)
    batches.record_batch(
        session, id=batch_id, source=OUTCOMES.name, file_name=f"alert-{alert.id}", file_path=f"alert:{alert.id}",
        format=OUTCOME_SOURCE_NAME, status="ingested", received_at=now, rows_read=1, rows_valid=1,
        lake_paths=[str(p) for p in paths],
    )  # fmt: skip
    return batch_id
