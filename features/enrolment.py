"""Enrolment features from the daily social-insurance changes (社保增减员).

One row per (uscc) for one ``as_of``: the insured headcount, removals and additions over
30/90/180/365 days as counts and as shares of the headcount at the window's start, net change,
the largest single-day removal, the trend (last 90 days against the 90 before), and removals in
the same weeks last year (so that seasonal exits look like what they are).
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from features.visibility import known_daily

WINDOWS = (30, 90, 180, 365)
LAST_YEAR = 365
# A window of +-30 days around the same date last year: the Spring Festival moves by up to
# three weeks from one year to the next, so an exact 30-day window would often miss it.
LAST_YEAR_HALF_WIDTH = 30


def _in(lo: date, hi: date) -> pl.Expr:
    """Rows dated in (lo, hi]."""
    return (pl.col("date") > lo) & (pl.col("date") <= hi)


def _share(count: str, base: pl.Expr) -> pl.Expr:
    """``count`` over the headcount at the window's start -- or today's, when the enterprise has
    grown since (a new enterprise's share is not measured against the nobody it started with)."""
    return (pl.col(count) / pl.max_horizontal(base, pl.col("headcount"), pl.lit(1))).cast(pl.Float32)


def enrolment_features(changes: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """One row per (uscc) with at least one change on or before ``as_of``."""
    day = timedelta(days=1)
    known = known_daily(changes, as_of=as_of)
    ly = as_of - timedelta(days=LAST_YEAR)
    aggs: list[pl.Expr] = [
        pl.col("insured_total").sort_by("date").last().alias("headcount"),
        pl.col("date").max().alias("last_change_on"),
        pl.col("date").min().alias("first_change_on"),
    ]
    for w in WINDOWS:
        since = as_of - w * day
        aggs += [
            pl.col("removed").filter(_in(since, as_of)).sum().alias(f"removed_{w}d"),
            pl.col("added").filter(_in(since, as_of)).sum().alias(f"added_{w}d"),
        ]
    aggs += [
        pl.col("removed")
        .filter(_in(as_of - 30 * day, as_of))
        .max()
        .fill_null(0)
        .alias("max_day_removed_30d"),
        pl.col("removed")
        .filter(_in(as_of - 90 * day, as_of))
        .max()
        .fill_null(0)
        .alias("max_day_removed_90d"),
        pl.col("removed").filter(_in(as_of - 180 * day, as_of - 90 * day)).sum().alias("removed_prev_90d"),
        pl.col("removed")
        .filter(_in(ly - LAST_YEAR_HALF_WIDTH * day, ly + LAST_YEAR_HALF_WIDTH * day))
        .sum()
        .alias("removed_60d_last_year"),
        pl.col("added")
        .filter(_in(ly, ly + 2 * LAST_YEAR_HALF_WIDTH * day))
        .sum()
        .alias("added_60d_after_last_year"),
    ]
    grouped = known.group_by("uscc").agg(aggs)
    # Headcount at a window's start is exact: today's total minus the window's net change.
    start = {w: pl.col("headcount") - pl.col(f"added_{w}d") + pl.col(f"removed_{w}d") for w in WINDOWS}
    return (
        grouped.with_columns(
            *(_share(f"removed_{w}d", start[w]).alias(f"removed_share_{w}d") for w in WINDOWS),
            *(_share(f"added_{w}d", start[w]).alias(f"added_share_{w}d") for w in WINDOWS),
            (pl.col("added_90d") - pl.col("removed_90d")).alias("net_change_90d"),
            # Hiring in the last 90 days against a quarter of the year's: distress stops hiring first.
            (
                (pl.col("added_365d") / 4 - pl.col("added_90d"))
                / pl.max_horizontal(pl.col("headcount"), start[90], pl.lit(1))
            )
            .cast(pl.Float32)
            .alias("hiring_slowdown"),
            _share("max_day_removed_30d", start[30]).alias("max_day_removed_share_30d"),
            (
                (pl.col("added_365d") - pl.col("removed_365d"))
                / pl.max_horizontal(pl.col("headcount"), start[365], pl.lit(1))
            )
            .cast(pl.Float32)
            .alias("net_change_share_365d"),
            # Trend: removals in the last 90 days against the 90 days before, as a share of headcount.
            (
                (pl.col("removed_90d") - pl.col("removed_prev_90d"))
                / pl.max_horizontal(pl.col("headcount"), start[90], pl.lit(1))
            )
            .cast(pl.Float32)
            .alias("removal_trend_90d"),
            # Last year's removals around this date, scaled to 30 days, as a share of today's headcount.
            (
                (pl.col("removed_60d_last_year") / 2)
                / pl.max_horizontal(pl.col("headcount"), start[30], pl.lit(1))
            )
            .cast(pl.Float32)
            .alias("removed_share_30d_last_year"),
            (pl.lit(as_of) - pl.col("last_change_on"))
            .dt.total_days()
            .cast(pl.Int32)
            .alias("days_since_change"),
        )
        .with_columns(
            (pl.col("removed_share_30d") - pl.col("removed_share_30d_last_year")).alias(
                "removed_share_30d_vs_last_year"
            ),
            # Last year, did the people who left around now come back? (seasonal exits do)
            (
                pl.col("added_60d_after_last_year")
                / pl.max_horizontal(pl.col("removed_60d_last_year"), pl.lit(1))
            )
            .clip(0, 3)
            .cast(pl.Float32)
            .alias("returned_ratio_last_year"),
        )
        .drop("last_change_on", "removed_prev_90d", "added_60d_after_last_year")
    )
