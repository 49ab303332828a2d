"""CSV and TSV files -> a ``Grid``: encoding and separator detected, damaged records marked.

Row numbers are physical line numbers (1-based, as a text editor shows them) of the line where a
record starts; a record with a quoted newline spans several lines and is numbered by its first.

The fast path decodes the file to UTF-8 once, lets Polars parse it (all columns String, no
inference) and computes where each record starts and how many fields it has with NumPy over the
raw bytes (a separator or newline is structural when an even number of quotes precede it). Only
when Polars refuses the file or its record count disagrees with that layout (stray quotes in an
unquoted field) is the file re-read record by record with the ``csv`` module.
"""

from __future__ import annotations

import contextlib
import csv
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from layoffwatch.errors import FileRejected
from sources.encoding import DecodedText, decoded_text
from sources.grid import PROBLEM, ROW, Grid, cell_column, non_blank
from sources.headers import HEADER_SEARCH_ROWS, header_row_index, header_score

SEPARATORS = (",", "\t")
# Enough text to hold a few title lines and the header; cut at a line end.
HEAD_BYTES = 64 * 1024

UNTERMINATED_QUOTE = "该行的引号没有闭合（文件可能被截断）"
TRUNCATED_HINT = "（文件可能被截断）"


@dataclass(frozen=True)
class DelimitedText:
    """A CSV/TSV file read: its grid plus the encoding and separator found."""

    grid: Grid
    encoding: str
    separator: str


@dataclass(frozen=True)
class Layout:
    """Where each record of a body starts and how many fields it has (one entry per record)."""

    starts: np.ndarray  # byte offset of the record's first byte
    lines: np.ndarray  # 0-based physical line of the record's first byte
    fields: np.ndarray  # number of fields
    unterminated: bool  # the last record opens a quote that never closes
    ends_with_newline: bool


@dataclass(frozen=True)
class HeadRecord:
    """One of the first records of a file, for finding the header."""

    first_line: int  # 0-based physical line
    last_line: int
    cells: list[str]


def delimited_text(path: object, data: bytes, keys: frozenset[str]) -> DelimitedText:
    """A CSV/TSV file's header and records; ``keys`` are the header spellings to look for."""
    text = decoded_text(path, data)
    separator, header = _header_record(path, text.utf8, keys)
    body_start = _offset_after_line(text.utf8, header.last_line)
    first_line = header.last_line + 1
    body = text.utf8[body_start:]
    width = len(header.cells)
    cells, layout = _body_cells(body, separator, width)
    problems = pl.concat(
        [
            _ragged_records(layout, width),
            _unterminated_record(layout),
            _records_with_bad_lines(text, layout, first_line),
        ]
    )
    columns = [cell_column(i) for i in range(width)]
    frame = (
        _with_problems(cells, problems)
        .with_columns(pl.Series(ROW, layout.lines + first_line + 1, dtype=pl.UInt32))
        .filter(non_blank(columns))
        .select(*columns, ROW, PROBLEM)
    )
    notes = (f"表头位于第{header.first_line + 1}行",) if header.first_line > 0 else ()
    grid = Grid(tuple(header.cells), header.first_line + 1, frame, notes)
    return DelimitedText(grid, text.encoding, separator)


def _header_record(path: object, utf8: bytes, keys: frozenset[str]) -> tuple[str, HeadRecord]:
    """The separator and the header record: the pair whose header names the most known columns."""
    head = _head_text(utf8)
    best: tuple[int, int, str, HeadRecord] | None = None
    for separator in SEPARATORS:
        records = _head_records(head, separator)
        index = header_row_index([r.cells for r in records], keys)
        if index is None:
            continue
        record = records[index]
        rank = (header_score(record.cells, keys), len(record.cells))
        if best is None or rank > best[:2]:
            best = (*rank, separator, record)
    if best is None:
        raise FileRejected(
            path,
            f"在前{HEADER_SEARCH_ROWS}行中找不到表头：没有一行含有已知的列名（如“统一社会信用代码”）；"
            "文件可能不是CSV/TSV，或分隔符不是逗号或制表符",
        )
    return best[2], best[3]


def _head_text(utf8: bytes) -> str:
    end = utf8.find(b"\n", HEAD_BYTES)
    return utf8[: len(utf8) if end < 0 else end + 1].decode("utf-8", errors="replace")


def _head_records(head: str, separator: str) -> list[HeadRecord]:
    """The first ``HEADER_SEARCH_ROWS`` non-blank records of ``head`` with their line span."""
    records: list[HeadRecord] = []
    with _unlimited_field_size():
        reader = csv.reader(io.StringIO(head, newline=""), delimiter=separator, strict=False)
        first_line = 0
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append(HeadRecord(first_line, reader.line_num - 1, cells))
                if len(records) == HEADER_SEARCH_ROWS:
                    break
            first_line = reader.line_num
    return records


def _offset_after_line(utf8: bytes, line: int) -> int:
    """Byte offset of the start of physical line ``line + 1`` (0-based)."""
    offset = 0
    for _ in range(line + 1):
        offset = utf8.find(b"\n", offset) + 1
        if offset == 0:
            return len(utf8)
    return offset


def record_layout(body: bytes, separator: str) -> Layout:
    """Record boundaries and field counts of ``body``, RFC 4180 quoting, without parsing cells."""
    raw = np.frombuffer(body, dtype=np.uint8)
    newlines = np.flatnonzero(raw == ord("\n"))
    separators = np.flatnonzero(raw == ord(separator))
    quotes = np.flatnonzero(raw == ord('"'))
    record_ends = newlines
    if quotes.size:
        # Inside a quoted field an odd number of quotes precede the byte; '""' escapes keep parity.
        record_ends = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
        separators = separators[np.searchsorted(quotes, separators) % 2 == 0]
    # Bytes after the last record end (no final newline, or an unclosed quote) form a record too.
    if (int(record_ends[-1]) + 1 if record_ends.size else 0) < len(body):
        record_ends = np.append(record_ends, len(body))
    starts = np.concatenate(([0], record_ends[:-1] + 1)).astype(np.int64)[: record_ends.size]
    fields = np.diff(np.searchsorted(separators, record_ends), prepend=0) + 1
    return Layout(
        starts=starts,
        lines=np.searchsorted(newlines, starts),
        fields=fields,
        unterminated=quotes.size % 2 == 1,
        ends_with_newline=body.endswith(b"\n"),
    )


def _body_cells(body: bytes, separator: str, width: int) -> tuple[pl.DataFrame, Layout]:
    """One row of ``width`` String cells per record, and the layout the rows correspond to."""
    layout = record_layout(body, separator)
    if layout.unterminated:
        # A file cut inside a quoted field: everything before the damaged record is whole.
        cut = int(layout.starts[-1])
        head = _cells_fast(body[:cut], separator, width, layout.starts.size - 1)
        tail, tail_layout = _cells_exact(body[cut:], separator, width)
        if head is not None and tail.height == 1:
            return pl.concat([head, tail]), layout
    else:
        cells = _cells_fast(body, separator, width, layout.starts.size)
        if cells is not None:
            return cells, layout
    return _cells_exact(body, separator, width)


def _cells_fast(body: bytes, separator: str, width: int, records: int) -> pl.DataFrame | None:
    """Polars's parse of ``body``, or None when it refuses it or finds other than ``records`` records."""
    schema = {cell_column(i): pl.String for i in range(width)}
    if not body:
        return pl.DataFrame(schema=schema) if records == 0 else None
    try:
        cells = pl.read_csv(
            body,
            has_header=False,
            separator=separator,
            schema=schema,
            infer_schema=False,
            truncate_ragged_lines=True,
            extra_columns="ignore",
            missing_columns="insert",
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        return None
    return cells if cells.height == records else None


def _cells_exact(body: bytes, separator: str, width: int) -> tuple[pl.DataFrame, Layout]:
    """The ``csv`` module's parse of ``body``, record by record; for files Polars refuses."""
    rows: list[list[str | None]] = []
    lines: list[int] = []
    fields: list[int] = []
    text = body.decode("utf-8")
    with _unlimited_field_size():
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=False)
        first_line = 0
        for record in reader:
            lines.append(first_line)
            fields.append(len(record) or 1)
            rows.append([cell or None for cell in record[:width]] + [None] * (width - len(record)))
            first_line = reader.line_num
    schema = {cell_column(i): pl.String for i in range(width)}
    layout = Layout(
        starts=np.zeros(len(rows), dtype=np.int64),
        lines=np.array(lines, dtype=np.int64),
        fields=np.array(fields, dtype=np.int64),
        unterminated=bool(lines) and _ends_inside_quotes(body, lines[-1], separator),
        ends_with_newline=body.endswith(b"\n"),
    )
    return pl.DataFrame(rows, schema=schema, orient="row"), layout


def _ends_inside_quotes(body: bytes, last_record_line: int, separator: str) -> bool:
    """Whether the record starting at physical line ``last_record_line`` runs out inside a quote."""
    newlines = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == ord("\n"))
    start = int(newlines[last_record_line - 1]) + 1 if last_record_line else 0
    tail = body[start:].decode("utf-8")
    with _unlimited_field_size():
        try:
            list(csv.reader(io.StringIO(tail, newline=""), delimiter=separator, strict=True))
        except csv.Error as error:
            # Strict mode also objects to '"x"y'; only running out of data means an open quote.
            return "unexpected end of data" in str(error)
    return False


@contextlib.contextmanager
def _unlimited_field_size() -> Iterator[None]:
    # The csv module refuses fields over 128 KiB by default; a sentiment post can be 1 MB.
    previous = csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _ragged_records(layout: Layout, width: int) -> pl.DataFrame:
    """'该行有3个字段，表头有5个字段' for every record whose field count differs from the header's.

    A short last record without a final newline is most likely a file cut short, and says so.
    The record with an unclosed quote is reported by ``_unterminated_record`` instead.
    """
    last = layout.fields.size - 1
    cut_short = (
        (pl.col("_record") == last) & (pl.col("fields") < width) & pl.lit(not layout.ends_with_newline)
    )
    return (
        pl.DataFrame(pl.Series("fields", layout.fields, dtype=pl.Int64))
        .with_row_index("_record")
        .filter(pl.col("fields") != width, ~((pl.col("_record") == last) & pl.lit(layout.unterminated)))
        .select(
            "_record",
            pl.format(
                f"该行有{{}}个字段，表头有{width}个字段{{}}",
                "fields",
                pl.when(cut_short).then(pl.lit(TRUNCATED_HINT)).otherwise(pl.lit("")),
            ).alias(PROBLEM),
        )
    )


def _unterminated_record(layout: Layout) -> pl.DataFrame:
    records = [layout.fields.size - 1] if layout.unterminated and layout.fields.size else []
    return pl.DataFrame(
        {"_record": records, PROBLEM: [UNTERMINATED_QUOTE] * len(records)},
        schema={"_record": pl.UInt32, PROBLEM: pl.String},
    )


def _records_with_bad_lines(text: DecodedText, layout: Layout, first_line: int) -> pl.DataFrame:
    """The records containing a line that does not fit the file's encoding, with the reason."""
    bad = text.bad_lines.filter(pl.col("line") >= first_line)
    records = (
        np.searchsorted(layout.lines, bad["line"].to_numpy().astype(np.int64) - first_line, side="right") - 1
    )
    return pl.DataFrame(
        {"_record": records, PROBLEM: bad["problem"]}, schema={"_record": pl.UInt32, PROBLEM: pl.String}
    )


def _with_problems(cells: pl.DataFrame, problems: pl.DataFrame) -> pl.DataFrame:
    """``cells`` with ``_problem``: each record's reasons joined in order, null for clean records."""
    if problems.is_empty():
        return cells.with_columns(pl.lit(None, dtype=pl.String).alias(PROBLEM))
    joined = (
        problems.with_columns(pl.col("_record").cast(pl.UInt32))
        .unique(maintain_order=True)
        .group_by("_record", maintain_order=True)
        .agg(pl.col(PROBLEM).str.join("；"))
    )
    return (
        cells.with_row_index("_record")
        .join(joined, on="_record", how="left", maintain_order="left")
        .drop("_record")
    )
