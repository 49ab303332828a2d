"""Time-ordered windows: monthly snapshot dates, and which of them train the trees, fit the
calibration and hold out for validation. Never a random split.

A snapshot is the last day of a month. Between the trees' window and the calibration window, and
between the calibration window and the holdout, lies a gap of the 90-day horizon, so that every
label used earlier was known by the time the later window begins. A holdout snapshot is used
only once its own label has matured (``features.labels.label_maturity_days``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from features.labels import HORIZON_DAYS, label_maturity_days

WARM_UP_MONTHS = 2  # features need some history before the first snapshot


def month_end(d: date) -> date:
    first_next = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def add_months(d: date, months: int) -> date:
    """The month end ``months`` after the month of ``d``."""
    index = d.year * 12 + d.month - 1 + months
    return month_end(date(index // 12, index % 12 + 1, 1))


def snapshots(first_data: date, until: date, *, matured: bool = True) -> list[date]:
    """Month ends from ``WARM_UP_MONTHS`` after the data begin up to ``until`` (or, with
    ``matured``, up to the last one whose label is final by ``until``)."""
    last = until - timedelta(days=label_maturity_days()) if matured else until
    out, d = [], add_months(first_data, WARM_UP_MONTHS)
    while d <= last:
        out.append(d)
        d = add_months(d, 1)
    return out


@dataclass(frozen=True)
class Fold:
    trees: tuple[date, ...]
    calibration: tuple[date, ...]
    holdout: tuple[date, ...]

    def describe(self) -> str:
        def span(ds: tuple[date, ...]) -> str:
            return f"{ds[0]}..{ds[-1]} ({len(ds)})"

        return (
            f"trees {span(self.trees)} · calibration {span(self.calibration)} · holdout {span(self.holdout)}"
        )


class NotEnoughHistory(ValueError):
    """Too few matured snapshots for a trees / calibration / holdout split."""


def fold_ending(
    dates: list[date], holdout_end: int, *, holdout: int = 3, calibration: int = 3, min_trees: int = 3
) -> Fold:
    """The fold whose holdout is the ``holdout`` snapshots ending at index ``holdout_end``."""
    gap = timedelta(days=HORIZON_DAYS)
    hold = dates[holdout_end - holdout + 1 : holdout_end + 1]
    if len(hold) < holdout or holdout_end - holdout + 1 < 0:
        raise NotEnoughHistory(f"need {holdout} holdout snapshots, have {len(hold)}")
    cal = [d for d in dates if d + gap <= hold[0]][-calibration:]
    if len(cal) < calibration:
        raise NotEnoughHistory(f"need {calibration} calibration snapshots 90 days before {hold[0]}")
    trees = [d for d in dates if d + gap <= cal[0]]
    if len(trees) < min_trees:
        raise NotEnoughHistory(
            f"need {min_trees} training snapshots 90 days before {cal[0]}, have {len(trees)}"
        )
    return Fold(tuple(trees), tuple(cal), tuple(hold))


def latest_fold(dates: list[date], *, holdout: int = 3) -> Fold:
    """The fold the registry uses: the latest matured snapshots held out."""
    return fold_ending(dates, len(dates) - 1, holdout=holdout)


def rolling_folds(dates: list[date], *, folds: int = 3) -> list[Fold]:
    """Rolling origin: one-month holdouts stepping back a month at a time, each with its own windows."""
    out = []
    for k in range(folds):
        try:
            out.append(fold_ending(dates, len(dates) - 1 - k, holdout=1))
        except NotEnoughHistory:
            break
    return list(reversed(out))
