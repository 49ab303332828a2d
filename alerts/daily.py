"""The day's alerting step: from the champion's stored scores of ``as_of`` to the watchlist, the
enterprise alerts, the area warnings and their outbox rows, and the series each alerted enterprise's
page charts (``alerts.trends``), in one transaction.

Running the same day twice changes nothing and sends nothing new; a day earlier than one already
processed is ignored by every alert and watchlist row it would touch.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlmodel import Session

from alerts.area import area_warnings
from alerts.config import AlertingConfig, load_alerting
from alerts.digests import batch_bursts
from alerts.episodes import Candidate, EpisodeRun, alerted, candidates_from_scores, update_episodes
from alerts.excerpts import excerpts_for
from alerts.silences import silenced_on
from alerts.trends import store_trends, trends_for
from features.catalog import EVIDENCE_COLUMNS
from features.inputs import from_lake
from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from models import registry
from models.scoring import EXPLAINED_TIERS
from store.db import engine_for
from store.tables import Alert, Enterprise, RiskScore
from store.uow import unit_of_work
from watchlist.automatic import WatchlistChanges
from watchlist.daily import update_watchlist

SCORE: sa.Table = RiskScore.__table__  # type: ignore[attr-defined]
ENTERPRISE: sa.Table = Enterprise.__table__  # type: ignore[attr-defined]
ALERT: sa.Table = Alert.__table__  # type: ignore[attr-defined]
# A score row without evidence: "{}" as written now, JSON null as scores written before 2026-12 were.
NO_EVIDENCE = ("{}", "null")


@dataclass
class AlertDay:
    as_of: date
    model_version: str
    routing_version: str
    scored: int
    watchlist: WatchlistChanges
    enterprises: EpisodeRun
    areas: EpisodeRun
    batches: int = 0  # grouped messages the enterprise alerts' messages were folded into (alerts.digests)


def alert_day(
    settings: Settings, *, as_of: date, now: datetime, config: AlertingConfig | None = None
) -> AlertDay:
    """Update the watchlist and alerts from the champion's scores of ``as_of`` (committed once)."""
    config = config or load_alerting(settings)
    with unit_of_work(engine_for(settings)) as session:
        champion = registry.champion(session)
        if champion is None:
            raise UserError(
                "还没有启用的模型，无法生成预警；请先运行 layoffwatch train 和 layoffwatch score。"
            )
        scored = day_scores(session, as_of=as_of, model_version=champion.version)
        usccs = set(alerted(scored, config)["uscc"].to_list())
        lake = from_lake(settings)  # listed and read once for both
        quoted = excerpts_for(lake, as_of=as_of, usccs=usccs)
        store_trends(session, trends_for(lake, as_of=as_of, usccs=usccs), as_of=as_of, now=now)
        result = alert_scores(
            session, scored, settings=settings, config=config, as_of=as_of, now=now, excerpts=quoted
        )
        result.model_version = champion.version
        session.commit()
    return result


def alert_scores(
    session: Session,
    scored: pl.DataFrame,
    *,
    settings: Settings,
    config: AlertingConfig,
    as_of: date,
    now: datetime,
    timings: dict[str, float] | None = None,
    excerpts: Mapping[str, list[dict[str, Any]]] | None = None,
) -> AlertDay:
    """The step itself on a frame of scores (``day_scores``' shape), in the caller's transaction.
    ``timings``, when given, receives the seconds each stage took (for ``bench alerts``);
    ``excerpts``: the sentiment excerpts each enterprise's alert quotes (``alerts.excerpts``)."""
    clock = _Stopwatch(timings)
    muted = silenced_on(session, as_of)
    changes = update_watchlist(
        session,
        scored.select("uscc", "tier", "reasons"),
        as_of=as_of,
        now=now,
        entry_tier=settings.watchlist_entry_tier,
        exit_after_days=settings.watchlist_exit_after_days,
    )
    clock.lap("watchlist")
    candidates = candidates_from_scores(scored, config=config, silenced=muted, excerpts=excerpts)
    clock.lap("route")
    enterprise_run = update_episodes(
        session, "enterprise", candidates, config=config, as_of=as_of, now=now, tz=settings.tz,
        inhibited=_deregistered_with_alerts(session), silenced=muted,
        current_tiers=dict(scored.select("uscc", "tier").iter_rows()),
    )  # fmt: skip
    # Before the area warnings are written: those are few and grave, and go out one by one.
    batches = batch_bursts(session, config, now=now, tz=settings.tz)
    clock.lap("alerts (render and write)")
    every_office = tuple(o.key for o in config.offices)
    areas = [
        Candidate(
            kind="area",
            subject=w["subject"],
            subject_name=w["subject_name"],
            tier=w["tier"],
            probability=None,
            details=w["details"],
            offices=every_office,
        )  # fmt: skip
        for w in area_warnings(scored, config.area, as_of=as_of)
    ]
    area_run = update_episodes(session, "area", areas, config=config, as_of=as_of, now=now, tz=settings.tz)
    clock.lap("area warnings")
    return AlertDay(as_of, "", config.version, scored.height, changes, enterprise_run, area_run, batches)


def day_scores(session: Session, *, as_of: date, model_version: str) -> pl.DataFrame:
    """The scores of ``as_of`` that alerting reads, joined with the register: every explained tier
    (blue and above) and every row with evidence (large recent cuts). Other enterprises are below
    every alert level. One row per enterprise; evidence figures as columns."""
    query = (
        sa.select(
            SCORE.c.uscc, SCORE.c.as_of, SCORE.c.tier, SCORE.c.probability, SCORE.c.percentile,
            sa.cast(SCORE.c.reasons, sa.Text).label("reasons"), sa.cast(SCORE.c.evidence, sa.Text).label("evidence"),
            ENTERPRISE.c.name, ENTERPRISE.c.township, ENTERPRISE.c.industry, ENTERPRISE.c.chain,
        )
        .join(ENTERPRISE, ENTERPRISE.c.uscc == SCORE.c.uscc, isouter=True)
        .where(
            SCORE.c.as_of == as_of,
            SCORE.c.model_version == model_version,
            sa.or_(SCORE.c.tier.in_(EXPLAINED_TIERS), sa.cast(SCORE.c.evidence, sa.Text).not_in(NO_EVIDENCE)),
        )
    )  # fmt: skip
    rows = session.execute(query).all()
    if (
        not rows
        and session.execute(
            sa.select(SCORE.c.uscc)
            .where(SCORE.c.as_of == as_of, SCORE.c.model_version == model_version)
            .limit(1)
        ).first()
        is None
    ):
        raise UserError(
            f"{as_of} 还没有模型 {model_version} 的评分；请先运行 layoffwatch score --as-of {as_of}。"
        )
    return scores_frame(rows)


REASON = pl.Struct({"code": pl.String, "title": pl.String, "sentence": pl.String, "impact": pl.Float64})
EVIDENCE = pl.Struct({c: pl.Boolean if c == "unpaid_latest" else pl.Float64 for c in EVIDENCE_COLUMNS})
SCORE_ROW = {
    "uscc": pl.String, "as_of": pl.Date, "tier": pl.String, "probability": pl.Float64, "percentile": pl.Float64,
    "reasons": pl.String, "evidence": pl.String, "name": pl.String, "township": pl.String,
    "industry": pl.String, "chain": pl.String,
}  # fmt: skip


def scores_frame(rows: Sequence[Sequence[Any]]) -> pl.DataFrame:
    """Score rows (in ``SCORE_ROW``'s columns, reasons and evidence as JSON text) to the frame
    alerting works on: reasons a list of structs, every evidence figure a column of its own."""
    raw = pl.DataFrame(rows, schema=SCORE_ROW, orient="row")
    return raw.with_columns(
        pl.col("reasons").fill_null("[]").str.json_decode(pl.List(REASON)),
        pl.col("evidence").replace(NO_EVIDENCE, None).str.json_decode(EVIDENCE),
    ).unnest("evidence")


class _Stopwatch:
    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.start = time.perf_counter()

    def lap(self, stage: str) -> None:
        if self.timings is not None:
            moment = time.perf_counter()
            self.timings[stage] = moment - self.start
            self.start = moment


def _deregistered_with_alerts(session: Session) -> set[str]:
    rows = session.execute(
        sa.select(ALERT.c.subject)
        .join(ENTERPRISE, ENTERPRISE.c.uscc == ALERT.c.subject)
        .where(
            ALERT.c.kind == "enterprise", ALERT.c.status != "closed", ENTERPRISE.c.status == "deregistered"
        )
    )
    return {subject for (subject,) in rows}
