"""The notify decision, as a table: what an office was last told, the alert now, and the answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.notify import Current, NotifyReason, Told, notify_reason

NOW = datetime(2026, 3, 9, 0, 30, tzinfo=UTC)
WEEK = timedelta(days=7)


def told(tier: str, *, firing: bool = True, ago: timedelta = timedelta(days=1)) -> Told:
    return Told(tier=tier, firing=firing, at=NOW - ago)


FIRST, ESCALATED, REPEAT, RESOLVED, NONE = (
    NotifyReason.FIRST, NotifyReason.ESCALATED, NotifyReason.REPEAT, NotifyReason.RESOLVED, NotifyReason.NONE,
)  # fmt: skip

CASES = [
    # --- first message
    ("never told, firing: first", None, Current("yellow", True, "open"), FIRST),
    ("never told, firing red: first", None, Current("red", True, "open"), FIRST),
    ("never told, already acknowledged: first", None, Current("orange", True, "acknowledged"), FIRST),
    # --- escalated: a tier rise, or the risk back after the office was told it had resolved
    ("yellow told, now orange: escalated", told("yellow"), Current("orange", True, "open"), ESCALATED),
    ("orange told, now red: escalated", told("orange"), Current("red", True, "open"), ESCALATED),
    ("yellow told, now red: escalated", told("yellow"), Current("red", True, "open"), ESCALATED),
    ("rise while acknowledged: escalated", told("yellow"), Current("red", True, "acknowledged"), ESCALATED),
    ("rise while verifying: escalated", told("orange"), Current("red", True, "verifying"), ESCALATED),
    ("told resolved, fires again: escalated", told("orange", firing=False), Current("orange", True, "open"), ESCALATED),
    ("told resolved, fires lower: escalated", told("red", firing=False), Current("yellow", True, "acknowledged"), ESCALATED),
    # --- repeat: only while open (nobody acknowledged) and once the interval has passed
    ("same tier, open, exactly the interval: repeat", told("orange", ago=WEEK), Current("orange", True, "open"), REPEAT),
    ("same tier, open, past the interval: repeat", told("red", ago=timedelta(days=30)), Current("red", True, "open"), REPEAT),
    ("same tier, open, just inside the interval: nothing", told("orange", ago=WEEK - timedelta(seconds=1)),
     Current("orange", True, "open"), NONE),
    ("same tier, open, a day later: nothing", told("orange"), Current("orange", True, "open"), NONE),
    ("same tier, acknowledged, past the interval: nothing", told("orange", ago=timedelta(days=30)),
     Current("orange", True, "acknowledged"), NONE),
    ("same tier, verifying, past the interval: nothing", told("red", ago=timedelta(days=30)),
     Current("red", True, "verifying"), NONE),
    ("same tier, confirmed, past the interval: nothing", told("red", ago=timedelta(days=30)),
     Current("red", True, "confirmed"), NONE),
    # --- a fall is not announced: the higher tier told inhibits the lower one
    ("red told, now orange: nothing", told("red"), Current("orange", True, "open"), NONE),
    ("red told, now yellow: nothing", told("red"), Current("yellow", True, "open"), NONE),
    ("orange told, now yellow, acknowledged, long ago: nothing", told("orange", ago=timedelta(days=30)),
     Current("yellow", True, "acknowledged"), NONE),
    # --- resolved: once, and only to an office that was told the risk was on
    ("told firing, now resolved: resolved", told("red"), Current("red", False, "open"), RESOLVED),
    ("told firing, resolved while acknowledged: resolved", told("orange"), Current("orange", False, "acknowledged"), RESOLVED),
    ("told firing, resolved while verifying: resolved", told("yellow"), Current("yellow", False, "verifying"), RESOLVED),
    ("never told, resolved: nothing", None, Current("red", False, "open"), NONE),
    ("already told resolved, still resolved: nothing", told("red", firing=False), Current("red", False, "open"), NONE),
    # --- silenced, inhibited, closed: nothing, whatever would otherwise be due
    ("silenced, never told: nothing", None, Current("red", True, "open", silenced=True), NONE),
    ("silenced, tier rise: nothing", told("yellow"), Current("red", True, "open", silenced=True), NONE),
    ("silenced, repeat due: nothing", told("red", ago=WEEK), Current("red", True, "open", silenced=True), NONE),
    ("silenced, resolved: nothing", told("red"), Current("red", False, "open", silenced=True), NONE),
    ("inhibited, never told: nothing", None, Current("red", True, "open", inhibited=True), NONE),
    ("inhibited, resolved (deregistered): nothing", told("red"), Current("red", False, "open", inhibited=True), NONE),
    ("inhibited, tier rise: nothing", told("yellow"), Current("orange", True, "acknowledged", inhibited=True), NONE),
    ("closed, never told: nothing", None, Current("red", True, "closed"), NONE),
    ("closed, tier rise: nothing", told("yellow"), Current("red", True, "closed"), NONE),
    ("closed, resolved: nothing", told("red"), Current("red", False, "closed"), NONE),
]  # fmt: skip


@pytest.mark.parametrize(("last", "current", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_notify_reason(last: Told | None, current: Current, expected: NotifyReason) -> None:
    assert notify_reason(last, current, now=NOW, repeat_interval=WEEK) is expected


def test_the_repeat_interval_is_the_configured_one() -> None:
    last = told("orange", ago=timedelta(days=2))
    current = Current("orange", True, "open")
    assert notify_reason(last, current, now=NOW, repeat_interval=timedelta(days=1)) is REPEAT
    assert notify_reason(last, current, now=NOW, repeat_interval=timedelta(days=3)) is NONE


def test_after_a_silence_ends_the_office_is_told_as_if_first() -> None:
    """While silenced nothing is written, so the office was never told: when the silence ends it is a first."""
    current = Current("red", True, "open", silenced=True)
    assert notify_reason(None, current, now=NOW, repeat_interval=WEEK) is NONE
    unmuted = Current("red", True, "open")
    assert notify_reason(None, unmuted, now=NOW, repeat_interval=WEEK) is FIRST
