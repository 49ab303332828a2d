"""Features from linked sentiment records: petitions, 12345 hotline, police records, online posts.

One row per (uscc) for one ``as_of``: records by channel over 7/30/90 days, participants in
petitions and gatherings, the largest gathering, and acceleration (last 30 days against the 30
before). Any boolean ``cat_*`` column on the records (a text model's categories, in a later
issue) is counted over 30 and 90 days too, so new signals slot in without changing this code.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from features.visibility import known_records
from sources.schema import CHANNEL_ZH

WINDOWS = (7, 30, 90)
LOOKBACK_DAYS = max(WINDOWS)  # no sentiment feature reads further back
CHANNELS = tuple(CHANNEL_ZH)
COLLECTIVE_PETITION = 5  # a petition by five or more people is a collective petition


def sentiment_features(records: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    day = timedelta(days=1)
    known = known_records(records, as_of=as_of).filter(pl.col("day") > as_of - LOOKBACK_DAYS * day)
    categories = [c for c in records.collect_schema().names() if c.startswith("cat_")]

    def within(w: int) -> pl.Expr:
        return pl.col("day") > as_of - w * day

    aggs: list[pl.Expr] = [
        (within(w) & (pl.col("channel") == ch)).sum().cast(pl.Int32).alias(f"{ch}_{w}d")
        for ch in CHANNELS
        for w in WINDOWS
    ]
    aggs += [
        within(30).sum().cast(pl.Int32).alias("records_30d"),
        (~within(30) & within(60)).sum().cast(pl.Int32).alias("_records_prev_30d"),
        pl.col("participants").filter(within(90)).sum().cast(pl.Int32).alias("participants_90d"),
        pl.col("participants")
        .filter(within(90))
        .max()
        .fill_null(0)
        .cast(pl.Int32)
        .alias("max_participants_90d"),
        ((pl.col("channel") == "petition") & (pl.col("participants") >= COLLECTIVE_PETITION))
        .sum()
        .cast(pl.Int32)
        .alias("collective_petitions_90d"),
    ]
    aggs += [
        (pl.col(c) & within(w)).sum().cast(pl.Int32).alias(f"{c}_{w}d") for c in categories for w in (30, 90)
    ]
    return (
        known.group_by("uscc")
        .agg(aggs)
        .with_columns((pl.col("records_30d") - pl.col("_records_prev_30d")).alias("records_acceleration"))
        .drop("_records_prev_30d")
    )
