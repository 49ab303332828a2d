"""At a million rows, chunked through Great Expectations, GX still counts what Polars counts.

Speed is measured by ``layoffwatch bench ingest``, not asserted here.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from expectations import gx_project, suite
from expectations.rules import check
from layoffwatch.settings import load_settings
from sources.schema import SI_CHANGES
from tests.unit.expectations.raw_frames import NOW

pytestmark = pytest.mark.slow
ROWS = 1_000_000


def million_changes() -> tuple[pl.DataFrame, pl.Series]:
    """si_changes as read: 20,000 enterprises over two years, about 1% negative removals, some duplicates."""
    from sources.uscc import build_codes

    rng = np.random.default_rng(0)
    codes = pl.Series(build_codes(rng, 20_000))
    days = pl.date_range(date(2024, 1, 1), date(2025, 12, 31), eager=True).cast(pl.String)
    frame = pl.DataFrame(
        {
            "uscc": codes.gather(rng.integers(0, len(codes), ROWS)),
            "date": days.gather(rng.integers(0, len(days), ROWS)),
            "added": rng.integers(0, 5, ROWS).astype(str),
            "removed": rng.integers(-1, 100, ROWS).astype(str),
            "insured_total": rng.integers(0, 500, ROWS).astype(str),
        }
    ).with_columns(pl.int_range(2, ROWS + 2, dtype=pl.UInt32).alias("_row"), pl.lit(None, pl.String).alias("_problem"))
    return frame, codes.head(19_000)


def test_a_million_rows_in_chunks_give_the_same_counts_in_gx_as_in_polars(tmp_path_factory: pytest.TempPathFactory) -> None:
    frame, register = million_changes()
    checked = check(frame, SI_CHANGES, now=NOW, known_uscc=register)
    assert checked.valid.height + checked.quarantine.height == ROWS
    assert checked.counts["si_changes.removed.min"] > 0 and checked.counts["si_changes.unique_key"] > 0

    settings = load_settings({"LAYOFFWATCH_HOME": str(tmp_path_factory.mktemp("million"))})
    try:
        result = suite.run_suite(settings, frame, SI_CHANGES, now=NOW, known_uscc=register, batch_id="million",
                                 chunk_rows=400_000)
    finally:
        gx_project.forget_contexts()
    assert result.unexpected_counts() == checked.counts
