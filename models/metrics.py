"""Metrics for one set of scored snapshot rows, the same for the model, the baseline and the oracle.

Input grain: one row per (uscc, as_of) with ``score``, ``label`` and ``days_to_start`` (null for
negatives); ``episodes`` gives the events for the event-level figures.
- ranking: ROC-AUC, PR-AUC (average precision), Brier score of the probability;
- alert budget, per snapshot then pooled: precision and recall in the top 1% and in the top 50;
- events: with a budget of 2% of enterprises per monthly snapshot, the share of events flagged
  at least 30 days before they start (on some snapshot 30-90 days ahead), and the median lead time
  of the events flagged at all (on some snapshot 1-90 days ahead).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import polars as pl
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

TOP_SHARE = 0.01
TOP_N = 50
MONTHLY_BUDGET = 0.02
MIN_LEAD_DAYS = 30


@dataclass(frozen=True)
class Metrics:
    rows: int
    positives: int
    base_rate: float
    roc_auc: float
    pr_auc: float
    brier: float
    precision_top1pct: float
    recall_top1pct: float
    precision_top50: float
    recall_top50: float
    events: int
    recall_30d_ahead: float
    median_lead_days: float

    def as_dict(self) -> dict[str, float | None]:
        """Plain numbers for JSON; an undefined metric (no positives, no events) is None, not NaN."""
        return {k: (None if v is None or v != v else float(v)) for k, v in asdict(self).items()}


def _ranked(rows: pl.DataFrame) -> pl.DataFrame:
    # Ties (the rule baseline has a handful of distinct scores) are broken by USCC, not by row order:
    # which of a tie falls inside the budget must not depend on how the rows happened to be ordered.
    ordered = rows.sort("as_of", "uscc") if "uscc" in rows.columns else rows
    return ordered.with_columns(
        pl.col("score").rank("ordinal", descending=True).over("as_of").alias("_rank"),
        pl.len().over("as_of").alias("_n"),
    )


def _at_budget(ranked: pl.DataFrame, flagged: pl.Expr) -> tuple[float, float]:
    chosen = ranked.filter(flagged)
    hits = int(chosen["label"].sum())
    positives = int(ranked["label"].sum())
    precision = hits / chosen.height if chosen.height else float("nan")
    recall = hits / positives if positives else float("nan")
    return precision, recall


def event_lead_times(rows: pl.DataFrame, *, budget: float = MONTHLY_BUDGET) -> pl.DataFrame:
    """One row per event seen by at least one snapshot in its 90 days before: uscc, start
    (as_of + days_to_start), ``lead_days`` (earliest flag, null if never flagged) and ``early``
    (whether a snapshot at least 30 days ahead existed at all)."""
    ranked = _ranked(rows).with_columns((pl.col("_rank") <= (budget * pl.col("_n")).ceil()).alias("_flag"))
    ahead = ranked.filter(pl.col("label")).with_columns(
        (pl.col("as_of") + pl.duration(days=pl.col("days_to_start"))).alias("start")
    )
    return ahead.group_by("uscc", "start").agg(
        pl.col("days_to_start").filter(pl.col("_flag")).max().alias("lead_days"),
        (pl.col("days_to_start") >= MIN_LEAD_DAYS).any().alias("early_snapshot"),
        (pl.col("_flag") & (pl.col("days_to_start") >= MIN_LEAD_DAYS)).any().alias("flagged_early"),
    )


def compute(rows: pl.DataFrame) -> Metrics:
    """``rows``: score, label, as_of, uscc, days_to_start."""
    y = rows["label"].to_numpy().astype(bool)
    score = rows["score"].to_numpy().astype(float)
    both = 0 < y.sum() < len(y)
    ranked = _ranked(rows)
    p1, r1 = _at_budget(ranked, pl.col("_rank") <= (TOP_SHARE * pl.col("_n")).ceil())
    p50, r50 = _at_budget(ranked, pl.col("_rank") <= TOP_N)
    events = event_lead_times(rows)
    early = events.filter(pl.col("early_snapshot"))
    lead = events["lead_days"].drop_nulls()
    return Metrics(
        rows=len(y),
        positives=int(y.sum()),
        base_rate=float(y.mean()) if len(y) else float("nan"),
        roc_auc=float(roc_auc_score(y, score)) if both else float("nan"),
        pr_auc=float(average_precision_score(y, score)) if both else float("nan"),
        brier=float(brier_score_loss(y, np.clip(score, 0, 1))) if len(y) else float("nan"),
        precision_top1pct=p1,
        recall_top1pct=r1,
        precision_top50=p50,
        recall_top50=r50,
        events=early.height,
        recall_30d_ahead=float(np.mean(early["flagged_early"].to_numpy())) if early.height else float("nan"),
        median_lead_days=float(np.median(lead.to_numpy())) if lead.len() else float("nan"),
    )


def calibration_table(rows: pl.DataFrame, *, bins: int = 10) -> pl.DataFrame:
    """Mean predicted probability against observed rate in equal-count bins of the score."""
    return (
        rows.with_columns((pl.col("score").rank("ordinal") * bins / (pl.len() + 1)).floor().alias("bin"))
        .group_by("bin")
        .agg(
            pl.col("score").mean().alias("predicted"),
            pl.col("label").mean().alias("observed"),
            pl.len().alias("n"),
        )
        .sort("bin")
    )
