"""Sentiment records and the enterprises they are about, linked only for the days a computation reads.

Linking (``features.linking``) costs a matcher over the whole register and a scan of every text.
A day's features read 90 days of records, so ``LinkedSentiment.since`` filters the records by day
before linking them: a record's links depend on its own text and the register alone, so filtering
first gives exactly the rows of filtering after. Training and evaluation read every month of the
history; ``collected`` links all of it once and keeps the result.

The matcher is built once per register: kept in the process, and, for a lake's register, saved
under the home's ``cache/matchers/<digest>`` (Parquet, no pickle) so the next run's process only
rebuilds the automaton.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from pathlib import Path

import polars as pl

from features.linking import LINKED, REVIEW, EnterpriseMatcher
from features.text_categories import CATEGORIES
from features.text_model import default_classifier
from features.visibility import local_day

LINKED_COLUMNS = ("uscc", "published_at", "channel", "participants")
# What the text model says each record is about (``features.text_model``), one boolean per category.
CATEGORY_COLUMNS = tuple(f"cat_{c}" for c in CATEGORIES)
RECORD_COLUMNS = ("channel", "record_id", "text", "location", "uscc", "published_at", "participants")
# The matcher's logic is part of its cache key: a change to either module invalidates saved matchers.
_MATCHER_CODE = (Path(__file__).with_name("linking.py"), Path(__file__).with_name("text_normalise.py"))
_matchers: dict[str, EnterpriseMatcher] = {}
# Why a link was kept for review rather than counted, in the words an officer reads.
REVIEW_WHY = {
    "shared": "名称或简称为多家企业共有，无法确定是哪一家",
    "weak": "简称较短、是常用词或地名，把握不足",
    "carries_uscc": "记录已注明另一家企业的信用代码，文中提及的本企业待核对",
}


@dataclass(frozen=True)
class MatcherCache:
    """Where a register's matcher is saved, and the digest that names that register's content."""

    folder: Path
    register_digest: str

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.register_digest}:{_matcher_code_digest()}".encode()).hexdigest()[:32]

    @property
    def kept(self) -> bool:
        """Whether this register's matcher is saved here already."""
        return (self.folder / self.key / "candidates.parquet").exists()


@cache
def _matcher_code_digest() -> str:
    """The linker's source, hashed once per process (it does not change while the process runs)."""
    return hashlib.sha256(b"".join(path.read_bytes() for path in _MATCHER_CODE)).hexdigest()


@dataclass(frozen=True)
class LinkedSentiment:
    """Sentiment ``records`` (the source's columns) to be linked against ``register``; or, once
    ``collected`` (or built with ``of_rows``), the linked rows themselves."""

    records: pl.LazyFrame
    register: pl.LazyFrame
    cache: MatcherCache | None = None
    rows: pl.LazyFrame | None = None

    @classmethod
    def of_rows(cls, rows: pl.DataFrame | pl.LazyFrame) -> LinkedSentiment:
        """Rows already linked (columns ``LINKED_COLUMNS``, plus any ``cat_*``): tests and re-use."""
        empty = pl.LazyFrame()
        return cls(records=empty, register=empty, rows=rows.lazy())

    def since(self, day: date | None = None) -> pl.LazyFrame:
        """One row per (record, enterprise it is about) for the records published after ``day``
        (Beijing time; every record when None): records that carry a USCC and records whose text
        names an enterprise with a ``linked`` status. Lazy: the linking runs at collection."""
        if self.rows is not None:
            return self.rows if day is None else self.rows.filter(local_day(pl.col("published_at")) > day)
        return _linked(self._records_after(day), self.register, self.cache)

    def between(self, after: date, until: date, *, only: Collection[str] | None = None) -> pl.LazyFrame:
        """The linked rows (``LINKED_COLUMNS``) of the records published in (``after``, ``until``],
        their texts not read for categories: for counting records (an alert page's weekly chart),
        where the text model's work would be wasted. ``only``: the rows of these enterprises alone
        (the same rows, found faster: ``EnterpriseMatcher.links``)."""
        if self.rows is not None:
            day = local_day(pl.col("published_at"))
            return _of(self.rows.filter((day > after) & (day <= until)), only).select(LINKED_COLUMNS)
        return _linked(self._records_between(after, until), self.register, self.cache, categorise=False, only=only)

    def with_text(self, after: date, until: date, *, only: Collection[str] | None = None) -> pl.LazyFrame:
        """The linked rows of the records published in (``after``, ``until``] with the records' own
        ``record_id`` and ``text``: the evidence an alert quotes. Read from the records (kept
        linked rows carry no text). ``only``: as for ``between``; only their records are read by
        the text model."""
        return _linked(
            self._records_between(after, until), self.register, self.cache, keep=("record_id", "text"), only=only
        )

    def for_review(self, after: date, until: date) -> pl.DataFrame:
        """The uncertain links of the records published in (``after``, ``until``]: one row per
        (record, candidate enterprise) that the linker kept for a person to decide, never counted
        as evidence. Columns: channel, record_id, published_at, text, uscc, name (the candidate's),
        matched (the words found), confidence, why (``REVIEW_WHY``)."""
        records = self._records_between(after, until).collect()
        links = matcher(self.register, self.cache).links(records)
        key = ["channel", "record_id"]
        carried = links.filter(pl.col("kind") == "uscc").select(*key, pl.lit(True).alias("_carries"))
        review = (
            links.filter(pl.col("status") == REVIEW)
            .join(carried, on=key, how="left")
            .with_columns(pl.len().over(*key, "matched").alias("_candidates"))
            .with_columns(
                pl.when(pl.col("_carries").fill_null(False))
                .then(pl.lit(REVIEW_WHY["carries_uscc"]))
                .when(pl.col("_candidates") >= 2)
                .then(pl.lit(REVIEW_WHY["shared"]))
                .otherwise(pl.lit(REVIEW_WHY["weak"]))
                .alias("why")
            )
        )
        names = self.register.select("uscc", "name").collect().unique("uscc", keep="last")
        return (
            review.join(records.select(*key, "published_at", "text"), on=key, how="left")
            .join(names, on="uscc", how="left")
            .select(*key, "published_at", "text", "uscc", "name", "matched", "confidence", "why")
            .sort("published_at", "channel", "record_id", "confidence", descending=[True, False, False, True])
        )

    def _records_between(self, after: date, until: date) -> pl.LazyFrame:
        return self._records_after(after).filter(local_day(pl.col("published_at")) <= until)

    def _records_after(self, day: date | None) -> pl.LazyFrame:
        records = self.records.select(RECORD_COLUMNS)
        return records if day is None else records.filter(local_day(pl.col("published_at")) > day)

    def collected(self, register: pl.LazyFrame | None = None) -> LinkedSentiment:
        """Every record linked once and kept in memory (for many as_of dates in a row); ``register``:
        the same register already in memory, read instead of the lake's."""
        source = self if register is None or self.rows is not None else replace(self, register=register)
        return replace(source, rows=source.since().collect().lazy())


def keep_matcher(register: pl.LazyFrame, cache: MatcherCache) -> bool:
    """Build the register's matcher and save it under ``cache`` unless it is saved there already;
    returns whether it was built. Nothing is loaded when it is kept: this is for the moment the
    register arrives, so that no reader has to build it (``matcher``)."""
    if cache.kept:
        return False
    built = EnterpriseMatcher.from_register(register.collect())
    _save(built, cache.folder, cache.key)
    return True


def matcher(register: pl.LazyFrame, cache: MatcherCache | None = None) -> EnterpriseMatcher:
    """The register's matcher: from this process's memory, else from the cache folder, else built
    (and saved there)."""
    if cache is None:
        return EnterpriseMatcher.from_register(register.collect())
    key = cache.key
    if key in _matchers:
        return _matchers[key]
    if cache.kept:
        built = EnterpriseMatcher.load(cache.folder / key)
    else:
        built = EnterpriseMatcher.from_register(register.collect())
        _save(built, cache.folder, key)
    _matchers.clear()  # one register at a time: a province's matcher holds millions of patterns
    _matchers[key] = built
    return built


def _save(built: EnterpriseMatcher, parent: Path, key: str) -> None:
    """Written to a temporary folder then renamed, so a reader never sees half a matcher."""
    parent.mkdir(parents=True, exist_ok=True)
    partial = parent / f".{key}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    built.save(partial)
    try:
        partial.rename(parent / key)
    except OSError:  # another process saved the same matcher first
        shutil.rmtree(partial, ignore_errors=True)


def _of(rows: pl.LazyFrame, only: Collection[str] | None) -> pl.LazyFrame:
    return rows if only is None else rows.filter(pl.col("uscc").is_in(pl.Series(list(only), dtype=pl.String).implode()))


def _linked(
    records: pl.LazyFrame,
    register: pl.LazyFrame,
    cache: MatcherCache | None,
    *,
    keep: tuple[str, ...] = (),
    categorise: bool = True,
    only: Collection[str] | None = None,
) -> pl.LazyFrame:
    schema = records.collect_schema()
    categories_out = CATEGORY_COLUMNS if categorise else ()
    output = pl.Schema(
        {name: schema[name] for name in (*LINKED_COLUMNS, *keep)}
        | {column: pl.Boolean() for column in categories_out}
    )

    def link(frame: pl.DataFrame) -> pl.DataFrame:
        # Keyed by row: hand-made frames (tests) may leave record_id empty.
        rows = frame.with_columns(
            pl.col("record_id").alias("_given_id"), pl.int_range(pl.len()).cast(pl.String).alias("record_id")
        )
        links = matcher(register, cache).links(rows, only=only)
        evidence = links.filter(pl.col("status") == LINKED).select("record_id", "uscc")
        linked = rows.drop("uscc").join(evidence, on="record_id", how="inner", maintain_order="left_right")
        if not categorise:
            return (
                linked.with_columns(pl.col("_given_id").alias("record_id"))
                .select(*LINKED_COLUMNS, *keep)
                .cast(output)
            )
        # Each linked record is read once, however many enterprises it names.
        texts = linked.select("record_id", "text").unique("record_id", maintain_order=True)
        read = (
            default_classifier().categorise(texts["text"])
            if texts.height
            else pl.DataFrame(schema={c: pl.Boolean() for c in CATEGORY_COLUMNS})
        )
        categories = pl.concat([texts.select("record_id"), read], how="horizontal")
        return (
            linked.join(categories, on="record_id", how="left", maintain_order="left")
            .with_columns(pl.col("_given_id").alias("record_id"))
            .select(*LINKED_COLUMNS, *keep, *CATEGORY_COLUMNS)
            .cast(output)
        )

    return records.map_batches(link, schema=output)
