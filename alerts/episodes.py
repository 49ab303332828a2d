"""Alert episodes from one day's candidates: open, update, resolve, and decide who is told.

One alert per subject (an enterprise, or an area) and risk episode: a candidate with no alert that
is not closed opens one; an alert whose subject is no longer a candidate resolves (``firing``
false) and, if the risk comes back before anyone closes it, fires again within the same episode.
A closed alert is never touched again. Each alert is processed once per ``as_of`` (a day already
seen, or an earlier one, changes nothing), and its notifications are written in the same
transaction, each decided by ``alerts.notify.notify_reason`` per office.

Writes are bulk Core statements: a province has tens of thousands of alerts a day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import sqlalchemy as sa
from sqlmodel import Session

from alerts import outbox
from alerts.config import AlertingConfig, Office
from alerts.fields import visible_details
from alerts.notify import Current, NotifyReason, Told, notify_reason
from alerts.render import render_alert
from alerts.routing import routed_offices
from features.catalog import EVIDENCE_COLUMNS
from models.tiers import TIER_RANK, TIER_ZH, tier_rank, tier_rank_expr
from store.tables import Alert, AlertTransition, Notification, RoutingConfig

ALERT: sa.Table = Alert.__table__  # type: ignore[attr-defined]
TRANSITION: sa.Table = AlertTransition.__table__  # type: ignore[attr-defined]
NOTIFICATION: sa.Table = Notification.__table__  # type: ignore[attr-defined]
ROUTING: sa.Table = RoutingConfig.__table__  # type: ignore[attr-defined]
SYSTEM = "system"
IN_CLAUSE = 5_000


@dataclass(frozen=True)
class Candidate:
    """A subject at alert level today. ``offices``: who must act (routing's answer)."""

    kind: str
    subject: str
    subject_name: str
    tier: str
    probability: float | None
    details: Mapping[str, Any]
    offices: tuple[str, ...]
    silenced: bool = False


@dataclass
class EpisodeRun:
    """What one day changed, by alert id."""

    opened: list[int] = field(default_factory=list)
    raised: list[int] = field(default_factory=list)
    lowered: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    refired: list[int] = field(default_factory=list)
    unchanged: int = 0
    messages: int = 0
    held: int = 0

    def merge(self, other: EpisodeRun) -> EpisodeRun:
        return EpisodeRun(
            self.opened + other.opened,
            self.raised + other.raised,
            self.lowered + other.lowered,
            self.resolved + other.resolved,
            self.refired + other.refired,
            self.unchanged + other.unchanged,
            self.messages + other.messages,
            self.held + other.held,
        )


def record_routing_version(session: Session, config: AlertingConfig, *, now: datetime) -> str:
    """Keep the configuration under its version (once); returns the version."""
    exists = session.execute(sa.select(ROUTING.c.version).where(ROUTING.c.version == config.version)).first()
    if exists is None:
        session.execute(
            ROUTING.insert().values(
                version=config.version, content=dict(config.content), source=config.source, first_used_at=now
            )
        )
    return config.version


def update_episodes(
    session: Session,
    kind: str,
    candidates: Sequence[Candidate],
    *,
    config: AlertingConfig,
    as_of: date,
    now: datetime,
    tz: ZoneInfo,
    inhibited: Iterable[str] = (),
    silenced: Iterable[str] = (),
    current_tiers: Mapping[str, str] | None = None,
) -> EpisodeRun:
    """Bring every not-closed alert of ``kind`` to ``as_of``, given today's ``candidates``.

    ``inhibited``: subjects (deregistered enterprises) whose alerts resolve silently; ``silenced``:
    subjects muted today; ``current_tiers``: today's tier of subjects below alert level (absent
    means none), which a resolution message reports.

    An alert closed while its risk was still on stays *latched*: no new episode opens for its
    subject until the risk has fallen below alert level, so that closing a verified alert does not
    start a new one the next morning. Only a new rise starts a new episode.
    """
    version = record_routing_version(session, config, now=now)
    existing = {row["subject"]: row for row in _alerts(session, kind, ALERT.c.status != "closed")}
    latched = {
        row["subject"]: row
        for row in _alerts(session, kind, ALERT.c.status == "closed", ALERT.c.firing.is_(True))
    }
    blocked = set(inhibited)
    muted = set(silenced)
    below = current_tiers or {}
    run = EpisodeRun()
    transitions: list[dict[str, Any]] = []
    new_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    touched: dict[int, tuple[Current, Mapping[str, Any], tuple[str, ...], datetime | None]] = {}
    seen: set[str] = set()

    for c in candidates:
        seen.add(c.subject)
        old = existing.get(c.subject)
        deadline = _deadline(config, c.tier, now)
        if old is None and c.subject in latched:
            closed = latched[c.subject]
            if closed["as_of"] < as_of:
                updates.append(_risk_noted(closed, as_of=as_of, now=now, firing=True, tier=closed["tier"]))
            run.unchanged += 1
            continue
        if old is None:
            new_rows.append(
                {
                    "kind": kind, "subject": c.subject, "subject_name": c.subject_name, "episode_start": as_of,
                    "status": "open", "firing": True, "tier": c.tier, "peak_tier": c.tier,
                    "probability": c.probability, "as_of": as_of, "details": dict(c.details),
                    "offices": list(c.offices), "routing_version": version, "opened_at": now,
                    "updated_at": now, "ack_deadline": deadline,
                }  # fmt: skip
            )
            continue
        if old["as_of"] >= as_of:
            run.unchanged += 1
            continue
        offices = tuple(dict.fromkeys([*old["offices"], *c.offices]))
        change: dict[str, Any] = {
            "b_id": old["id"], "tier": c.tier, "probability": c.probability, "details": dict(c.details),
            "as_of": as_of, "firing": True, "offices": list(offices), "updated_at": now,
            "peak_tier": c.tier if tier_rank(c.tier) > tier_rank(old["peak_tier"]) else old["peak_tier"],
            "resolved_on": None, "ack_deadline": old["ack_deadline"], "escalated_at": old["escalated_at"],
        }  # fmt: skip
        if not old["firing"]:
            run.refired.append(old["id"])
            transitions.append(_audit(old, "refired", now, f"风险再次达到{_zh(c.tier)}", {"tier": c.tier}))
        elif tier_rank(c.tier) != tier_rank(old["tier"]):
            rose = tier_rank(c.tier) > tier_rank(old["tier"])
            (run.raised if rose else run.lowered).append(old["id"])
            transitions.append(
                _audit(old, "tier_changed", now, f"风险等级由{_zh(old['tier'])}变为{_zh(c.tier)}",
                       {"from": old["tier"], "to": c.tier})
            )  # fmt: skip
        if old["status"] == "open" and not old["firing"]:
            change["ack_deadline"] = deadline  # a risk back after it resolved gets a fresh deadline
        elif old["status"] == "open" and tier_rank(c.tier) > tier_rank(old["tier"]):
            # A sharper risk before anyone acknowledged: the shorter deadline applies.
            change["ack_deadline"] = min(filter(None, (old["ack_deadline"], deadline)), default=None)
        if old["status"] == "open" and tier_rank(c.tier) > tier_rank(old["peak_tier"]):
            change["escalated_at"] = None  # lead contacts may be told again, at a tier never reached before
        updates.append(change)
        current = Current(c.tier, True, old["status"], silenced=c.silenced, inhibited=c.subject in blocked)
        touched[old["id"]] = (current, c.details, offices, change["ack_deadline"])

    for subject, old in existing.items():
        if subject in seen or old["as_of"] >= as_of:
            continue
        gone = subject in blocked
        tier = below.get(subject, "none")
        if old["firing"]:
            run.resolved.append(old["id"])
            why = "企业已注销，停止预警" if gone else f"风险等级已降至{_zh(tier)}，低于预警线"
            transitions.append(_audit(old, "resolved", now, why, {"tier": tier}))
        told_tier = tier if old["firing"] else old["tier"]
        updates.append(_risk_noted(old, as_of=as_of, now=now, firing=False, tier=told_tier))
        current = Current(told_tier, False, old["status"], silenced=subject in muted, inhibited=gone)
        touched[old["id"]] = (current, old["details"], tuple(old["offices"]), None)

    for subject, closed in latched.items():
        if subject not in seen and closed["as_of"] < as_of:
            updates.append(_risk_noted(closed, as_of=as_of, now=now, firing=False, tier=closed["tier"]))
            transitions.append(_audit(closed, "resolved", now, "风险已降至预警线以下（预警已关闭，仅作记录）", {}))

    if new_rows:
        result = session.execute(sa.insert(ALERT).returning(ALERT.c.id, ALERT.c.subject), new_rows)
        ids = dict((subject, alert_id) for alert_id, subject in result.all())
        by_subject = {c.subject: c for c in candidates}
        for row in new_rows:
            alert_id = ids[row["subject"]]
            c = by_subject[row["subject"]]
            run.opened.append(alert_id)
            transitions.append(
                _audit({"id": alert_id, "status": None}, "opened", now, f"风险等级达到{_zh(c.tier)}，生成预警",
                       {"tier": c.tier, "offices": list(c.offices)}, to_status="open")
            )  # fmt: skip
            touched[alert_id] = (Current(c.tier, True, "open", silenced=c.silenced), c.details, c.offices, row["ack_deadline"])
    if updates:
        session.execute(
            ALERT.update().where(ALERT.c.id == sa.bindparam("b_id")),
            updates,
        )
    if transitions:
        session.execute(TRANSITION.insert(), transitions)
    messages = decide_messages(session, touched, config=config, as_of=as_of, now=now, tz=tz, version=version)
    run.messages = outbox.add(session, messages, now=now)
    run.held = sum(m.held for m in messages)
    return run


def decide_messages(
    session: Session,
    touched: Mapping[int, tuple[Current, Mapping[str, Any], tuple[str, ...], datetime | None]],
    *,
    config: AlertingConfig,
    as_of: date,
    now: datetime,
    tz: ZoneInfo,
    version: str,
) -> list[outbox.Message]:
    """For each touched alert and each office it is routed to: the messages due, one per target."""
    told = last_told(session, touched.keys())
    offices = {o.key: o for o in config.offices}
    messages: list[outbox.Message] = []
    for alert_id, (current, details, routed, deadline) in touched.items():
        for key in routed:
            office = offices[key]
            reason = notify_reason(
                told.get((alert_id, key)), current, now=now, repeat_interval=config.repeat_interval
            )
            if reason is NotifyReason.NONE:
                continue
            messages.extend(
                _messages(office, alert_id, details, current, reason, config=config, as_of=as_of,
                          deadline=deadline if current.status == "open" else None, tz=tz, version=version)
            )  # fmt: skip
    return messages


def _messages(
    office: Office,
    alert_id: int,
    details: Mapping[str, Any],
    current: Current,
    reason: NotifyReason,
    *,
    config: AlertingConfig,
    as_of: date,
    deadline: datetime | None,
    tz: ZoneInfo,
    version: str,
) -> list[outbox.Message]:
    view = visible_details({**details, "tier": current.tier}, office.sees)
    rendered = render_alert(
        office, view, reason=reason, alert_id=alert_id, link=config.alert_link(alert_id),
        firing=current.firing, deadline=deadline if current.firing else None, tz=tz,
    )  # fmt: skip
    state = f"{reason.value}:{current.tier if current.firing else 'resolved'}:{as_of.isoformat()}"
    return [
        outbox.Message(
            kind="alert", alert_id=alert_id, state=state, reason=reason.value, office=office.key,
            target=target.name, title=rendered.title, body=rendered.body, tier=current.tier,
            firing=current.firing, held=office.delivery == "digest", routing_version=version,
        )  # fmt: skip
        for target in office.targets
    ]


def last_told(session: Session, alert_ids: Iterable[int]) -> dict[tuple[int, str], Told]:
    """(alert, office) -> what the office was last told about the alert (decided, sent or not)."""
    ids = sorted(alert_ids)
    told: dict[tuple[int, str], Told] = {}
    for start in range(0, len(ids), IN_CLAUSE):
        rows = session.execute(
            sa.select(NOTIFICATION.c.alert_id, NOTIFICATION.c.office, NOTIFICATION.c.tier,
                      NOTIFICATION.c.firing, NOTIFICATION.c.created_at)
            .where(NOTIFICATION.c.kind == "alert", NOTIFICATION.c.alert_id.in_(ids[start : start + IN_CLAUSE]))
            .order_by(NOTIFICATION.c.id)
        )  # fmt: skip
        for alert_id, office, tier, firing, created_at in rows:
            told[(alert_id, office)] = Told(tier or "none", firing, created_at)
    return told


def _alerts(session: Session, kind: str, *conditions: sa.ColumnElement[bool]) -> list[dict[str, Any]]:
    rows = session.execute(
        sa.select(
            ALERT.c.id, ALERT.c.subject, ALERT.c.status, ALERT.c.firing, ALERT.c.tier, ALERT.c.peak_tier,
            ALERT.c.probability, ALERT.c.as_of, ALERT.c.details, ALERT.c.offices, ALERT.c.ack_deadline,
            ALERT.c.escalated_at, ALERT.c.resolved_on,
        ).where(ALERT.c.kind == kind, *conditions)
    )  # fmt: skip
    return [dict(r._mapping) for r in rows]


def _risk_noted(row: Mapping[str, Any], *, as_of: date, now: datetime, firing: bool, tier: str) -> dict[str, Any]:
    """The day's update of an alert that is not a candidate's (or is closed): whether its risk is
    still on and the tier to remember, nothing else; ``resolved_on`` is the day it went off."""
    return {
        "b_id": row["id"], "tier": tier, "probability": row["probability"], "details": row["details"],
        "as_of": as_of, "firing": firing, "offices": row["offices"], "updated_at": now,
        "peak_tier": row["peak_tier"],
        "resolved_on": as_of if row["firing"] and not firing else row["resolved_on"],
        "ack_deadline": row["ack_deadline"], "escalated_at": row["escalated_at"],
    }  # fmt: skip


def _deadline(config: AlertingConfig, tier: str, now: datetime) -> datetime | None:
    hours = config.ack_deadlines.get(tier)
    return now + hours if hours is not None else None


def _audit(
    old: Mapping[str, Any], action: str, at: datetime, reason: str, details: dict[str, Any], *, to_status: str | None = None
) -> dict[str, Any]:
    return {
        "alert_id": old["id"], "action": action, "from_status": old["status"],
        "to_status": to_status or old["status"], "at": at, "by": SYSTEM, "reason": reason, "details": details,
    }  # fmt: skip


def _zh(tier: str) -> str:
    return TIER_ZH.get(tier, tier)


def alerted(scored: pl.DataFrame, config: AlertingConfig) -> pl.DataFrame:
    """The scored rows that get an enterprise alert: tier ``config.min_tier`` or above."""
    return scored.filter(tier_rank_expr() >= TIER_RANK[config.min_tier])


def candidates_from_scores(
    scored: pl.DataFrame,
    *,
    config: AlertingConfig,
    silenced: set[str],
    excerpts: Mapping[str, list[dict[str, Any]]] | None = None,
) -> list[Candidate]:
    """Enterprise candidates: scored rows at ``config.min_tier`` or above, with their routing.

    ``scored``: uscc, name, township, industry, chain, tier, probability, percentile, as_of,
    reasons (list of structs) and the evidence figures as columns. ``excerpts``: uscc -> the
    sentiment excerpts its alert quotes (``alerts.excerpts``).
    """
    quoted = excerpts or {}
    rows = alerted(scored, config)
    if rows.is_empty():
        return []
    offices = routed_offices(rows, config)
    detail_frame = rows.select(
        pl.lit("enterprise").alias("kind"), "uscc", "name", "township", "industry", "chain", "tier",
        "probability", "percentile", pl.col("as_of").cast(pl.String), "reasons",
        pl.col("headcount"), pl.struct(EVIDENCE_COLUMNS).alias("evidence"),
    )  # fmt: skip
    return [
        Candidate(
            kind="enterprise", subject=d["uscc"], subject_name=d["name"] or d["uscc"], tier=d["tier"],
            probability=d["probability"], details={**d, "excerpts": quoted.get(d["uscc"], [])}, offices=tuple(o),
            silenced=d["uscc"] in silenced,
        )  # fmt: skip
        for d, o in zip(detail_frame.iter_rows(named=True), offices.to_list(), strict=True)
    ]
