"""Scoring: every scorable enterprise on one as_of date, with probability, percentile, tier and reasons.

Grain: one row per (uscc, as_of) for enterprises founded by then, not deregistered, and with staff
on the books or too little data to tell. ``insufficient_data`` rows get that tier and no
probability. Reasons are computed for enterprises at blue tier or above (the ones anybody will
read); tier ``none`` carries none. The same rows carry ``evidence``, the figures alerts quote.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

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
# The figures an alert quotes and routes on (``alerts.routing``), kept with each explained score.
EVIDENCE_COLUMNS = (
    "headcount",
    "removed_30d",
    "removed_share_30d",
    "removed_90d",
    "contribution_arrears",
    "arrears_months_6m",
    "days_late_latest",
    "unpaid_latest",
    "wage_arrears_workers",
    "wage_arrears_amount",
    "petition_90d",
    "collective_petitions_90d",
    "police_90d",
    "hotline_90d",
    "online_90d",
    "participants_90d",
    "max_participants_90d",
    "records_30d",
)


def in_scope() -> pl.Expr:
    """Enterprises that get a score row: not deregistered (no alerts for a dead enterprise), and
    either with staff or with too little data to know."""
    return (pl.col("status") != "deregistered") & ((pl.col("headcount") > 0) | pl.col("insufficient_data"))


def score(
    features: pl.DataFrame, model: LayoffRiskModel, *, thresholds: Sequence[tuple[str, float]]
) -> pl.DataFrame:
    """``features``: the feature table for one or more as_of dates. Returns ``SCORE_COLUMNS``
    plus every feature (reasons quote them; callers keep what they need)."""
    rows = features.filter(in_scope())
    known = ~rows["insufficient_data"].to_numpy()
    probability = np.full(rows.height, np.nan)
    if known.any():
        probability[known] = model.predict_risk(rows.filter(~pl.col("insufficient_data")))
    scored = rows.with_columns(pl.Series("probability", probability).fill_nan(None)).with_columns(
        (pl.col("probability").rank("max").over("as_of") / pl.col("probability").count().over("as_of")).alias(
            "percentile"
        ),
        tier_expr(thresholds),
    )
    scored = scored.with_row_index("_i")
    explained = scored.filter(pl.col("tier").is_in(EXPLAINED_TIERS))
    reasons = explained.select("_i").with_columns(explain(model, explained))
    return (
        scored.join(reasons, on="_i", how="left")
        .with_columns(
            pl.col("reasons").fill_null(pl.lit([], dtype=reasons.schema["reasons"])),
            pl.when(pl.col("tier").is_in(EXPLAINED_TIERS))
            .then(pl.struct(EVIDENCE_COLUMNS))
            .alias("evidence"),
        )
        .sort("_i")
        .drop("_i")
        .select(*SCORE_COLUMNS, pl.exclude(SCORE_COLUMNS))
    )
