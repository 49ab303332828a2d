"""Alerts over days, on SQLite and PostgreSQL: episodes, who is told and why, silences, inhibition,
escalation, digests, the audit trail and verified outcomes becoming training labels."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from sqlmodel import select

from alerts.actions import act
from alerts.config import load_alerting
from alerts.daily import alert_day
from alerts.digests import build_digests
from alerts.escalation import escalate_overdue
from alerts.silences import add_silence, lift_silences
from layoffwatch.settings import Settings
from sources.schema import OUTCOMES
from store import lake
from store.tables import Alert, AlertTransition, Enterprise, Notification
from tests.unit.alerts.builders import at, code, day, run_day, session_for, setup_city

PETITIONS = {"petition_90d": 4}  # routes an enterprise to hr and petitions only
ONLINE = {"online_90d": 3}  # ... and to cyberspace


def alerts(settings: Settings, n: int | None = None, *, kind: str = "enterprise") -> list[Alert]:
    with session_for(settings) as s:
        query = select(Alert).where(Alert.kind == kind)
        if n is not None:
            query = query.where(Alert.subject == code(n))
        rows = list(s.exec(query.order_by(Alert.id)).all())
        for row in rows:
            s.expunge(row)
        return rows


def the_alert(settings: Settings, n: int) -> Alert:
    (only,) = alerts(settings, n)
    return only


def notes(settings: Settings, alert_id: int | None = None, *, kind: str | None = None) -> list[Notification]:
    with session_for(settings) as s:
        query = select(Notification)
        if alert_id is not None:
            query = query.where(Notification.alert_id == alert_id)
        if kind is not None:
            query = query.where(Notification.kind == kind)
        rows = list(s.exec(query.order_by(Notification.id)).all())
        for row in rows:
            s.expunge(row)
        return rows


def trail(settings: Settings, alert_id: int) -> list[AlertTransition]:
    with session_for(settings) as s:
        rows = list(s.exec(select(AlertTransition).where(AlertTransition.alert_id == alert_id)
                           .order_by(AlertTransition.id)).all())  # fmt: skip
        for row in rows:
            s.expunge(row)
        return rows


def counts(settings: Settings) -> tuple[int, int, int]:
    with session_for(settings) as s:
        return tuple(  # type: ignore[return-value]
            s.exec(select(sa.func.count()).select_from(table)).one()
            for table in (Alert, AlertTransition, Notification)
        )


def told(rows: list[Notification]) -> set[tuple[str, str]]:
    """(office, reason) of alert messages."""
    return {(r.office, r.reason) for r in rows if r.kind == "alert"}


def escalate(settings: Settings, now_day: int, hours: float) -> list[int]:
    with session_for(settings) as s:
        return escalate_overdue(s, load_alerting(settings), now=at(now_day, hours), tz=settings.tz)


def digests(settings: Settings, now_day: int, hours: float) -> int:
    with session_for(settings) as s:
        return build_digests(s, load_alerting(settings), now=at(now_day, hours), tz=settings.tz)


def mute(settings: Settings, n: int, until: date, *, on: int = 0) -> None:
    with session_for(settings) as s:
        add_silence(
            s,
            code(n),
            until=until,
            reason="企业已主动报告，正在协调",
            by="王五",
            now=at(on, -1),
            as_of=day(on),
        )


def officer(settings: Settings, alert_id: int, action: str, when: Any, **given: Any) -> Alert:
    return act(settings, alert_id, action, by="王五", reason=f"{action}的说明", now=when, **given)


# --- episodes


def test_one_alert_per_enterprise_episode_and_rerunning_a_day_adds_nothing(db_settings: Settings) -> None:
    setup_city(db_settings)
    first = run_day(db_settings, 0, {1: "orange", 2: "blue"}, figures={1: PETITIONS})
    assert len(first.enterprises.opened) == 1
    run_day(db_settings, 1, {1: "orange", 2: "blue"}, figures={1: PETITIONS})
    alert = the_alert(db_settings, 1)
    assert (alert.episode_start, alert.as_of, alert.status, alert.firing) == (day(0), day(1), "open", True)
    assert alerts(db_settings, 2) == [], "blue is below the alert level"
    assert told(notes(db_settings, alert.id)) == {("hr", "first"), ("petitions", "first")}
    assert [t.action for t in trail(db_settings, alert.id)] == ["opened"]

    before = counts(db_settings)
    again = alert_day(db_settings, as_of=day(1), now=at(1, 3), config=load_alerting(db_settings))
    assert counts(db_settings) == before
    assert again.enterprises.opened == [] and again.enterprises.unchanged == 1
    earlier = alert_day(db_settings, as_of=day(0), now=at(1, 4), config=load_alerting(db_settings))
    assert counts(db_settings) == before, "an earlier day than one processed changes nothing"
    assert earlier.enterprises.resolved == [] and the_alert(db_settings, 1).as_of == day(1)


def test_a_tier_rise_renotifies_as_escalated_and_a_fall_does_not(db_settings: Settings) -> None:
    setup_city(db_settings)
    run_day(db_settings, 0, {1: "yellow"}, figures={1: PETITIONS})
    alert_id = the_alert(db_settings, 1).id
    run_day(db_settings, 1, {1: "orange"}, figures={1: PETITIONS})
    rise = [n for n in notes(db_settings, alert_id) if n.created_at == at(1)]
    assert told(rise) == {("hr", "escalated"), ("petitions", "escalated")}
    assert {n.tier for n in rise} == {"orange"}

    run_day(db_settings, 2, {1: "yellow"}, figures={1: PETITIONS})
    assert [n for n in notes(db_settings, alert_id) if n.created_at == at(2)] == []
    alert = the_alert(db_settings, 1)
    assert (alert.tier, alert.peak_tier, alert.firing) == ("yellow", "orange", True)
    changes = [t.details for t in trail(db_settings, alert_id) if t.action == "tier_changed"]
    assert changes == [{"from": "yellow", "to": "orange"}, {"from": "orange", "to": "yellow"}]


def test_resolution_is_announced_only_to_offices_that_were_told(db_settings: Settings) -> None:
    setup_city(db_settings)
    mute(db_settings, 2, until=day(0))
    run_day(db_settings, 0, {1: "orange", 2: "orange"}, figures={1: PETITIONS, 2: PETITIONS})
    one, two = the_alert(db_settings, 1), the_alert(db_settings, 2)
    assert notes(db_settings, two.id) == [], "muted on day 0: nobody was told of enterprise 2"

    run = run_day(db_settings, 1, {1: "blue", 2: "blue"})
    assert sorted(run.enterprises.resolved) == sorted([one.id, two.id])
    resolved = [n for n in notes(db_settings, one.id) if n.reason == "resolved"]
    assert {n.office for n in resolved} == {"hr", "petitions"}
    assert all(not n.firing and n.state.startswith("resolved:") and "风险解除" in n.title for n in resolved)
    assert notes(db_settings, two.id) == [], "offices never told of the risk hear nothing of its end"
    assert the_alert(db_settings, 2).offices == ["hr", "petitions"]

    run_day(db_settings, 2, {1: "blue", 2: "blue"})
    assert len([n for n in notes(db_settings, one.id) if n.reason == "resolved"]) == 2, (
        "resolved is told once"
    )
    assert (the_alert(db_settings, 1).firing, the_alert(db_settings, 1).resolved_on) == (False, day(1))


def test_the_risk_back_before_closing_refires_the_same_episode(db_settings: Settings) -> None:
    setup_city(db_settings)
    run_day(db_settings, 0, {1: "orange"})
    run_day(db_settings, 1, {1: "blue"})
    run = run_day(db_settings, 2, {1: "yellow"})
    alert = the_alert(db_settings, 1)
    assert run.enterprises.refired == [alert.id]
    assert (alert.episode_start, alert.firing, alert.resolved_on) == (day(0), True, None)
    assert [n.reason for n in notes(db_settings, alert.id)] == ["first", "resolved", "escalated"]


def test_a_closed_episode_is_never_reopened(db_settings: Settings) -> None:
    setup_city(db_settings)
    run_day(db_settings, 0, {1: "orange"})
    run_day(db_settings, 1, {1: "blue"})
    old = the_alert(db_settings, 1)
    officer(db_settings, old.id, "close", at(1, 2))
    closed = alerts(db_settings, 1)[0]
    closed_trail = trail(db_settings, old.id)

    run = run_day(db_settings, 2, {1: "orange"})
    old_now, new = alerts(db_settings, 1)
    assert old_now.model_dump() == closed.model_dump(), "the closed alert is untouched"
    assert trail(db_settings, old.id) == closed_trail
    assert (old_now.status, old_now.firing, old_now.as_of) == ("closed", False, day(1))
    assert run.enterprises.opened == [new.id] and run.enterprises.refired == []
    assert (new.episode_start, new.status, new.firing) == (day(2), "open", True)
    assert told(notes(db_settings, new.id)) == {("hr", "first")}
    assert [n.reason for n in notes(db_settings, old.id)] == ["first", "resolved"]


@pytest.mark.parametrize("closed_on", [0, 1], ids=["closed-on-its-first-day", "closed-on-a-later-day"])
def test_rerunning_a_day_after_its_alert_was_closed_opens_nothing(
    db_settings: Settings, closed_on: int
) -> None:
    """Running the same day twice changes nothing (alerts.daily), even when an officer closed the
    alert in between (a flow retried hours later)."""
    setup_city(db_settings)
    for n in range(closed_on + 1):
        run_day(db_settings, n, {1: "orange"})
    alert_id = the_alert(db_settings, 1).id
    officer(db_settings, alert_id, "verify", at(closed_on, 1), assignee="李四")
    officer(db_settings, alert_id, "false_alarm", at(closed_on, 2))
    officer(db_settings, alert_id, "close", at(closed_on, 3))
    before = counts(db_settings)
    alert_day(db_settings, as_of=day(closed_on), now=at(closed_on, 4), config=load_alerting(db_settings))
    assert counts(db_settings) == before


def test_an_alert_closed_while_its_risk_is_on_opens_no_new_episode_until_a_new_rise(
    db_settings: Settings,
) -> None:
    """Closing a verified alert does not start a new one the next morning: only a new rise does."""
    setup_city(db_settings)
    run_day(db_settings, 0, {1: "red"})
    first = the_alert(db_settings, 1)
    officer(db_settings, first.id, "verify", at(0, 1), assignee="李四")
    officer(db_settings, first.id, "confirm", at(0, 2), outcome="mass_layoff", affected_workers=60)
    officer(db_settings, first.id, "close", at(0, 3))

    still_red = run_day(db_settings, 1, {1: "red"})
    assert still_red.enterprises.opened == [] and len(alerts(db_settings, 1)) == 1
    assert told(notes(db_settings)) == {(o, "first") for o in ("hr", "public_security")}

    run_day(db_settings, 2, {1: "blue"})
    (closed,) = alerts(db_settings, 1)
    assert (closed.status, closed.firing, closed.resolved_on) == ("closed", False, day(2))
    assert len(notes(db_settings)) == 2, "a closed alert's resolution is recorded, not announced"

    rise = run_day(db_settings, 3, {1: "orange"})
    old, new = alerts(db_settings, 1)
    assert rise.enterprises.opened == [new.id] and new.episode_start == day(3)
    assert old.status == "closed"


# --- repeats, silences, inhibition


def test_an_open_alert_is_reminded_after_the_interval_but_not_once_acknowledged(
    db_settings: Settings,
) -> None:
    setup_city(db_settings)
    run_day(db_settings, 0, {1: "orange", 2: "yellow"})
    one, two = the_alert(db_settings, 1), the_alert(db_settings, 2)
    officer(db_settings, two.id, "acknowledge", at(0, 1))

    run_day(db_settings, 6, {1: "orange", 2: "yellow"})
    assert [n.reason for n in notes(db_settings, one.id)] == ["first"], "six days: inside the interval"
    run_day(db_settings, 7, {1: "orange", 2: "yellow"})
    repeat = notes(db_settings, one.id)[-1]
    assert (repeat.reason, repeat.office, repeat.created_at, repeat.tier) == ("repeat", "hr", at(7), "orange")
    assert "再次提醒" in repeat.title
    assert [n.reason for n in notes(db_settings, two.id)] == ["first"], "acknowledged: no reminder"
    run_day(db_settings, 8, {1: "orange", 2: "yellow"})
    assert [n.reason for n in notes(db_settings, one.id)] == ["first", "repeat"], "the interval restarts"


def test_a_muted_enterprise_keeps_its_alert_and_is_told_as_first_when_the_silence_ends(
    db_settings: Settings,
) -> None:
    setup_city(db_settings)
    mute(db_settings, 1, until=day(1))
    run_day(db_settings, 0, {1: "orange"})
    alert_id = the_alert(db_settings, 1).id
    run_day(db_settings, 1, {1: "red"})
    alert = the_alert(db_settings, 1)
    assert (alert.tier, alert.status, alert.firing) == ("red", "open", True)
    assert [t.action for t in trail(db_settings, alert_id)] == ["opened", "tier_changed"]
    assert notes(db_settings) == []

    run_day(db_settings, 2, {1: "red"})
    after = notes(db_settings, alert_id)
    assert told(after) == {("hr", "first"), ("public_security", "first")}, "red with 120 staff: police too"
    assert {n.created_at for n in after} == {at(2)}


def test_a_lifted_silence_lets_the_office_be_told_the_next_run(db_settings: Settings) -> None:
    setup_city(db_settings)
    mute(db_settings, 1, until=day(30))
    run_day(db_settings, 0, {1: "orange"})
    assert notes(db_settings) == []
    with session_for(db_settings) as s:
        assert lift_silences(s, code(1), by="王五", now=at(0, 5)) == 1
    run_day(db_settings, 1, {1: "orange"})
    assert [(n.office, n.reason, n.created_at) for n in notes(db_settings)] == [("hr", "first", at(1))]


def test_a_risk_that_resolves_during_a_silence_is_not_announced_while_it_lasts(db_settings: Settings) -> None:
    """Silences: "nobody is notified or escalated to while it lasts" -- a resolution included."""
    setup_city(db_settings)
    run_day(db_settings, 0, {1: "orange"}, figures={1: PETITIONS})
    alert_id = the_alert(db_settings, 1).id
    mute(db_settings, 1, until=day(2), on=1)
    run_day(db_settings, 1, {1: "blue"})
    assert the_alert(db_settings, 1).firing is False, "the record stays complete"
    assert [n.reason for n in notes(db_settings, alert_id)] == ["first", "first"], (
        "muted: no resolved message"
    )
    run_day(db_settings, 3, {1: "blue"})
    assert told([n for n in notes(db_settings, alert_id) if n.created_at == at(3)]) == {
        ("hr", "resolved"), ("petitions", "resolved"),
    }, "once the silence ended, the offices told of the risk hear it has resolved"  # fmt: skip


def test_a_deregistered_enterprise_alert_resolves_with_no_notification(db_settings: Settings) -> None:
    setup_city(db_settings)
    run_day(db_settings, 0, {1: "orange", 2: "orange"})
    one, two = the_alert(db_settings, 1), the_alert(db_settings, 2)
    with session_for(db_settings) as s:
        s.execute(sa.update(Enterprise).where(Enterprise.uscc == code(1)).values(status="deregistered"))  # type: ignore[arg-type]

    run = run_day(db_settings, 1, {1: "blue", 2: "blue"})
    assert sorted(run.enterprises.resolved) == sorted([one.id, two.id])
    gone = the_alert(db_settings, 1)
    assert (gone.firing, gone.resolved_on, gone.status) == (False, day(1), "open")
    assert [t.reason for t in trail(db_settings, one.id) if t.action == "resolved"] == [
        "企业已注销，停止预警"
    ]
    assert [n.reason for n in notes(db_settings, one.id)] == ["first"], "inhibited: no resolved message"
    assert [n.reason for n in notes(db_settings, two.id)] == ["first", "resolved"]


# --- escalation and digests


def test_an_unacknowledged_red_alert_is_escalated_once_after_two_hours(db_settings: Settings) -> None:
    setup_city(db_settings)
    run_day(db_settings, 0, {1: "red", 2: "red"})
    one, two = the_alert(db_settings, 1), the_alert(db_settings, 2)
    assert one.ack_deadline == at(0, 2)
    officer(db_settings, two.id, "acknowledge", at(0, 1.5))

    assert escalate(db_settings, 0, 1.9) == []
    assert escalate(db_settings, 0, 2.1) == [one.id]
    overdue = notes(db_settings, kind="overdue")
    assert {(n.alert_id, n.office, n.target, n.reason) for n in overdue} == {
        (one.id, "hr", "lead", "escalated"), (one.id, "public_security", "lead", "escalated"),
    }  # fmt: skip
    assert all("超时未确认" in n.title and "督办提示" in n.body for n in overdue)
    assert escalate(db_settings, 0, 3) == []
    assert escalate(db_settings, 1, -20) == []
    assert len(notes(db_settings, kind="overdue")) == 2, "escalated once"
    assert the_alert(db_settings, 1).escalated_at == at(0, 2.1)
    assert [t.action for t in trail(db_settings, one.id)] == ["opened", "escalated"]
    assert [t.action for t in trail(db_settings, two.id)] == ["opened", "acknowledge"]


def test_an_escalated_alert_is_escalated_again_at_a_higher_tier(db_settings: Settings) -> None:
    setup_city(db_settings)
    run_day(db_settings, 0, {1: "yellow"})
    yellow = the_alert(db_settings, 1)
    assert yellow.ack_deadline == at(0, 12)
    assert escalate(db_settings, 0, 13) == [yellow.id]
    run_day(db_settings, 1, {1: "red"})
    red = the_alert(db_settings, 1)
    assert red.escalated_at is None and red.ack_deadline == at(0, 12), "the sooner deadline stays"
    assert escalate(db_settings, 1, 0.1) == [red.id]
    assert [n.state for n in notes(db_settings, kind="overdue") if n.office == "hr"] == [
        "overdue:yellow",
        "overdue:red",
    ]


def test_a_silenced_alert_is_not_escalated(db_settings: Settings) -> None:
    setup_city(db_settings)
    mute(db_settings, 1, until=day(3))
    run_day(db_settings, 0, {1: "red"})
    assert escalate(db_settings, 0, 5) == []
    assert notes(db_settings) == []
    assert the_alert(db_settings, 1).escalated_at is None


def test_the_cyberspace_digest_is_built_once_after_half_past_eight(db_settings: Settings) -> None:
    setup_city(db_settings)
    run_day(db_settings, 0, {1: "orange"}, figures={1: ONLINE}, hours=-2)  # 06:30 in Shanghai
    alert_id = the_alert(db_settings, 1).id
    by_office = {n.office: n for n in notes(db_settings, alert_id)}
    assert (by_office["cyberspace"].status, by_office["hr"].status) == ("held", "pending")

    assert digests(db_settings, 0, -1) == 0, "07:30: not yet"
    assert digests(db_settings, 0, 0) == 1, "08:30"
    assert digests(db_settings, 0, 1) == 0, "built once"
    (digest,) = notes(db_settings, kind="digest")
    assert (digest.office, digest.target, digest.alert_id, digest.status) == (
        "cyberspace",
        "outbox",
        None,
        "pending",
    )
    assert "每日汇总" in digest.title and "1 条" in digest.title
    held = {n.office: n for n in notes(db_settings, alert_id)}
    assert (held["cyberspace"].status, held["cyberspace"].digest_id) == ("digested", digest.id)
    assert (held["hr"].status, held["hr"].digest_id) == ("pending", None)

    run_day(db_settings, 1, {1: "red"}, figures={1: ONLINE}, hours=-2)
    assert digests(db_settings, 1, 0.5) == 1, "a new held message makes the next day's digest"
    assert len(notes(db_settings, kind="digest")) == 2


# --- the audit trail and outcomes


def test_every_transition_is_audited_with_who_when_and_why(db_settings: Settings) -> None:
    setup_city(db_settings)
    run_day(db_settings, 0, {1: "orange", 2: "yellow"})
    one, two = the_alert(db_settings, 1), the_alert(db_settings, 2)
    assert escalate(db_settings, 0, 3) == [one.id], "orange is overdue after 2 h, yellow only after 12 h"
    run_day(db_settings, 1, {1: "red", 2: "yellow"})
    run_day(db_settings, 2, {1: "blue", 2: "yellow"})
    run_day(db_settings, 3, {1: "red", 2: "yellow"})
    officer(db_settings, one.id, "acknowledge", at(3, 1))
    officer(db_settings, one.id, "verify", at(3, 2), assignee="李四", due=day(10))
    officer(db_settings, one.id, "confirm", at(3, 3), outcome="mass_layoff", affected_workers=60)
    officer(db_settings, one.id, "close", at(3, 4))
    officer(db_settings, two.id, "verify", at(3, 5), assignee="李四")
    officer(db_settings, two.id, "false_alarm", at(3, 6))

    rows = trail(db_settings, one.id)
    assert [(t.action, t.from_status, t.to_status, t.by, t.at) for t in rows] == [
        ("opened", None, "open", "system", at(0)),
        ("escalated", "open", "open", "system", at(0, 3)),
        ("tier_changed", "open", "open", "system", at(1)),
        ("resolved", "open", "open", "system", at(2)),
        ("refired", "open", "open", "system", at(3)),
        ("acknowledge", "open", "acknowledged", "王五", at(3, 1)),
        ("verify", "acknowledged", "verifying", "王五", at(3, 2)),
        ("confirm", "verifying", "confirmed", "王五", at(3, 3)),
        ("close", "confirmed", "closed", "王五", at(3, 4)),
    ]
    assert all(t.reason.strip() for t in rows)
    assert rows[6].details == {"assigned_to": "李四", "verify_due": day(10).isoformat()}
    assert rows[7].details == {"outcome": "mass_layoff", "affected_workers": 60}
    assert [(t.action, t.to_status) for t in trail(db_settings, two.id)][-2:] == [
        ("verify", "verifying"), ("false_alarm", "false_alarm"),
    ]  # fmt: skip
    closed = the_alert(db_settings, 1)
    assert (closed.status, closed.outcome, closed.affected_workers, closed.closed_at) == (
        "closed",
        "mass_layoff",
        60,
        at(3, 4),
    )
    assert (closed.acknowledged_by, closed.assigned_to, closed.verify_due) == ("王五", "李四", day(10))


def test_confirm_and_false_alarm_each_become_an_outcomes_row_for_training_labels(
    db_settings: Settings,
) -> None:
    setup_city(db_settings)
    run_day(db_settings, 0, {1: "red", 2: "yellow"})
    one, two = the_alert(db_settings, 1), the_alert(db_settings, 2)
    for alert_id in (one.id, two.id):
        officer(db_settings, alert_id, "verify", at(0, 1), assignee="李四")
    officer(db_settings, one.id, "confirm", at(0, 2), outcome="mass_layoff", affected_workers=60)
    officer(db_settings, two.id, "false_alarm", at(0, 2))

    outcomes = lake.scan(db_settings, OUTCOMES).collect().sort("uscc")
    assert outcomes.select("uscc", "verified_on", "outcome", "affected_workers").rows() == [
        (code(1), day(0), "mass_layoff", 60),
        (code(2), day(0), "no_layoff", None),
    ]
    assert outcomes.filter(pl.col("uscc") == code(1))["note"].item().startswith(f"预警{one.id}")


# --- area warnings and routing


def test_an_area_warning_goes_to_all_four_offices(db_settings: Settings) -> None:
    setup_city(db_settings)
    run = run_day(db_settings, 0, {1: "orange", 2: "orange", 3: "red", 4: "yellow"})
    (area,) = alerts(db_settings, kind="area")
    assert run.areas.opened == [area.id]
    assert (area.subject, area.tier) == ("township:上马街道", "orange")
    assert sorted(area.offices) == sorted(["hr", "public_security", "petitions", "cyberspace"])
    assert told(notes(db_settings, area.id)) == {
        (o, "first") for o in ("hr", "public_security", "petitions", "cyberspace")
    }
    assert {e["uscc"] for e in area.details["enterprises"]} == {code(1), code(2), code(3)}

    run_day(db_settings, 1, {1: "orange", 2: "yellow", 3: "yellow"})
    assert [t.action for t in trail(db_settings, area.id)] == ["opened", "resolved"]


def test_with_petition_figures_only_the_petitions_office_and_hr_are_told(db_settings: Settings) -> None:
    setup_city(db_settings)
    run_day(db_settings, 0, {1: "orange"}, figures={1: PETITIONS})
    alert = the_alert(db_settings, 1)
    assert alert.offices == ["hr", "petitions"]
    assert {n.office for n in notes(db_settings, alert.id)} == {"hr", "petitions"}
    body = next(n.body for n in notes(db_settings, alert.id) if n.office == "petitions")
    assert "近90天信访件数" in body
    assert "参保人数" in body
    assert "近30天减员人数" not in body, "petitions does not see enrolment figures"


def test_each_office_message_shows_only_what_it_may_see(db_settings: Settings) -> None:
    setup_city(db_settings)
    run_day(db_settings, 0, {1: "orange"}, figures={1: PETITIONS | ONLINE})
    body = {n.office: n.body for n in notes(db_settings)}
    assert set(body) == {"hr", "petitions", "cyberspace"}
    assert all(
        words in body["hr"] for words in ("近90天信访件数", "近90天网络舆情", "概率约", "近30天减员人数")
    )
    assert "近90天信访件数" in body["petitions"] and "近90天网络舆情" not in body["petitions"]
    assert "近90天网络舆情" in body["cyberspace"] and "近90天信访件数" not in body["cyberspace"]
    for office in ("petitions", "cyberspace"):
        assert "概率约" not in body[office] and "近30天减员人数" not in body[office]
    assert "参保人数" not in body["cyberspace"]


def test_a_resolution_message_does_not_claim_the_risk_is_still_at_its_alert_tier(
    db_settings: Settings,
) -> None:
    setup_city(db_settings)
    run_day(db_settings, 0, {1: "orange"})
    run_day(db_settings, 1, {1: "blue"})
    (resolved,) = [n for n in notes(db_settings) if n.reason == "resolved"]
    assert "风险解除" in resolved.title
    assert "已降至橙色" not in resolved.body, resolved.body
