"""What was known when: the one place that decides whether a row may be used at ``as_of``.

Daily enrolment changes are known on their date; sentiment records when published (Beijing
time); monthly sources (contributions, payroll) from ``reported_on`` when the file says so, and
otherwise from day 15 of the month after the period (the contract's rule). Corrections are read
as the lake holds them now: the lake keeps no record of when a correction itself arrived for
data older than the lake, so a corrected figure is used from the original row's date.
"""

from __future__ import annotations

from datetime import date

import polars as pl

MONTHLY_REPORT_DAY = 15
SHANGHAI = "Asia/Shanghai"


def monthly_known_from() -> pl.Expr:
    """The first day a monthly row (``period``, optional ``reported_on``) may be used."""
    default = pl.col("period").dt.offset_by("1mo").dt.offset_by(f"{MONTHLY_REPORT_DAY - 1}d")
    return pl.coalesce(pl.col("reported_on"), default)


def known_monthly(rows: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """Monthly rows known at the end of ``as_of``."""
    return rows.filter(monthly_known_from() <= as_of)


def known_daily(rows: pl.LazyFrame, *, as_of: date, column: str = "date") -> pl.LazyFrame:
    """Dated rows on or before ``as_of``."""
    return rows.filter(pl.col(column) <= as_of)


def local_day(published_at: pl.Expr) -> pl.Expr:
    """A timezone-aware timestamp's calendar day in Beijing time, as ``day``."""
    return published_at.dt.convert_time_zone(SHANGHAI).dt.date().alias("day")


def known_records(records: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """Timestamped records published by the end of ``as_of`` (Beijing time), with their local ``day``."""
    return records.with_columns(local_day(pl.col("published_at"))).filter(pl.col("day") <= as_of)
