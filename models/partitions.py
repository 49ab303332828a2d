"""Scoring a day in partitions (by township or region), so a province or the country can be scored
on a Dask cluster, with exactly the rows a single process would give.

The feature table is built once for the whole population (peer percentiles compare an enterprise
with every enterprise of its industry and size band, wherever it is) and written to the home;
each partition then scores its own rows (``models.scoring.scored_rows``: every figure of a row
depends on that row alone), and the parts are ranked together (``with_percentile``) and written
once. On a cluster the home must be on storage every worker sees.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import polars as pl

from features.inputs import day_inputs
from features.table import FEATURE_ENGINE, feature_table
from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from models import registry
from models.scoring import scored_rows, with_percentile
from models.training import NoChampion, load_model
from store.db import engine_for
from store.parquet import write_atomically
from store.scores import write_scores
from store.uow import unit_of_work

PARTITION_COLUMNS = ("township",)


def work_folder(settings: Settings, as_of: date) -> Path:
    return settings.home / "work" / "scoring" / as_of.isoformat()


def feature_snapshot(settings: Settings, *, as_of: date) -> Path:
    """The whole population's feature table for ``as_of``, written once to the home's work folder."""
    path = work_folder(settings, as_of) / "features.parquet"
    write_atomically(feature_table(day_inputs(settings), as_of=as_of).collect(engine=FEATURE_ENGINE), path)
    return path


def partition_groups(features: Path, *, by: str, parts: int) -> list[list[str]]:
    """The values of ``by`` split into at most ``parts`` groups of about equal row counts (largest
    first, each to the lightest group), so no worker gets most of the province."""
    if by not in PARTITION_COLUMNS:
        raise UserError(f"--partition-by {by!r}: expected one of {', '.join(PARTITION_COLUMNS)}.")
    sizes = (
        pl.scan_parquet(features)
        .group_by(pl.col(by).fill_null(""))
        .len()
        .sort(["len", by], descending=[True, False])
        .collect()
    )
    groups: list[list[str]] = [[] for _ in range(max(1, min(parts, sizes.height)))]
    load = [0] * len(groups)
    for value, count in sizes.iter_rows():
        lightest = load.index(min(load))
        groups[lightest].append(value)
        load[lightest] += count
    return [sorted(g) for g in groups if g]


def score_partition(
    settings: Settings, features: Path, *, by: str, values: Sequence[str], model_version: str
) -> Path:
    """Score the rows whose ``by`` is in ``values`` with ``model_version``; writes and returns a part file."""
    with unit_of_work(engine_for(settings)) as session:
        version = registry.get(session, model_version)
        session.expunge_all()
    model = load_model(settings, version)
    rows = pl.scan_parquet(features).filter(pl.col(by).fill_null("").is_in(list(values))).collect()
    scored = scored_rows(rows, model, thresholds=settings.tiers)
    digest = hashlib.sha256("\x1f".join(values).encode()).hexdigest()[:16]
    path = features.parent / f"part-{digest}.parquet"
    write_atomically(scored, path)
    return path


def finish_scores(
    settings: Settings, parts: Sequence[Path], *, model_version: str, now: datetime
) -> pl.DataFrame:
    """The day's scores from its parts, ranked together and written once; returns them. The day's
    work folder (the feature table and the parts) is removed once the scores are stored, so a full
    feature table does not pile up in the home every day."""
    scored = with_percentile(pl.concat([pl.read_parquet(p) for p in parts], how="vertical_relaxed"))
    scored = scored.sort("uscc")
    write_scores(engine_for(settings), scored, model_version=model_version, scored_at=now)
    for folder in {p.parent for p in parts}:
        shutil.rmtree(folder, ignore_errors=True)
    return scored


def champion_version(settings: Settings) -> str:
    """The champion's version id; a home without one gets the usual one-sentence error."""
    with unit_of_work(engine_for(settings)) as session:
        current = registry.champion(session)
        version = current.version if current is not None else None
    if version is None:
        raise NoChampion("还没有启用的模型，请先运行 `layoffwatch train --as-of 日期`（no champion model yet）。")
    return version
