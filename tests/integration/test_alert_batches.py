"""Batches, on SQLite and PostgreSQL: a flood of alert messages to one target goes out as a few
grouped messages, riskiest first, every alert in exactly one of them, once; below the threshold,
and for offices that take a daily digest, messages go as before; a long digest comes in parts."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from alerts.config import AlertingConfig, load_alerting
from alerts.daily import alert_day
from alerts.digests import build_digests
from alerts.dispatch import dispatch
from layoffwatch.settings import Settings
from tests.integration.test_alert_lifecycle import ONLINE, PETITIONS, alerts, counts, notes
from tests.unit.alerts.builders import at, day, run_day, session_for, setup_city

# Ten enterprises alerted on day 0: two red, five orange, three yellow; two also petitioned.
TIERS = {1: "yellow", 2: "orange", 3: "red", 4: "orange", 5: "yellow", 6: "orange", 7: "red", 8: "orange",
         9: "yellow", 10: "orange"}  # fmt: skip
LINK = re.compile(r"/alerts/(\d+)")


def small_batches(settings: Settings, *, over: int = 4, size: int = 3) -> AlertingConfig:
    return replace(load_alerting(settings), batch_over=over, batch_size=size)


def linked_ids(body: str) -> list[int]:
    return [int(n) for n in LINK.findall(body)]


def test_a_flood_to_one_target_goes_out_in_batches_riskiest_first_each_alert_once(db_settings: Settings) -> None:
    setup_city(db_settings, count=12)
    config = small_batches(db_settings)
    result = run_day(db_settings, 0, TIERS, config=config, figures={3: PETITIONS, 8: PETITIONS})

    assert result.batches == 4, "ten messages to hr's one target, at most three a batch"
    batches = [n for n in notes(db_settings, kind="digest")]
    assert [(b.office, b.reason, b.status, b.alert_id) for b in batches] == [("hr", "batch", "pending", None)] * 4
    assert [len(linked_ids(b.body)) for b in batches] == [3, 3, 3, 1]
    assert all("第" in b.title and "批" in b.title and "批量通知" in b.body for b in batches)

    enterprise_alerts = {a.id for a in alerts(db_settings)}
    hr_rows = {n.alert_id: n for n in notes(db_settings, kind="alert") if n.office == "hr" and n.alert_id in enterprise_alerts}
    assert len(hr_rows) == 10
    (area,) = alerts(db_settings, kind="area")
    assert {(n.status, n.digest_id) for n in notes(db_settings, area.id) if n.office != "cyberspace"} == {("pending", None)}, (
        "an area warning (here: several enterprises of one township at orange or above) goes on its own"
    )
    assert {n.status for n in hr_rows.values()} == {"digested"}
    carried = [alert_id for b in batches for alert_id in linked_ids(b.body)]
    assert sorted(carried) == sorted(hr_rows), "every alert in exactly one batch"
    assert all(hr_rows[a].digest_id == b.id for b in batches for a in linked_ids(b.body))
    tiers = [hr_rows[a].tier for a in carried]
    assert tiers == ["red"] * 2 + ["orange"] * 5 + ["yellow"] * 3, "riskiest first"

    petitions = [n for n in notes(db_settings, kind="alert") if n.office == "petitions" and n.alert_id in enterprise_alerts]
    assert [(n.status, n.digest_id) for n in petitions] == [("pending", None)] * 2, "two messages: one by one"

    before = counts(db_settings)
    again = alert_day(db_settings, as_of=day(0), now=at(0, 1), config=config)
    assert again.batches == 0 and counts(db_settings) == before, "the same day again adds nothing"

    sent = dispatch(db_settings, config, clock=lambda: at(0, 1))
    assert sent.delivery.sent and not sent.delivery.failed
    assert {n.status for n in notes(db_settings)} == {"sent", "digested"}
    files = [f.read_text(encoding="utf-8") for f in (db_settings.home / "outbox" / "hr").glob("*.md")]
    assert len(files) == 4 + 1, "hr's folder holds the four batches and the area warning, not eleven messages"
    assert sorted(a for f in files if "批量通知" in f for a in linked_ids(f)) == sorted(hr_rows)
    assert dispatch(db_settings, config, clock=lambda: at(0, 2)).delivery.sent == 0, "nothing is sent twice"
    digested = {n.id for n in notes(db_settings, kind="alert") if n.status == "digested" and n.office == "hr"}
    assert digested == {n.id for n in hr_rows.values()}, "still carried by their batches after delivery"

    later = run_day(db_settings, 1, {**TIERS, 1: "red"}, config=config, figures={3: PETITIONS, 8: PETITIONS})
    assert later.batches == 0, "the next day's single escalation goes as a message of its own"
    (raised,) = [n for n in notes(db_settings, kind="alert") if n.created_at == at(1) and n.office == "hr"]
    assert (raised.reason, raised.status, raised.digest_id) == ("escalated", "pending", None)


@pytest.mark.parametrize(("over", "expected"), [(4, 0), (3, 2)])
def test_batches_start_above_batch_over(db_settings: Settings, over: int, expected: int) -> None:
    setup_city(db_settings)
    four = {1: "red", 2: "orange", 3: "orange", 4: "yellow"}
    result = run_day(db_settings, 0, four, config=small_batches(db_settings, over=over))
    assert result.batches == expected
    enterprise_alerts = {a.id for a in alerts(db_settings)}
    to_hr = [n.status for n in notes(db_settings, kind="alert") if n.office == "hr" and n.alert_id in enterprise_alerts]
    assert to_hr == (["pending"] * 4 if expected == 0 else ["digested"] * 4)


def test_an_office_on_a_daily_digest_is_not_batched_and_a_long_digest_comes_in_parts(
    db_settings: Settings,
) -> None:
    setup_city(db_settings, count=12)
    config = small_batches(db_settings, over=100, size=4)
    online = {n: ONLINE for n in TIERS}
    result = run_day(db_settings, 0, TIERS, config=config, hours=-2, figures=online)  # 06:30 in Shanghai
    assert result.batches == 0
    held = [n for n in notes(db_settings, kind="alert") if n.office == "cyberspace"]
    assert len(held) == 10 + 1 and {n.status for n in held} == {"held"}, "ten enterprises and their township's warning"

    with session_for(db_settings) as session:
        assert build_digests(session, config, now=at(0), tz=db_settings.tz) == 3
    parts = notes(db_settings, kind="digest")
    assert [(p.office, p.reason) for p in parts] == [("cyberspace", "digest")] * 3
    assert [len(linked_ids(p.body)) for p in parts] == [4, 4, 3]
    assert [p.title.rsplit("，", 1)[-1] for p in parts] == ["第1/3部分）", "第2/3部分）", "第3/3部分）"]
    assert sorted(a for p in parts for a in linked_ids(p.body)) == sorted(n.alert_id for n in held)
    with session_for(db_settings) as session:
        assert build_digests(session, config, now=at(0) + timedelta(hours=1), tz=db_settings.tz) == 0


def test_a_flood_of_overdue_escalations_goes_to_the_lead_contact_in_batches(db_settings: Settings) -> None:
    setup_city(db_settings, count=12)
    config = small_batches(db_settings)
    run_day(db_settings, 0, TIERS, config=config, figures={3: PETITIONS, 8: PETITIONS})
    dispatch(db_settings, config, clock=lambda: at(0, 1))

    late = dispatch(db_settings, config, clock=lambda: at(0, 3))  # red and orange: 2 h to acknowledge
    assert len(late.escalated) == 7 + 1, "two red and five orange enterprises, and their township's warning"
    overdue = [n for n in notes(db_settings, kind="overdue") if n.office == "hr"]
    batches = [n for n in overdue if n.reason == "batch"]
    assert [(b.alert_id, b.target, b.status) for b in batches] == [(None, "lead", "sent")] * 3
    assert [len(linked_ids(b.body)) for b in batches] == [3, 3, 2]
    assert all("批量督办" in b.title and "超时未确认" in b.body for b in batches)
    carried = {a for b in batches for a in linked_ids(b.body)}
    assert carried == {n.alert_id for n in overdue if n.reason != "batch"}
    assert {(n.status, n.digest_id in {b.id for b in batches}) for n in overdue if n.reason != "batch"} == {("digested", True)}
    files = list((db_settings.home / "outbox" / "hr-lead").glob("*.md"))
    assert len(files) == 3, "the lead contact's folder: three batches, not eight messages"
    petitions = [n for n in notes(db_settings, kind="overdue") if n.office == "petitions"]
    assert {(n.status, n.digest_id) for n in petitions} == {("sent", None)}, "three escalations to petitions: one by one"
