"""Reads a synthetic city back for the tests, independently of the project's reader.

Every landing file becomes canonical typed columns (via ``sources.parse``) plus ``_file`` (path
relative to landing) and ``_row`` (the row number a person sees), so tests can set the planted
errors aside by (file, row) and check everything else against the contract.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import fastexcel
import polars as pl

from sources.parse import parsed
from sources.schema import SOURCES, Source
from sources.text import header_key


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def raw_cells(path: Path) -> tuple[pl.DataFrame, int]:
    """All cells as text and the row number of the header."""
    if path.suffix == ".parquet":
        frame = pl.read_parquet(path)
        return frame.select(pl.all().cast(pl.String)), 0  # no header row: records count from 1
    if path.suffix == ".xlsx":
        sheet = fastexcel.read_excel(path).load_sheet(0, header_row=None)
        grid = sheet.to_polars().select(pl.all().cast(pl.String))
        first = grid.row(0)
        header_at = 1 if sum(v is not None for v in first) == 1 and grid.width > 1 else 0
        header = [str(v) for v in grid.row(header_at)]
        body = grid.slice(header_at + 1)
        body.columns = header
        return body, header_at + 1
    text = decode(path.read_bytes())
    sep = "\t" if "\t" in text.split("\n", 1)[0] else ","
    return pl.read_csv(io.StringIO(text), separator=sep, infer_schema=False), 1


def read_file(path: Path, source: Source, landing: Path) -> pl.DataFrame:
    cells, header_row = raw_cells(path)
    mapping = source.header_map()
    cells = cells.rename({c: mapping[header_key(c)] for c in cells.columns})
    cells = cells.with_columns(
        _file=pl.lit(path.relative_to(landing).as_posix()),
        _row=pl.int_range(header_row + 1, header_row + 1 + cells.height, dtype=pl.Int64),
    )
    return parsed(cells.lazy(), source).collect()


@cache
def read_source(out: Path, name: str) -> pl.DataFrame:
    """Every file of one source in a generated city (cached: the cities are read-only in tests)."""
    landing = out / "landing"
    source = SOURCES[name]
    frames = [read_file(p, source, landing) for p in sorted((landing / name).iterdir())]
    return pl.concat(frames, how="diagonal_relaxed")


def clean(frame: pl.DataFrame, out: Path) -> pl.DataFrame:
    """The rows without a planted error."""
    planted = pl.read_parquet(out / "truth" / "injected_errors.parquet").select(
        pl.col("file").alias("_file"), pl.col("row").alias("_row")
    )
    return frame.join(planted, on=["_file", "_row"], how="anti")
