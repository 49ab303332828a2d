"""The Spring Festival (春节) calendar: migrant workers leave in the weeks before it and come back
after, so removals near it mean something else than removals in May. Public dates, 2015-2035."""

from __future__ import annotations

from datetime import date

import polars as pl

SPRING_FESTIVAL: tuple[date, ...] = (
    date(2015, 2, 19), date(2016, 2, 8), date(2017, 1, 28), date(2018, 2, 16), date(2019, 2, 5),
    date(2020, 1, 25), date(2021, 2, 12), date(2022, 2, 1), date(2023, 1, 22), date(2024, 2, 10),
    date(2025, 1, 29), date(2026, 2, 17), date(2027, 2, 6), date(2028, 1, 26), date(2029, 2, 13),
    date(2030, 2, 3), date(2031, 1, 23), date(2032, 2, 11), date(2033, 1, 31), date(2034, 2, 19),
    date(2035, 2, 8),
)  # fmt: skip


def days_to_spring_festival(as_of: date) -> int:
    """Signed days from ``as_of`` to the nearest Spring Festival (negative: it is still ahead)."""
    if not SPRING_FESTIVAL[0] <= as_of <= SPRING_FESTIVAL[-1]:
        raise ValueError(
            f"{as_of} is outside the Spring Festival calendar ({SPRING_FESTIVAL[0].year}-{SPRING_FESTIVAL[-1].year})"
        )
    return min(((as_of - f).days for f in SPRING_FESTIVAL), key=abs)


def spring_festival_feature(as_of: date) -> pl.Expr:
    return pl.lit(days_to_spring_festival(as_of), pl.Int16).alias("days_from_spring_festival")
