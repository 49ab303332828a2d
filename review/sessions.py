"""Sign-in sessions: a random token in an HttpOnly cookie, only its sha256 in the database.

A session ends at sign-out, ``ABSOLUTE_HOURS`` after sign-in, after ``IDLE_MINUTES`` without a
request, or when its account is disabled or its password reset. ``last_seen_at`` is written at
most once a minute, so reading a page is not a write each time.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from store.tables import WebSession, WebUser

ABSOLUTE_HOURS = 10
IDLE_MINUTES = 30
TOUCH_EVERY = timedelta(minutes=1)


def start_session(session: Session, user: WebUser, *, now: datetime) -> str:
    """A new session for ``user``; returns the cookie's token (shown once, never stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id=token_id(token),
            username=user.username,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=ABSOLUTE_HOURS),
        )  # fmt: skip
    )
    return token


def resolve_session(session: Session, token: str, *, now: datetime) -> tuple[WebSession, WebUser] | None:
    """The live session and its (enabled) account for ``token``, or None."""
    if not token:
        return None
    found = session.exec(
        select(WebSession, WebUser).join(WebUser, col(WebUser.username) == col(WebSession.username))
        .where(WebSession.id == token_id(token))
    ).first()  # fmt: skip
    if found is None:
        return None
    row, user = found
    if row.ended_at is not None or row.expires_at <= now:
        return None
    if row.last_seen_at + timedelta(minutes=IDLE_MINUTES) <= now:
        row.ended_at = now
        session.add(row)
        session.commit()
        return None
    if user.disabled:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
        session.commit()
    return row, user


def end_session(session: Session, token: str, *, now: datetime) -> None:
    row = session.get(WebSession, token_id(token))
    if row is not None and row.ended_at is None:
        row.ended_at = now
        session.add(row)


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
