"""Scoring: every scorable enterprise on one as_of date, with probability, percentile, tier and reasons.

Grain: one row per (uscc, as_of) for enterprises founded by then, not deregistered, and with staff
on the books or too little data to tell. ``insufficient_data`` rows get that tier and no
probability. Reasons are computed for enterprises at blue tier or above (the ones anybody will
read); tier ``none`` carries none. The same rows, and those of enterprises with large recent cuts,
carry ``evidence``: the figures alerts quote and area warnings count.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from features.catalog import EVIDENCE_COLUMNS
from models.estimator import LayoffRiskModel
from models.reasons import explain
from models.tiers import tier_expr

EXPLAINED_TIERS = ("red", "orange", "yellow", "blue")
SCORE_COLUMNS = (
    "uscc",
    "as_of",
    "name",
    "township",
    "industry",
    "probability",
    "percentile",
    "tier",
    "reasons",
    "evidence",
)
# Enterprises that cut this many people within 30 days keep their evidence whatever their tier, so
# that area warnings (alerts.area) count actual cuts, not only the enterprises the model flags.
EVIDENCE_FROM_REMOVED_30D = 10


def in_scope() -> pl.Expr:
    """Enterprises that get a score row: not deregistered (no alerts for a dead enterprise), and
    either with staff or with too little data to know."""
    return (pl.col("status") != "deregistered") & ((pl.col("headcount") > 0) | pl.col("insufficient_data"))


def score(
    features: pl.DataFrame, model: LayoffRiskModel, *, thresholds: Sequence[tuple[str, float]]
) -> pl.DataFrame:
    """``features``: the feature table for one or more as_of dates. Returns ``SCORE_COLUMNS``
    plus every feature (reasons quote them; callers keep what they need)."""
    return with_percentile(scored_rows(features, model, thresholds=thresholds))


def scored_rows(
    features: pl.DataFrame, model: LayoffRiskModel, *, thresholds: Sequence[tuple[str, float]]
) -> pl.DataFrame:
    """Everything of ``score`` that each row decides alone: probability, tier, reasons, evidence;
    ``percentile`` is left null. A partition of a province scored here on a worker gives exactly
    the rows the whole province would; ``with_percentile`` then ranks them all together."""
    rows = features.filter(in_scope())
    known = ~rows["insufficient_data"].to_numpy()
    probability = np.full(rows.height, np.nan)
    if known.any():
        probability[known] = model.predict_risk(rows.filter(~pl.col("insufficient_data")))
    scored = rows.with_columns(pl.Series("probability", probability).fill_nan(None)).with_columns(
        pl.lit(None, pl.Float64).alias("percentile"), tier_expr(thresholds)
    )
    scored = scored.with_row_index("_i")
    explained = scored.filter(pl.col("tier").is_in(EXPLAINED_TIERS))
    reasons = explained.select("_i").with_columns(explain(model, explained))
    return (
        scored.join(reasons, on="_i", how="left")
        .with_columns(
            pl.col("reasons").fill_null(pl.lit([], dtype=reasons.schema["reasons"])),
            pl.when(
                pl.col("tier").is_in(EXPLAINED_TIERS)
                | (pl.col("removed_30d").fill_null(0) >= EVIDENCE_FROM_REMOVED_30D)
            )
            .then(pl.struct(EVIDENCE_COLUMNS))
            .alias("evidence"),
        )
        .sort("_i")
        .drop("_i")
        .select(*SCORE_COLUMNS, pl.exclude(SCORE_COLUMNS))
    )


def with_percentile(scored: pl.DataFrame) -> pl.DataFrame:
    """``percentile``: each probability's rank among all rows of its as_of (ties share the highest)."""
    return scored.with_columns(
        (pl.col("probability").rank("max").over("as_of") / pl.col("probability").count().over("as_of")).alias(
            "percentile"
        )
    )
