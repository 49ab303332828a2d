"""The evidence frame every rule reads, and each rule compiled to a Polars failure test.

Grain: one row per row of the raw frame, in file order. For each schema column ``c``:

==================  ====================================================================
``c``               the typed value (``sources.parse``), null where empty or unparseable
``c__original``     the text exactly as read (null when the file has no such column)
``c__text``         NFKC-normalised, trimmed text, null when empty; first 100 characters
``c__raw``          the original text cut to ``max_length + 1`` characters (length rules)
``c__spelling``     normalised lower-case spelling, first 100 characters (enum columns)
``c__parses``       null where ``c__text`` is null, else whether the text parsed
``c__valid``        code columns: null where null, else whether the GB 32100-2015 code is valid
``uscc__known``     null where the code is null or malformed or no register was given, else
                    whether the register holds it (columns that reference an enterprise)
``period__continuous``  monthly sources: null where there is no earlier period for the
                    enterprise, else whether the gap to the latest earlier one is one month
==================  ====================================================================

plus ``_row`` and ``_problem``. The Great Expectations suite validates these same columns, so a
rule fails on exactly the same rows in Polars and in Great Expectations; cutting long text keeps
the GX results (which list sample values) small without changing any rule's outcome.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import polars as pl

from sources.parse import TZ, normalized, parse_expr
from sources.schema import Column, Kind, Source
from sources.uscc import valid_expr

if TYPE_CHECKING:
    from expectations.rules import Rule

PREVIEW_CHARS = 100  # longer than any allowed spelling, so cutting never changes an outcome
VALUE_CHARS = 20  # offending value shown in a quarantine reason
REASON_CHARS = 80  # one sentence of a quarantine reason
FORMULA = r"^[=+\-@]"
PARSED_KINDS = frozenset({Kind.INT, Kind.MONEY, Kind.DATE, Kind.MONTH, Kind.DATETIME})


def col_name(column: str, role: str) -> str:
    """Name of an evidence column, e.g. ``col_name("removed", "text") == "removed__text"``."""
    return f"{column}__{role}"


def time_bounds(now: datetime) -> tuple[date, datetime]:
    """The latest acceptable date (``now``'s date in Asia/Shanghai) and datetime (``now``)."""
    local = now.astimezone(ZoneInfo(TZ))
    return local.date(), local


def evidence(
    raw: pl.LazyFrame,
    source: Source,
    *,
    known_uscc: pl.Series | None = None,
    previous_periods: pl.DataFrame | None = None,
) -> pl.LazyFrame:
    """The evidence frame of ``raw`` (strings as read, ``_row``, ``_problem``); see the module docstring."""
    present = set(raw.collect_schema().names())
    originals = raw.select(
        (pl.col("_row") if "_row" in present else pl.int_range(1, pl.len() + 1, dtype=pl.UInt32)).alias("_row"),
        (pl.col("_problem").cast(pl.String) if "_problem" in present else pl.lit(None, pl.String)).alias("_problem"),
        *(
            (pl.col(c.name).cast(pl.String) if c.name in present else pl.lit(None, pl.String)).alias(
                col_name(c.name, "original")
            )
            for c in source.columns
        ),
    )
    # Materialised (cheap: the same string buffers) so that each column's lookup below starts
    # from data rather than from a plan that grows with every column joined before it.
    cells = originals.collect()
    described = cells.lazy()
    for c in source.columns:
        described = _with_value_evidence(described, cells, c)
    for c in source.columns:
        if c.references_enterprise and source.name != "enterprises":
            described = described.with_columns(_known(c.name, known_uscc))
    if source.monthly:
        described = _with_continuity(described, source, previous_periods)
    return described


def _with_value_evidence(frame: pl.LazyFrame, cells: pl.DataFrame, c: Column) -> pl.LazyFrame:
    """Adds the evidence that depends on one cell alone: typed value, text, spellings, parses, validity.

    Codes, numbers, dates and enum spellings repeat a lot (an enterprise's code on each of its
    rows, a few hundred dates per file), so they are worked out once per distinct text and
    joined back; free text is worked out row by row.
    """
    original = col_name(c.name, "original")
    cell = [
        parse_expr(c, original),
        normalized(original).str.slice(0, PREVIEW_CHARS).alias(col_name(c.name, "text")),
    ]
    if c.max_length is not None:
        cell.append(pl.col(original).str.slice(0, c.max_length + 1).alias(col_name(c.name, "raw")))
    if c.values:
        cell.append(normalized(original).str.to_lowercase().str.slice(0, PREVIEW_CHARS).alias(col_name(c.name, "spelling")))
    derived = []
    if c.kind in PARSED_KINDS:
        text = pl.col(col_name(c.name, "text"))
        derived.append(pl.when(text.is_not_null()).then(pl.col(c.name).is_not_null()).alias(col_name(c.name, "parses")))
    if c.kind is Kind.USCC:
        derived.append(valid_expr(c.name).alias(col_name(c.name, "valid")))
    if c.kind in (Kind.TEXT, Kind.TEXT_LIST):
        return frame.with_columns(cell).with_columns(derived)
    lookup = cells.lazy().select(pl.col(original).unique()).with_columns(cell).with_columns(derived)
    return frame.join(lookup, on=original, how="left", nulls_equal=True, maintain_order="left")


def _known(column: str, known_uscc: pl.Series | None) -> pl.Expr:
    if known_uscc is None:
        return pl.lit(None, pl.Boolean).alias(col_name(column, "known"))
    register = known_uscc.cast(pl.String).drop_nulls().unique()
    # A malformed code already fails its check character; it is not also reported as unknown.
    return (
        pl.when(pl.col(col_name(column, "valid")))
        .then(pl.col(column).is_in(register.implode()))
        .alias(col_name(column, "known"))
    )


def _with_continuity(frame: pl.LazyFrame, source: Source, previous_periods: pl.DataFrame | None) -> pl.LazyFrame:
    """Adds ``<time>__continuous``: whether the latest earlier period of the enterprise is the month before.

    The earlier period is the latest of: an earlier period of the same enterprise in this file,
    and the enterprise's last period in the lake when that is before this row's period.
    """
    period = source.time_column
    months = pl.col(period).dt.year().cast(pl.Int32) * 12 + pl.col(period).dt.month().cast(pl.Int32)
    periods = (
        frame.select("uscc", period)
        .drop_nulls()
        .unique()
        .sort("uscc", period)
        .with_columns(pl.col(period).shift(1).over("uscc").alias("__earlier"))
    )
    if previous_periods is not None:
        lake = previous_periods.lazy().select(
            pl.col("uscc").cast(pl.String), pl.col("last_period").cast(pl.Date).alias("__last")
        )
        periods = periods.join(lake, on="uscc", how="left").with_columns(
            pl.max_horizontal(
                "__earlier", pl.when(pl.col("__last") < pl.col(period)).then(pl.col("__last"))
            ).alias("__earlier")
        )
    earlier = pl.col("__earlier")
    gap = months - (earlier.dt.year().cast(pl.Int32) * 12 + earlier.dt.month().cast(pl.Int32))
    flags = periods.select(
        "uscc", period, pl.when(earlier.is_not_null()).then(gap <= 1).alias(col_name(period, "continuous"))
    )
    return frame.join(flags, on=["uscc", period], how="left", nulls_equal=False, maintain_order="left")


def failed(rule: Rule, source: Source, *, now: datetime) -> pl.Expr:
    """True on the evidence rows that fail ``rule``, never null."""
    c = rule.column
    match rule.check:
        case "read":
            expr = pl.col("_problem").is_not_null()
        case "unique_key":
            expr = duplicated_key(source)
        case _ if c is None:
            raise ValueError(f"rule {rule.id} needs a column")
        case "required":
            expr = pl.col(col_name(c, "text")).is_null()
        case "type":
            expr = ~pl.col(col_name(c, "parses"))
        case "min":
            expr = pl.col(c) < _bound(source.column(c).min)
        case "max":
            expr = pl.col(c) > _bound(source.column(c).max)
        case "max_length":
            expr = pl.col(col_name(c, "raw")).str.len_chars() > _bound(source.column(c).max_length)
        case "pattern":
            expr = ~pl.col(c).str.contains(source.column(c).pattern or "")
        case "allowed_values":
            expr = ~pl.col(col_name(c, "spelling")).is_in(allowed_spellings(source, c))
        case "uscc_check_character":
            expr = ~pl.col(col_name(c, "valid"))
        case "not_in_future":
            today, latest = time_bounds(now)
            if source.column(c).kind is Kind.DATETIME:
                expr = pl.col(c) > pl.lit(latest).dt.convert_time_zone(TZ)
            else:
                expr = pl.col(c) > today
        case "no_formula":
            expr = pl.col(col_name(c, "text")).str.contains(FORMULA)
        case "known_enterprise":
            expr = ~pl.col(col_name(c, "known"))
        case "monthly_continuity":
            expr = ~pl.col(col_name(c, "continuous"))
        case other:
            raise ValueError(f"unknown check {other!r}")
    return expr.fill_null(False)


def _bound(value: float | None) -> float:
    if value is None:
        raise ValueError("the schema declares no bound for this rule")
    return value


def duplicated_key(source: Source) -> pl.Expr:
    """True on every row whose natural key (all parts present) occurs more than once in the frame."""
    complete = pl.all_horizontal([pl.col(k).is_not_null() for k in source.key])
    return complete & pl.when(complete).then(pl.struct(list(source.key))).is_duplicated()


def allowed_spellings(source: Source, column: str) -> list[str]:
    """Every accepted spelling of an enum column, case-folded as the parser matches them."""
    return sorted({spelling.casefold() for spelling in source.column(column).values or {}})


def reason(rule: Rule, source: Source) -> pl.Expr:
    """One Chinese sentence for a row failing ``rule``: the message and the offending value."""
    match rule.check:
        case "read":
            sentence = pl.col("_problem")
        case "required" | "monthly_continuity":
            sentence = pl.lit(rule.message)
        case "unique_key":
            values = pl.concat_str([_shown(k) for k in source.key], separator="，")
            sentence = pl.concat_str([pl.lit(f"{rule.message}（"), values, pl.lit("）")])
        case _:
            assert rule.column is not None
            sentence = pl.concat_str([pl.lit(f"{rule.message}（实为“"), _shown(rule.column), pl.lit("”）")])
    return _cut(sentence, REASON_CHARS)


def _shown(column: str) -> pl.Expr:
    return _cut(pl.col(col_name(column, "original")).fill_null(""), VALUE_CHARS)


def _cut(text: pl.Expr, limit: int) -> pl.Expr:
    return pl.when(text.str.len_chars() > limit).then(text.str.slice(0, limit - 1) + "…").otherwise(text)
