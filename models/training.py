"""The model's use cases: train a challenger, evaluate, promote through the gate, score a day.

Each takes settings and explicit times (``as_of``, ``now``) and reads the lake through
``features``; state goes to the registry and the score table in one unit of work each.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from features.inputs import Inputs, day_inputs, from_lake
from features.labels import layoff_episodes
from features.table import FEATURE_ENGINE, feature_table
from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from models import artifacts, registry
from models.dataset import labelled_snapshots
from models.estimator import LayoffRiskModel
from models.evaluation import Evaluation, evaluate, fit_on, score_fold, trap_red_rates, with_text_ablation
from models.metrics import Metrics, compute
from models.report import ReportInput, write
from models.scoring import score
from models.tiers import tier_expr, tier_shares
from models.windows import Fold, NotEnoughHistory, add_months, latest_fold, rolling_folds, snapshots
from store.db import engine_for
from store.scores import write_scores
from store.tables import ModelVersion
from store.uow import unit_of_work

Progress = Callable[[str], None]


class NoChampion(UserError):
    pass


class GateFailed(UserError):
    pass


@dataclass
class TrainResult:
    version: ModelVersion
    metrics: dict[str, Metrics]
    gate: registry.GateResult | None
    promoted: bool
    report: Path


def _history_start(inputs: Inputs, as_of: date) -> date:
    first = inputs.changes.filter(pl.col("date") <= as_of).select(pl.col("date").min()).collect().item()
    if first is None:
        raise UserError(
            f"湖中没有 {as_of} 之前的社保增减员数据（no enrolment changes before {as_of}）; ingest data first."
        )
    return first


def _windows(settings: Settings, as_of: date) -> tuple[Inputs, pl.DataFrame, list[date]]:
    inputs = from_lake(settings).collected()
    dates = snapshots(_history_start(inputs, as_of), as_of)
    episodes = layoff_episodes(inputs.changes, inputs.register, inputs.outcomes, until=as_of)
    return inputs, episodes, dates


def _fold(dates: list[date], make: Callable[[list[date]], Fold]) -> Fold:
    try:
        return make(dates)
    except NotEnoughHistory as exc:
        span = f"{dates[0]}..{dates[-1]}" if dates else "none"
        raise UserError(
            f"历史数据不足以训练（not enough history: {exc}; matured monthly snapshots: {span}）。"
            "About 16 months of data are needed before the as-of date."
        ) from None


def _tier_shares(settings: Settings, scored: pl.DataFrame) -> dict[str, float]:
    tiers = scored.select(
        pl.lit(False).alias("insufficient_data"), pl.col("score_model").alias("probability")
    ).select(tier_expr(settings.tiers))
    return tier_shares(tiers["tier"])


def train(
    settings: Settings,
    *,
    as_of: date,
    now: datetime,
    by: str,
    params: dict[str, object] | None = None,
    promote: bool = True,
    progress: Progress | None = None,
) -> TrainResult:
    """Train a challenger on the latest windows before ``as_of``; promote it if the gate passes."""
    say = progress or (lambda _m: None)
    say("labels")
    inputs, episodes, dates = _windows(settings, as_of)
    fold = _fold(dates, latest_fold)
    say("features")
    rows = labelled_snapshots(inputs, episodes, [*fold.trees, *fold.calibration, *fold.holdout])
    say("fit")
    model = fit_on(rows, fold, params)
    scored = score_fold(rows, fold, model)
    metrics = {n: compute(scored.rename({f"score_{n}": "score"})) for n in ("model", "baseline")}
    version_id = _version_id(as_of, model, now)
    path = settings.models / f"{version_id}.skops"
    digest = artifacts.save(model, path)
    report = write(
        ReportInput(
            title=f"Model {version_id} (as of {as_of})",
            metrics=metrics,
            scored=scored,
            windows=[fold.describe()],
            tier_shares=_tier_shares(settings, scored),
        ),
        settings.reports / "models" / version_id,
    )
    version = ModelVersion(
        version=version_id,
        status="challenger",
        trained_at=now,
        trained_by=by,
        as_of=as_of,
        trees_from=fold.trees[0],
        trees_to=fold.trees[-1],
        calibration_from=fold.calibration[0],
        calibration_to=fold.calibration[-1],
        holdout_from=fold.holdout[0],
        holdout_to=fold.holdout[-1],
        features=list(model.feature_names_),
        params=model.get_params(),
        metrics={n: m.as_dict() for n, m in metrics.items()},
        artifact_path=str(path),
        artifact_sha256=digest,
        report_path=str(report),
    )
    say("registry")
    engine = engine_for(settings)
    with unit_of_work(engine) as session:
        registry.add(session, version, by=by, at=now)
        session.commit()
        session.expunge_all()
    gate_result, promoted = None, False
    if promote:
        gate_result, promoted = _promote(
            settings, version_id, by=by, now=now, reason="自动：通过晋级门槛", rows=rows
        )
    return TrainResult(version, metrics, gate_result, promoted, report)


def _version_id(as_of: date, model: LayoffRiskModel, now: datetime) -> str:
    fingerprint = json.dumps(
        {"params": model.get_params(), "features": model.feature_names_, "now": now.isoformat()}, default=str
    )
    return f"{as_of:%Y%m%d}-{hashlib.sha256(fingerprint.encode()).hexdigest()[:8]}"


def load_model(settings: Settings, version: ModelVersion) -> LayoffRiskModel:
    return artifacts.load(Path(version.artifact_path), expected_sha256=version.artifact_sha256)


def holdout_comparison(
    settings: Settings, challenger: ModelVersion, champion: ModelVersion, rows: pl.DataFrame | None = None
) -> registry.GateResult:
    """Both models on the challenger's holdout window: the same rows, the same labels."""
    holdout = _month_ends(challenger.holdout_from, challenger.holdout_to)
    if rows is None:
        inputs, episodes, _ = _windows(settings, challenger.as_of)
        rows = labelled_snapshots(inputs, episodes, holdout)
    held = rows.filter(pl.col("as_of").is_in(holdout))
    base = held.select("uscc", "as_of", "label", "days_to_start")
    results = {}
    for role, version in (("challenger", challenger), ("champion", champion)):
        model = load_model(settings, version)
        computed = compute(base.with_columns(pl.Series("score", model.predict_risk(held))))
        results[role] = {k: float("nan") if v is None else v for k, v in computed.as_dict().items()}
    return registry.gate(results["challenger"], results["champion"], window=f"{holdout[0]}..{holdout[-1]}")


def _month_ends(first: date, last: date) -> list[date]:
    """The snapshot dates of a stored window (month ends from ``first`` to ``last``)."""
    out = [first]
    while out[-1] < last:
        out.append(add_months(out[-1], 1))
    return out


def promote(
    settings: Settings,
    version_id: str,
    *,
    by: str,
    now: datetime,
    reason: str | None = None,
    force: bool = False,
) -> tuple[registry.GateResult | None, bool]:
    """``layoffwatch models promote``: through the gate, or forced with a reason."""
    if force and not (reason and reason.strip()):
        raise UserError("--force 需要 --reason 说明原因（a forced promotion needs --reason）。")
    return _promote(settings, version_id, by=by, now=now, reason=reason or "通过晋级门槛", force=force)


def _promote(
    settings: Settings,
    version_id: str,
    *,
    by: str,
    now: datetime,
    reason: str,
    force: bool = False,
    rows: pl.DataFrame | None = None,
) -> tuple[registry.GateResult | None, bool]:
    engine = engine_for(settings)
    with unit_of_work(engine) as session:
        challenger = registry.get(session, version_id)
        current = registry.champion(session)
        session.expunge_all()  # keep the loaded values after the read-only unit of work ends
    if current is not None and current.version == version_id:
        raise UserError(f"{version_id} 已经是当前模型（already the champion）。")
    if challenger.status == "retired" and not force:
        raise UserError(f"{version_id} 已退役（retired）; use --force --reason to bring it back.")
    result = None if current is None else holdout_comparison(settings, challenger, current, rows)
    passed = result is None or result.passed
    if not passed and not force:
        return result, False
    why = reason if current is not None else "首个模型（no champion yet）"
    with unit_of_work(engine) as session:
        registry.make_champion(
            session,
            registry.get(session, version_id),
            by=by,
            at=now,
            reason=why,
            forced=force and not passed,
            gate_result=result,
        )
        session.commit()
    return result, True


def champion_model(settings: Settings) -> tuple[ModelVersion, LayoffRiskModel]:
    with unit_of_work(engine_for(settings)) as session:
        current = registry.champion(session)
        session.expunge_all()
    if current is None:
        raise NoChampion(
            "还没有启用的模型，请先运行 `layoffwatch train --as-of 日期`（no champion model yet）。"
        )
    return current, load_model(settings, current)


def score_day(settings: Settings, *, as_of: date, now: datetime) -> tuple[ModelVersion, pl.DataFrame]:
    """Score every enterprise on ``as_of`` with the champion and store the rows."""
    version, model = champion_model(settings)
    features = feature_table(day_inputs(settings), as_of=as_of).collect(engine=FEATURE_ENGINE)
    scored = score(features, model, thresholds=settings.tiers)
    write_scores(engine_for(settings), scored, model_version=version.version, scored_at=now)
    return version, scored


@dataclass
class EvaluationResult:
    evaluation: Evaluation
    report: Path
    traps: pl.DataFrame | None


def evaluate_history(
    settings: Settings,
    *,
    as_of: date,
    truth: Path | None = None,
    folds: int = 6,
    params: dict[str, object] | None = None,
    progress: Progress | None = None,
    compare_text: bool = False,
) -> EvaluationResult:
    """Rolling-origin evaluation of the model against the rule baseline (and the oracle with ``truth``);
    ``compare_text``: also the same model without the text model's features, side by side."""
    say = progress or (lambda _m: None)
    inputs, episodes, dates = _windows(settings, as_of)
    chosen = rolling_folds(dates, folds=folds)
    if not chosen:
        _fold(dates, lambda d: latest_fold(d, holdout=1))
    needed = sorted({d for f in chosen for d in (*f.trees, *f.calibration, *f.holdout)})
    say("features")
    rows = labelled_snapshots(inputs, episodes, needed)
    say("fit")
    result = evaluate(
        rows, chosen, truth=truth, params=params, progress=lambda f: say(f"fold {f.holdout[0]}")
    )
    if compare_text:
        say("fit without text features")
        result = with_text_ablation(result, rows, params=params)
    red_at = dict(settings.tiers)["red"]
    traps = trap_red_rates(result.scored, truth, rows, red_at=red_at) if truth is not None else None
    tables = (
        {"Red tier among look-alikes (Spring Festival exits, transfers)": traps} if traps is not None else {}
    )
    report = write(
        ReportInput(
            title=f"Rolling-origin evaluation (as of {as_of})",
            metrics=result.metrics,
            scored=result.scored,
            windows=[f.describe() for f in chosen],
            tier_shares=_tier_shares(settings, result.scored),
            tables=tables,
            notes=[
                "Every fold trains its own trees and calibration on earlier windows, with a 90-day gap before each later window.",
                "The baseline is the official-style rule; its probability is its hit rate per number of conditions met on the calibration window.",
                "The oracle reads the generator's hidden distress (truth/); it is shown only to measure how much of the knowable the model captures.",
                "oracle_last_month reads the distress of the month before the snapshot's, the month the latest contribution and payroll reports describe: what the oracle gains over it comes from seeing a month no report shows yet.",
                *(
                    ["model_without_text is the same model fitted on the same folds without the text model's category counts."]
                    if compare_text
                    else []
                ),
            ],
        ),
        settings.reports / "evaluations" / f"{as_of}",
    )
    return EvaluationResult(result, report, traps)
