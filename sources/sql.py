"""Sources pulled by SQL: each configured query read incrementally into the landing folder.

A source system that offers a view instead of exporting files is configured in layoffwatch.toml
(``sources.sql_settings``). Each pull selects the rows whose watermark column is greater than the
largest value pulled before, writes them as one Parquet file under
``<home>/landing/<source>/sql-<source>-<first>-<last>.parquet`` with the contract's canonical
column names, and only then records the new watermark in the ``source_watermark`` table. From
there the file is an ordinary input: the intake reads, validates, quarantines and lakes it like a
file dropped by an office, and skips it when its content was ingested before.

One pull runs at a time per source (the daily run). To pull a source again from the beginning,
delete its ``source_watermark`` row and move its ``sql-*`` files out of the landing folder (a file
left there from the first pull would otherwise be taken as a pull that crashed before recording).

Rows whose watermark is null are never pulled, and a row committed later with a watermark below
one already pulled (a long transaction on the source side) is missed: choose a watermark the
source system sets when the row becomes visible, such as an identity column or ``updated_at``.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import sqlalchemy as sa
from sqlalchemy import Connection, CursorResult, Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session

from layoffwatch.errors import SettingsError
from layoffwatch.settings import Settings
from sources import parse
from sources.schema import SOURCES, Column, Kind, Source
from sources.sql_settings import SqlSource, load_sql_sources
from sources.text import header_key
from store import db
from store.tables import SourceWatermark

__all__ = ["pull_sql_sources", "pull_sql_source", "fingerprint", "stored_watermark", "Watermark"]

log = logging.getLogger(__name__)

FILE_PREFIX = "sql-"
METADATA_KEY = "layoffwatch.sql_pull"
CONNECT_TIMEOUT_SECONDS = 10
LOCAL_TZ = ZoneInfo(parse.TZ)
# Datetimes are written as naive Asia/Shanghai wall time, which the contract reads as local time:
# the reader renders a zoned Parquet datetime as '2025-12-03 10:00:00.000000+08:00', which the
# parser does not take, so a zoned column would quarantine every row.
FILE_DTYPES: dict[Kind, pl.DataType] = {Kind.DATETIME: pl.Datetime("us")}


@dataclass(frozen=True)
class Watermark:
    """The largest watermark value pulled so far, kept in the database as text plus its type."""

    value: Any
    type: str  # one of store.tables.WATERMARK_TYPES

    @classmethod
    def of(cls, value: object, sql_source: SqlSource) -> Watermark:
        """The watermark holding ``value`` as the database returned it; other types are a SettingsError."""
        kinds: tuple[tuple[type, str], ...] = (
            (bool, ""), (int, "int"), (Decimal, "decimal"), (float, "float"),
            (datetime, "datetime"), (date, "date"), (str, "text"),
        )  # fmt: skip
        # bool before int and datetime before date: each is a subclass of the other.
        kind = next((name for python_type, name in kinds if isinstance(value, python_type)), "")
        if not kind:
            raise SettingsError(
                f"{sql_source.setting}.watermark = {sql_source.watermark!r} is a {type(value).__name__} column; "
                "expected a number, a date, a timestamp or text that only grows."
            )
        return cls(value, kind)

    @classmethod
    def parse(cls, text: str, kind: str) -> Watermark:
        """The watermark stored as ``text`` of type ``kind``."""
        readers: dict[str, Any] = {
            "int": int, "decimal": Decimal, "float": float,
            "datetime": datetime.fromisoformat, "date": date.fromisoformat, "text": str,
        }  # fmt: skip
        return cls(readers[kind](text), kind)

    @property
    def text(self) -> str:
        """The value as stored: ISO for dates and times, repr-exact for numbers."""
        if self.type in ("date", "datetime"):
            return str(self.value.isoformat())
        return repr(self.value) if self.type == "float" else str(self.value)

    @property
    def file_part(self) -> str:
        """The value as it appears in a file name: compact, only letters, digits, '.', '_' and '+'."""
        if self.type == "datetime":
            # In the contract's timezone, whatever the source session's: the name must not change
            # with the server's settings, and officers read it as local time.
            moment = self.value.astimezone(LOCAL_TZ) if self.value.tzinfo else self.value
            stamp = moment.strftime("%Y%m%dT%H%M%S")
            return stamp + (f".{moment.microsecond:06d}" if moment.microsecond else "")
        if self.type == "date":
            return str(self.value.strftime("%Y%m%d"))
        return re.sub(r"[^0-9A-Za-z._+]+", "_", self.text)[:40] or "_"


@dataclass(frozen=True)
class Pull:
    """One pull's file and what it covered: the watermark it started after and the last one in it."""

    path: Path
    after: Watermark | None
    last: Watermark
    rows: int


def pull_sql_sources(settings: Settings, *, now: datetime) -> list[Path]:
    """Pull every source configured in ``[sql_sources]``; returns the files written, in ingest order.

    Empty when nothing is configured or nothing is new. For each source: the rows with watermark
    > the stored watermark are written as one Parquet file into ``<home>/landing/<source>/``, and
    only after the file is in place is the new watermark recorded.

    That order is what makes a crash harmless. A crash after the file is written but before the
    watermark is recorded leaves the watermark where it was, so the next pull selects the same
    rows again. The file carries, in its Parquet metadata, the watermark it started after; the
    next pull finds it, records its watermark and returns it again instead of writing the rows a
    second time, so even rows added since are not pulled twice. Had the file been removed in
    between, the pull writes the same rows (sorted, so the bytes are the same) under the same
    name, and the intake, which knows files by content hash, skips it if it was ingested. The
    opposite order could record a watermark for rows no file holds, and those rows would be lost.

    Configuration mistakes, a source database that cannot be reached and a query that fails are
    ``SettingsError`` naming the setting and the masked URL.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    configured = load_sql_sources(settings)
    if not configured:
        return []
    engine = db.engine_for(settings)
    written: list[Path] = []
    for sql_source in configured:
        written.extend(pull_sql_source(settings, engine, sql_source, now=now))
    return written


def pull_sql_source(settings: Settings, engine: Engine, sql_source: SqlSource, *, now: datetime) -> list[Path]:
    """Pull one source (see ``pull_sql_sources``); returns its files: a recovered one, then a new one."""
    key = fingerprint(sql_source)
    after = stored_watermark(engine, sql_source.source, key)
    files: list[Path] = []
    leftover = _unrecorded_pull(settings, sql_source, key, after)
    if leftover is not None:
        log.warning("%s: recording the watermark of %s, written by a pull that did not finish", sql_source.setting,
                    leftover.path.name)
        _record(engine, sql_source, key, leftover, now=now)
        files.append(leftover.path)
        after = leftover.last
    pulled = _pull(settings, sql_source, key, after=after)
    if pulled is not None:
        _record(engine, sql_source, key, pulled, now=now)
        files.append(pulled.path)
        log.info("%s: pulled %d rows into %s", sql_source.setting, pulled.rows, pulled.path)
    return files


def fingerprint(sql_source: SqlSource) -> str:
    """sha256 of the URL without its password and of the watermark column: the watermark's key.

    A new password or an edited query keeps the watermark; another database, schema (the URL's
    options) or watermark column starts from the beginning, since their values do not compare.
    """
    url = make_url(sql_source.url).set(password=None).render_as_string(hide_password=False)
    return hashlib.sha256(f"{url}\n{sql_source.watermark}".encode()).hexdigest()


def stored_watermark(engine: Engine, source: str, key: str) -> Watermark | None:
    """The last watermark recorded for (source, fingerprint), or None when never pulled."""
    with Session(engine) as session:
        row = session.get(SourceWatermark, (source, key))
        return None if row is None else Watermark.parse(row.last_value, row.value_type)


def _record(engine: Engine, sql_source: SqlSource, key: str, pulled: Pull, *, now: datetime) -> None:
    with Session(engine) as session:
        row = session.get(SourceWatermark, (sql_source.source, key))
        if row is None:
            row = SourceWatermark(
                source=sql_source.source, fingerprint=key, url=sql_source.shown_url,
                watermark_column=sql_source.watermark, last_value="", value_type=pulled.last.type,
                last_pulled_at=now, last_file="",
            )  # fmt: skip
        row.url = sql_source.shown_url
        row.last_value = pulled.last.text
        row.value_type = pulled.last.type
        row.last_pulled_at = now
        row.last_rows = pulled.rows
        row.rows_pulled = (row.rows_pulled or 0) + pulled.rows
        row.last_file = str(pulled.path)
        session.add(row)
        session.commit()


def _pull(settings: Settings, sql_source: SqlSource, key: str, *, after: Watermark | None) -> Pull | None:
    """Rows after ``after`` as one Parquet file in the landing folder; None when there are none."""
    source = SOURCES[sql_source.source]
    engine = _source_engine(sql_source)
    try:
        with _connect(engine, sql_source) as connection:
            try:
                result = _select_after(connection, sql_source, after)
                columns, position = _columns(sql_source, source, list(result.keys()))
                chunks: list[pl.DataFrame] = []
                first = last = None
                for rows in result.partitions():
                    if first is None:
                        first = rows[0][position]
                    last = rows[-1][position]
                    chunks.append(pl.DataFrame([_series(col, [row[i] for row in rows]) for i, col in columns]))
            except sa.exc.DBAPIError as exc:
                raise SettingsError(
                    f"{sql_source.setting} ({sql_source.shown_url}): the query failed ({_first_line(exc)}); "
                    "expected a SELECT this user may run that selects the watermark column "
                    f"{sql_source.watermark!r}."
                ) from None
    finally:
        engine.dispose()
    if not chunks:
        return None
    first_mark, last_mark = Watermark.of(first, sql_source), Watermark.of(last, sql_source)
    frame = _sorted(_concat(chunks))
    meta = {
        "source": sql_source.source, "fingerprint": key,
        "after": None if after is None else [after.text, after.type],
        "last": [last_mark.text, last_mark.type], "rows": frame.height,
    }  # fmt: skip
    name = f"{FILE_PREFIX}{source.name}-{first_mark.file_part}-{last_mark.file_part}"
    path = _write(settings.landing / source.name, name, frame, {METADATA_KEY: json.dumps(meta, sort_keys=True)})
    return Pull(path, after, last_mark, frame.height)


def _source_engine(sql_source: SqlSource) -> Engine:
    url = make_url(sql_source.url)
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    try:
        # One pull a day needs no pool; NullPool leaves no connection open on the source system.
        return sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=connect_args)
    except (sa.exc.NoSuchModuleError, ImportError) as exc:
        raise SettingsError(
            f"{sql_source.setting} ({sql_source.shown_url}): no database driver for this URL ({exc}); "
            "expected a driver installed with layoffwatch, e.g. postgresql+psycopg://."
        ) from None


def _connect(engine: Engine, sql_source: SqlSource) -> Connection:
    try:
        return engine.connect()
    except sa.exc.DBAPIError as exc:
        raise SettingsError(
            f"{sql_source.setting} ({sql_source.shown_url}): cannot connect ({_first_line(exc)}); "
            "expected a reachable database this user may read."
        ) from None


def _select_after(connection: Connection, sql_source: SqlSource, after: Watermark | None) -> CursorResult[Any]:
    """The query's rows with watermark > ``after`` (every non-null one when None), by watermark, streamed."""
    column = f"pulled.{connection.dialect.identifier_preparer.quote(sql_source.watermark)}"
    where = f"{column} IS NOT NULL" if after is None else f"{column} > :after"
    # The query's own colons (casts, times, ':x' literals) are text, not bind parameters.
    query = sql_source.query.replace(":", "\\:")
    statement = sa.text(f"SELECT * FROM ({query}) AS pulled WHERE {where} ORDER BY {column}")
    if after is not None:
        statement = statement.bindparams(after=after.value)
    # A server-side cursor where the driver has one: the pull never holds more than a chunk of rows
    # as Python objects.
    streamed = connection.execution_options(stream_results=True, yield_per=sql_source.batch_rows)
    return streamed.execute(statement)


def _columns(sql_source: SqlSource, source: Source, keys: Sequence[str]) -> tuple[list[tuple[int, Column]], int]:
    """(result position, schema column) of each contract column selected, and the watermark's position.

    Columns are matched by canonical name or Chinese alias, like a file's headers; other columns
    are not written. A required column missing or selected twice is a SettingsError.
    """
    by_header = source.header_map()
    found: dict[str, int] = {}
    for position, name in enumerate(keys):
        canonical = by_header.get(header_key(name))
        if canonical is None:
            continue
        if canonical in found:
            raise SettingsError(
                f"{sql_source.setting}: the query {_short(sql_source.query)!r} selects {source.name}.{canonical} "
                f"twice ({keys[found[canonical]]!r} and {name!r}); expected it once."
            )
        found[canonical] = position
    for col in source.required:
        if col.name not in found:
            raise SettingsError(
                f"{sql_source.setting}: the query {_short(sql_source.query)!r} does not select column "
                f"{col.name!r} ({col.label}), which {source.name} requires; select it under that name or its "
                "Chinese header."
            )
    watermark = [i for i, name in enumerate(keys) if name == sql_source.watermark] or [
        i for i, name in enumerate(keys) if name.casefold() == sql_source.watermark.casefold()
    ]
    if not watermark:
        raise SettingsError(
            f"{sql_source.setting}: the query {_short(sql_source.query)!r} does not select the watermark "
            f"column {sql_source.watermark!r}."
        )
    ordered = [(found[col.name], col) for col in source.columns if col.name in found]
    return ordered, watermark[0]


def _series(col: Column, values: list[Any]) -> pl.Series:
    """The column's values typed by the schema; as text when they do not fit the type.

    Text is what the intake reads anyway (it parses every cell), so a value of the wrong type is
    quarantined there with the original value rather than lost or nulled here.
    """
    dtype = FILE_DTYPES.get(col.kind, col.dtype)
    try:
        series = pl.Series(col.name, [_coerce(col.kind, v) for v in values], dtype=dtype, strict=True)
        if series.dtype == dtype:
            return series
    except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError):
        pass
    return pl.Series(col.name, [None if v is None else _text(v) for v in values], dtype=pl.String)


def _coerce(kind: Kind, value: Any) -> Any:
    """The value the driver returned, in the Python type the column's Polars type takes."""
    if value is None or isinstance(value, bool):
        return value
    if kind is Kind.INT and isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if kind is Kind.INT and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind is Kind.MONEY and isinstance(value, Decimal | int):
        return float(value)
    if kind in (Kind.DATE, Kind.MONTH) and isinstance(value, datetime):
        return value.date()
    if kind is Kind.DATETIME and isinstance(value, datetime):
        # Aware values become Asia/Shanghai wall time; naive ones already are, by the contract.
        return value.astimezone(LOCAL_TZ).replace(tzinfo=None) if value.tzinfo else value
    if kind is Kind.DATETIME and isinstance(value, date):
        return datetime.combine(value, time())
    if kind is Kind.TEXT_LIST and isinstance(value, str):
        return value.split("|")
    if kind is Kind.TEXT_LIST and isinstance(value, list | tuple):
        return [None if v is None else str(v) for v in value]
    if kind in (Kind.TEXT, Kind.USCC, Kind.ENUM) and not isinstance(value, str):
        return _text(value)
    return value


def _text(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, list | tuple):
        return "|".join("" if v is None else str(v) for v in value)
    return str(value)


def _concat(chunks: list[pl.DataFrame]) -> pl.DataFrame:
    """The chunks as one frame; a column that had to be text in any chunk is text in all."""
    as_text = {name for chunk in chunks for name, dtype in chunk.schema.items() if dtype == pl.String}
    return pl.concat(
        [chunk.with_columns(pl.col(n).cast(pl.String) for n in as_text if n in chunk.columns) for chunk in chunks],
        how="vertical",
    )


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows in an order fixed by their values, so the same rows always make the same file bytes.

    The database orders by the watermark only, and rows sharing a watermark value come in any order.
    """
    keys = [
        pl.col(name).list.join("|") if isinstance(dtype, pl.List) else pl.col(name)
        for name, dtype in frame.schema.items()
    ]
    return frame.sort(keys, nulls_last=True, maintain_order=True)


def _write(folder: Path, name: str, frame: pl.DataFrame, metadata: dict[str, str]) -> Path:
    """Write the file atomically; returns its path. A different file already under the name is kept.

    Same name, other content happens only when a source starts again from the beginning (another
    database or watermark column) over a range an earlier file covered; the new file then gets
    its content hash in its name.
    """
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", statistics=True, metadata=metadata)
    data = buffer.getvalue()
    path = folder / f"{name}.parquet"
    if path.exists():
        if path.read_bytes() == data:
            return path
        path = folder / f"{name}-{hashlib.sha256(data).hexdigest()[:12]}.parquet"
    folder.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _unrecorded_pull(settings: Settings, sql_source: SqlSource, key: str, after: Watermark | None) -> Pull | None:
    """A file a previous pull wrote from the current watermark but did not get to record, if any.

    Found by the metadata every pull writes into its file; only the footer of each file is read.
    """
    expected = None if after is None else [after.text, after.type]
    found: list[Pull] = []
    for path in sorted((settings.landing / sql_source.source).glob(f"{FILE_PREFIX}{sql_source.source}-*.parquet")):
        try:
            meta = json.loads(pl.read_parquet_metadata(path).get(METADATA_KEY, "null"))
        except (OSError, ValueError, pl.exceptions.PolarsError):
            continue  # not a file of ours, or damaged: the intake will say so
        if not isinstance(meta, dict) or meta.get("fingerprint") != key or meta.get("after") != expected:
            continue
        found.append(Pull(path, after, Watermark.parse(*meta["last"]), int(meta["rows"])))
    # Two files from the same watermark only if a pull was repeated before any was recorded; the
    # one reaching furthest covers the other's rows.
    return max(found, key=lambda pull: (pull.rows, pull.path.name), default=None)


def _first_line(exc: sa.exc.DBAPIError) -> str:
    return str(exc.orig if exc.orig is not None else exc).strip().splitlines()[0]


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
