"""Context from the register (industry, chain, township, ownership, age) and size bands.

The register's ``status`` is today's status, not the status at ``as_of``; it is carried for
scoring (a deregistered enterprise is not scored) but is never a model input, because using it
on past snapshots would leak what happened later.
"""

from __future__ import annotations

from datetime import date

import polars as pl

SIZE_BANDS = (10, 50, 200, 1000)  # insured headcount: <10, 10-49, 50-199, 200-999, 1000+
SIZE_BAND_ZH = ("10人以下", "10-49人", "50-199人", "200-999人", "1000人以上")


def size_band(headcount: pl.Expr) -> pl.Expr:
    """0..4 by the bands above; null headcount gives null."""
    band = pl.lit(0, pl.Int8)
    for edge in SIZE_BANDS:
        band = band + (headcount >= edge).cast(pl.Int8)
    return band


def context_features(register: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """One row per enterprise founded on or before ``as_of``."""
    return register.filter(pl.col("founded_on") <= as_of).select(
        "uscc",
        "name",
        "township",
        "industry",
        pl.col("industry").str.slice(0, 1).alias("industry_section"),
        pl.col("chain").fill_null("无"),
        "ownership",
        "status",
        ((pl.lit(as_of) - pl.col("founded_on")).dt.total_days() / 365.25).cast(pl.Float32).alias("age_years"),
    )
