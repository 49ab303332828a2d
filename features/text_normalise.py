"""Free text as the analysis reads it: one normalised string per input string, the original kept for display.

Steps, in order: HTML tags dropped (block tags such as ``<p>`` and ``<br>`` become a space, inline
tags vanish so that ``<em>鑫达</em>铜业`` reads ``鑫达铜业``), HTML entities decoded, Unicode NFKC
(full-width letters, digits and punctuation become half-width; compatibility ideographs become the
unified ones), URLs removed, traditional Chinese converted to simplified (OpenCC ``t2s``) and
whitespace collapsed to single spaces. Null stays null.

The regular expressions and NFKC are Polars string operations; the entity decoding and OpenCC run
once per Series on the texts joined with a line feed (no text has one once whitespace is
collapsed) and are split again, not once per text.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import cache

import polars as pl

# Tags that separate words: replaced by a space rather than deleted.
_BLOCK_TAG = (
    r"(?i)</?(?:p|br|div|li|ul|ol|tr|td|th|table|h[1-6]|blockquote|section|article|header|footer|hr)\b[^>]*>"
)
_ANY_TAG = r"<[^<>]*>"
_COMMENT = r"(?s)<!--.*?-->"
# A URL is ASCII only: Chinese text straight after a link is not part of it.
_URL = r"(?i)(?:https?://|ftp://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+"
_SEPARATOR = "\n"


def normalised_text(expr: pl.Expr | str = "text") -> pl.Expr:
    """The normalised form of a String expression (elementwise: one output per input row)."""
    column = pl.col(expr) if isinstance(expr, str) else expr
    return (
        _without_tags(column)
        .pipe(_collapse)
        .map_batches(_unescape, return_dtype=pl.String, is_elementwise=True)
        .str.normalize("NFKC")
        .str.replace_all(_URL, " ")
        .pipe(_collapse)
        .map_batches(_traditional_to_simplified, return_dtype=pl.String, is_elementwise=True)
    )


def readable_text(expr: pl.Expr | str = "text") -> pl.Expr:
    """The text as a person reads it in a message: tags, entities and URLs gone, whitespace collapsed,
    the characters as written (no NFKC, no conversion to simplified)."""
    column = pl.col(expr) if isinstance(expr, str) else expr
    return (
        _without_tags(column)
        .map_batches(_unescape, return_dtype=pl.String, is_elementwise=True)
        # Entities can spell tags ("&lt;script&gt;"): what they decode to is dropped too, and any
        # angle bracket left is shown as its full-width form, never read as markup downstream.
        .str.replace_all(_ANY_TAG, "")
        .str.replace_all("<", "＜", literal=True)
        .str.replace_all(">", "＞", literal=True)
        .str.replace_all(_URL, " ")
        .pipe(_collapse)
    )


def normalise(texts: pl.Series) -> pl.Series:
    """``normalised_text`` over a Series, keeping its name."""
    return pl.DataFrame({"t": texts.cast(pl.String)}).select(normalised_text("t"))["t"].alias(texts.name)


def _without_tags(expr: pl.Expr) -> pl.Expr:
    """Comments and tags dropped; a block tag leaves a space so the words either side stay apart."""
    return expr.str.replace_all(_COMMENT, " ").str.replace_all(_BLOCK_TAG, " ").str.replace_all(_ANY_TAG, "")


def _collapse(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(r"\s+", " ").str.strip_chars(" ")


@cache
def _converter() -> Callable[[str], str]:
    import opencc  # a compiled extension: imported on first use, not with the features package

    return opencc.OpenCC("t2s").convert  # type: ignore[no-any-return]


def _unescape(texts: pl.Series) -> pl.Series:
    # Only a text with an ampersand can hold an entity. A decoded line feed (&#10;) is collapsed
    # with the other whitespace afterwards, before the texts are joined again.
    return _joined(texts, html.unescape, texts.str.contains("&", literal=True))


def _traditional_to_simplified(texts: pl.Series) -> pl.Series:
    return _joined(texts, _converter(), None)


def _joined(texts: pl.Series, convert: Callable[[str], str], where: pl.Series | None) -> pl.Series:
    """``convert`` applied to every non-null text (or only those in ``where``) with one call.

    The texts hold no line feed (whitespace is collapsed before), so they are joined by one and
    split afterwards. Should a conversion ever add or remove one, each text is converted on its own.
    """
    mask = texts.is_not_null() if where is None else (texts.is_not_null() & where.fill_null(False))
    subset = texts.filter(mask)
    if subset.is_empty():
        return texts
    values = subset.to_list()
    parts = convert(_SEPARATOR.join(values)).split(_SEPARATOR)
    if len(parts) != len(values) or subset.str.contains(_SEPARATOR, literal=True).any():
        parts = [convert(v) for v in values]
    converted = pl.Series(parts, dtype=pl.String)
    if converted.len() == texts.len():
        return converted.alias(texts.name)
    return texts.clone().scatter(mask.arg_true(), converted)
