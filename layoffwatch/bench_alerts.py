"""``layoffwatch bench alerts``: the day's alerting step for a province of scored enterprises, timed.

Builds a home with N enterprises in the register and one champion's scores for two days (about 2%
at yellow or above, in proportions like the model's), then runs the alerting step twice: day 1
opens every alert (the worst case: every alert routed, rendered for each of its offices and
written with its outbox rows), day 2 is an ordinary day (some tiers move, some risks resolve,
some enterprises rise). Figures are drawn per flagged enterprise: headcount 20-800, removals 0-80 in
30 days, other counts Poisson(0.3) (most flagged enterprises have no petition or post). Each day is timed by stage: reading the scores, the watchlist, routing,
alerts (render and write), area warnings, commit.
"""

from __future__ import annotations

import json
import resource
import shutil
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from alerts.config import load_alerting
from alerts.daily import alert_scores, day_scores
from features.catalog import EVIDENCE_COLUMNS
from layoffwatch.settings import Settings
from store.db import engine_for
from store.enterprises import upsert_enterprises
from store.tables import ModelVersion, RiskScore
from store.uow import unit_of_work

TARGET_SECONDS = 60.0
# Shares of enterprises per tier (≈2% at yellow or above, as the defaults aim for).
TIER_SHARES = {"red": 0.003, "orange": 0.005, "yellow": 0.012, "blue": 0.03}
TOWNSHIPS = tuple(f"第{i}镇" for i in range(1, 201))
CHAINS = ("高端装备制造", "新材料", "新型建材", "现代医药", "精深铜加工", None)
REASONS = [
    {"code": "R01", "title": "近期集中减员", "sentence": "近30天减员46人，占参保人数18%，高于同行业95%的企业", "impact": 0.2},
    {"code": "R10", "title": "拖欠工资", "sentence": "报告欠薪30人，欠薪金额12.0万元，近6个月有2个月欠薪", "impact": 0.1},
    {"code": "R12", "title": "信访增多", "sentence": "近90天涉及该企业的信访4件，其中5人以上集体访1件", "impact": 0.05},
]
DAY1 = date(2026, 11, 30)


def run(console: Console, *, enterprises: int, data: Path, seed: int) -> dict[str, Any]:
    home = data / f"alerts-{enterprises}"
    shutil.rmtree(home, ignore_errors=True)
    settings = Settings(home=home.resolve(), database_url=f"sqlite:///{(home / 'layoffwatch.db').resolve()}")
    rng = np.random.default_rng(seed)
    console.print(f"[bold]bench alerts[/]: {enterprises:,} scored enterprises, home {home}")
    started = time.perf_counter()
    scored_register(settings, enterprises, rng)
    setup_seconds = time.perf_counter() - started
    console.print(f"set-up (register and two days of scores, not timed): {setup_seconds:.1f} s")
    config = load_alerting(settings)
    days: list[dict[str, Any]] = []
    for offset in (0, 1):
        as_of = DAY1 + timedelta(days=offset)
        now = datetime(as_of.year, as_of.month, as_of.day, 22, 30, tzinfo=UTC)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        with unit_of_work(engine_for(settings)) as session:
            scored = day_scores(session, as_of=as_of, model_version="bench")
            timings["read scores"] = time.perf_counter() - t0
            result = alert_scores(session, scored, settings=settings, config=config, as_of=as_of, now=now, timings=timings)
            t1 = time.perf_counter()
            session.commit()
            timings["commit"] = time.perf_counter() - t1
        total = time.perf_counter() - t0
        flagged = int(scored.filter(pl.col("tier").is_in(["red", "orange", "yellow"])).height)
        days.append(
            {
                "as_of": as_of.isoformat(), "seconds": total, "stages": timings, "flagged": flagged,
                "opened": len(result.enterprises.opened), "raised": len(result.enterprises.raised),
                "resolved": len(result.enterprises.resolved), "area_warnings": len(result.areas.opened),
                "messages": result.enterprises.messages + result.areas.messages,
            }  # fmt: skip
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    figures = {
        "enterprises": enterprises, "days": days, "peak_rss_gb": peak,
        "target_seconds": TARGET_SECONDS, "met": all(d["seconds"] <= TARGET_SECONDS for d in days),
    }  # fmt: skip
    console.print(_table(days))
    for d in days:
        verdict = "met" if d["seconds"] <= TARGET_SECONDS else "NOT met"
        console.print(
            f"{d['as_of']}: {d['seconds']:.1f} s for {enterprises:,} scored enterprises, {d['flagged']:,} flagged, "
            f"{d['messages']:,} messages (target ≤ {TARGET_SECONDS:g} s: {verdict})"
        )
    console.print(f"peak RSS {peak:.2f} GB")
    (home / "bench-alerts.json").write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")
    return figures


def _table(days: list[dict[str, Any]]) -> Table:
    table = Table(title="bench alerts: seconds per stage")
    table.add_column("stage")
    for d in days:
        table.add_column(d["as_of"], justify="right")
    for stage in days[0]["stages"]:
        table.add_row(stage, *(f"{d['stages'].get(stage, 0):.2f}" for d in days))
    table.add_row("total", *(f"{d['seconds']:.2f}" for d in days))
    for key in ("flagged", "opened", "raised", "resolved", "area_warnings", "messages"):
        table.add_row(key, *(f"{d[key]:,}" for d in days))
    return table


def scored_register(settings: Settings, n: int, rng: np.random.Generator) -> None:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    ids = np.arange(n)
    register = pl.DataFrame(
        {
            "uscc": [f"91{i:016d}" for i in ids],
            "name": [f"基准测试企业{i}有限公司" for i in ids],
            "aliases": [[] for _ in ids],
            "industry": rng.choice(["C32", "C33", "E47", "F51", "B06"], n),
            # A list of str/None, not a numpy object array: Polars would read that as Object when its
            # first value is None, and PostgreSQL's bulk load cannot take Object.
            "chain": pl.Series(rng.choice(np.array(CHAINS, dtype=object), n).tolist(), dtype=pl.String),
            "township": rng.choice(TOWNSHIPS, n),
            "ownership": "private",
            "founded_on": date(2010, 1, 1),
            "status": "active",
        }
    )
    engine = engine_for(settings)
    upsert_enterprises(engine, register, batch_id="bench", now=now)
    with unit_of_work(engine) as session:
        session.add(
            ModelVersion(
                version="bench", status="champion", trained_at=now, trained_by="bench", as_of=DAY1,
                trees_from=DAY1, trees_to=DAY1, calibration_from=DAY1, calibration_to=DAY1,
                holdout_from=DAY1, holdout_to=DAY1, artifact_path="-", artifact_sha256="0" * 64,
            )
        )  # fmt: skip
        session.commit()
    first = _tiers(rng, n)
    # Day 2: 10% of the flagged move one tier, the same share of others move in or out.
    second = first.copy()
    moved = rng.random(n) < 0.1
    ladder = np.array(["none", "blue", "yellow", "orange", "red"])
    step = np.where(rng.random(n) < 0.5, 1, -1)
    order = {t: i for i, t in enumerate(ladder)}
    rank = np.array([order[t] for t in second])
    second = np.where(moved & (rank > 0), ladder[np.clip(rank + step, 0, 4)], second)
    for offset, tiers in ((0, first), (1, second)):
        _write_scores(engine, register["uscc"], tiers, DAY1 + timedelta(days=offset), rng, now)


def _tiers(rng: np.random.Generator, n: int) -> np.ndarray:
    draw = rng.random(n)
    tiers = np.full(n, "none", dtype=object)
    edge = 0.0
    for tier, share in TIER_SHARES.items():
        tiers[(draw >= edge) & (draw < edge + share)] = tier
        edge += share
    return tiers


def _write_scores(engine: sa.Engine, uscc: pl.Series, tiers: np.ndarray, as_of: date, rng: np.random.Generator, now: datetime) -> None:
    table = RiskScore.__table__  # type: ignore[attr-defined]
    probability = {"red": 0.4, "orange": 0.2, "yellow": 0.1, "blue": 0.04, "none": 0.005}
    explained = tiers != "none"
    evidence_rows = int(explained.sum())
    # Sentiment and arrears counts are mostly zero, as in the synthetic city: most flagged
    # enterprises have no petition, police record or post about them.
    figures = {c: rng.poisson(0.3, evidence_rows).tolist() for c in EVIDENCE_COLUMNS}
    figures["headcount"] = rng.integers(20, 800, evidence_rows).tolist()
    figures["removed_30d"] = rng.integers(0, 80, evidence_rows).tolist()
    figures["removed_share_30d"] = (rng.random(evidence_rows) * 0.3).tolist()
    figures["unpaid_latest"] = [False] * evidence_rows
    evidence_list = [dict(zip(figures, values, strict=True)) for values in zip(*figures.values(), strict=True)]
    evidence_iter = iter(evidence_list)
    with engine.begin() as connection:
        batch: list[dict[str, Any]] = []
        for code, tier, has in zip(uscc.to_list(), tiers.tolist(), explained.tolist(), strict=True):
            batch.append(
                {
                    "as_of": as_of, "uscc": code, "model_version": "bench", "probability": probability[tier],
                    "percentile": 0.5, "tier": tier, "reasons": REASONS if has else [],
                    "evidence": next(evidence_iter) if has else {}, "scored_at": now,
                }  # fmt: skip
            )
            if len(batch) == 50_000:
                connection.execute(table.insert(), batch)
                batch = []
        if batch:
            connection.execute(table.insert(), batch)
