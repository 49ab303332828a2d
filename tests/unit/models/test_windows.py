"""Time-ordered windows: never a random split, a 90-day gap before each later window."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from features.labels import label_maturity_days
from models.windows import NotEnoughHistory, latest_fold, rolling_folds, snapshots


def test_snapshots_are_month_ends_whose_labels_have_matured() -> None:
    dates = snapshots(date(2024, 11, 3), date(2026, 10, 31))
    assert dates[0] == date(2025, 1, 31)
    assert all((d + timedelta(days=1)).day == 1 for d in dates)
    assert dates[-1] + timedelta(days=label_maturity_days()) <= date(2026, 10, 31)


def test_windows_are_ordered_with_a_horizon_gap_between_them() -> None:
    dates = snapshots(date(2024, 11, 1), date(2026, 10, 31))
    for fold in [latest_fold(dates), *rolling_folds(dates, folds=6)]:
        assert max(fold.trees) + timedelta(days=90) <= min(fold.calibration)
        assert max(fold.calibration) + timedelta(days=90) <= min(fold.holdout)
        assert not set(fold.trees) & set(fold.calibration) | set(fold.calibration) & set(fold.holdout)


def test_rolling_origin_steps_back_one_month_at_a_time() -> None:
    dates = snapshots(date(2024, 11, 1), date(2026, 10, 31))
    holdouts = [f.holdout[0] for f in rolling_folds(dates, folds=3)]
    assert holdouts == dates[-3:]


def test_too_short_a_history_is_refused() -> None:
    with pytest.raises(NotEnoughHistory):
        latest_fold(snapshots(date(2025, 11, 1), date(2026, 10, 31)))
