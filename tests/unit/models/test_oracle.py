"""The oracles of the evaluation read the generator's hidden distress of the right month."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from models.evaluation import ORACLES, SCORERS, oracle_distress, read_distress


def _distress(tmp_path: Path) -> pl.DataFrame:
    pl.DataFrame(
        {
            "uscc": ["A", "A", "A", "B"],
            "month": [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 3, 1)],
            "distress": [0.1, 0.4, 0.9, 0.2],
        }
    ).write_parquet(tmp_path / "distress_monthly.parquet")
    return read_distress(tmp_path)


def test_the_oracle_reads_the_snapshot_month_and_the_lagged_one_the_month_before(tmp_path: Path) -> None:
    distress = _distress(tmp_path)
    keys = pl.DataFrame({"uscc": ["A", "A", "B", "C"], "as_of": [date(2026, 3, 31), date(2026, 2, 28)] * 2})
    assert oracle_distress(distress, keys).to_list() == [0.9, 0.4, 0.2, 0.0]
    # A month back, across a year's start too; no row for the month reads as no distress.
    assert oracle_distress(distress, keys, months_back=1).to_list() == [0.4, 0.1, 0.0, 0.0]
    january = pl.DataFrame({"uscc": ["A"], "as_of": [date(2026, 1, 31)]})
    assert oracle_distress(distress, january, months_back=1).to_list() == [0.0]


def test_every_oracle_is_a_scorer_of_the_report() -> None:
    assert set(ORACLES) <= set(SCORERS)
    assert ORACLES["oracle"] == 0 and ORACLES["oracle_last_month"] == 1
