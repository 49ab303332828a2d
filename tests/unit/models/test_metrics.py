"""Evaluation metrics that must not depend on how the rows happen to be ordered."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from models.metrics import compute


def test_budget_figures_do_not_depend_on_the_order_of_tied_rows() -> None:
    """The rule baseline has a few distinct scores: which tied rows fall inside the budget is decided
    by a stable key, so shuffling the rows changes no figure."""
    rng = np.random.default_rng(3)
    n = 4000
    ahead = rng.random(n) < 0.03
    rows = pl.DataFrame(
        {
            "uscc": [f"U{i:06d}" for i in range(n)],
            "as_of": [date(2026, 1, 31) if i % 2 else date(2026, 2, 28) for i in range(n)],
            "score": rng.choice([0.01, 0.05, 0.2], n),
            "label": ahead,
            "days_to_start": pl.Series(np.where(ahead, rng.integers(1, 90, n), -1)).replace(-1, None),
        }
    )
    first = compute(rows).as_dict()
    for seed in range(3):
        assert compute(rows.sample(fraction=1.0, shuffle=True, seed=seed)).as_dict() == first
