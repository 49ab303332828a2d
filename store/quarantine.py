"""Quarantined rows: one Parquet file per batch, holding the original cells, row number and reason.

Layout: ``<home>/quarantine/<source>/<batch_id>.parquet``. The batch's database row points at it.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from sources.schema import Source
from store.parquet import write_atomically


def path_for(settings: Settings, source: Source, batch_id: str) -> Path:
    return settings.quarantine / source.name / f"{batch_id}.parquet"


def write(settings: Settings, source: Source, frame: pl.DataFrame, *, batch_id: str) -> Path:
    """Keep one batch's failed rows as they are; a batch already written is left as it is."""
    path = path_for(settings, source, batch_id)
    if not path.exists():
        write_atomically(frame, path)
    return path


def read(settings: Settings, batch_id: str) -> pl.DataFrame:
    """One batch's quarantined rows, whatever its source."""
    found = sorted(settings.quarantine.glob(f"*/{batch_id}.parquet"))
    if not found:
        raise UserError(
            f"批次 {batch_id[:12]} 没有隔离文件（应在 {settings.quarantine} 下）；可能已被删除或移走。"
        )
    return pl.read_parquet(found[0])


def list_files(settings: Settings, source: Source | None = None) -> list[Path]:
    """Every quarantine file, optionally of one source, by source then batch id."""
    pattern = f"{source.name}/*.parquet" if source is not None else "*/*.parquet"
    return sorted(settings.quarantine.glob(pattern))
