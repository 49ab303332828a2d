"""Cell text -> typed values, one Polars parser per column kind, driven by the schema.

Input cells are strings exactly as read (``sources.read``); ``normalized`` gives the NFKC,
trimmed text (empty -> null) and ``parsed`` the typed value (null where the text does not
parse). A cell whose normalised text is non-null but whose parsed value is null is a type
failure: the expectation rules quarantine it, naming the column and what was expected.
"""

from __future__ import annotations

import polars as pl

from sources.schema import Column, Kind, Source

DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d")
MONTH_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日")
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H时%M分",
    "%Y%m%d%H%M%S",
)
ZONED_DATETIME_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%.f%z",  # how an aware Parquet datetime reads as text
    "%Y-%m-%d %H:%M:%S%z",
)
TZ = "Asia/Shanghai"

# What each kind expects, in the words of the quarantine message.
EXPECTED_ZH: dict[Kind, str] = {
    Kind.TEXT: "文本",
    Kind.TEXT_LIST: "以“|”分隔的文本",
    Kind.INT: "整数",
    Kind.MONEY: "金额（数字）",
    Kind.DATE: "日期（如2025-12-03、2025/12/3、20251203、2025年12月3日）",
    Kind.MONTH: "月份（如2025-12、202512、2025年12月）",
    Kind.DATETIME: "日期时间（如2025-12-03 14:30:00）",
    Kind.USCC: "18位统一社会信用代码",
    Kind.ENUM: "规定的取值之一",
}


def normalized(name: str) -> pl.Expr:
    """NFKC (full-width digits and letters to ASCII), trimmed, empty -> null."""
    text = pl.col(name).cast(pl.String).str.normalize("NFKC").str.strip_chars()
    return pl.when(text.str.len_bytes() == 0).then(None).otherwise(text)


def _number_text(name: str) -> pl.Expr:
    # Thousands separators (',', '，' becomes ',' under NFKC), inner spaces, a trailing 元/人.
    return normalized(name).str.replace_all(r"[,\s]", "").str.replace(r"(元|人)$", "")


def _int(name: str) -> pl.Expr:
    text = _number_text(name)
    whole = text.str.replace(r"^([+-]?\d+)(\.0+)?$", "$1")
    return pl.when(whole.str.contains(r"^[+-]?\d{1,18}$")).then(whole.cast(pl.Int64, strict=False))


def _money(name: str) -> pl.Expr:
    text = _number_text(name)
    return pl.when(text.str.contains(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")).then(text.cast(pl.Float64, strict=False))


def _date(name: str, formats: tuple[str, ...] = DATE_FORMATS) -> pl.Expr:
    # Parquet and spreadsheet dates arrive as '2025-12-03 00:00:00'; keep the date part.
    text = normalized(name).str.replace(r"[ T]00:00:00(\.0+)?$", "")
    return pl.coalesce([text.str.strptime(pl.Date, f, strict=False) for f in formats])


def _month(name: str) -> pl.Expr:
    text = normalized(name).str.replace(r"[ T]00:00:00(\.0+)?$", "")
    # 2025-12 / 2025/12 / 202512 / 2025年12月 / 2025.12 -> first day of the month.
    as_day = (
        text.str.replace(r"^(\d{4})[-/.](\d{1,2})$", "${1}-${2}-01")
        .str.replace(r"^(\d{4})(\d{2})$", "${1}-${2}-01")
        .str.replace(r"^(\d{4})年(\d{1,2})月$", "${1}-${2}-01")
    )
    day = pl.coalesce([as_day.str.strptime(pl.Date, f, strict=False) for f in MONTH_FORMATS])
    return day.dt.month_start()


def _datetime(name: str) -> pl.Expr:
    text = normalized(name)
    naive = pl.coalesce(
        [text.str.strptime(pl.Datetime("us"), f, strict=False) for f in DATETIME_FORMATS]
        + [_date(name).cast(pl.Datetime("us"))]
    ).dt.replace_time_zone(TZ, ambiguous="earliest", non_existent="null")
    # 'Z' is how many systems write UTC; chrono's %z wants an explicit offset.
    offset_text = text.str.replace(r"Z$", "+00:00")
    zoned = pl.coalesce(
        [offset_text.str.strptime(pl.Datetime("us", "UTC"), f, strict=False) for f in ZONED_DATETIME_FORMATS]
    ).dt.convert_time_zone(TZ)
    return pl.coalesce([zoned, naive])


def _enum(name: str, col: Column) -> pl.Expr:
    mapping = {k.casefold(): v for k, v in (col.values or {}).items()}
    return normalized(name).str.to_lowercase().replace_strict(mapping, default=None, return_dtype=pl.String)


def parse_expr(col: Column, name: str | None = None) -> pl.Expr:
    """The typed value of ``col`` read from the string column ``name`` (default: ``col.name``)."""
    name = name or col.name
    match col.kind:
        case Kind.TEXT:
            expr = normalized(name)
        case Kind.TEXT_LIST:
            expr = normalized(name).str.split("|").list.eval(
                pl.element().str.strip_chars().filter(pl.element().str.len_bytes() > 0)
            )
        case Kind.INT:
            expr = _int(name)
        case Kind.MONEY:
            expr = _money(name)
        case Kind.DATE:
            expr = _date(name)
        case Kind.MONTH:
            expr = _month(name)
        case Kind.DATETIME:
            expr = _datetime(name)
        case Kind.USCC:
            expr = normalized(name).str.to_uppercase().str.replace_all(r"\s", "")
        case Kind.ENUM:
            expr = _enum(name, col)
    return expr.cast(col.dtype).alias(col.name)


def parsed(raw: pl.LazyFrame, source: Source) -> pl.LazyFrame:
    """Typed columns for every schema column present in ``raw``; absent optional columns are null.

    Bookkeeping columns (names starting with '_') pass through unchanged.
    """
    present = set(raw.collect_schema().names())
    typed = [
        parse_expr(c) if c.name in present else pl.lit(None, dtype=c.dtype).alias(c.name)
        for c in source.columns
    ]
    return raw.select(*[pl.col(n) for n in present if n.startswith("_")], *typed)
