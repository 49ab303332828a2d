"""The lake: validated rows as Parquet, one file per (source, month, batch), append-only.

Layout: ``<home>/lake/<source>/month=YYYY-MM/<batch_id>.parquet``, the month being that of the
source's ``time_column`` (in the column's own timezone for datetimes). Every row carries
bookkeeping columns: ``_batch`` (content hash of the file it came from), ``_received_at`` (when
that file was ingested, UTC) and ``_row`` (its row number in the file). A file name is its batch
id, so appending a batch twice writes nothing new. Reads are lazy and typed by the source's
declared schema; by default a later row with the same natural key supersedes an earlier one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import polars as pl

from layoffwatch.settings import Settings
from sources.schema import Source
from store.parquet import write_atomically

BATCH, RECEIVED_AT, ROW = "_batch", "_received_at", "_row"
BOOKKEEPING = pl.Schema({BATCH: pl.String(), RECEIVED_AT: pl.Datetime("us", "UTC"), ROW: pl.Int64()})
MONTH = "month"
# In the kept repeated-keys files' names: a change to how they are computed changes every name.
KEY_INDEX_VERSION = 1


def schema(source: Source) -> pl.Schema:
    """The schema of the source's rows in the lake: its declared columns, then the bookkeeping."""
    return pl.Schema({**source.polars_schema, **BOOKKEEPING})


def folder(settings: Settings, source: Source) -> Path:
    return settings.lake / source.name


def append(
    settings: Settings, source: Source, frame: pl.DataFrame, *, batch_id: str, received_at: datetime
) -> list[Path]:
    """Add one batch's validated rows to the lake; returns the batch's files, one per month.

    ``frame`` has the source's columns and, if the reader numbered them, ``_row`` (otherwise rows
    are numbered 1, 2, ... in frame order). Months already written for this batch are left as
    they are, so a repeated or resumed append writes only what is missing.
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    if frame.is_empty():
        return []
    rows = _with_bookkeeping(source, frame, batch_id=batch_id, received_at=received_at)
    months = rows.get_column(source.time_column)
    if months.null_count():
        raise ValueError(f"{source.name}: {months.null_count()} row(s) without {source.time_column}")
    paths = []
    for (month,), part in rows.group_by(_month(source).alias(MONTH), maintain_order=True):
        path = folder(settings, source) / f"{MONTH}={month}" / f"{batch_id}.parquet"
        if not path.exists():
            write_atomically(part.sort(ROW), path)
        paths.append(path)
    return sorted(paths)


def files(settings: Settings, source: Source) -> list[Path]:
    """Every Parquet file of the source in the lake, oldest month first."""
    return sorted(folder(settings, source).glob(f"{MONTH}=*/*.parquet"))


def scan(settings: Settings, source: Source, *, history: bool = False) -> pl.LazyFrame:
    """The source's rows in the lake, lazily, typed by ``schema(source)``.

    ``history=False``: one row per natural key (``source.key``), the latest received (ties go to
    the later batch id, then the later row number). ``history=True``: every version ever received.
    An empty lake gives an empty frame with the same schema. Files written before a column was
    added to the source's declaration read that column as null. Which keys were received more than
    once is settled when this is called (``repeated_keys``); the rows are read at collection.
    """
    paths = files(settings, source)
    if not paths:
        return pl.LazyFrame(schema=schema(source))
    rows = _read(source, paths)
    if history:
        return rows
    repeated = repeated_keys(settings, source, paths)
    if repeated.is_empty():
        return rows  # no key was ever received twice: every row is its key's latest
    key = list(source.key)
    known_twice = repeated.lazy()
    latest = (
        rows.join(known_twice, on=key, how="semi", nulls_equal=True)
        .sort(RECEIVED_AT, BATCH, ROW)
        .unique(subset=key, keep="last", maintain_order=False)
    )
    return pl.concat([rows.join(known_twice, on=key, how="anti", nulls_equal=True), latest])


def _read(source: Source, paths: list[Path]) -> pl.LazyFrame:
    return pl.scan_parquet(
        paths,
        schema=schema(source),
        hive_partitioning=False,
        missing_columns="insert",  # a column declared after a file was written reads as null
        extra_columns="ignore",  # a column no longer declared is not read
    )


def repeated_keys(settings: Settings, source: Source, paths: list[Path] | None = None) -> pl.DataFrame:
    """The natural keys found in more than one row of the lake's files (``paths``: the source's
    files, when the caller has listed them), one row each, typed like the source.

    Finding them costs a pass over every key; at a province's scale that pass was most of a scan
    (about 4 s of a monthly source's 20 million rows, where a plain read takes 0.5 s), paid again by
    every read. The answer depends only on the files, which are never changed once written and are
    named by their content, so it is kept under the home's ``cache/lake-keys``, named by the
    group's file names and sizes: a file added or removed makes a new name, and the old answer is
    never read again. When the key holds the month's column, a key lives in one month's folder
    and each month is its own group, so a new batch costs a pass over its own months only.
    """
    paths = files(settings, source) if paths is None else paths
    by_month = source.time_column in source.key
    groups: dict[str, list[Path]] = {}
    for path in paths:
        groups.setdefault(path.parent.name if by_month else "all", []).append(path)
    found = [_repeated_in(settings, source, group, members) for group, members in groups.items()]
    if not found:
        return pl.DataFrame(schema={k: source.polars_schema[k] for k in source.key})
    return pl.concat(found)


def files_digest(paths: Iterable[Path]) -> str:
    """A name for what these lake files hold: their names (each its batch's content hash) and sizes."""
    listing = "\n".join(f"{path.name}:{path.stat().st_size}" for path in paths)
    return hashlib.sha256(listing.encode()).hexdigest()


def _repeated_in(settings: Settings, source: Source, group: str, members: list[Path]) -> pl.DataFrame:
    name = f"{group}.v{KEY_INDEX_VERSION}.{files_digest(members)[:32]}.parquet"
    kept = settings.home / "cache" / "lake-keys" / source.name / name
    if kept.exists():
        try:
            return pl.read_parquet(kept)
        except (OSError, pl.exceptions.PolarsError):
            pass  # unreadable (a disk error): computed again below
    repeated = (
        _read(source, members)
        .group_by(source.key)
        .agg(pl.len().alias("_times"))
        .filter(pl.col("_times") > 1)
        .select(source.key)
        .collect()
    )
    try:
        write_atomically(repeated, kept)
        for stale in kept.parent.glob(f"{group}.*.parquet"):
            if stale != kept:
                stale.unlink(missing_ok=True)
    except OSError:
        pass  # a home the process may only read: the answer is still right, only not kept
    return repeated


def last_periods(settings: Settings, source: Source) -> pl.DataFrame:
    """One row per (uscc): the latest month of the monthly source in the lake, as ``last_period``."""
    if not source.monthly:
        raise ValueError(f"{source.name} is not a monthly source")
    return (
        scan(settings, source, history=True)
        .group_by("uscc")
        .agg(pl.col(source.time_column).max().alias("last_period"))
        .collect()
    )


def _with_bookkeeping(
    source: Source, frame: pl.DataFrame, *, batch_id: str, received_at: datetime
) -> pl.DataFrame:
    row = (
        pl.col(ROW).cast(pl.Int64) if ROW in frame.columns else pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
    )
    return frame.select(
        *(pl.col(name).cast(dtype) for name, dtype in source.polars_schema.items()),
        pl.lit(batch_id, pl.String).alias(BATCH),
        pl.lit(received_at).dt.convert_time_zone("UTC").cast(BOOKKEEPING[RECEIVED_AT]).alias(RECEIVED_AT),
        row.alias(ROW),
    )


def _month(source: Source) -> pl.Expr:
    return pl.col(source.time_column).dt.strftime("%Y-%m")
