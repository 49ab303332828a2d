"""The official-style rule baseline, computed from the same feature table as the model.

An enterprise is flagged when, in the last 30 days, its headcount fell by at least 10% and at
least 5 people, or by at least 20 people; or its contributions are two months or more in
arrears; or wage arrears are reported. Its score is the number of these conditions met (0-3), so
that a budget can take the enterprises meeting most conditions first.
"""

from __future__ import annotations

import polars as pl


def rule_conditions() -> list[pl.Expr]:
    headcount_fall = (pl.col("removed_30d") >= 20) | (
        (pl.col("removed_share_30d") >= 0.10) & (pl.col("removed_30d") >= 5)
    )
    contribution_arrears = (pl.col("arrears_streak") >= 2) | (pl.col("contribution_arrears_months_due") >= 2)
    wage_arrears = pl.col("wage_arrears_workers") > 0
    return [c.fill_null(False) for c in (headcount_fall, contribution_arrears, wage_arrears)]


def rule_score() -> pl.Expr:
    """Number of baseline conditions met, 0-3."""
    return pl.sum_horizontal(c.cast(pl.Int8) for c in rule_conditions()).cast(pl.Float64).alias("rule_score")
