"""How a table is written the way an office exports it: container, encoding, headers, cell styles.

Grain: one file per call. Everything is derived from the source's schema (``sources.schema``):
headers come from each column's name or Chinese aliases, enum labels from its ``values``, and the
cell style from its ``Kind``. ``write_table`` is public so tests can build hand-made inputs; a
column that arrives as text (pl.String) where the schema expects a number or date is written
as-is, which is how a test plants a bad cell.

Row numbering (``data_row_number``): as a person sees it -- the header is row 1 in CSV, TSV and
Parquet, and in XLSX the header follows the optional title row.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl
import xlsxwriter

from sources.schema import Column, Kind, Source

Container = Literal["csv", "tsv", "xlsx", "parquet"]
Encoding = Literal["utf-8", "utf-8-sig", "gb18030"]
DateStyle = Literal["native", "iso", "slash", "compact", "chinese", "mixed"]

CONTAINERS: tuple[Container, ...] = ("csv", "tsv", "xlsx", "parquet")
ENCODINGS: tuple[Encoding, ...] = ("utf-8", "utf-8-sig", "gb18030")
DATE_STYLES: tuple[DateStyle, ...] = ("native", "iso", "slash", "compact", "chinese", "mixed")
TEXT_STYLES: tuple[DateStyle, ...] = ("iso", "slash", "compact", "chinese")
XLSX_MAX_ROWS = 100_000
PART_ROWS = 400_000

# The contract's spellings of a date, a month and a date-time for each style.
DATE_FORMAT = {"iso": "%Y-%m-%d", "slash": "%Y/%-m/%-d", "compact": "%Y%m%d", "chinese": "%Y年%-m月%-d日"}
MONTH_FORMAT = {"iso": "%Y-%m", "slash": "%Y-%m", "compact": "%Y%m", "chinese": "%Y年%-m月"}
DATETIME_FORMAT = {
    "iso": "%Y-%m-%d %H:%M:%S",
    "slash": "%Y/%m/%d %H:%M",
    "compact": "%Y%m%d%H%M%S",
    "chinese": "%Y年%m月%d日 %H:%M",
}
FULL_WIDTH = [chr(0xFF10 + i) for i in range(10)]


@dataclass(frozen=True)
class FileFormat:
    """One export variant.

    ``date_style`` "native" keeps typed dates and numbers (Parquet and XLSX only; CSV falls back
    to ISO text); "mixed" draws a text style per row. ``full_width`` is the share of number cells
    written in full-width digits, ``thousands`` puts separators into money, ``chinese_enums``
    writes enum values as their Chinese labels, ``alias_index`` picks each column's Chinese
    header (modulo its aliases) when ``chinese_headers``; ``title`` is an XLSX title row above
    the header. ``seed`` makes per-cell choices (mixed styles, full-width cells) reproducible.
    """

    container: Container = "csv"
    encoding: Encoding = "utf-8"
    chinese_headers: bool = False
    alias_index: int = 0
    date_style: DateStyle = "iso"
    full_width: float = 0.0
    thousands: bool = False
    chinese_enums: bool = False
    title: str | None = None
    seed: int = 0

    @property
    def suffix(self) -> str:
        # Tab-separated exports keep the .csv name, as the bureaus' systems write them.
        return {"csv": ".csv", "tsv": ".csv", "xlsx": ".xlsx", "parquet": ".parquet"}[self.container]

    @property
    def native(self) -> bool:
        """Typed cells (dates, numbers) rather than text: Parquet and XLSX with the native style."""
        return self.date_style == "native" and self.container in ("parquet", "xlsx")

    @property
    def header_rows(self) -> int:
        """Rows above the first data row: the header, and the title when there is one.

        Parquet has no header row a person sees; its records count from 1 (as the reader numbers them).
        """
        if self.container == "parquet":
            return 0
        return 1 + (1 if self.title and self.container == "xlsx" else 0)

    def data_row_number(self, index: int) -> int:
        """The row number a person sees for the 0-based data row ``index``."""
        return index + 1 + self.header_rows

    def header(self, col: Column) -> str:
        if self.chinese_headers and col.aliases:
            return col.aliases[self.alias_index % len(col.aliases)]
        return col.name


def rotation(source: Source, index: int, *, rows: int, seed: int, title: str | None = None) -> FileFormat:
    """The variant for file number ``index`` of ``source``: every dimension cycles with its own
    period (co-prime with the others) so a couple of dozen files show every value of each."""
    k = index + 7 * len(source.name)  # sources start at different phases
    container: Container = ("csv", "xlsx", "parquet", "tsv", "csv")[k % 5]
    if container == "xlsx" and rows > XLSX_MAX_ROWS:
        container = "csv"
    encoding = ENCODINGS[k % 3] if container in ("csv", "tsv") else "utf-8"
    style: DateStyle = DATE_STYLES[k % 6] if container != "csv" else DATE_STYLES[1 + k % 5]
    if style == "native" and container not in ("parquet", "xlsx"):
        style = "iso"
    return FileFormat(
        container=container,
        encoding=encoding,
        chinese_headers=k % 4 != 0,
        alias_index=k // 4,
        date_style=style,
        full_width=0.03 if k % 7 in (2, 5) else 0.0,
        thousands=k % 3 == 1,
        chinese_enums=k % 2 == 0,
        title=title if container == "xlsx" and k % 2 == 1 else None,
        seed=seed * 1_000_003 + k,
    )


# -- cells ----------------------------------------------------------------------------------------


def _text_of(style: DateStyle, formats: dict[str, str], expr: pl.Expr, pick: pl.Expr) -> pl.Expr:
    if style != "mixed":
        return expr.dt.strftime(formats["iso" if style == "native" else style])
    # One spelling per row: the row's pick selects among the contract's styles.
    return pl.coalesce(
        [pl.when(pick == i).then(expr.dt.strftime(formats[s])) for i, s in enumerate(TEXT_STYLES)]
    )


def _money_text(expr: pl.Expr, thousands: bool) -> pl.Expr:
    """Yuan with two decimals; with ``thousands``, '12,345.60'."""
    cents = (expr * 100).round(0).cast(pl.Int64)
    whole, frac = cents // 100, (cents % 100).cast(pl.String).str.zfill(2)
    if not thousands:
        return pl.format("{}.{}", whole, frac)
    g0 = (whole % 1000).cast(pl.String)
    g0z = g0.str.zfill(3)
    g1 = ((whole // 1000) % 1000).cast(pl.String)
    g1z = g1.str.zfill(3)
    g2 = (whole // 1_000_000).cast(pl.String)
    grouped = (
        pl.when(whole >= 1_000_000)
        .then(pl.format("{},{},{}", g2, g1z, g0z))
        .when(whole >= 1000)
        .then(pl.format("{},{}", g1, g0z))
        .otherwise(g0)
    )
    return pl.format("{}.{}", grouped, frac)


def _full_width(expr: pl.Expr, mask: pl.Expr) -> pl.Expr:
    return pl.when(mask).then(expr.str.replace_many([str(i) for i in range(10)], FULL_WIDTH)).otherwise(expr)


def _chinese_label(col: Column) -> dict[str, str]:
    labels: dict[str, str] = {}
    for spelling, canonical in (col.values or {}).items():
        if spelling != canonical:
            labels.setdefault(canonical, spelling)
    return labels


def render(frame: pl.DataFrame, source: Source, fmt: FileFormat) -> pl.DataFrame:
    """The cells as written: schema columns present in ``frame``, in schema order, under their headers.

    Typed columns become text in the variant's styles (or stay typed for native Parquet/XLSX);
    text columns where the schema expects something else pass through untouched.
    """
    rng = np.random.default_rng(fmt.seed)
    n = frame.height
    pick = pl.Series("_pick", rng.integers(0, len(TEXT_STYLES), n))
    wide = pl.Series("_wide", rng.random(n) < fmt.full_width)
    work = frame.with_columns(pick, wide)
    exprs = []
    for col in source.columns:
        if col.name not in frame.columns:
            continue
        c = pl.col(col.name)
        dtype = frame.schema[col.name]
        textual = dtype == pl.String
        match col.kind:
            case Kind.DATE | Kind.MONTH | Kind.DATETIME if not textual:
                if fmt.native:
                    e = (
                        c.dt.replace_time_zone(None)
                        if col.kind == Kind.DATETIME and getattr(dtype, "time_zone", None)
                        else c
                    )
                else:
                    formats = {
                        Kind.DATE: DATE_FORMAT,
                        Kind.MONTH: MONTH_FORMAT,
                        Kind.DATETIME: DATETIME_FORMAT,
                    }[col.kind]
                    e = _text_of(fmt.date_style, formats, c, pl.col("_pick"))
            case Kind.INT if not textual:
                e = (
                    c
                    if fmt.native and fmt.full_width == 0
                    else _full_width(c.cast(pl.String), pl.col("_wide"))
                )
            case Kind.MONEY if not textual:
                if fmt.native and not fmt.thousands and fmt.full_width == 0:
                    e = c.round(2)
                else:
                    e = _full_width(_money_text(c, fmt.thousands), pl.col("_wide"))
            case Kind.ENUM if fmt.chinese_enums:
                e = c.replace(_chinese_label(col))
            case Kind.TEXT_LIST if not textual:
                e = c.list.join("|")
            case _:
                e = c
        exprs.append(e.alias(fmt.header(col)))
    return work.select(exprs)


# -- containers ------------------------------------------------------------------------------------


def write_rendered(cells: pl.DataFrame, path: Path, fmt: FileFormat) -> Path:
    """Write already-rendered cells (``render``) in the variant's container and encoding."""
    path.parent.mkdir(parents=True, exist_ok=True)
    match fmt.container:
        case "parquet":
            cells.write_parquet(path)
        case "xlsx":
            _write_xlsx(cells, path, fmt.title)
        case "csv" | "tsv":
            buffer = io.BytesIO()
            cells.write_csv(buffer, separator="\t" if fmt.container == "tsv" else ",")
            data = buffer.getvalue()
            if fmt.encoding == "gb18030":
                data = data.decode("utf-8").encode("gb18030")
            elif fmt.encoding == "utf-8-sig":
                data = b"\xef\xbb\xbf" + data
            path.write_bytes(data)
    return path


# xlsxwriter stamps the workbook (and its zip entries) with the current time unless told
# otherwise; a fixed stamp keeps files byte-identical for a seed and keeps the clock out.
XLSX_CREATED = datetime(2020, 1, 1, tzinfo=UTC)


def _write_xlsx(cells: pl.DataFrame, path: Path, title: str | None) -> None:
    with xlsxwriter.Workbook(path) as book:
        book.set_properties({"created": XLSX_CREATED, "author": "", "title": title or ""})
        sheet = book.add_worksheet("Sheet1")
        if title:
            sheet.write(0, 0, title, book.add_format({"bold": True, "font_size": 14}))
        cells.write_excel(
            book,
            sheet,
            position=(1 if title else 0, 0),
            table_style=None,
            autofilter=False,
            dtype_formats={pl.Date: "yyyy-mm-dd", pl.Datetime: "yyyy-mm-dd hh:mm:ss"},
            float_precision=2,
        )


def write_table(frame: pl.DataFrame, path: Path, source: Source, fmt: FileFormat) -> Path:
    """Write ``frame`` (canonical columns, typed or text) as ``source`` exported in variant ``fmt``.

    ``path``'s suffix is replaced by the container's; the written path is returned.
    """
    return write_rendered(render(frame, source, fmt), path.with_suffix(fmt.suffix), fmt)


def with_container(fmt: FileFormat, container: Container) -> FileFormat:
    """The same variant in another container (used when a file is too large for XLSX)."""
    return replace(fmt, container=container, title=fmt.title if container == "xlsx" else None)
