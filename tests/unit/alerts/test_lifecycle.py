"""The officers' workflow: every action from every status, what each needs, and what it sets."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from alerts.lifecycle import CONFIRMED_OUTCOMES, IllegalTransition, transition
from store.tables import Alert

AT = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
OPENED = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
STATUSES = ("open", "acknowledged", "verifying", "confirmed", "false_alarm", "closed")
ACTIONS = ("acknowledge", "verify", "confirm", "false_alarm", "close")

# (status, action, firing) -> status it leads to; everything not listed is refused.
ALLOWED: dict[tuple[str, str, bool], str] = {}
for firing in (True, False):
    ALLOWED[("open", "acknowledge", firing)] = "acknowledged"
    ALLOWED[("open", "verify", firing)] = "verifying"
    ALLOWED[("acknowledged", "verify", firing)] = "verifying"
    ALLOWED[("verifying", "confirm", firing)] = "confirmed"
    ALLOWED[("verifying", "false_alarm", firing)] = "false_alarm"
    ALLOWED[("confirmed", "close", firing)] = "closed"
    ALLOWED[("false_alarm", "close", firing)] = "closed"
# Closing before verification only once the risk has resolved.
ALLOWED[("open", "close", False)] = "closed"
ALLOWED[("acknowledged", "close", False)] = "closed"

EVERY = [(s, a, f) for s in STATUSES for a in ACTIONS for f in (True, False)]


def alert(status: str = "open", *, firing: bool = True, acknowledged_at: datetime | None = None) -> Alert:
    return Alert(
        id=7, kind="enterprise", subject="91140000MA00000001", subject_name="测试企业1有限公司",
        episode_start=date(2026, 3, 2), status=status, firing=firing, tier="red", peak_tier="red",
        as_of=date(2026, 3, 2), details={}, offices=["hr"], routing_version="r1", opened_at=OPENED,
        updated_at=OPENED, acknowledged_at=acknowledged_at, acknowledged_by="张三" if acknowledged_at else None,
    )  # fmt: skip


def act(a: Alert, action: str, **given: object):  # type: ignore[no-untyped-def]
    needs: dict[str, object] = {"assignee": "李四"} if action == "verify" else {}
    if action == "confirm":
        needs["outcome"] = "mass_layoff"
    return transition(a, action, **{"by": "王五", "reason": "  电话核实  ", "at": AT, **needs, **given})  # type: ignore[arg-type]


def _id(case: tuple[str, str, bool]) -> str:
    return f"{case[1]}-from-{case[0]}-{'firing' if case[2] else 'resolved'}"


@pytest.mark.parametrize("case", sorted(ALLOWED), ids=_id)
def test_an_allowed_action_moves_the_alert_and_describes_its_audit_row(case: tuple[str, str, bool]) -> None:
    status, action, firing = case
    a = alert(status, firing=firing)
    change = act(a, action)
    assert (change.action, change.from_status, change.to_status) == (action, status, ALLOWED[case])
    assert change.fields["status"] == ALLOWED[case]
    assert change.fields["updated_at"] == AT
    assert (change.by, change.at, change.reason) == ("王五", AT, "电话核实")
    assert a.status == status, "transition is pure: the alert itself is not changed"


REFUSED = [case for case in EVERY if case not in ALLOWED]


@pytest.mark.parametrize("case", REFUSED, ids=_id)
def test_a_refused_action_raises_one_sentence_naming_the_status(case: tuple[str, str, bool]) -> None:
    status, action, firing = case
    with pytest.raises(IllegalTransition) as raised:
        act(alert(status, firing=firing), action)
    message = str(raised.value)
    assert "预警 7" in message
    assert message.endswith("。")


def test_the_table_covers_every_status_and_action() -> None:
    assert len(ALLOWED) + len(REFUSED) == len(STATUSES) * len(ACTIONS) * 2
    assert len(REFUSED) == 60 - 16


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("firing", [True, False])
def test_a_closed_alert_is_never_reopened(action: str, firing: bool) -> None:
    with pytest.raises(IllegalTransition, match="已关闭.*新的预警"):
        act(alert("closed", firing=firing), action)


def test_an_unknown_action_is_refused() -> None:
    with pytest.raises(IllegalTransition, match="未知操作 'reopen'"):
        transition(alert(), "reopen", by="王五", reason="x", at=AT)


@pytest.mark.parametrize(("status", "action"), [("open", "acknowledge"), ("open", "verify"), ("verifying", "confirm"),
                                                ("verifying", "false_alarm"), ("confirmed", "close")])  # fmt: skip
@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_every_action_needs_a_reason(status: str, action: str, reason: str) -> None:
    with pytest.raises(IllegalTransition, match="原因或说明"):
        act(alert(status), action, reason=reason)


@pytest.mark.parametrize("assignee", [None, ""])
def test_verification_needs_an_assignee(assignee: str | None) -> None:
    with pytest.raises(IllegalTransition, match="核查人"):
        act(alert("acknowledged"), "verify", assignee=assignee)


def test_verification_records_assignee_and_due_day() -> None:
    change = act(
        alert("acknowledged", acknowledged_at=OPENED), "verify", assignee="李四", due=date(2026, 3, 9)
    )
    assert change.fields["assigned_to"] == "李四"
    assert change.fields["verify_due"] == date(2026, 3, 9)
    assert change.details == {"assigned_to": "李四", "verify_due": "2026-03-09"}
    assert "acknowledged_at" not in change.fields, "an earlier acknowledgement is kept"


def test_verifying_an_unacknowledged_alert_acknowledges_it() -> None:
    change = act(alert("open"), "verify", assignee="李四")
    assert change.fields["acknowledged_at"] == AT
    assert change.fields["acknowledged_by"] == "王五"
    assert change.fields["verify_due"] is None


def test_acknowledging_records_who_and_when() -> None:
    change = act(alert("open"), "acknowledge")
    assert change.fields == {
        "status": "acknowledged",
        "updated_at": AT,
        "acknowledged_at": AT,
        "acknowledged_by": "王五",
    }


@pytest.mark.parametrize("outcome", [None, "", "no_layoff", "layoff"])
def test_confirming_needs_a_known_outcome(outcome: str | None) -> None:
    with pytest.raises(IllegalTransition, match="核查结果"):
        act(alert("verifying"), "confirm", outcome=outcome)


@pytest.mark.parametrize("outcome", CONFIRMED_OUTCOMES)
def test_confirming_records_the_outcome_and_affected_workers(outcome: str) -> None:
    change = act(alert("verifying"), "confirm", outcome=outcome, affected_workers=60)
    assert change.fields["outcome"] == outcome
    assert change.fields["affected_workers"] == 60
    assert change.details == {"outcome": outcome, "affected_workers": 60}


def test_a_false_alarm_records_no_layoff() -> None:
    change = act(alert("verifying"), "false_alarm", outcome="mass_layoff")
    assert change.fields["outcome"] == "no_layoff"
    assert change.details == {"outcome": "no_layoff"}


def test_closing_records_when() -> None:
    change = act(alert("false_alarm"), "close")
    assert change.fields["closed_at"] == AT


@pytest.mark.parametrize("status", ["open", "acknowledged"])
def test_an_alert_can_be_closed_unverified_only_once_resolved(status: str) -> None:
    assert act(alert(status, firing=False), "close").to_status == "closed"
    with pytest.raises(IllegalTransition, match="不能关闭"):
        act(alert(status, firing=True), "close")


def test_a_verifying_alert_cannot_be_closed_even_when_resolved() -> None:
    with pytest.raises(IllegalTransition, match="核查中"):
        act(alert("verifying", firing=False), "close")
