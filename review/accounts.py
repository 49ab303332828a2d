"""Accounts: added, disabled and reset by an administrator (``layoffwatch users``), checked at sign-in.

A wrong password counts against the account; after ``LOCK_AFTER`` in a row it is locked for
``LOCK_MINUTES`` (a guessed password is slow and noisy, never silent). Disabling an account or
resetting its password ends every session it has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
from sqlmodel import Session, col, select

from layoffwatch.errors import UserError
from review.passwords import hash_password, needs_rehash, password_problem, verify_password
from review.roles import ROLE_ZH
from store.tables import ROLES, WebEvent, WebSession, WebUser

LOCK_AFTER = 5
LOCK_MINUTES = 15
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class SignIn:
    user: WebUser | None
    problem: str | None
    """Why the sign-in failed, as shown to the person (never whether the name exists)."""


def add_user(
    session: Session, username: str, *, role: str, display_name: str, password: str, now: datetime
) -> WebUser:
    if not _USERNAME.match(username):
        raise UserError(f"用户名 {username!r} 无效：只能用小写字母、数字和 . _ -，2 到 64 个字符。")
    if role not in ROLES:
        raise UserError(f"--role {role!r}：可选 {', '.join(ROLES)}（{'、'.join(ROLE_ZH.values())}）。")
    if session.get(WebUser, username) is not None:
        raise UserError(f"用户 {username} 已存在；要改密码请用 layoffwatch users reset。")
    _check_password(password)
    user = WebUser(
        username=username, display_name=display_name.strip() or username, role=role,
        password_hash=hash_password(password), created_at=now, updated_at=now, password_changed_at=now,
    )  # fmt: skip
    session.add(user)
    record_event(
        session, username="(admin)", action="user_added", target=username, now=now, details={"role": role}
    )
    session.flush()
    return user


def disable_user(session: Session, username: str, *, now: datetime, by: str = "(admin)") -> WebUser:
    user = _existing(session, username)
    user.disabled, user.updated_at = True, now
    session.add(user)
    end_sessions(session, username, now=now)
    record_event(session, username=by, action="user_disabled", target=username, now=now)
    session.flush()
    return user


def reset_password(
    session: Session, username: str, *, password: str, now: datetime, by: str = "(admin)"
) -> WebUser:
    """A new password (and the account enabled and unlocked again); every session it had ends."""
    user = _existing(session, username)
    _check_password(password)
    user.password_hash = hash_password(password)
    user.disabled, user.failed_logins, user.locked_until = False, 0, None
    user.updated_at = user.password_changed_at = now
    session.add(user)
    end_sessions(session, username, now=now)
    record_event(session, username=by, action="password_reset", target=username, now=now)
    session.flush()
    return user


def list_users(session: Session) -> list[WebUser]:
    return list(session.exec(select(WebUser).order_by(col(WebUser.role), col(WebUser.username))))


def authenticate(session: Session, username: str, password: str, *, now: datetime) -> SignIn:
    """Check a sign-in and count it; the caller commits either way."""
    wrong = SignIn(None, "用户名或密码不正确。")
    user = session.get(WebUser, username.strip().lower())
    if user is None:
        verify_password(password, _dummy_hash())
        return wrong
    if user.locked_until is not None and user.locked_until > now:
        return SignIn(
            None, f"连续输错密码次数过多，账号已暂时锁定，请 {LOCK_MINUTES} 分钟后再试或联系管理员。"
        )
    if not verify_password(password, user.password_hash):
        user.failed_logins += 1
        if user.failed_logins >= LOCK_AFTER:
            user.locked_until, user.failed_logins = now + timedelta(minutes=LOCK_MINUTES), 0
        session.add(user)
        record_event(session, username=user.username, action="sign_in_failed", now=now)
        return wrong
    if user.disabled:
        return SignIn(None, "该账号已停用，请联系管理员。")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    return SignIn(user, None)


def end_sessions(session: Session, username: str, *, now: datetime) -> None:
    session.execute(
        sa.update(WebSession)
        .where(col(WebSession.username) == username, col(WebSession.ended_at).is_(None))
        .values(ended_at=now)
    )


def record_event(
    session: Session, *, username: str, action: str, now: datetime, target: str | None = None,
    details: dict[str, object] | None = None,
) -> None:  # fmt: skip
    session.add(WebEvent(at=now, username=username, action=action, target=target, details=details or {}))


@cache
def _dummy_hash() -> str:
    """Checked against when the name is unknown, so a sign-in takes as long whether or not it exists."""
    return hash_password("layoffwatch-no-such-user")


def _existing(session: Session, username: str) -> WebUser:
    user = session.get(WebUser, username)
    if user is None:
        raise UserError(f"没有用户 {username}。")
    return user


def _check_password(password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise UserError(problem)
