"""Manual entries: an officer puts an enterprise on the list (optionally until a day) and takes it off.

One row per stay, like the automatic entries; every change needs a reason and a name. These act
on one enterprise at a time, so they use ORM objects; expiry is one set-based UPDATE.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from layoffwatch.errors import UserError
from store.tables import Enterprise, WatchlistEntry
from watchlist.automatic import SYSTEM

EXPIRED_REASON = "到期自动移出"
_ENTRY: sa.Table = WatchlistEntry.__table__  # type: ignore[attr-defined]


def add_manual(
    session: Session,
    uscc: str,
    *,
    reason: str,
    by: str,
    now: datetime,
    as_of: date,
    expires_on: date | None = None,
    office: str | None = None,
) -> WatchlistEntry:
    """Put ``uscc`` on the list by hand from ``as_of`` (until ``expires_on`` inclusive, when given);
    returns the new row (flushed, not committed).

    A ``UserError`` in Chinese when the reason or name is empty, the code is not in the register,
    the enterprise is already on the list by hand, it was taken off by hand the same day, or the
    expiry day has already passed.
    """
    code = uscc.strip().upper()
    text = _required(reason, "纳入原因")
    officer = _required(by, "操作人")
    enterprise = session.get(Enterprise, code)
    if enterprise is None:
        raise UserError(f"统一社会信用代码 {code} 不在企业名录中，无法纳入重点关注企业清单；请核对代码。")
    if expires_on is not None and expires_on < as_of:
        raise UserError(f"到期日期 {expires_on} 早于今天（{as_of}），请填写今天或以后的日期。")
    current = _on_list(session, code, "manual")
    if current is not None:
        raise UserError(
            f"{enterprise.name}（{code}）已于 {current.entered_on} 由 {current.entered_by} 人工纳入清单，无需重复纳入。"
        )
    same_day = session.exec(
        select(WatchlistEntry).where(
            WatchlistEntry.uscc == code, WatchlistEntry.kind == "manual", WatchlistEntry.entered_on == as_of
        )
    ).first()
    if same_day is not None:
        # The history keeps one manual stay per enterprise and day (a unique key), so a stay
        # removed today cannot be followed by another that also starts today.
        raise UserError(
            f"{enterprise.name}（{code}）今天（{as_of}）已人工纳入并移出过一次，请明天再重新纳入。"
        )
    entry = WatchlistEntry(
        uscc=code,
        kind="manual",
        entered_on=as_of,
        entered_at=now,
        entered_by=officer,
        reason=text,
        office=(office or "").strip() or None,
        expires_on=expires_on,
    )
    session.add(entry)
    session.flush()
    return entry


def remove_manual(
    session: Session, uscc: str, *, reason: str, by: str, now: datetime, as_of: date
) -> WatchlistEntry:
    """Take ``uscc``'s manual entry off the list on ``as_of``; returns the closed row (flushed, not
    committed). A ``UserError`` in Chinese when the reason or name is empty or there is no manual
    entry on the list (an automatic one leaves by itself and cannot be removed by hand)."""
    code = uscc.strip().upper()
    text = _required(reason, "移出原因")
    officer = _required(by, "操作人")
    entry = _on_list(session, code, "manual")
    if entry is None:
        if _on_list(session, code, "auto") is not None:
            raise UserError(
                f"{code} 是按风险等级自动纳入的，风险等级连续低于纳入等级满规定天数后会自动移出，不能人工移出。"
            )
        raise UserError(f"{code} 不在重点关注企业清单上，无需移出。")
    entry.left_on = max(as_of, entry.entered_on)
    entry.left_at = now
    entry.left_by = officer
    entry.leave_reason = text
    session.add(entry)
    session.flush()
    return entry


def expire_manual(session: Session, *, as_of: date, now: datetime) -> tuple[str, ...]:
    """Take off the list every manual entry whose ``expires_on`` is before ``as_of``; returns their
    uscc codes, sorted. Writes in ``session``'s transaction; running it twice changes nothing."""
    e = _ENTRY
    expired = (e.c.kind == "manual") & e.c.left_on.is_(None) & (e.c.expires_on < as_of)
    connection = session.connection()
    codes = connection.execute(sa.select(e.c.uscc).where(expired).order_by(e.c.uscc)).scalars().all()
    if codes:
        connection.execute(
            sa.update(e)
            .where(expired)
            .values(left_on=as_of, left_at=now, left_by=SYSTEM, leave_reason=EXPIRED_REASON)
        )
    return tuple(codes)


def _on_list(session: Session, uscc: str, kind: str) -> WatchlistEntry | None:
    return session.exec(
        select(WatchlistEntry).where(
            WatchlistEntry.uscc == uscc, WatchlistEntry.kind == kind, col(WatchlistEntry.left_on).is_(None)
        )
    ).first()


def _required(text: str | None, what: str) -> str:
    value = (text or "").strip()
    if not value:
        raise UserError(f"请填写{what}，不能为空。")
    return value
