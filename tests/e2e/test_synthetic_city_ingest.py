"""A generated city goes through the real intake: exactly the planted mistakes are held back.

The generator records every export mistake it plants (file, row as a person sees it, column,
type) in truth/, which the pipeline never reads. Here the test reads it to check the pipeline:
every planted row must be quarantined, and nothing else may be, except the original row of a
planted duplicate key (both copies are held because nobody can tell which one is right).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from expectations.intake import ingest_paths
from layoffwatch.settings import Settings, load_settings
from sources.schema import SOURCES
from sources.synthetic import generate_city
from store import lake, quarantine

END = date(2026, 6, 30)
NOW = datetime(2026, 7, 1, 6, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Settings, list]:
    out = tmp_path_factory.mktemp("city")
    generate_city(out, enterprises=400, months=8, seed=5, end=END, error_rate=0.004)
    settings = load_settings({"LAYOFFWATCH_HOME": str(out / "home")})
    reports = ingest_paths(settings, [out / "landing"], now=NOW)
    return out, settings, reports


def _quarantined(settings: Settings, reports: list, landing: Path) -> pl.DataFrame:
    frames = [
        quarantine.read(settings, r.batch_id).select(
            pl.lit(r.path.relative_to(landing).as_posix()).alias("file"),
            pl.col("_row").cast(pl.Int64).alias("row"),
            pl.col("_rules"),
        )
        for r in reports
        if r.rows_quarantined
    ]
    return pl.concat(frames)


def test_every_file_of_the_city_is_ingested(ingested: tuple[Path, Settings, list]) -> None:
    _, _, reports = ingested
    assert reports and {r.status for r in reports} == {"ingested"}, [r.as_dict() for r in reports if r.status != "ingested"]


def test_exactly_the_planted_mistakes_are_quarantined(ingested: tuple[Path, Settings, list]) -> None:
    out, settings, reports = ingested
    planted = pl.read_parquet(out / "truth" / "injected_errors.parquet").select("file", "row", "error_type")
    held = _quarantined(settings, reports, out / "landing")
    assert planted.height > 20

    missed = planted.join(held, on=["file", "row"], how="anti")
    assert missed.is_empty(), missed
    extra = held.join(planted, on=["file", "row"], how="anti")
    unexplained = extra.filter(~pl.col("_rules").list.eval(pl.element().str.ends_with("unique_key")).list.any())
    assert unexplained.is_empty(), unexplained
    assert extra.height <= planted.filter(pl.col("error_type") == "duplicate_key").height


def test_valid_rows_all_reach_the_lake(ingested: tuple[Path, Settings, list]) -> None:
    _, settings, reports = ingested
    for name in ("enterprises", "si_changes", "si_contributions", "payroll", "sentiment"):
        expected = sum(r.rows_valid for r in reports if r.source == name)
        in_lake = lake.scan(settings, SOURCES[name], history=True).select(pl.len()).collect().item()
        assert in_lake == expected > 0, name
