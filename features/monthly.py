"""Features from the monthly sources: social-insurance contributions (社保缴费) and payroll (工资发放).

One row per (uscc) for one ``as_of``, from the periods known by then (``visibility``). The
latest known period is "month 0"; windows count known periods back from it, and
``months_since_report`` says how stale it is (a report that stops arriving is a signal too).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from features.visibility import known_monthly

LOOKBACK_PERIODS = 12
# Only periods of the last 14 months are read: enough for 12 known periods behind a report that
# is one or two months late, and it keeps a province's 24-month history off the scan.
WINDOW_MONTHS = 14
ARREARS_TOLERANCE = 0.99  # paid below 99% of due counts as a month in arrears


def _months_between(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    return (later.dt.year() - earlier.dt.year()) * 12 + later.dt.month() - earlier.dt.month()


def window_start(as_of: date) -> date:
    """The first period read for ``as_of``: the first day of the month ``WINDOW_MONTHS`` before."""
    index = as_of.year * 12 + as_of.month - 1 - WINDOW_MONTHS
    return date(index // 12, index % 12 + 1, 1)


def _in_window(rows: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    return known_monthly(rows.filter(pl.col("period") >= window_start(as_of)), as_of=as_of)


def _recent(rows: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """Known rows of the last ``LOOKBACK_PERIODS`` periods per enterprise (within the window),
    ``back`` = 0 for the latest."""
    return (
        _in_window(rows, as_of=as_of)
        .with_columns(pl.col("period").max().over("uscc").alias("latest_period"))
        .with_columns(_months_between(pl.col("latest_period"), pl.col("period")).alias("back"))
        .filter(pl.col("back") < LOOKBACK_PERIODS)
    )


def _staleness(as_of: date) -> pl.Expr:
    return _months_between(pl.lit(as_of), pl.col("latest_period")).cast(pl.Int16)


def _sum_where(col: str, cond: pl.Expr) -> pl.Expr:
    return pl.col(col).filter(cond).sum()


def contribution_features(contributions: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """Arrears (amount, months, consecutive months), paid/due ratio and its trend, contribution base."""
    first = (
        _in_window(contributions, as_of=as_of)
        .group_by("uscc")
        .agg(pl.col("period").min().alias("first_period"))
    )
    rows = _recent(contributions, as_of=as_of).with_columns(
        (pl.col("paid") < pl.col("due") * ARREARS_TOLERANCE).alias("short")
    )
    last3, prev3 = pl.col("back") < 3, (pl.col("back") >= 3) & (pl.col("back") < 6)
    grouped = rows.group_by("uscc").agg(
        pl.col("latest_period").first(),
        # Arrears carried: what was due and not paid over the known year, net of catch-up payments (to
        # the cent, so that summation order cannot turn 0 into 1e-15; + 0.0 so that it cannot turn
        # it into -0.0 either).
        ((pl.col("due").sum() - pl.col("paid").sum()).round(2).clip(0) + 0.0).alias("contribution_arrears"),
        pl.col("short").filter(pl.col("back") < 6).sum().cast(pl.Int16).alias("arrears_months_6m"),
        pl.col("short").filter(last3).sum().cast(pl.Int16).alias("short_months_3m"),
        (pl.col("paid") / pl.col("due"))
        .filter(pl.col("back") == 0)
        .first()
        .cast(pl.Float32)
        .alias("paid_ratio_latest"),
        # Consecutive months in arrears up to the latest: the first month (from the latest back) paid in full.
        pl.col("back")
        .filter(~pl.col("short"))
        .min()
        .fill_null(LOOKBACK_PERIODS)
        .cast(pl.Int16)
        .alias("arrears_streak"),
        pl.col("back").min().alias("_min_back"),
        (_sum_where("paid", last3) / _sum_where("due", last3)).cast(pl.Float32).alias("paid_ratio_3m"),
        (_sum_where("paid", prev3) / _sum_where("due", prev3)).cast(pl.Float32).alias("_paid_ratio_prev"),
        pl.col("base_total").filter(pl.col("back") == 0).first().alias("base_total_latest"),
        pl.col("base_total").filter(prev3).mean().alias("_base_prev"),
        pl.col("due").filter(pl.col("back") == 0).first().alias("_due_latest"),
    )
    return (
        grouped.with_columns(
            (pl.col("contribution_arrears") / pl.max_horizontal(pl.col("_due_latest"), pl.lit(1.0)))
            .cast(pl.Float32)
            .alias("contribution_arrears_months_due"),
            (pl.col("paid_ratio_3m") - pl.col("_paid_ratio_prev")).alias("paid_ratio_trend"),
            (pl.col("base_total_latest") / pl.col("_base_prev") - 1).cast(pl.Float32).alias("base_change_3m"),
            _staleness(as_of).alias("contribution_months_since_report"),
        )
        .drop("latest_period", "_min_back", "_paid_ratio_prev", "_base_prev", "_due_latest")
        .join(first, on="uscc", how="left")
    )


def payroll_features(payroll: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """Workers paid, pay per worker and its change, days late, wage arrears (workers, amount, months)."""
    period_end = pl.col("period").dt.month_end()
    rows = _recent(payroll, as_of=as_of).with_columns(
        # Not paid by the time the row was known: late until as_of (what an officer would count).
        (pl.coalesce(pl.col("paid_on"), pl.lit(as_of)) - period_end)
        .dt.total_days()
        .clip(0)
        .alias("days_late"),
        # Pay per worker is undefined when nobody was paid (null, not NaN, so means skip it).
        pl.when(pl.col("workers_paid") > 0)
        .then(pl.col("gross_pay") / pl.col("workers_paid"))
        .alias("pay_per_worker"),
    )
    last3, prev3 = pl.col("back") < 3, (pl.col("back") >= 3) & (pl.col("back") < 6)
    latest = pl.col("back") == 0
    grouped = rows.group_by("uscc").agg(
        pl.col("latest_period").first(),
        pl.col("workers_paid").filter(latest).first().alias("workers_paid_latest"),
        pl.col("pay_per_worker").filter(latest).first().cast(pl.Float32).alias("pay_per_worker_latest"),
        pl.col("pay_per_worker").filter(prev3).mean().alias("_pay_prev"),
        pl.col("days_late").filter(latest).first().cast(pl.Int32).alias("days_late_latest"),
        pl.col("days_late").filter(last3).mean().cast(pl.Float32).alias("days_late_3m"),
        pl.col("days_late").filter(prev3).mean().cast(pl.Float32).alias("_days_late_prev"),
        pl.col("paid_on").filter(latest).first().is_null().alias("unpaid_latest"),
        pl.col("arrears_workers").filter(latest).first().alias("wage_arrears_workers"),
        pl.col("arrears_amount").filter(latest).first().cast(pl.Float32).alias("wage_arrears_amount"),
        (pl.col("arrears_workers") > 0)
        .filter(pl.col("back") < 6)
        .sum()
        .cast(pl.Int16)
        .alias("wage_arrears_months_6m"),
        pl.col("workers_paid").filter(prev3).mean().alias("_workers_prev"),
    )
    return grouped.with_columns(
        (pl.col("pay_per_worker_latest") / pl.col("_pay_prev") - 1)
        .cast(pl.Float32)
        .alias("pay_per_worker_change"),
        (pl.col("workers_paid_latest") / pl.col("_workers_prev") - 1)
        .cast(pl.Float32)
        .alias("workers_paid_change"),
        (pl.col("days_late_3m") - pl.col("_days_late_prev")).alias("days_late_trend"),
        _staleness(as_of).alias("payroll_months_since_report"),
    ).drop("latest_period", "_pay_prev", "_workers_prev", "_days_late_prev")
