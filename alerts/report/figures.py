"""The daily report's figures: every number and table of one day, aggregated in the database.

Nothing here loads score rows: tier counts, the trend and the distributions are ``GROUP BY``
queries, and only the day's alerts, watchlist changes and batches (tens to thousands of rows)
come back as rows.

"The day" is a run of the daily pipeline, not a calendar day, because a day is processed the
morning after, and a backfill processes many days within minutes. A run is found by the time its
scores were written (``scored_at`` of the champion's rows for that day; the daily flow passes the
same ``now`` to intake, scoring, alerting and the report). So the report of day D shows:
- the batches received after the previous scored day's run, up to D's run (intake comes first);
- the alert events recorded from D's run until the next scored day's run (or until ``now``): the
  alerting step itself, deadline escalations and officers' closings after it;
- the alert states at the end of that span; the watchlist changes decided for D.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from alerts.lifecycle import STATUS_ZH
from layoffwatch.errors import UserError
from models import registry
from models.tiers import TIER_RANK, TIER_ZH, tier_rank
from store.tables import (
    Alert,
    AlertTransition,
    Enterprise,
    IngestionBatch,
    RiskScore,
    WatchlistEntry,
)
from watchlist.listing import MANUAL_PREFIX, OFFICE_ZH

SCORE: sa.Table = RiskScore.__table__  # type: ignore[attr-defined]
ENTERPRISE: sa.Table = Enterprise.__table__  # type: ignore[attr-defined]
ALERT: sa.Table = Alert.__table__  # type: ignore[attr-defined]
TRANSITION: sa.Table = AlertTransition.__table__  # type: ignore[attr-defined]
ENTRY: sa.Table = WatchlistEntry.__table__  # type: ignore[attr-defined]
BATCH: sa.Table = IngestionBatch.__table__  # type: ignore[attr-defined]

TREND_DAYS = 30
TOP_AREAS = 15
OTHERS = "其他"
NO_CHAIN = "未归属产业链"
NO_TOWNSHIP = "未登记乡镇"
REPORT_TIERS = ("red", "orange", "yellow", "blue")
# Distributions count enterprises at yellow or above: the level the watchlist and alerts start at.
DISTRIBUTION_TIERS = ("red", "orange", "yellow")
NOT_CLOSED = tuple(s for s in STATUS_ZH if s != "closed")
AREA_SCOPE_ZH = {"county": "全辖区"}
TOP_REASONS = 2
# Alert actions whose effect is whether the risk is at alert level (firing) after them.
FIRING_ACTIONS = {"opened": True, "refired": True, "resolved": False}


@dataclass(frozen=True)
class AlertEvent:
    """One alert in one of the day's tables: what happened to it today (``change``) and its labels."""

    alert_id: int
    kind: str
    subject: str
    name: str
    tier: str
    township: str
    reason: str
    offices: str
    change: str


@dataclass(frozen=True)
class WatchlistChange:
    """One enterprise entering (纳入) or leaving (移出) the watchlist on the day."""

    direction: str  # 纳入 / 移出
    uscc: str
    name: str
    township: str
    kind: str  # 自动 / 人工
    tier: str
    reason: str


@dataclass(frozen=True)
class SourceQuality:
    """The batches of one source received on the day: files, row counts and the files refused."""

    source: str
    files: int
    rows_read: int
    rows_valid: int
    rows_quarantined: int
    rows_rejected: int
    rejected: tuple[tuple[str, str], ...]  # (file name, reason)


@dataclass
class DailyFigures:
    """Everything the day's report shows, in English field names; the renderers add the Chinese."""

    as_of: date
    data_as_of: date
    previous_day: date | None
    model_version: str
    generated_at: datetime  # in the bureau's timezone
    scored: int
    scored_previous: int | None
    tiers: dict[str, int]
    tiers_previous: dict[str, int] | None
    trend: list[tuple[date, dict[str, int]]]  # oldest first, one entry per scored day
    by_township: list[tuple[str, dict[str, int]]]  # biggest first, top 15 then 其他
    by_chain: list[tuple[str, dict[str, int]]]
    statuses: dict[str, int]  # not-closed alerts at the end of the day, by status
    area_warnings: int
    new_alerts: list[AlertEvent] = field(default_factory=list)
    escalated_alerts: list[AlertEvent] = field(default_factory=list)
    closed_alerts: list[AlertEvent] = field(default_factory=list)
    watchlist: list[WatchlistChange] = field(default_factory=list)
    quality: list[SourceQuality] = field(default_factory=list)

    def tier_change(self, tier: str) -> int | None:
        """Today's count of ``tier`` minus the previous scored day's; None when there is none."""
        if self.tiers_previous is None:
            return None
        return self.tiers.get(tier, 0) - self.tiers_previous.get(tier, 0)

    def summary(self) -> dict[str, Any]:
        """The key figures with English keys (for flows' artifacts and JSON output)."""
        return {
            "as_of": self.as_of.isoformat(),
            "data_as_of": self.data_as_of.isoformat(),
            "model_version": self.model_version,
            "scored": self.scored,
            "tiers": {t: self.tiers.get(t, 0) for t in (*REPORT_TIERS, "none", "insufficient_data")},
            "tier_change": {t: self.tier_change(t) for t in REPORT_TIERS},
            "open_alerts": dict(self.statuses),
            "area_warnings": self.area_warnings,
            "new_alerts": len(self.new_alerts),
            "escalated_alerts": len(self.escalated_alerts),
            "closed_alerts": len(self.closed_alerts),
            "watchlist_entered": sum(c.direction == "纳入" for c in self.watchlist),
            "watchlist_left": sum(c.direction == "移出" for c in self.watchlist),
            "files": sum(q.files for q in self.quality),
            "rows_read": sum(q.rows_read for q in self.quality),
            "rows_quarantined": sum(q.rows_quarantined for q in self.quality),
            "rejected_files": sum(len(q.rejected) for q in self.quality),
        }


def daily_figures(session: Session, *, as_of: date, now: datetime, tz: ZoneInfo) -> DailyFigures:
    """The figures of the report for ``as_of``: scores from the champion's latest scored day on or
    before ``as_of`` (the data's as-of) and the events of that day's run (see the module's note);
    ``now`` is the generation time, shown in ``tz``, and ends the span of the latest day.

    A ``UserError`` (one Chinese sentence) when there is no champion or it has scored nothing yet.
    """
    champion = registry.champion(session)
    if champion is None:
        raise UserError(
            f"还没有启用的模型，无法生成 {as_of} 的日报；请先运行 layoffwatch train 和 layoffwatch score。"
        )
    version = champion.version
    days = scored_days(session, model_version=version, until=as_of, count=TREND_DAYS)
    if not days:
        raise UserError(
            f"模型 {version} 在 {as_of} 及以前还没有任何评分，无法生成日报；"
            f"请先运行 layoffwatch score --as-of {as_of}。"
        )
    # Every tier (none and 数据不足 are most rows) only for the headline's two days; the trend needs
    # only the tiers it draws.
    headline = tier_trend(session, model_version=version, days=days[-2:])
    trend = tier_trend(session, model_version=version, days=days, tiers=REPORT_TIERS)
    data_as_of = days[-1]
    today = headline[-1][1]
    previous = headline[-2] if len(headline) > 1 else None
    run = run_time(session, model_version=version, as_of=data_as_of)
    previous_run = run_time(session, model_version=version, as_of=days[-2]) if len(days) > 1 else None
    later = session.execute(
        sa.select(sa.func.min(SCORE.c.as_of)).where(
            SCORE.c.as_of > data_as_of, SCORE.c.model_version == version
        )
    ).scalar_one_or_none()
    end = run_time(session, model_version=version, as_of=later) if later is not None else None
    end = max(end or now, run + timedelta(microseconds=1))  # the span holds the run itself
    statuses, areas = alert_states(session, as_of=data_as_of, end=end)
    new, escalated, closed = alert_events(session, start=run, end=end)
    return DailyFigures(
        as_of=as_of,
        data_as_of=data_as_of,
        previous_day=previous[0] if previous else None,
        model_version=version,
        generated_at=now.astimezone(tz),
        scored=sum(today.values()),
        scored_previous=sum(previous[1].values()) if previous else None,
        tiers=today,
        tiers_previous=previous[1] if previous else None,
        trend=trend,
        by_township=tier_distribution(
            session, ENTERPRISE.c.township, NO_TOWNSHIP, model_version=version, as_of=data_as_of
        ),  # fmt: skip
        by_chain=tier_distribution(
            session, ENTERPRISE.c.chain, NO_CHAIN, model_version=version, as_of=data_as_of
        ),
        statuses=statuses,
        area_warnings=areas,
        new_alerts=new,
        escalated_alerts=escalated,
        closed_alerts=closed,
        watchlist=watchlist_changes(session, as_of=data_as_of, model_version=version),
        quality=batch_quality(session, after=previous_run, until=run),
    )


def scored_days(session: Session, *, model_version: str, until: date, count: int) -> list[date]:
    """The last ``count`` days on or before ``until`` with scores of ``model_version``, oldest first.

    One ``max(as_of)`` seek per day on the (as_of, …) primary key, rather than a DISTINCT over every
    score row ever stored.
    """
    days: list[date] = []
    bound = SCORE.c.as_of <= until
    for _ in range(count):
        day = session.execute(
            sa.select(sa.func.max(SCORE.c.as_of)).where(bound, SCORE.c.model_version == model_version)
        ).scalar_one_or_none()
        if day is None:
            break
        days.append(day)
        bound = SCORE.c.as_of < day
    return days[::-1]


def run_time(session: Session, *, model_version: str, as_of: date) -> datetime:
    """When the scores of ``as_of`` were written: the run of that day. One row is enough, since
    a day's scores are written together with one ``scored_at``."""
    return session.execute(
        sa.select(SCORE.c.scored_at)
        .where(SCORE.c.as_of == as_of, SCORE.c.model_version == model_version)
        .limit(1)
    ).scalar_one()


def tier_trend(
    session: Session, *, model_version: str, days: Sequence[date], tiers: Sequence[str] | None = None
) -> list[tuple[date, dict[str, int]]]:
    """One entry per day of ``days`` (oldest first): enterprises per tier, zeros included; every tier,
    or only ``tiers`` when given.

    Naming the tiers matters at province scale: ``as_of IN (…) AND tier IN (…)`` seeks the
    (as_of, tier) index to the few rows at blue or above instead of visiting every score row.
    """
    conditions = [SCORE.c.model_version == model_version, SCORE.c.as_of.in_(list(days))]
    if tiers is not None:
        conditions.append(SCORE.c.tier.in_(list(tiers)))
    rows = session.execute(
        sa.select(SCORE.c.as_of, SCORE.c.tier, sa.func.count())
        .where(*conditions)
        .group_by(SCORE.c.as_of, SCORE.c.tier)
    )
    by_day: dict[date, dict[str, int]] = {d: dict.fromkeys(tiers or TIER_ZH, 0) for d in days}
    for as_of, tier, n in rows:
        if as_of in by_day:
            by_day[as_of][tier] = by_day[as_of].get(tier, 0) + int(n)
    return [(d, by_day[d]) for d in days]


def tier_distribution(
    session: Session, column: sa.ColumnElement[Any], missing: str, *, model_version: str, as_of: date
) -> list[tuple[str, dict[str, int]]]:
    """Enterprises at yellow or above on ``as_of`` per value of ``column`` (township or chain), by tier:
    the ``TOP_AREAS`` largest (then by name), and the rest summed as 其他. Null values count as ``missing``."""
    rows = session.execute(
        sa.select(column, SCORE.c.tier, sa.func.count())
        .select_from(SCORE.outerjoin(ENTERPRISE, ENTERPRISE.c.uscc == SCORE.c.uscc))
        .where(
            SCORE.c.as_of == as_of,
            SCORE.c.model_version == model_version,
            SCORE.c.tier.in_(DISTRIBUTION_TIERS),
        )
        .group_by(column, SCORE.c.tier)
    )
    groups: dict[str, dict[str, int]] = {}
    for name, tier, n in rows:
        counts = groups.setdefault(name or missing, dict.fromkeys(DISTRIBUTION_TIERS, 0))
        counts[tier] += int(n)
    ranked = sorted(groups.items(), key=lambda g: (-sum(g[1].values()), -g[1]["red"], g[0]))
    top, rest = ranked[:TOP_AREAS], ranked[TOP_AREAS:]
    if rest:
        top.append((OTHERS, {t: sum(c[t] for _, c in rest) for t in DISTRIBUTION_TIERS}))
    return top


def alert_states(session: Session, *, as_of: date, end: datetime) -> tuple[dict[str, int], int]:
    """Alerts opened on or before ``as_of`` as they stood just before ``end``, from their audit trail
    (so a report written later for an earlier day shows that day's states): not-closed alerts per
    status (every status listed), and the area warnings firing then."""
    last_any = (
        sa.select(TRANSITION.c.alert_id, sa.func.max(TRANSITION.c.id).label("last_id"))
        .where(TRANSITION.c.at < end)
        .group_by(TRANSITION.c.alert_id)
        .subquery()
    )
    status = TRANSITION.alias("status_row")
    rows = session.execute(
        sa.select(status.c.to_status, sa.func.count())
        .select_from(last_any.join(status, status.c.id == last_any.c.last_id))
        .join(ALERT, ALERT.c.id == last_any.c.alert_id)
        .where(ALERT.c.episode_start <= as_of, status.c.to_status.in_(NOT_CLOSED))
        .group_by(status.c.to_status)
    )
    statuses = dict.fromkeys(NOT_CLOSED, 0)
    for name, n in rows:
        statuses[name] = int(n)

    last_firing = (
        sa.select(TRANSITION.c.alert_id, sa.func.max(TRANSITION.c.id).label("last_id"))
        .where(TRANSITION.c.at < end, TRANSITION.c.action.in_(FIRING_ACTIONS))
        .group_by(TRANSITION.c.alert_id)
        .subquery()
    )
    firing = TRANSITION.alias("firing_row")
    areas = session.execute(
        sa.select(sa.func.count())
        .select_from(last_firing.join(firing, firing.c.id == last_firing.c.last_id))
        .join(last_any, last_any.c.alert_id == last_firing.c.alert_id)
        .join(status, status.c.id == last_any.c.last_id)
        .join(ALERT, ALERT.c.id == last_firing.c.alert_id)
        .where(
            ALERT.c.kind == "area",
            ALERT.c.episode_start <= as_of,
            firing.c.action != "resolved",
            status.c.to_status != "closed",
        )
    ).scalar_one()
    return statuses, int(areas)


def alert_events(
    session: Session, *, start: datetime, end: datetime
) -> tuple[list[AlertEvent], list[AlertEvent], list[AlertEvent]]:
    """The day's alert tables from the transitions recorded in [start, end): new (opened), escalated
    (tier rose, risk back, or lead contacts told) and closed (risk resolved, or closed by an officer).
    One row per alert and table, riskiest first; several events of one alert are joined in ``change``."""
    rows = session.execute(
        sa.select(
            TRANSITION.c.alert_id, TRANSITION.c.action, TRANSITION.c.from_status, TRANSITION.c.reason,
            TRANSITION.c.details, ALERT.c.kind, ALERT.c.subject, ALERT.c.subject_name, ALERT.c.tier,
            ALERT.c.peak_tier, ALERT.c.details.label("alert_details"), ALERT.c.offices, ALERT.c.outcome,
        )
        .join(ALERT, ALERT.c.id == TRANSITION.c.alert_id)
        .where(TRANSITION.c.at >= start, TRANSITION.c.at < end)
        .order_by(TRANSITION.c.id)
    ).all()  # fmt: skip
    tables: dict[str, dict[int, tuple[str, list[str], Any]]] = {"new": {}, "escalated": {}, "closed": {}}
    for row in rows:
        placed = _table_for(row)
        if placed is None:
            continue
        table, tier = placed
        entry = tables[table].setdefault(row.alert_id, (tier, [], row))
        if tier_rank(tier) > tier_rank(entry[0]):
            entry = (tier, entry[1], row)
        entry[1].append(row.reason)
        tables[table][row.alert_id] = entry
    return (
        _events(tables["new"]),
        _events(tables["escalated"]),
        _events(tables["closed"]),
    )


def _table_for(row: Any) -> tuple[str, str] | None:
    """Which table a transition belongs in and the tier to show there; None for the rest."""
    details = row.details or {}
    if row.action == "opened":
        return "new", details.get("tier", row.tier)
    if row.action == "tier_changed" and tier_rank(details.get("to")) > tier_rank(details.get("from")):
        return "escalated", details["to"]
    if row.action == "refired":
        return "escalated", details.get("tier", row.tier)
    if row.action == "escalated":
        return "escalated", row.tier
    # A closed alert whose risk later fell is recorded as resolved too, only for the record.
    if (row.action == "resolved" and row.from_status != "closed") or row.action == "close":
        return "closed", row.peak_tier
    return None


def _events(table: dict[int, tuple[str, list[str], Any]]) -> list[AlertEvent]:
    events = [_event(row, tier, changes) for tier, changes, row in table.values()]
    return sorted(events, key=lambda e: (-TIER_RANK.get(e.tier, 0), e.alert_id))


def _event(row: Any, tier: str, changes: list[str]) -> AlertEvent:
    details = row.alert_details or {}
    if row.kind == "enterprise":
        township = details.get("township") or ""
        reasons = [
            r.get("sentence") or r.get("title") or "" for r in (details.get("reasons") or [])[:TOP_REASONS]
        ]
        reason = "；".join(r for r in reasons if r)
    else:
        level = details.get("level")
        township = row.subject_name if level == "township" else AREA_SCOPE_ZH.get(level or "", "—")
        reason = details.get("summary") or "；".join(details.get("rules") or [])
    offices = "、".join(OFFICE_ZH.get(o, o) for o in (row.offices or []))
    return AlertEvent(
        alert_id=row.alert_id, kind=row.kind, subject=row.subject, name=row.subject_name, tier=tier,
        township=township, reason=reason, offices=offices, change="；".join(dict.fromkeys(changes)),
    )  # fmt: skip


def watchlist_changes(session: Session, *, as_of: date, model_version: str) -> list[WatchlistChange]:
    """Stays that began or ended on ``as_of``: entries first, then exits, each riskiest first (the
    tier scored on ``as_of``), with the reason recorded for the change."""
    tier = (
        sa.select(SCORE.c.tier)
        .where(SCORE.c.uscc == ENTRY.c.uscc, SCORE.c.as_of == as_of, SCORE.c.model_version == model_version)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(
            ENTRY.c.uscc, ENTRY.c.kind, ENTRY.c.entered_on, ENTRY.c.reason, ENTRY.c.left_on,
            ENTRY.c.leave_reason, ENTRY.c.tier_at_entry, ENTERPRISE.c.name, ENTERPRISE.c.township,
            tier.label("tier"),
        )
        .select_from(ENTRY.outerjoin(ENTERPRISE, ENTERPRISE.c.uscc == ENTRY.c.uscc))
        .where(sa.or_(ENTRY.c.entered_on == as_of, ENTRY.c.left_on == as_of))
    ).all()  # fmt: skip
    changes: list[WatchlistChange] = []
    for r in rows:
        kind = "人工" if r.kind == "manual" else "自动"
        for direction, on, why in (("纳入", r.entered_on, r.reason), ("移出", r.left_on, r.leave_reason)):
            if on != as_of:
                continue
            if direction == "纳入" and r.kind == "manual":
                why = MANUAL_PREFIX + why
            shown = r.tier or (r.tier_at_entry if direction == "纳入" else None) or "none"
            changes.append(
                WatchlistChange(direction, r.uscc, r.name or r.uscc, r.township or "", kind, shown, why or "")
            )
    return sorted(changes, key=lambda c: (c.direction != "纳入", -TIER_RANK.get(c.tier, 0), c.uscc))


def batch_quality(session: Session, *, after: datetime | None, until: datetime) -> list[SourceQuality]:
    """One entry per source with batches received in (after, until], by source name: files taken or
    refused, row counts summed, and each refused file with its reason."""
    b = BATCH
    received = [b.c.received_at <= until] + ([b.c.received_at > after] if after is not None else [])
    rows = session.execute(
        sa.select(
            b.c.source, sa.func.count(), sa.func.sum(b.c.rows_read), sa.func.sum(b.c.rows_valid),
            sa.func.sum(b.c.rows_quarantined), sa.func.sum(b.c.rows_rejected),
        )
        .where(*received)
        .group_by(b.c.source)
        .order_by(b.c.source)
    ).all()  # fmt: skip
    refused: dict[str, list[tuple[str, str]]] = {}
    for source, name, reason in session.execute(
        sa.select(b.c.source, b.c.file_name, b.c.reason)
        .where(*received, b.c.status == "rejected")
        .order_by(b.c.source, b.c.file_name)
    ):
        refused.setdefault(source, []).append((name, reason or ""))
    return [
        SourceQuality(
            source,
            int(files),
            int(read or 0),
            int(valid or 0),
            int(quarantined or 0),
            int(rejected or 0),
            tuple(refused.get(source, ())),
        )  # fmt: skip
        for source, files, read, valid, quarantined, rejected in rows
    ]
