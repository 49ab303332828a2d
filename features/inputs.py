"""The lake's sources as the feature code reads them: typed lazy frames, nothing else.

Features never open files themselves; they take an ``Inputs``. Tests build one from small
hand-made frames, the pipeline from the lake (``from_lake``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from features.linked_sentiment import LinkedSentiment, MatcherCache, keep_matcher
from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from sources.schema import ENTERPRISES, OUTCOMES, PAYROLL, SENTIMENT, SI_CHANGES, SI_CONTRIBUTIONS, Source
from store import lake


@dataclass(frozen=True)
class Inputs:
    """One lazy frame per source, with the source's declared columns (bookkeeping dropped).

    ``sentiment`` links the sentiment records to the enterprises they are about when read
    (``features.linked_sentiment``): one row per (record, enterprise) with uscc, published_at,
    channel, participants, plus any category columns a text model adds later
    (``features.sentiment`` counts whatever categories it finds).
    """

    register: pl.LazyFrame
    changes: pl.LazyFrame
    contributions: pl.LazyFrame
    payroll: pl.LazyFrame
    sentiment: LinkedSentiment
    outcomes: pl.LazyFrame

    def collected(self) -> Inputs:
        """The same inputs read into memory once: for many as_of dates in a row (training, evaluation),
        each date then skips the lake scan and the de-duplication of corrected rows."""
        register, changes, contributions, payroll, outcomes = (
            frame.lazy()
            for frame in pl.collect_all(
                [self.register, self.changes, self.contributions, self.payroll, self.outcomes]
            )
        )
        sentiment = self.sentiment.collected(register)
        return Inputs(register, changes, contributions, payroll, sentiment, outcomes)

    @classmethod
    def from_frames(
        cls,
        *,
        register: pl.DataFrame | pl.LazyFrame | None = None,
        changes: pl.DataFrame | pl.LazyFrame | None = None,
        contributions: pl.DataFrame | pl.LazyFrame | None = None,
        payroll: pl.DataFrame | pl.LazyFrame | None = None,
        sentiment: pl.DataFrame | pl.LazyFrame | None = None,
        outcomes: pl.DataFrame | pl.LazyFrame | None = None,
    ) -> Inputs:
        """Inputs from in-memory frames; a missing source is empty, partial columns are filled with null."""
        enterprises = _conform(register, ENTERPRISES)
        return cls(
            register=enterprises,
            changes=_conform(changes, SI_CHANGES),
            contributions=_conform(contributions, SI_CONTRIBUTIONS),
            payroll=_conform(payroll, PAYROLL),
            sentiment=LinkedSentiment(_conform(sentiment, SENTIMENT), enterprises),
            outcomes=_conform(outcomes, OUTCOMES),
        )


def from_lake(settings: Settings) -> Inputs:
    """Every source's current rows in the lake (later corrections supersede earlier rows)."""

    def read(source: Source) -> pl.LazyFrame:
        return lake.scan(settings, source).select(source.names)

    register = read(ENTERPRISES)
    return Inputs(
        register=register,
        changes=read(SI_CHANGES),
        contributions=read(SI_CONTRIBUTIONS),
        payroll=read(PAYROLL),
        sentiment=LinkedSentiment(read(SENTIMENT), register, matcher_cache(settings)),
        outcomes=read(OUTCOMES),
    )


def matcher_cache(settings: Settings, paths: list[Path] | None = None) -> MatcherCache:
    """Where the lake's register's matcher is kept: named by the register's files (a file's name is
    its batch's content hash, so the list identifies the content); ``paths``: that list, when the
    caller has it."""
    digest = lake.files_digest(lake.files(settings, ENTERPRISES) if paths is None else paths)
    return MatcherCache(folder=settings.home / "cache" / "matchers", register_digest=digest)


def prepare_linking(settings: Settings, *, arrived: Iterable[str] | None = None) -> bool:
    """Build and keep the matcher of the lake's register now, if it is not kept yet; returns whether
    it was built (about 16 s at a million enterprises). Called where data arrives (ingest, the
    daily pull): otherwise the first reader after a register change builds it inside its own
    stage — the day's scoring, or the alerts step when it runs in another process. ``arrived``:
    the sources of the batches just taken, when known; unless the register is among them there is
    nothing to do (listing the register's files is not free on a daily run)."""
    if arrived is not None and ENTERPRISES.name not in arrived:
        return False
    paths = lake.files(settings, ENTERPRISES)
    if not paths:
        return False
    cache = matcher_cache(settings, paths)
    if cache.kept:
        return False
    return keep_matcher(lake.scan(settings, ENTERPRISES).select(ENTERPRISES.names), cache)


# A lake this small is read into memory once and kept while its files stay the same: a process that
# scores day after day (a backfill, the demo) then skips the scan and de-duplication each day. A
# province's lake is scanned lazily every time instead (memory stays bounded).
KEEP_IN_MEMORY_BYTES = 256 * 1024**2
_kept: dict[tuple[object, ...], Inputs] = {}


def day_inputs(settings: Settings) -> Inputs:
    """The lake's inputs for one as_of's computation: ``from_lake``, collected and kept in memory
    while the lake's files are unchanged, when the lake is under ``KEEP_IN_MEMORY_BYTES``.

    The lake is append-only and a file's name is its batch's content hash, so the list of files
    (with their sizes) identifies its content exactly.
    """
    files = tuple(
        (str(path), path.stat().st_size)
        for source in (ENTERPRISES, SI_CHANGES, SI_CONTRIBUTIONS, PAYROLL, SENTIMENT, OUTCOMES)
        for path in lake.files(settings, source)
    )
    if sum(size for _, size in files) > KEEP_IN_MEMORY_BYTES:
        return from_lake(settings)
    key = (str(settings.lake), files)
    if key not in _kept:
        _kept.clear()
        _kept[key] = from_lake(settings).collected()
    return _kept[key]


def _conform(frame: pl.DataFrame | pl.LazyFrame | None, source: Source) -> pl.LazyFrame:
    schema = source.polars_schema
    if frame is None:
        return pl.LazyFrame(schema=schema)
    lazy = frame.lazy()
    present = lazy.collect_schema().names()
    return lazy.select(
        (pl.col(name) if name in present else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in schema.items()
    )


def latest_day(inputs: Inputs) -> date:
    """The last day with an enrolment change: the natural as-of date for a look back."""
    day = inputs.changes.select(pl.col("date").max()).collect().item()
    if day is None:
        raise UserError(
            "湖中还没有社保增减员数据（the lake has no enrolment changes yet）; ingest data first."
        )
    return day
