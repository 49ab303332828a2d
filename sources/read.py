"""Input files -> ``RawTable``: every cell as text under canonical column names, one batch per file.

Nothing here parses values (``sources.parse`` does) or judges them (``expectations`` does). A
file that cannot be taken as a whole raises ``FileRejected`` with one sentence for the officer;
a row that cannot be read cleanly arrives with ``_problem`` set and is quarantined downstream.

Row numbers (``_row``) are what a person sees in the file: for CSV/TSV the line number where the
record starts (title lines and the header count); for XLSX the Excel row number; for Parquet,
which has no header row, the record's position counting from 1 (``header_row`` is 0).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow

from layoffwatch.errors import FileRejected, UserError
from sources.delimited import delimited_text
from sources.grid import PROBLEM, ROW, Grid, cell_column, non_blank
from sources.headers import detect_source, known_header_keys, mapped_headers, source_from_folder
from sources.schema import SOURCES, Source
from sources.workbook import workbook_grid

__all__ = ["RawTable", "read_file", "detect_source", "input_files", "INPUT_SUFFIXES"]

INPUT_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".xlsx", ".parquet"})

_ZIP_MAGIC = b"PK\x03\x04"
_PARQUET_MAGIC = b"PAR1"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and other OLE compound files)


@dataclass(frozen=True)
class RawTable:
    """One input file as read: one row per non-blank data record, every cell as text.

    ``frame`` holds the schema columns found (pl.String, exactly as read: no NFKC, no trimming,
    empty cells null) under their canonical names, plus ``_row`` (pl.UInt32, see the module
    docstring) and ``_problem`` (pl.String: null, or a Chinese sentence on why the row could not
    be read cleanly). ``content_hash`` (sha256 of the file bytes) is the batch id.
    """

    path: Path
    source: Source
    frame: pl.DataFrame
    content_hash: str
    format: str  # "csv" | "tsv" | "xlsx" | "parquet"
    encoding: str | None  # "utf-8" | "utf-8-sig" | "gb18030" for CSV/TSV, else None
    header_row: int
    extra_columns: tuple[str, ...]
    notes: tuple[str, ...]


def read_file(path: Path, *, source: str | None = None, sheet: str | None = None) -> RawTable:
    """The file at ``path`` as a ``RawTable``; ``source`` (a source name) skips source detection.

    The format is recognised from the content (zip -> XLSX, 'PAR1' -> Parquet, else text), so a
    misnamed file is still read, with a note.
    """
    path = Path(path)
    given = _source_named(source) if source is not None else source_from_folder(path)
    keys = known_header_keys([given] if given else SOURCES.values())
    data = _file_bytes(path)
    content_hash = hashlib.sha256(data).hexdigest()
    file_format = _format(path, data)
    encoding = None
    if file_format == "xlsx":
        del data  # fastexcel reads the file itself; do not hold two copies
        grid = workbook_grid(path, keys, sheet).grid
    elif file_format == "parquet":
        grid = _parquet_grid(path)
    else:
        text = delimited_text(path, data, keys)
        del data
        grid, encoding = text.grid, text.encoding
        file_format = "tsv" if text.separator == "\t" else "csv"
    chosen = given or detect_source(path, grid.header)
    columns = mapped_headers(path, grid.header, chosen)
    if grid.body.is_empty():
        raise FileRejected(path, "文件只有表头，没有数据行")
    frame = grid.body.select(
        *(pl.col(cell_column(i)).alias(name) for i, name in columns.columns.items()), ROW, PROBLEM
    )
    return RawTable(
        path=path,
        source=chosen,
        frame=frame,
        content_hash=content_hash,
        format=file_format,
        encoding=encoding,
        header_row=grid.header_row,
        extra_columns=columns.extra,
        notes=_notes(path, file_format, grid, columns.extra),
    )


def input_files(paths: Iterable[Path]) -> list[Path]:
    """The input files under ``paths``: folders expanded recursively, hidden files and folders skipped.

    Keeps .csv .tsv .txt .xlsx .parquet (any case); sorted; a path that does not exist is a
    ``UserError`` naming it.
    """
    found: set[Path] = set()
    for path in map(Path, paths):
        if not path.exists():
            raise UserError(f"找不到输入路径：{path}")
        candidates = (p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        root = path if path.is_dir() else path.parent
        found.update(p for p in candidates if _is_input(p, root))
    return sorted(found)


def _is_input(path: Path, root: Path) -> bool:
    hidden = any(part.startswith((".", "~$")) for part in path.relative_to(root).parts)
    return not hidden and path.suffix.lower() in INPUT_SUFFIXES


def _source_named(name: str) -> Source:
    if name not in SOURCES:
        raise UserError(f"未知的数据类别：{name}；可用：{'、'.join(SOURCES)}")
    return SOURCES[name]


def _file_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FileRejected(path, f"无法读取文件：{error.strerror or error}") from None
    content = data.removeprefix(b"\xef\xbb\xbf")
    if not content or content.isspace():  # isspace() stops at the first other byte: no copy
        raise FileRejected(path, "文件为空")
    return data


def _format(path: Path, data: bytes) -> str:
    """'xlsx', 'parquet' or 'text', from the file's first bytes rather than its name."""
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    if data.startswith(_PARQUET_MAGIC):
        return "parquet"
    if data.startswith(_OLE_MAGIC):
        raise FileRejected(path, "不支持旧版Excel（.xls）格式；请在Excel/WPS中另存为.xlsx或CSV")
    return "text"


def _parquet_grid(path: Path) -> Grid:
    """A Parquet file as text cells; its column names are the header, ``_row`` counts from 1."""
    try:
        table = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, pyarrow.ArrowException, OSError) as error:
        raise FileRejected(path, f"Parquet文件已损坏或被截断，无法读取（{type(error).__name__}）") from None
    header = tuple(table.columns)
    try:
        cells = table.select(
            _as_text(path, table, name).alias(cell_column(i)) for i, name in enumerate(header)
        )
    except pl.exceptions.PolarsError as error:
        raise FileRejected(path, f"Parquet文件中有无法作为文本读取的列（{error}）") from None
    columns = [cell_column(i) for i in range(len(header))]
    body = (
        cells.with_row_index(ROW, offset=1)
        .filter(non_blank(columns))
        .select(*columns, pl.col(ROW).cast(pl.UInt32), pl.lit(None, dtype=pl.String).alias(PROBLEM))
    )
    return Grid(header, 0, body)


def _as_text(path: Path, table: pl.DataFrame, name: str) -> pl.Expr:
    """Column ``name`` as text: dates ISO, whole floats without '.0', lists '|'-joined."""
    dtype = table.schema[name]
    column = pl.col(name)
    if dtype == pl.String:
        return column
    if dtype.is_float():
        whole = column.is_finite() & (column == column.round()) & (column.abs() < 2**53)
        return pl.when(whole).then(column.cast(pl.Int64).cast(pl.String)).otherwise(column.cast(pl.String))
    if isinstance(dtype, pl.List) and dtype.inner == pl.String:
        return column.list.join("|")
    if dtype.is_temporal() or dtype.is_numeric() or dtype in (pl.Boolean, pl.Binary, pl.Categorical, pl.Enum):
        return column.cast(pl.String)
    raise FileRejected(path, f"Parquet列“{name}”的类型{dtype}无法作为文本读取", column=name)


def _notes(path: Path, file_format: str, grid: Grid, extra: tuple[str, ...]) -> tuple[str, ...]:
    notes = list(grid.notes)
    suffix = path.suffix.lower()
    expected = {"xlsx": {".xlsx"}, "parquet": {".parquet"}}.get(file_format, {".csv", ".tsv", ".txt"})
    if suffix not in expected:
        notes.append(
            f"文件扩展名为“{path.suffix}”，但内容是{file_format.upper()}，已按{file_format.upper()}读取"
        )
    if extra:
        notes.append(f"已忽略多余的列：{'、'.join(extra)}")
    return tuple(notes)
