"""Short excerpts of the sentiment records an alert rests on: what officers read as evidence.

For each alerted enterprise and channel, up to ``PER_ENTERPRISE`` records linked to it in the last
``WINDOW_DAYS`` days: those the text model put in a category first, then the newest (each office is
shown at most three, of its own channels). Each excerpt
is the record's readable text (tags and links gone, characters as written), de-identified
(identity and mobile numbers masked, ``alerts.fields.deidentify``) and cut to
``EXCERPT_CHARS`` characters. An excerpt carries its channel and categories, so each office is
shown only the channels it may see (``alerts.fields.visible_details``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

import polars as pl

from alerts.fields import deidentify
from features.inputs import Inputs
from features.linked_sentiment import CATEGORY_COLUMNS
from features.text_normalise import readable_text
from features.visibility import local_day

WINDOW_DAYS = 30
PER_ENTERPRISE = 3
EXCERPT_CHARS = 80


def excerpts_for(inputs: Inputs, *, as_of: date, usccs: Collection[str]) -> dict[str, list[dict[str, Any]]]:
    """uscc -> its excerpts (newest first within each rank), for the enterprises in ``usccs``;
    ``inputs``: the lake's (``features.inputs.from_lake``)."""
    if not usccs:
        return {}
    rows = (
        inputs.sentiment.with_text(as_of - timedelta(days=WINDOW_DAYS), as_of, only=usccs)
        .collect()
    )
    return excerpts_from(rows)


def excerpts_from(rows: pl.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """``rows``: linked records with uscc, channel, published_at, text and the ``cat_*`` columns."""
    if rows.is_empty():
        return {}
    categories = [pl.when(pl.col(c)).then(pl.lit(c.removeprefix("cat_"))) for c in CATEGORY_COLUMNS]
    best_first = ["uscc", pl.col("categories").list.len() > 0, "published_at"]
    best_first_descending = [False, True, True]
    chosen = (
        rows.with_columns(
            pl.concat_list(categories).list.drop_nulls().alias("categories"),
            local_day(pl.col("published_at")).cast(pl.String),
            readable_text("text").alias("text"),
        )
        .sort(best_first, descending=best_first_descending)
        # The best of each channel: an office that sees only some channels still gets its own.
        .group_by("uscc", "channel", maintain_order=True)
        .head(PER_ENTERPRISE)
        .sort(best_first, descending=best_first_descending)
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for row in chosen.select("uscc", "day", "channel", "categories", "text").iter_rows(named=True):
        # Masked before it is cut, so a number at the cut is not left half visible.
        out.setdefault(row.pop("uscc"), []).append({**row, "text": _cut(deidentify(row["text"] or ""))})
    return out


def _cut(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
