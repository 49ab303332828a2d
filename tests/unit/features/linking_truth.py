"""Linking measured against a generated city's truth: shared by the linking tests (a development
seed) and the acceptance tests (a seed never used in development)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from features.linking import LINKED, EnterpriseMatcher
from features.text_normalise import normalised_text


def names_the_enterprise(records: pl.DataFrame, register: pl.DataFrame) -> pl.DataFrame:
    """(channel, record_id) of the records whose text contains their true enterprise's name or an
    alias of it (two characters or more), both normalised."""
    strings = (
        register.select("uscc", pl.concat_list("name", pl.col("aliases").fill_null([])).alias("s"))
        .explode("s")
        .with_columns(normalised_text("s"))
        .filter(pl.col("s").str.len_chars() >= 2)
    )
    return (
        records.filter(pl.col("truth").is_not_null())
        .with_columns(normalised_text("text").alias("analysed"))
        .join(strings, left_on="truth", right_on="uscc")
        .filter(pl.col("analysed").str.contains(pl.col("s"), literal=True))
        .select("channel", "record_id")
        .unique()
    )


@dataclass(frozen=True)
class LinkQuality:
    precision: float  # of every linked row (USCC carried or text)
    text_precision: float  # of the rows linked by name or alias
    recall: float  # of the records whose text names their true enterprise
    named: int
    alias_only_recall: float  # of those that name it by an alias only, not by full name
    alias_only: int
    linked: pl.DataFrame  # the linked rows, with the records' columns

    def __str__(self) -> str:
        return (
            f"precision {self.precision:.3f} (text links {self.text_precision:.3f}), recall {self.recall:.3f} "
            f"of {self.named} (alias-only mentions {self.alias_only_recall:.3f} of {self.alias_only})"
        )


def link_quality(records: pl.DataFrame, register: pl.DataFrame, truth_folder: Path) -> LinkQuality:
    truth = pl.read_parquet(truth_folder / "sentiment_labels.parquet").select(
        "channel", "record_id", pl.col("uscc").alias("truth")
    )
    records = records.join(truth, on=["channel", "record_id"], how="left")
    found = EnterpriseMatcher.from_register(register).links(records)
    linked = found.filter(pl.col("status") == LINKED).join(records, on=["channel", "record_id"])
    right = linked.filter(pl.col("uscc") == pl.col("truth"))
    by_text = linked.filter(pl.col("kind") != "uscc")
    named = names_the_enterprise(records, register)
    full_names = (
        records.join(register.select(pl.col("uscc").alias("truth"), "name"), on="truth")
        .with_columns(normalised_text("text").alias("analysed"), normalised_text("name").alias("name"))
        .filter(pl.col("analysed").str.contains(pl.col("name"), literal=True))
        .select("channel", "record_id")
    )
    alias_only = named.join(full_names, on=["channel", "record_id"], how="anti")
    return LinkQuality(
        precision=right.height / max(linked.height, 1),
        text_precision=by_text.filter(pl.col("uscc") == pl.col("truth")).height / max(by_text.height, 1),
        recall=named.join(right, on=["channel", "record_id"], how="semi").height / max(named.height, 1),
        named=named.height,
        alias_only_recall=alias_only.join(right, on=["channel", "record_id"], how="semi").height
        / max(alias_only.height, 1),
        alias_only=alias_only.height,
        linked=linked,
    )
