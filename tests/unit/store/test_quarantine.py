"""Quarantine files: one per batch, read back by batch id whatever the source."""

from __future__ import annotations

import polars as pl
import pytest

from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from sources.schema import PAYROLL, SI_CHANGES
from store import quarantine


def failed_rows() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "_row": [3, 7],
            "_reason": ["减员人数应为不小于0的整数", "变动日期晚于今天"],
            "uscc": ["A" * 18, "B" * 18],
            "removed": ["-4", "2"],
            "date": ["2025-11-01", "2099-01-01"],
        }
    )


def test_quarantined_rows_round_trip(settings: Settings) -> None:
    path = quarantine.write(settings, SI_CHANGES, failed_rows(), batch_id="batch1")

    assert path == settings.quarantine / "si_changes" / "batch1.parquet"
    assert quarantine.read(settings, "batch1").equals(failed_rows())


def test_writing_a_batch_again_keeps_the_first_file(settings: Settings) -> None:
    path = quarantine.write(settings, SI_CHANGES, failed_rows(), batch_id="batch1")
    written = path.stat().st_mtime_ns

    assert quarantine.write(settings, SI_CHANGES, failed_rows(), batch_id="batch1") == path
    assert path.stat().st_mtime_ns == written


def test_list_files_by_source(settings: Settings) -> None:
    assert quarantine.list_files(settings) == []
    quarantine.write(settings, SI_CHANGES, failed_rows(), batch_id="batch1")
    quarantine.write(settings, PAYROLL, failed_rows(), batch_id="batch2")

    assert [p.name for p in quarantine.list_files(settings)] == ["batch2.parquet", "batch1.parquet"]
    assert [p.name for p in quarantine.list_files(settings, PAYROLL)] == ["batch2.parquet"]


def test_reading_a_missing_batch_says_so(settings: Settings) -> None:
    with pytest.raises(UserError, match="批次 batch9 没有隔离文件"):
        quarantine.read(settings, "batch9")
