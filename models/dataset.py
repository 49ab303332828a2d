"""Labelled snapshots: the rows the model learns from and is judged on.

One row per (uscc, as_of) for enterprises that can be scored at that date: enough data
(``insufficient_data`` false), staff on the books, and not already inside a layoff episode
(they are excluded until they recover). Columns: the feature table's, plus ``label``,
``days_to_start`` and ``weight`` (1, or the inverse sampling rate for negatives when only a share
of them is kept to fit a very large city in memory).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

import polars as pl

from features.inputs import Inputs
from features.labels import snapshot_labels
from features.table import FEATURE_ENGINE, feature_table

SAMPLING_BUCKETS = 1_000_000


def scorable() -> pl.Expr:
    """Rows the model scores: enough data and staff on the books."""
    return ~pl.col("insufficient_data") & (pl.col("headcount") > 0)


def labelled_snapshots(
    inputs: Inputs,
    episodes: pl.DataFrame,
    dates: Iterable[date],
    *,
    negative_fraction: float = 1.0,
    seed: int = 0,
    progress: Callable[[date], None] | None = None,
) -> pl.DataFrame:
    """Features and labels for each snapshot date, collected one date at a time (bounded memory)."""
    if not 0 < negative_fraction <= 1:
        raise ValueError("negative_fraction must be in (0, 1]")
    parts = []
    for as_of in dates:
        rows = snapshot_labels(feature_table(inputs, as_of=as_of).filter(scorable()), episodes).filter(
            ~pl.col("in_episode")
        )
        if negative_fraction < 1:
            # Deterministic: the same (uscc, as_of) is kept or dropped whatever else changes.
            bucket = pl.concat_str("uscc", pl.col("as_of").cast(pl.String)).hash(seed) % SAMPLING_BUCKETS
            rows = rows.filter(pl.col("label") | (bucket < negative_fraction * SAMPLING_BUCKETS))
        weight = pl.when(pl.col("label")).then(1.0).otherwise(1.0 / negative_fraction)
        parts.append(rows.with_columns(weight.alias("weight")).drop("in_episode").collect(engine=FEATURE_ENGINE))
        if progress is not None:
            progress(as_of)
    return pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame()
