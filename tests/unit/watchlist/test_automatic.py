"""Automatic entries: in at the entry tier, out only after days below, history kept, re-runs safe."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from layoffwatch.settings import Settings
from tests.unit.watchlist.builders import at, code, day, entries, reason, register, session_for, tiers
from watchlist.automatic import WatchlistChanges, entry_reason, update_automatic


def run(settings: Settings, n_day: int, by_number: dict[int, str], **kwargs: object) -> WatchlistChanges:
    """The daily update for day ``n_day`` with yellow as entry tier and 14 days to leave."""
    options: dict[str, object] = {"entry_tier": "yellow", "exit_after_days": 14, **kwargs}
    with session_for(settings) as session:
        return update_automatic(session, tiers(by_number), as_of=day(n_day), now=at(n_day), **options)  # type: ignore[arg-type]


def on_list(settings: Settings) -> set[str]:
    with session_for(settings) as session:
        return {e.uscc for e in entries(session) if e.left_on is None}


def test_an_enterprise_enters_at_the_entry_tier_and_not_below(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1, 2, 3)
    changes = run(db_settings, 0, {1: "yellow", 2: "blue", 3: "red"})
    assert changes.entered == (code(1), code(3))
    assert on_list(db_settings) == {code(1), code(3)}
    with session_for(db_settings) as session:
        (entry,) = entries(session, 1)
    assert (entry.kind, entry.entered_by, entry.entered_on, entry.tier_at_entry) == (
        "auto",
        "system",
        day(0),
        "yellow",
    )
    assert entry.last_as_of == day(0) and entry.below_since is None and entry.entered_at == at(0)


def test_the_entry_tier_is_a_setting(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1, 2)
    changes = run(db_settings, 0, {1: "yellow", 2: "orange"}, entry_tier="orange")
    assert changes.entered == (code(2),)


def test_the_entry_reason_names_the_tier_and_the_top_reasons() -> None:
    frame = tiers(
        {1: "orange", 2: "yellow"},
        {
            1: [
                reason("近期集中减员"),
                reason("拖欠工资"),
                reason("拖欠工资"),
                reason("社保欠费"),
                reason("信访增多"),
            ]
        },
    )
    assert entry_reason(frame).to_list() == [
        "风险等级升至橙色：近期集中减员、拖欠工资、社保欠费",
        "风险等级升至黄色",
    ]


def test_reasons_of_an_unknown_shape_are_a_bug_not_an_empty_reason() -> None:
    untyped = pl.DataFrame({"uscc": [code(1)], "tier": ["red"], "reasons": [[]]})
    assert entry_reason(untyped).to_list() == ["风险等级升至红色"]
    with pytest.raises(TypeError, match="tiers.reasons"):
        entry_reason(pl.DataFrame({"uscc": [code(1)], "tier": ["red"], "reasons": ["近期集中减员"]}))


def test_an_enterprise_leaves_only_after_fourteen_days_below(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1)
    run(db_settings, 0, {1: "orange"})
    for n in range(1, 14):  # days 1..13 below: thirteen days
        assert run(db_settings, n, {1: "blue"}).left == ()
    assert on_list(db_settings) == {code(1)}
    changes = run(db_settings, 14, {1: "none"})  # the fourteenth day below
    assert changes.left == (code(1),)
    with session_for(db_settings) as session:
        (entry,) = entries(session, 1)
    assert (entry.left_on, entry.left_at, entry.left_by) == (day(14), at(14), "system")
    assert entry.leave_reason == "连续14天风险等级低于黄色"
    assert entry.below_since == day(1) and entry.last_tier == "none"


def test_a_day_back_at_the_entry_tier_restarts_the_count(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1)
    run(db_settings, 0, {1: "yellow"})
    for n in range(1, 10):
        run(db_settings, n, {1: "blue"})
    run(db_settings, 10, {1: "yellow"})
    with session_for(db_settings) as session:
        assert entries(session, 1)[0].below_since is None
    for n in range(11, 24):  # thirteen days below since the return
        assert run(db_settings, n, {1: "blue"}).left == ()
    assert run(db_settings, 24, {1: "blue"}).left == (code(1),)


def test_no_flapping_around_the_threshold_keeps_one_row(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1)
    for n in range(30):
        run(db_settings, n, {1: "yellow" if n % 3 == 0 else "blue"})
    with session_for(db_settings) as session:
        rows = entries(session, 1)
    assert len(rows) == 1 and rows[0].left_on is None and rows[0].last_as_of == day(29)


def test_an_enterprise_not_scored_counts_as_below(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1, 2)
    run(db_settings, 0, {1: "red"}, exit_after_days=3)
    run(db_settings, 1, {2: "none"}, exit_after_days=3)
    run(db_settings, 2, {}, exit_after_days=3)
    assert run(db_settings, 3, {}, exit_after_days=3).left == (code(1),)


def test_a_deregistered_enterprise_leaves_at_once(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1)
        register(session, 2, status="deregistered")
    run(db_settings, 0, {1: "red", 2: "red"})
    changes = run(db_settings, 1, {1: "red"})
    assert changes.left == (code(2),) and changes.kept == 1
    with session_for(db_settings) as session:
        (entry,) = entries(session, 2)
    assert (entry.left_on, entry.leave_reason) == (day(1), "企业已注销")


def test_a_return_after_leaving_is_a_new_row_and_the_old_one_is_kept(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1)
    run(db_settings, 0, {1: "red"}, exit_after_days=2)
    run(db_settings, 1, {1: "blue"}, exit_after_days=2)
    assert run(db_settings, 2, {1: "blue"}, exit_after_days=2).left == (code(1),)
    assert run(db_settings, 3, {1: "orange"}, exit_after_days=2).entered == (code(1),)
    with session_for(db_settings) as session:
        old, new = entries(session, 1)
    assert (old.entered_on, old.left_on) == (day(0), day(2))
    assert (new.entered_on, new.left_on, new.tier_at_entry) == (day(3), None, "orange")


def test_running_the_same_day_twice_changes_nothing(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1, 2)
    run(db_settings, 0, {1: "red", 2: "red"}, exit_after_days=2)
    run(db_settings, 1, {1: "blue", 2: "red"}, exit_after_days=2)
    first = run(db_settings, 2, {1: "blue", 2: "red"}, exit_after_days=2)
    with session_for(db_settings) as session:
        before = [e.model_dump() for e in entries(session)]
    again = run(db_settings, 2, {1: "blue", 2: "red"}, exit_after_days=2)
    with session_for(db_settings) as session:
        after = [e.model_dump() for e in entries(session)]
    assert first.left == (code(1),)
    assert (again.entered, again.left, again.kept, again.skipped) == ((), (), 0, 1)
    assert after == before


def test_a_rerun_of_the_leaving_day_with_new_scores_does_not_open_an_overlapping_stay(
    db_settings: Settings,
) -> None:
    with session_for(db_settings) as session:
        register(session, 1)
    run(db_settings, 0, {1: "red"}, exit_after_days=1)
    run(db_settings, 1, {1: "blue"}, exit_after_days=1)
    assert run(db_settings, 1, {1: "red"}, exit_after_days=1).entered == ()
    with session_for(db_settings) as session:
        assert len(entries(session, 1)) == 1


def test_a_day_earlier_than_the_last_one_is_ignored(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1)
    run(db_settings, 0, {1: "red"})
    run(db_settings, 5, {1: "blue"})
    changes = run(db_settings, 3, {1: "red"})  # a late backfill of an earlier day
    assert changes.skipped == 1 and changes.kept == 0
    with session_for(db_settings) as session:
        (entry,) = entries(session, 1)
    assert (entry.last_as_of, entry.below_since, entry.last_tier) == (day(5), day(5), "blue")


def test_times_in_the_bureaus_timezone_are_kept_as_the_same_instant(db_settings: Settings) -> None:
    shanghai = at(0).astimezone(ZoneInfo("Asia/Shanghai"))
    with session_for(db_settings) as session:
        register(session, 1)
        update_automatic(
            session, tiers({1: "red"}), as_of=day(0), now=shanghai, entry_tier="yellow", exit_after_days=1
        )
        update_automatic(
            session, tiers({}), as_of=day(1), now=shanghai, entry_tier="yellow", exit_after_days=1
        )
    with session_for(db_settings) as session:
        (entry,) = entries(session, 1)
    assert entry.entered_at == shanghai and entry.left_at == shanghai


def test_a_uscc_listed_twice_keeps_its_highest_tier(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        register(session, 1)
    frame = pl.concat([tiers({1: "blue"}), tiers({1: "orange"})])
    with session_for(db_settings) as session:
        changes = update_automatic(
            session, frame, as_of=date(2026, 3, 1), now=at(0), entry_tier="yellow", exit_after_days=14
        )
        assert changes.entered == (code(1),)
        assert entries(session, 1)[0].tier_at_entry == "orange"
