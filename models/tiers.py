"""Tiers (红 / 橙 / 黄 / 蓝) from calibrated probabilities, and the insufficient-data state.

Thresholds come from settings (``[tiers]`` in layoffwatch.toml; defaults in
``layoffwatch.settings.DEFAULT_TIERS``). ``insufficient_data`` (数据不足) is a state of its own:
an enterprise whose inputs are too sparse is never given a low tier it has not earned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

TIER_ZH = {
    "red": "红色",
    "orange": "橙色",
    "yellow": "黄色",
    "blue": "蓝色",
    "none": "无",
    "insufficient_data": "数据不足",
}


# The order of tiers, for comparisons ("at orange or above"): every state without a tier is 0.
TIER_RANK = {"none": 0, "insufficient_data": 0, "blue": 1, "yellow": 2, "orange": 3, "red": 4}


def tier_rank(tier: str | None) -> int:
    return TIER_RANK.get(tier or "none", 0)


def tier_rank_expr(column: str = "tier") -> pl.Expr:
    """The rank of each row's tier (unknown values rank 0)."""
    return pl.col(column).replace_strict(TIER_RANK, default=0, return_dtype=pl.Int8)


def tier_expr(thresholds: Sequence[tuple[str, float]], probability: str = "probability") -> pl.Expr:
    """``tier`` for each row: the highest tier whose threshold the probability reaches."""
    expr: Any = pl.when(pl.col("insufficient_data")).then(pl.lit("insufficient_data"))
    for name, level in sorted(thresholds, key=lambda t: -t[1]):
        expr = expr.when(pl.col(probability) >= level).then(pl.lit(name))
    return expr.otherwise(pl.lit("none")).alias("tier")


def tier_shares(tiers: pl.Series) -> dict[str, float]:
    """Share of rows per tier (all tiers listed, zero when absent)."""
    total = max(tiers.len(), 1)
    counts = dict(tiers.value_counts().iter_rows())
    return {name: counts.get(name, 0) / total for name in TIER_ZH}
