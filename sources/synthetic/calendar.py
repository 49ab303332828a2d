"""The simulated time line: the data window, day ordinals, Spring Festival and reporting dates.

Days are carried as ``int32`` ordinals counted from the window's first day, so that a month of
daily arrays is plain integer arithmetic; ``Window.dates`` turns ordinals back into dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

# The real Spring Festival (春节, first day of the lunar year); migrant workers leave about three
# weeks before it and come back over the month after. Years outside this table are not simulated.
SPRING_FESTIVAL: dict[int, date] = {
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
}

# Share of the year's wage-arrears incidents by calendar month (China Labour Bulletin 2011-2016:
# December 13.8%, January 13.6%, about 5% in March-May); used as a seasonal multiplier.
WAGE_ARREARS_SEASON: tuple[float, ...] = (13.6, 7.0, 5.0, 5.0, 5.0, 7.0, 7.5, 7.5, 8.0, 8.0, 9.7, 13.8)

# Monthly sources are reported on this day of the following month unless a file says otherwise.
REPORT_DAY = 15


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(first: date, n: int) -> date:
    """The first day of the month ``n`` months after the month of ``first``."""
    index = first.year * 12 + first.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def default_report_date(period: date) -> date:
    """The day a monthly figure for ``period`` becomes known by default (15th of the next month)."""
    return add_months(period, 1).replace(day=REPORT_DAY)


def season_factor(month: int) -> float:
    """Wage-arrears seasonality for a calendar month, normalised so the yearly mean is 1."""
    return WAGE_ARREARS_SEASON[month - 1] * 12 / sum(WAGE_ARREARS_SEASON)


@dataclass(frozen=True)
class Window:
    """The ``months`` calendar months ending with the month of ``end``; daily data stops at ``end``."""

    start: date
    end: date
    months: tuple[date, ...]

    @classmethod
    def ending(cls, end: date, months: int) -> Window:
        if months < 1:
            raise ValueError("months must be at least 1")
        first = add_months(month_start(end), -(months - 1))
        return cls(start=first, end=end, months=tuple(add_months(first, i) for i in range(months)))

    @property
    def last_ordinal(self) -> int:
        return self.ordinal(self.end)

    def ordinal(self, day: date) -> int:
        return (day - self.start).days

    def day(self, ordinal: int) -> date:
        return self.start + timedelta(days=int(ordinal))

    def month_span(self, index: int) -> tuple[int, int]:
        """Ordinals [first, stop) of month ``index``, clipped at ``end`` for the last month."""
        first = self.ordinal(self.months[index])
        stop = self.ordinal(add_months(self.months[index], 1))
        return first, min(stop, self.last_ordinal + 1)

    def is_complete(self, index: int) -> bool:
        return add_months(self.months[index], 1) <= self.end + timedelta(days=1)

    def dates(self, ordinals: np.ndarray) -> np.ndarray:
        """``datetime64[D]`` for an array of ordinals."""
        return np.datetime64(self.start, "D") + ordinals.astype("timedelta64[D]")

    def weekday(self, ordinals: np.ndarray) -> np.ndarray:
        """Monday = 0 ... Sunday = 6."""
        return (ordinals + self.start.weekday()) % 7

    def spring_festivals(self) -> list[date]:
        """Festivals whose exit or return weeks overlap the window."""
        lo, hi = self.start - timedelta(days=40), self.end + timedelta(days=30)
        return [d for d in SPRING_FESTIVAL.values() if lo <= d <= hi]
