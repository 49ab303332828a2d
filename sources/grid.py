"""The shape every reader returns before headers are mapped: header cells and rows of text cells."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

ROW = "_row"
PROBLEM = "_problem"


@dataclass(frozen=True)
class Grid:
    """A file's header and data rows, every cell as text exactly as read.

    ``body`` has one row per non-blank data record: the cells in columns named by
    ``cell_column(position)`` (pl.String, null where empty or absent), ``_row`` (pl.UInt32, the
    row number a person sees in the file) and ``_problem`` (pl.String, null when the row read
    cleanly). ``header_row`` is the header's row number in the same numbering.
    """

    header: tuple[str, ...]
    header_row: int
    body: pl.DataFrame
    notes: tuple[str, ...] = ()


def cell_column(position: int) -> str:
    """Name of the body column holding the cells under header position ``position``."""
    return f"_cell{position}"


def non_blank(cells: list[str]) -> pl.Expr:
    """True for rows with at least one cell holding more than whitespace.

    Blank lines and rows of empty cells (',,,,' or formatted but empty spreadsheet rows) carry
    no data; spreadsheets show them as empty rows, so they are skipped rather than quarantined.
    """
    if not cells:
        return pl.lit(False)
    # A regex match stops at the first non-space byte and allocates nothing, unlike strip_chars().
    return pl.any_horizontal(pl.col(c).str.contains(r"\S") for c in cells).fill_null(False)
