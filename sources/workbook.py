"""XLSX files -> a ``Grid``: cell values as text, formulas as their literal text, Excel row numbers.

Values come from fastexcel (calamine, in Rust), every cell as a string: numbers without float
artefacts ('12', not '12.0'), dates as '2025-12-03 00:00:00'. Calamine returns the cached value of
a formula cell, or nothing when the writer stored none; the contract wants the formula itself so
that the validation rules can quarantine '=HYPERLINK(...)' and the like. The formulas are
therefore read from the sheet's XML and laid over the values.

Calamine's grid starts at the first row and column holding a value, not at A1; that origin is
also read from the XML so that ``_row`` is the row number Excel shows.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import unescape

import fastexcel
import polars as pl

from layoffwatch.errors import FileRejected
from sources.grid import PROBLEM, ROW, Grid, cell_column, non_blank
from sources.headers import HEADER_SEARCH_ROWS, header_row_index

_NS = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"

_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]|<(?:\w+:)?t(?:\s[^>]*)?>[^<]")
_FORMULA = re.compile(rb"<(?:\w+:)?f\b([^>]*?)(?:/>|>([^<]*)</(?:\w+:)?f>)", re.S)
_SHARED_INDEX = re.compile(rb'\bsi="(\d+)"')
_CELL_TAG_REACH = 512
_XML_ENTITIES = {"&quot;": '"', "&apos;": "'"}

CORRUPT = "Excel文件已损坏或被截断，无法打开（xlsx）；请在Excel/WPS中打开并重新保存"


@dataclass(frozen=True)
class Workbook:
    """An XLSX file read: its grid plus the sheet that was read."""

    grid: Grid
    sheet: str


def workbook_grid(path: Path, keys: frozenset[str], sheet: str | None = None) -> Workbook:
    """The header and rows of ``sheet`` (default: the first sheet) of the XLSX file ``path``."""
    try:
        reader = fastexcel.read_excel(path)
        sheets = reader.sheet_names
        name = _sheet_name(path, sheets, sheet)
        values = reader.load_sheet(name, header_row=None, dtypes="string").to_polars()
        with zipfile.ZipFile(path) as archive:
            xml = archive.read(_sheet_xml_path(archive, name))
    except FileRejected:
        raise
    except (fastexcel.FastExcelError, zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError) as error:
        raise FileRejected(path, f"{CORRUPT}（{type(error).__name__}）") from None
    origin_row, origin_column = _origin(xml)
    cells = _with_formulas(_positional(values), xml, origin_row, origin_column)
    grid = _grid(path, cells, keys, origin_row, name)
    notes = grid.notes + ((f"文件有{len(sheets)}个工作表，读取了“{name}”",) if len(sheets) > 1 else ())
    return Workbook(Grid(grid.header, grid.header_row, grid.body, notes), name)


def _sheet_name(path: Path, sheets: list[str], wanted: str | None) -> str:
    if not sheets:
        raise FileRejected(path, "Excel文件中没有工作表")
    if wanted is None:
        return sheets[0]
    if wanted not in sheets:
        listed = "、".join(f"“{s}”" for s in sheets)
        raise FileRejected(path, f"Excel文件中没有名为“{wanted}”的工作表；文件中的工作表：{listed}")
    return wanted


def _sheet_xml_path(archive: zipfile.ZipFile, name: str) -> str:
    """The zip member holding sheet ``name``, via xl/workbook.xml and its relationships."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    rel_id = next(
        s.get(_R_ID) for s in workbook.iterfind("main:sheets/main:sheet", _NS) if s.get("name") == name
    )
    target = next(
        r.get("Target", "") for r in rels.iterfind("rel:Relationship", _NS) if r.get("Id") == rel_id
    )
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _positional(values: pl.DataFrame) -> pl.DataFrame:
    return values.rename({c: cell_column(i) for i, c in enumerate(values.columns)})


def _origin(xml: bytes) -> tuple[int, int]:
    """(row, column), 1-based, of calamine's first cell: the first row and column holding a value."""
    first = next(_value_cell_refs(xml), None)
    if first is None:
        return 1, 1
    # Cells come row by row, so the leftmost column is found by trying columns from A; a sheet
    # usually starts in A or B, and each miss costs one scan of the sheet's XML.
    for column in range(1, _column_number(first[0]) + 1):
        if next(_value_cell_refs(xml, _column_letters(column).encode()), None) is not None:
            return int(first[1]), column
    return int(first[1]), _column_number(first[0])


def _value_cell_refs(xml: bytes, letters: bytes = rb"[A-Z]{1,3}") -> Iterator[tuple[bytes, bytes]]:
    """(column letters, row digits) of the cells holding a value, in file order."""
    pattern = re.compile(
        rb"<(?:\w+:)?c\b[^>]*?\br=\"(" + letters + rb")(\d+)\"[^>]*?(?<!/)>(.*?)</(?:\w+:)?c>", re.S
    )
    for match in pattern.finditer(xml):
        if _VALUE.search(match.group(3)):
            yield match.group(1), match.group(2)


def _column_letters(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _cell_start(xml: bytes, position: int) -> int:
    """Offset of the opening tag of the cell enclosing ``position``.

    Searching back from each formula is far cheaper than matching every cell of the sheet: a
    100k-row sheet has 600k cells and usually a handful of formulas.
    """
    # The formula follows its cell's opening tag directly, so a short look back is enough.
    floor = max(0, position - _CELL_TAG_REACH)
    return max(xml.rfind(b"<c ", floor, position), xml.rfind(b":c ", floor, position), floor)


def _formulas(xml: bytes) -> pl.DataFrame:
    """Every formula cell: ``row``, ``column`` (1-based) and ``text`` ('=' + the formula).

    A shared formula's followers carry only its index; they get the master's text, unshifted:
    what matters downstream is that the cell is a formula, not which cells it refers to.
    """
    rows: list[int] = []
    columns: list[int] = []
    texts: list[str] = []
    shared: dict[bytes, str] = {}
    for formula in _FORMULA.finditer(xml):
        ref = _REF.search(xml, _cell_start(xml, formula.start()), formula.start())
        if ref is None:
            continue
        index = _SHARED_INDEX.search(formula.group(1))
        if formula.group(2):
            text = "=" + unescape(formula.group(2).decode("utf-8"), _XML_ENTITIES)
            if index:
                shared[index.group(1)] = text
        elif index and index.group(1) in shared:
            text = shared[index.group(1)]
        else:
            continue
        rows.append(int(ref.group(2)))
        columns.append(_column_number(ref.group(1)))
        texts.append(text)
    return pl.DataFrame(
        {"row": rows, "column": columns, "text": texts},
        schema={"row": pl.Int64, "column": pl.Int64, "text": pl.String},
    )


def _with_formulas(cells: pl.DataFrame, xml: bytes, origin_row: int, origin_column: int) -> pl.DataFrame:
    """``cells`` with every formula cell's value replaced by the formula's literal text."""
    if not re.search(rb"<(?:\w+:)?f\b", xml):
        return cells
    formulas = (
        _formulas(xml)
        .with_columns(pl.col("row") - origin_row, pl.col("column") - origin_column)
        .filter(pl.col("row") >= 0, pl.col("column") >= 0)
    )
    if formulas.is_empty():
        return cells
    height, width = (last + 1 for last in formulas.select(pl.max("row", "column")).row(0))
    cells = _padded(cells, height, width)
    indexed = cells.with_row_index("_index")
    for (column,), group in formulas.group_by("column"):
        name = cell_column(int(column))
        overlay = group.select(
            pl.col("row").cast(pl.UInt32).alias("_index"), pl.col("text").alias("_formula")
        )
        indexed = (
            indexed.join(overlay, on="_index", how="left", maintain_order="left")
            .with_columns(pl.coalesce("_formula", name).alias(name))
            .drop("_formula")
        )
    return indexed.drop("_index")


def _padded(cells: pl.DataFrame, height: int, width: int) -> pl.DataFrame:
    # Formula cells without a cached value may lie outside calamine's grid.
    missing = [cell_column(i) for i in range(cells.width, width)]
    cells = cells.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing)
    if height > cells.height:
        cells = pl.concat([cells, pl.DataFrame(schema=cells.schema).clear(height - cells.height)])
    return cells


def _grid(path: Path, cells: pl.DataFrame, keys: frozenset[str], origin_row: int, sheet: str) -> Grid:
    head = cells.head(HEADER_SEARCH_ROWS).rows()
    index = header_row_index(head, keys)
    if index is None:
        raise FileRejected(
            path,
            f"工作表“{sheet}”的前{HEADER_SEARCH_ROWS}行中找不到表头：没有一行含有已知的列名（如“统一社会信用代码”）",
        )
    header = tuple("" if cell is None else str(cell) for cell in head[index])
    columns = [cell_column(i) for i in range(len(header))]
    header_row = origin_row + index
    body = (
        cells.with_row_index(ROW, offset=origin_row)
        .slice(index + 1)
        .filter(non_blank(columns))
        .select(*columns, pl.col(ROW).cast(pl.UInt32), pl.lit(None, dtype=pl.String).alias(PROBLEM))
    )
    notes = (f"表头位于第{header_row}行",) if header_row > 1 else ()
    return Grid(header, header_row, body, notes)
