"""Manual entries: an officer adds and removes with a reason; expiry; mistakes are one Chinese sentence."""

from __future__ import annotations

import pytest

from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from tests.unit.watchlist.builders import at, code, day, entries, register, session_for, tiers
from watchlist.daily import update_watchlist
from watchlist.manual import add_manual, expire_manual, remove_manual


def test_an_officer_adds_and_removes_an_enterprise_with_reasons(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1)
        add_manual(
            session,
            code(1).lower(),
            reason="群众反映拖欠工资",
            by="张三",
            now=at(0),
            as_of=day(0),
            office="hr",
        )
    with session_for(db_settings) as session:
        removed = remove_manual(session, code(1), reason="已核实无风险", by="李四", now=at(2), as_of=day(2))
    with session_for(db_settings) as session:
        (entry,) = entries(session, 1)
    assert entry.id == removed.id
    assert (entry.kind, entry.entered_by, entry.reason, entry.office) == (
        "manual",
        "张三",
        "群众反映拖欠工资",
        "hr",
    )
    assert (entry.left_on, entry.left_by, entry.leave_reason) == (day(2), "李四", "已核实无风险")


def test_an_unknown_uscc_is_refused_by_name(db_settings: Settings) -> None:
    with session_for(db_settings) as session, pytest.raises(UserError, match=code(9)):
        add_manual(session, code(9), reason="原因", by="张三", now=at(0), as_of=day(0))


def test_an_enterprise_already_on_the_list_by_hand_is_refused(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1)
        add_manual(session, code(1), reason="原因", by="张三", now=at(0), as_of=day(0))
    with (
        session_for(db_settings) as session,
        pytest.raises(UserError, match="已于 2026-03-01 由 张三 人工纳入"),
    ):
        add_manual(session, code(1), reason="再次", by="李四", now=at(1), as_of=day(1))


def test_manual_and_automatic_entries_live_side_by_side(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1)
        update_watchlist(
            session, tiers({1: "red"}), as_of=day(0), now=at(0), entry_tier="yellow", exit_after_days=14
        )
        add_manual(session, code(1), reason="重点企业", by="张三", now=at(0), as_of=day(0))
    with session_for(db_settings) as session:
        assert [e.kind for e in entries(session, 1)] == ["auto", "manual"]


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(db_settings: Settings, reason: str) -> None:
    with session_for(db_settings) as session:
        register(session, 1)
        with pytest.raises(UserError, match="请填写纳入原因"):
            add_manual(session, code(1), reason=reason, by="张三", now=at(0), as_of=day(0))
        add_manual(session, code(1), reason="原因", by="张三", now=at(0), as_of=day(0))
        with pytest.raises(UserError, match="请填写移出原因"):
            remove_manual(session, code(1), reason=reason, by="张三", now=at(0), as_of=day(0))


def test_removing_an_enterprise_not_on_the_list_is_refused(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1, 2)
        update_watchlist(
            session, tiers({2: "red"}), as_of=day(0), now=at(0), entry_tier="yellow", exit_after_days=14
        )
        with pytest.raises(UserError, match="不在重点关注企业清单上"):
            remove_manual(session, code(1), reason="原因", by="张三", now=at(0), as_of=day(0))
        with pytest.raises(UserError, match="自动纳入"):
            remove_manual(session, code(2), reason="原因", by="张三", now=at(0), as_of=day(0))


def test_a_manual_entry_expires_the_day_after_its_last_day(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1, 2)
        add_manual(
            session, code(1), reason="春节前关注", by="张三", now=at(0), as_of=day(0), expires_on=day(3)
        )
        add_manual(session, code(2), reason="长期关注", by="张三", now=at(0), as_of=day(0))
    with session_for(db_settings) as session:
        assert expire_manual(session, as_of=day(3), now=at(3)) == ()
    with session_for(db_settings) as session:
        changes = update_watchlist(
            session, tiers({}), as_of=day(4), now=at(4), entry_tier="yellow", exit_after_days=14
        )
    assert changes.expired == (code(1),)
    with session_for(db_settings) as session:
        assert expire_manual(session, as_of=day(4), now=at(4)) == ()
        (entry,) = entries(session, 1)
        assert (entry.left_on, entry.left_by, entry.leave_reason) == (day(4), "system", "到期自动移出")
        assert entries(session, 2)[0].left_on is None


def test_an_expiry_day_in_the_past_is_refused(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1)
        with pytest.raises(UserError, match="早于今天"):
            add_manual(session, code(1), reason="原因", by="张三", now=at(5), as_of=day(5), expires_on=day(4))


def test_a_return_after_removal_keeps_the_history(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1)
        add_manual(session, code(1), reason="第一次", by="张三", now=at(0), as_of=day(0))
        remove_manual(session, code(1), reason="解除", by="张三", now=at(1), as_of=day(1))
        add_manual(session, code(1), reason="第二次", by="张三", now=at(1), as_of=day(1))
    with session_for(db_settings) as session:
        assert [(e.reason, e.left_on) for e in entries(session, 1)] == [("第一次", day(1)), ("第二次", None)]


def test_a_stay_added_and_removed_the_same_day_cannot_restart_that_day(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1)
        add_manual(session, code(1), reason="误操作", by="张三", now=at(0), as_of=day(0))
        remove_manual(session, code(1), reason="撤销", by="张三", now=at(0), as_of=day(0))
        with pytest.raises(UserError, match="请明天再重新纳入"):
            add_manual(session, code(1), reason="同日再次", by="张三", now=at(0), as_of=day(0))
        add_manual(session, code(1), reason="次日纳入", by="张三", now=at(1), as_of=day(1))
