"""Text normalisation shared by readers and matchers (NFKC for matching, originals for display), and
text made safe for the spreadsheets exports are opened in."""

from __future__ import annotations

import re
import unicodedata

import polars as pl

_SPACES = re.compile(r"[\s\u3000\ufeff]+")


def header_key(header: object) -> str:
    """A header cell reduced for matching: NFKC, no spaces or BOM, no '*' required-marks, case-folded."""
    text = unicodedata.normalize("NFKC", "" if header is None else str(header))
    return _SPACES.sub("", text).strip("*＊:：").casefold()


FORMULA_START = r"^[=+\-@\t\r]"  # what a spreadsheet takes for the start of a formula


def spreadsheet_safe(expr: pl.Expr) -> pl.Expr:
    """Text a spreadsheet will not run as a formula: a leading ' where it would."""
    return pl.when(expr.str.contains(FORMULA_START)).then("'" + expr).otherwise(expr)
