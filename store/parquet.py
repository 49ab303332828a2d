"""Writing Parquet files so that a reader never sees half a file: temp name, then atomic rename."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

TEMP_SUFFIX = ".tmp"


def write_atomically(frame: pl.DataFrame, path: Path) -> Path:
    """Write ``frame`` to ``path`` (creating folders) via a temporary sibling renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        frame.write_parquet(temporary, compression="zstd", statistics=True)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
