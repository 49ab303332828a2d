"""Features from linked sentiment records: petitions, 12345 hotline, police records, online posts.

One row per (uscc) for one ``as_of``: records by channel over 7/30/90 days, participants in
petitions and gatherings, the largest gathering, how many channels report on the enterprise, and
acceleration (last 30 days against the 30 before). Each boolean ``cat_*`` column on the records
(the text model's categories, ``features.text_model``) is counted over 7/30/90 days, in all and
by channel (``cat_layoffs_online_30d``), with its own acceleration.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from features.text_categories import CATEGORIES
from features.visibility import known_records
from sources.schema import CHANNEL_ZH

WINDOWS = (7, 30, 90)
LOOKBACK_DAYS = max(WINDOWS)  # no sentiment feature reads further back
CHANNELS = tuple(CHANNEL_ZH)
COLLECTIVE_PETITION = 5  # a petition by five or more people is a collective petition


def text_count_columns() -> tuple[str, ...]:
    """The category counts ``sentiment_features`` writes (routing and display read them all; the
    model reads those ``features.catalog`` lists)."""
    return tuple(
        f"cat_{c}_{part}"
        for c in CATEGORIES
        for part in (*(f"{w}d" for w in WINDOWS), *(f"{ch}_{w}d" for ch in CHANNELS for w in WINDOWS), "acceleration")
    )


def sentiment_features(records: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    day = timedelta(days=1)
    present = records.collect_schema().names()
    categories = [f"cat_{c}" for c in CATEGORIES]
    # Records from a source the text model has not read (hand-made frames) are about no category.
    known = (
        known_records(records, as_of=as_of)
        .filter(pl.col("day") > as_of - LOOKBACK_DAYS * day)
        .with_columns(
            (pl.col(c).fill_null(False) if c in present else pl.lit(False)).alias(c) for c in categories
        )
    )

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
        pl.col("channel").filter(within(w)).n_unique().cast(pl.Int32).alias(f"channels_{w}d") for w in (30, 90)
    ]
    for c in categories:
        aggs += [(pl.col(c) & within(w)).sum().cast(pl.Int32).alias(f"{c}_{w}d") for w in WINDOWS]
        aggs += [
            (pl.col(c) & within(w) & (pl.col("channel") == ch)).sum().cast(pl.Int32).alias(f"{c}_{ch}_{w}d")
            for ch in CHANNELS
            for w in WINDOWS
        ]
        aggs.append((pl.col(c) & ~within(30) & within(60)).sum().cast(pl.Int32).alias(f"_{c}_prev_30d"))
    previous = [f"_{c}_prev_30d" for c in categories]
    return (
        known.group_by("uscc")
        .agg(aggs)
        .with_columns(
            (pl.col("records_30d") - pl.col("_records_prev_30d")).alias("records_acceleration"),
            *((pl.col(f"{c}_30d") - pl.col(f"_{c}_prev_30d")).alias(f"{c}_acceleration") for c in categories),
        )
        .drop("_records_prev_30d", *previous)
    )
