"""Export mistakes planted in rendered files, each recorded so the pipeline can be held to quarantining
exactly those rows.

Grain: one entry per damaged row (file, row number as a person sees it, column, error type). The
applicable errors follow from the schema: a typo'd check character wherever a USCC is written, an
unknown (valid but unregistered) USCC wherever a column references the register, a negative
number where a minimum is declared, a future or unparseable date in date columns, an empty cell in
a required column, and a copy of a row that repeats the natural key.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from sources.schema import Column, Kind, Source
from sources.synthetic.formats import FileFormat
from sources.uscc import build_codes

ERROR_TYPES = (
    "invalid_uscc_check",
    "unknown_uscc",
    "negative_count",
    "future_date",
    "unparseable_date",
    "empty_required",
    "duplicate_key",
)
UNPARSEABLE = ("2025-02-30", "2024/13/01", "待补录", "0000-00-00", "2025年13月", "--", "#VALUE!", "20251345")
DATES = (Kind.DATE, Kind.MONTH, Kind.DATETIME)


def _candidates(source: Source, kind: str) -> list[Column]:
    cols = source.columns
    match kind:
        case "invalid_uscc_check":
            return [c for c in cols if c.kind == Kind.USCC]
        case "unknown_uscc":
            return [c for c in cols if c.references_enterprise]
        case "negative_count":
            return [c for c in cols if c.kind == Kind.INT and c.min is not None and c.min >= 0]
        case "future_date":
            return [c for c in cols if c.kind in DATES and c.not_in_future]
        case "unparseable_date":
            return [c for c in cols if c.kind in DATES]
        case "empty_required":
            return [c for c in cols if c.required and not c.nullable]
        case "duplicate_key":
            return [source.column(source.key[-1])]
    raise ValueError(kind)


def typo(code: str, rng: np.random.Generator) -> str:
    """One mistyped digit among the first 17: always breaks the check character (31 is prime)."""
    pos = int(rng.integers(2, 17))
    old = code[pos]
    choices = [c for c in "0123456789" if c != old]
    return code[:pos] + choices[int(rng.integers(0, len(choices)))] + code[pos + 1 :]


def _future_cell(
    col: Column, dtype: pl.DataType, end: date, rng: np.random.Generator, style_text: str
) -> object:
    day = end + timedelta(days=int(rng.integers(35, 400)))
    if dtype != pl.String:
        return day if col.kind != Kind.MONTH else day.replace(day=1)
    if col.kind == Kind.MONTH:
        return day.strftime("%Y-%m") if "-" in style_text else day.strftime("%Y%m")
    if col.kind == Kind.DATETIME:
        return day.strftime("%Y-%m-%d") + " 10:00:00"
    return day.strftime("%Y-%m-%d") if "-" in style_text or not style_text else day.strftime("%Y%m%d")


def plant(
    cells: pl.DataFrame,
    source: Source,
    fmt: FileFormat,
    *,
    rate: float,
    end: date,
    unknown_codes: list[str],
    rng: np.random.Generator,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Damage about ``rate`` of the rows of rendered ``cells``; return the cells and the record of
    what was planted (row, column, error_type), row numbers as a person sees them in ``fmt``."""
    empty = pl.DataFrame(schema={"row": pl.Int64, "column": pl.String, "error_type": pl.String})
    n = cells.height
    k = int(rng.binomial(n, rate)) if rate > 0 and n > 1 else 0
    if k == 0:
        return cells, empty
    present = {c.name for c in source.columns if fmt.header(c) in cells.columns}
    kinds = [t for t in ERROR_TYPES if any(c.name in present for c in _candidates(source, t))]
    rows = np.sort(rng.choice(n, size=min(k, n), replace=False))
    types = [kinds[int(i)] for i in rng.integers(0, len(kinds), len(rows))]
    columns: list[str] = []
    series = {name: cells[name] for name in cells.columns}
    for row, kind in zip(rows.tolist(), types, strict=True):
        options = [c for c in _candidates(source, kind) if c.name in present]
        col = options[int(rng.integers(0, len(options)))]
        columns.append(col.name)
        if kind == "duplicate_key":
            continue
        header = fmt.header(col)
        s = series[header]
        value = s[row]
        new: Any
        match kind:
            case "invalid_uscc_check":
                base = value if isinstance(value, str) and len(value) == 18 else unknown_codes[0]
                new = typo(base, rng)
            case "unknown_uscc":
                new = unknown_codes[int(rng.integers(0, len(unknown_codes)))]
            case "negative_count":
                # A zero would stay zero with a sign in front: such a cell becomes -1.
                if s.dtype == pl.String:
                    text = str(value or "").strip().lstrip("-")
                    new = "-" + (text if text.strip("0０") else "1")
                else:
                    new = -abs(value or 1)
            case "future_date":
                new = _future_cell(col, s.dtype, end, rng, str(value or ""))
            case "unparseable_date":
                if s.dtype != pl.String:
                    s = s.cast(pl.String)
                new = UNPARSEABLE[int(rng.integers(0, len(UNPARSEABLE)))]
            case "empty_required":
                new = None
            case _:
                raise AssertionError(kind)
        if new is not None and s.dtype == pl.String and not isinstance(new, str):
            new = str(new)
        if isinstance(new, int) and s.dtype.is_float():
            new = float(new)
        series[header] = s.scatter(row, new)
    damaged = pl.DataFrame(list(series.values()))
    dup = np.array(
        [r for r, t in zip(rows.tolist(), types, strict=True) if t == "duplicate_key"], dtype=np.int64
    )
    if len(dup):
        order = np.concatenate([np.arange(n), dup]).astype(np.float64)
        order[n:] += 0.5
        damaged = (
            damaged.with_columns(_order=pl.Series(order[:n]))
            .vstack(damaged[dup.tolist()].with_columns(_order=pl.Series(order[n:])))
            .sort("_order")
            .drop("_order")
        )
    # Final 0-based index: each original row moves down by the copies inserted before it; a copy
    # sits right after its original.
    shift = np.searchsorted(dup, rows, side="left")
    final = rows + shift + np.array([1 if t == "duplicate_key" else 0 for t in types])
    record = pl.DataFrame(
        {
            "row": [fmt.data_row_number(int(i)) for i in final],
            "column": columns,
            "error_type": types,
        },
        schema={"row": pl.Int64, "column": pl.String, "error_type": pl.String},
    )
    return damaged, record


def unknown_codes(rng: np.random.Generator, known: set[str], n: int = 64) -> list[str]:
    """Valid codes from the same division that are not in the register."""
    return [c for c in build_codes(rng, n + 8) if c not in known][:n]
