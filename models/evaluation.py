"""Rolling-origin evaluation: the model, the rule baseline and (when the synthetic truth is at
hand) the oracle, side by side on the same held-out snapshots.

Every fold trains its own trees and calibration on earlier windows (``models.windows``); the
held-out rows of all folds are pooled for the headline figures. The baseline's probability is
its observed hit rate per number of conditions met on the fold's calibration window; the
oracle's is a logistic fit of the generator's hidden distress on the same window. The oracle
reads ``truth/`` and exists only here, to show how much of the knowable the model captures.

The oracle reads the distress of the snapshot's own month, which no report shows yet: a month's
contributions and payroll are reported in the next. ``oracle_last_month`` is the same fit on the
month before, the month the latest monthly reports describe, so the report shows how much of
the oracle's lead comes from seeing a month ahead of the data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression

from features.catalog import FEATURE_NAMES, TEXT_GROUPS, by_group
from models.baseline import rule_score
from models.estimator import LayoffRiskModel
from models.metrics import Metrics, compute
from models.windows import Fold

SCORERS = ("model", "model_without_text", "baseline", "oracle", "oracle_last_month")
# The oracles: scorer -> months before the snapshot's month whose hidden distress it reads.
ORACLES = {"oracle": 0, "oracle_last_month": 1}
TEXT_FEATURE_NAMES = frozenset(f.name for group in TEXT_GROUPS for f in by_group(group))


@dataclass
class Evaluation:
    folds: list[Fold]
    metrics: dict[str, Metrics]  # scorer -> pooled metrics
    per_fold: list[dict[str, Metrics]]
    scored: pl.DataFrame  # held-out rows: uscc, as_of, label, days_to_start, score_<scorer>
    traps: pl.DataFrame | None = None  # red-tier rates for look-alikes vs ordinary rows


def fit_on(rows: pl.DataFrame, fold: Fold, params: dict[str, Any] | None = None) -> LayoffRiskModel:
    """Trees on the fold's training snapshots, calibration on its calibration snapshots."""
    trees = rows.filter(pl.col("as_of").is_in(fold.trees))
    cal = rows.filter(pl.col("as_of").is_in(fold.calibration))
    return LayoffRiskModel(**(params or {})).fit(
        trees,
        trees["label"].to_numpy(),
        sample_weight=trees["weight"].to_numpy() if "weight" in trees.columns else None,
        calibration=(cal, cal["label"].to_numpy()),
    )


def read_distress(truth: Path) -> pl.DataFrame:
    """The generator's hidden distress per (uscc, month), from a city's ``truth/`` folder."""
    return pl.read_parquet(truth / "distress_monthly.parquet").select("uscc", "month", "distress")


def oracle_distress(distress: pl.DataFrame, keys: pl.DataFrame, *, months_back: int = 0) -> pl.Series:
    """``distress`` (``read_distress``) for each (uscc, as_of)'s month, or the month ``months_back``
    before it; 0 where none was recorded."""
    return (
        keys.select("uscc", pl.col("as_of").dt.month_start().dt.offset_by(f"-{months_back}mo").alias("month"))
        .join(distress, on=["uscc", "month"], how="left")
        .get_column("distress")
        .fill_null(0.0)
        .cast(pl.Float64)
    )


def _baseline_probability(cal: pl.DataFrame, held: pl.DataFrame) -> pl.Series:
    rates = cal.select(rule_score(), "label").group_by("rule_score").agg(pl.col("label").mean().alias("p"))
    prior = float(cal["label"].mean() or 0.0)  # type: ignore[arg-type]
    return (
        held.select(rule_score())
        .join(rates, on="rule_score", how="left", maintain_order="left")["p"]
        .fill_null(prior)
    )


def _logistic(x_cal: np.ndarray, y_cal: np.ndarray, x: np.ndarray) -> np.ndarray:
    fit = LogisticRegression(C=1e4).fit(x_cal[:, None], y_cal)
    return fit.predict_proba(x[:, None])[:, 1]


def score_fold(
    rows: pl.DataFrame, fold: Fold, model: LayoffRiskModel, truth: Path | None = None
) -> pl.DataFrame:
    cal = rows.filter(pl.col("as_of").is_in(fold.calibration))
    held = rows.filter(pl.col("as_of").is_in(fold.holdout))
    out = held.select("uscc", "as_of", "label", "days_to_start").with_columns(
        pl.Series("score_model", model.predict_risk(held)),
        _baseline_probability(cal, held).alias("score_baseline"),
    )
    if truth is not None:
        distress = read_distress(truth)  # once for every oracle of the fold
        for name, back in ORACLES.items():
            d_cal = oracle_distress(distress, cal, months_back=back).to_numpy()
            d_held = oracle_distress(distress, held, months_back=back).to_numpy()
            out = out.with_columns(
                pl.Series(f"score_{name}", _logistic(d_cal, cal["label"].to_numpy(), d_held))
            )
            if back == 0:
                out = out.with_columns(pl.Series("distress", d_held))
    return out


def _metrics(scored: pl.DataFrame) -> dict[str, Metrics]:
    return {
        name: compute(scored.rename({f"score_{name}": "score"}))
        for name in SCORERS
        if f"score_{name}" in scored.columns
    }


def evaluate(
    rows: pl.DataFrame,
    folds: list[Fold],
    *,
    truth: Path | None = None,
    params: dict[str, object] | None = None,
    progress: Callable[[Fold], None] | None = None,
) -> Evaluation:
    """Fit and score every fold; pool the held-out rows."""
    parts = []
    for fold in folds:
        parts.append(score_fold(rows, fold, fit_on(rows, fold, params), truth))
        if progress is not None:
            progress(fold)
    scored = pl.concat(parts)
    return Evaluation(
        folds=folds, metrics=_metrics(scored), per_fold=[_metrics(p) for p in parts], scored=scored
    )


def with_text_ablation(
    result: Evaluation, rows: pl.DataFrame, *, params: dict[str, Any] | None = None
) -> Evaluation:
    """``result`` plus the same model fitted on the same folds without the text model's features
    (``features.catalog.TEXT_GROUPS``), as the scorer ``model_without_text``: what the text adds."""
    chosen = (params or {}).get("features") or FEATURE_NAMES
    without = [name for name in chosen if name not in TEXT_FEATURE_NAMES]
    ablated = evaluate(rows, result.folds, params={**(params or {}), "features": without})
    scored = result.scored.join(
        ablated.scored.select("uscc", "as_of", pl.col("score_model").alias("score_model_without_text")),
        on=["uscc", "as_of"],
        how="left",
        maintain_order="left",
    )
    per_fold = [
        mine | {"model_without_text": theirs["model"]}
        for mine, theirs in zip(result.per_fold, ablated.per_fold, strict=True)
    ]
    return Evaluation(
        folds=result.folds, metrics=_metrics(scored), per_fold=per_fold, scored=scored, traps=result.traps
    )


def trap_red_rates(
    scored: pl.DataFrame, truth: Path, rows: pl.DataFrame, *, red_at: float, window_days: int = 45
) -> pl.DataFrame:
    """Red-tier share of held-out rows within ``window_days`` after a Spring Festival exit or a
    transfer out (the truth's traps), against three references: the same enterprises on their
    other snapshots, ordinary enterprises with the same industry and size mix, and all other rows.
    Exit-prone enterprises are bigger and riskier than average, so the first two references are
    the fair ones; all three are shown."""
    traps = pl.read_parquet(truth / "traps.parquet").filter(
        pl.col("type").is_in(["spring_festival_exit", "transfer_out"])
    )
    context = rows.select("uscc", "as_of", "industry_section", "size_band")
    red = scored.select("uscc", "as_of", (pl.col("score_model") >= red_at).alias("red")).join(
        context, on=["uscc", "as_of"], how="left"
    )
    during = (
        red.join(traps.select("uscc", "date", "type"), on="uscc")
        .filter(
            (pl.col("date") <= pl.col("as_of"))
            & (pl.col("date") > pl.col("as_of") - pl.duration(days=window_days))
        )
        .unique(subset=["uscc", "as_of", "type"])
    )
    trap_firms = traps.select("uscc").unique()
    ordinary = red.join(trap_firms, on="uscc", how="anti")
    cells = ordinary.group_by("industry_section", "size_band").agg(pl.col("red").mean().alias("cell_red"))
    out = []
    for kind in ("spring_festival_exit", "transfer_out"):
        these = during.filter(pl.col("type") == kind)
        firms = traps.filter(pl.col("type") == kind).select("uscc").unique()
        other_times = red.join(firms, on="uscc").join(
            these.select("uscc", "as_of"), on=["uscc", "as_of"], how="anti"
        )
        matched = these.join(cells, on=["industry_section", "size_band"], how="left")["cell_red"].mean()
        out.append(
            {
                "look_alike": kind,
                "rows": these.height,
                "red_share": these["red"].mean(),
                "same_enterprises_other_snapshots": other_times["red"].mean(),
                "ordinary_same_industry_and_size": matched,
                "all_other_rows": ordinary["red"].mean(),
            }
        )
    return pl.DataFrame(
        out,
        schema_overrides={
            k: pl.Float64
            for k in (
                "red_share",
                "same_enterprises_other_snapshots",
                "ordinary_same_industry_and_size",
                "all_other_rows",
            )
        },
    )
