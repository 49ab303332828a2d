"""The series an alert page charts: each alerted enterprise's months and weeks, as known on ``as_of``.

Computed by the daily alerting step for the enterprises it alerts on and kept in
``EnterpriseTrend`` (one row per enterprise, replaced each day), so that the review console reads
one row per page instead of scanning the lake. Point in time, by ``features.visibility``'s rules:
a month's contributions and payroll appear once known (``reported_on``, else day 15 of the next
month), headcount from the enrolment changes dated up to ``as_of``, sentiment records published by
``as_of`` (Beijing time).

The series of one enterprise (lists aligned with their axis, None where there is no value)::

    {"months": ["2024-06", ..., "2026-05"],   # MONTHS months, the last the month before as_of's
     "headcount": [...], "workers_paid": [...], "gross_pay": [...], "arrears_workers": [...],
     "contributions_due": [...], "contributions_paid": [...],
     "weeks": ["2025-12-08", ..., "2026-06-01"],   # WEEKS Mondays, the last that of as_of's week
     "sentiment": {"online": [...], "petition": [...], "hotline": [...], "police": [...]}}

The months end with the last complete month: its figures may already be known (a bureau's file
may be reported on the 8th), or not yet (None until it is). ``headcount`` is the insured total
after the last enrolment change on or before the month's last day (carried forward over months
without changes; None before the first). Sentiment counts are linked records (one per record and
enterprise it is about) by the Monday of their local day's week and by channel.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlmodel import Session

from features.inputs import Inputs
from features.sentiment import CHANNELS
from features.visibility import known_daily, known_monthly, known_records
from store.tables import EnterpriseTrend
from store.upsert import upsert

MONTHS = 24
WEEKS = 26
# Monthly series: name in the series -> (source, column).
PAYROLL_SERIES = {
    "workers_paid": "workers_paid",
    "gross_pay": "gross_pay",
    "arrears_workers": "arrears_workers",
}
CONTRIBUTION_SERIES = {"contributions_due": "due", "contributions_paid": "paid"}
MONTHLY_SERIES = ("headcount", *PAYROLL_SERIES, *CONTRIBUTION_SERIES)
TABLE: sa.Table = EnterpriseTrend.__table__  # type: ignore[attr-defined]
# Rows per INSERT: 4 parameters a row stays far below SQLite's 32,766 and PostgreSQL's 65,535.
WRITE_CHUNK = 2000


def month_axis(as_of: date) -> list[date]:
    """The first days of the ``MONTHS`` months ending with the month before ``as_of``'s."""
    last = as_of.year * 12 + as_of.month - 2  # months since year 0 of the month before as_of's
    return [date(i // 12, i % 12 + 1, 1) for i in range(last - MONTHS + 1, last + 1)]


def week_axis(as_of: date) -> list[date]:
    """The Mondays of the ``WEEKS`` weeks ending with ``as_of``'s week."""
    monday = as_of - timedelta(days=as_of.weekday())
    return [monday - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]


def trends_for(inputs: Inputs, *, as_of: date, usccs: Collection[str]) -> dict[str, dict[str, Any]]:
    """uscc -> its series (the module docstring's shape), for every enterprise in ``usccs``;
    ``inputs``: the lake's (``features.inputs.from_lake``)."""
    if not usccs:
        return {}
    monthly, weekly = trend_frames(inputs, as_of=as_of, usccs=usccs)
    return series_from(monthly, weekly, as_of=as_of)


def trend_frames(inputs: Inputs, *, as_of: date, usccs: Collection[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two frames, one row per (uscc, month) and one per (uscc, week), over every enterprise in
    ``usccs`` and every point of the axes: ``monthly`` (uscc, month, ``MONTHLY_SERIES``) and
    ``weekly`` (uscc, week, one count per channel of ``CHANNELS``), sorted by uscc then time."""
    codes = pl.Series("uscc", sorted(set(usccs)), dtype=pl.String)
    months = month_axis(as_of)
    weeks = week_axis(as_of)
    wanted = pl.col("uscc").is_in(codes.implode())
    month_grid = pl.LazyFrame(codes).join(
        pl.LazyFrame({"month": months}, schema={"month": pl.Date}), how="cross"
    )
    week_grid = pl.LazyFrame(codes).join(pl.LazyFrame({"week": weeks}, schema={"week": pl.Date}), how="cross")

    # Headcount at each month's end: the last change on or before it (carried forward).
    changes = (
        known_daily(inputs.changes.filter(wanted), as_of=as_of)
        .select("uscc", "date", pl.col("insured_total").alias("headcount"))
        .sort("date")
    )
    headcount = (
        month_grid.with_columns(pl.col("month").dt.month_end().alias("month_end"))
        .sort("month_end")
        .join_asof(
            changes,
            left_on="month_end",
            right_on="date",
            by="uscc",
            strategy="backward",
            check_sortedness=False,  # sorted by date as a whole, so within every uscc too
        )
        .select("uscc", "month", "headcount")
    )

    def known(rows: pl.LazyFrame, columns: Mapping[str, str]) -> pl.LazyFrame:
        in_axis = wanted & pl.col("period").is_between(months[0], months[-1])
        return known_monthly(rows.filter(in_axis), as_of=as_of).select(
            "uscc", pl.col("period").alias("month"), *(pl.col(c).alias(name) for name, c in columns.items())
        )

    monthly = (
        headcount.join(known(inputs.payroll, PAYROLL_SERIES), on=["uscc", "month"], how="left")
        .join(known(inputs.contributions, CONTRIBUTION_SERIES), on=["uscc", "month"], how="left")
        .select("uscc", "month", *MONTHLY_SERIES)
        .sort("uscc", "month")
    )

    # Linked without the text model: the chart counts records, it does not read them.
    window = inputs.sentiment.between(weeks[0] - timedelta(days=1), as_of, only=codes.to_list())
    records = known_records(window, as_of=as_of)
    counts = (
        records.with_columns(pl.col("day").dt.truncate("1w").alias("week"))
        .group_by("uscc", "week")
        .agg((pl.col("channel") == ch).sum().alias(ch) for ch in CHANNELS)
    )
    weekly = (
        week_grid.join(counts, on=["uscc", "week"], how="left")
        .select("uscc", "week", *(pl.col(ch).fill_null(0).cast(pl.Int64) for ch in CHANNELS))
        .sort("uscc", "week")
    )
    monthly_frame, weekly_frame = pl.collect_all([monthly, weekly])
    return monthly_frame, weekly_frame


def series_from(monthly: pl.DataFrame, weekly: pl.DataFrame, *, as_of: date) -> dict[str, dict[str, Any]]:
    """``trend_frames``' two frames as one JSON-ready series per enterprise."""
    month_labels = [m.strftime("%Y-%m") for m in month_axis(as_of)]
    week_labels = [w.isoformat() for w in week_axis(as_of)]
    by_month = (
        monthly.with_columns(pl.col(pl.Float64).fill_nan(None))
        .group_by("uscc", maintain_order=True)
        .agg(*MONTHLY_SERIES)
    )
    by_week = weekly.group_by("uscc", maintain_order=True).agg(*CHANNELS)
    series: dict[str, dict[str, Any]] = {}
    for row in by_month.join(by_week, on="uscc").iter_rows(named=True):
        series[row["uscc"]] = {
            "months": list(month_labels),
            **{name: row[name] for name in MONTHLY_SERIES},
            "weeks": list(week_labels),
            "sentiment": {ch: row[ch] for ch in CHANNELS},
        }
    return series


def store_trends(
    session: Session, trends: Mapping[str, dict[str, Any]], *, as_of: date, now: datetime
) -> int:
    """Upsert one ``EnterpriseTrend`` row per enterprise of ``trends`` in the caller's transaction;
    returns rows written. A row already holding a later ``as_of`` is kept (re-running an earlier
    day does not roll a page's charts back)."""
    newer = set(session.execute(sa.select(TABLE.c.uscc).where(TABLE.c.as_of > as_of)).scalars())
    rows = [
        {"uscc": uscc, "as_of": as_of, "series": series, "updated_at": now}
        for uscc, series in sorted(trends.items())
        if uscc not in newer
    ]
    dialect = session.get_bind().dialect
    for start in range(0, len(rows), WRITE_CHUNK):
        session.execute(
            upsert(
                dialect,
                TABLE,
                key=("uscc",),
                update=("as_of", "series", "updated_at"),
                rows=rows[start : start + WRITE_CHUNK],
            )
        )
    return len(rows)
