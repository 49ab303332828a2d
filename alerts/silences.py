"""Silences: an enterprise muted until a day, with a reason. Its alerts still open, change and
resolve (the record stays complete); nobody is notified or escalated to while it lasts."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from layoffwatch.errors import UserError
from store.tables import Enterprise, Silence


def add_silence(session: Session, uscc: str, *, until: date, reason: str, by: str, now: datetime, as_of: date) -> Silence:
    """Mute ``uscc`` up to and including ``until``; refuses an unknown enterprise or a past day."""
    if session.get(Enterprise, uscc) is None:
        raise UserError(f"统一社会信用代码 {uscc} 不在企业名录中，无法设置静默。")
    if until < as_of:
        raise UserError(f"--until {until} 早于今天（{as_of}），静默需要一个今天或以后的日期。")
    if not reason.strip():
        raise UserError("设置静默需要填写原因（--reason）。")
    silence = Silence(uscc=uscc, until=until, reason=reason.strip(), by=by, created_at=now)
    session.add(silence)
    session.flush()
    return silence


def lift_silences(session: Session, uscc: str, *, by: str, now: datetime) -> int:
    """End every active silence of ``uscc`` now; returns how many were lifted."""
    result = session.execute(
        sa.update(Silence)
        .where(col(Silence.uscc) == uscc, col(Silence.lifted_at).is_(None))
        .values(lifted_at=now, lifted_by=by)
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


def silenced_on(session: Session, as_of: date) -> set[str]:
    """Enterprises muted on ``as_of``."""
    rows = session.exec(
        select(Silence.uscc).where(col(Silence.until) >= as_of, col(Silence.lifted_at).is_(None))
    )
    return set(rows)
