"""Accounts and passwords of the console: hashing, sign-in checks, lockout, disabling and resets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from review import accounts
from review.passwords import hash_password, needs_rehash, password_problem, verify_password
from review.sessions import resolve_session, start_session
from store.db import engine_for
from store.tables import WebEvent, WebUser

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
GOOD = "ok-password-2026"


def test_a_hash_verifies_only_its_password_and_is_salted() -> None:
    first, second = hash_password(GOOD), hash_password(GOOD)
    assert first != second and first.startswith("scrypt$131072$8$1$")
    assert verify_password(GOOD, first) and not verify_password(GOOD + "x", first)
    assert not verify_password(GOOD, "bcrypt$whatever") and not verify_password(GOOD, "garbage")
    assert not needs_rehash(first) and needs_rehash(hash_password(GOOD, n=2**14))


@pytest.mark.parametrize("password", ["short1", "onlyletterslong", "1234567890123"])
def test_weak_passwords_are_refused(password: str) -> None:
    assert password_problem(password) is not None


def test_sign_in_counts_failures_locks_and_unlocks(settings: Settings) -> None:
    with Session(engine_for(settings)) as session:
        accounts.add_user(session, "li.hr", role="hr", display_name="李", password=GOOD, now=NOW)
        session.commit()
        assert accounts.authenticate(session, "li.hr", GOOD, now=NOW).user is not None
        assert accounts.authenticate(session, "nobody", GOOD, now=NOW).problem == "用户名或密码不正确。"
        for _ in range(accounts.LOCK_AFTER):
            assert accounts.authenticate(session, "li.hr", "wrong-password-1", now=NOW).user is None
        locked = accounts.authenticate(session, "li.hr", GOOD, now=NOW + timedelta(minutes=1))
        assert locked.user is None and "锁定" in (locked.problem or "")
        later = NOW + timedelta(minutes=accounts.LOCK_MINUTES + 1)
        assert accounts.authenticate(session, "li.hr", GOOD, now=later).user is not None
        failures = len(session.exec(select(WebEvent).where(WebEvent.action == "sign_in_failed")).all())
        assert failures == accounts.LOCK_AFTER


def test_disabling_or_resetting_ends_every_session(settings: Settings) -> None:
    with Session(engine_for(settings)) as session:
        user = accounts.add_user(
            session, "wang.ps", role="public_security", display_name="王", password=GOOD, now=NOW
        )
        token = start_session(session, user, now=NOW)
        session.commit()
        assert resolve_session(session, token, now=NOW) is not None
        accounts.reset_password(session, "wang.ps", password="another-pass-9", now=NOW)
        session.commit()
        assert resolve_session(session, token, now=NOW) is None
        assert accounts.authenticate(session, "wang.ps", GOOD, now=NOW).user is None
        token = start_session(session, session.get(WebUser, "wang.ps"), now=NOW)  # type: ignore[arg-type]
        accounts.disable_user(session, "wang.ps", now=NOW)
        session.commit()
        assert resolve_session(session, token, now=NOW) is None
        disabled = accounts.authenticate(session, "wang.ps", "another-pass-9", now=NOW)
        assert disabled.user is None and "停用" in (disabled.problem or "")


def test_a_session_has_an_absolute_end(settings: Settings) -> None:
    from review.sessions import ABSOLUTE_HOURS

    with Session(engine_for(settings)) as session:
        user = accounts.add_user(session, "zhao", role="petitions", display_name="赵", password=GOOD, now=NOW)
        token = start_session(session, user, now=NOW)
        session.commit()
        moment = NOW
        while moment < NOW + timedelta(hours=ABSOLUTE_HOURS - 1):  # active all day: idle never reached
            moment += timedelta(minutes=20)
            assert resolve_session(session, token, now=moment) is not None
        assert resolve_session(session, token, now=NOW + timedelta(hours=ABSOLUTE_HOURS)) is None


@pytest.mark.parametrize(
    ("username", "role", "problem"),
    [("Li Hr", "hr", "用户名"), ("li", "mayor", "--role"), ("ok.name", "hr", None)],
)
def test_add_user_checks_name_and_role(
    settings: Settings, username: str, role: str, problem: str | None
) -> None:
    with Session(engine_for(settings)) as session:
        if problem is None:
            accounts.add_user(session, username, role=role, display_name="", password=GOOD, now=NOW)
            with pytest.raises(UserError, match="已存在"):
                accounts.add_user(session, username, role=role, display_name="", password=GOOD, now=NOW)
        else:
            with pytest.raises(UserError, match=problem):
                accounts.add_user(session, username, role=role, display_name="", password=GOOD, now=NOW)
