"""Scores as people read them: the stored rows of one day joined with the register's names."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from features.inputs import from_lake
from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from models.scoring import SCORE_COLUMNS
from models.tiers import TIER_ZH
from models.training import champion_model
from store.db import engine_for
from store.scores import read_scores


def scores_for_export(settings: Settings, *, as_of: date, tiers: Sequence[str] | None = None) -> pl.DataFrame:
    """The champion's scores of ``as_of`` (one row per enterprise), riskiest first."""
    unknown = sorted(set(tiers or ()) - set(TIER_ZH))
    if unknown:
        raise UserError(f"--tier {unknown[0]!r}: expected one of {', '.join(TIER_ZH)}.")
    version, _ = champion_model(settings)
    engine = engine_for(settings)
    rows = read_scores(engine, as_of=as_of, model_version=version.version)
    if rows.is_empty():
        raise UserError(
            f"{as_of} 没有模型 {version.version} 的评分，请先运行 layoffwatch score --as-of {as_of}。"
        )
    names = from_lake(settings).register.select("uscc", "name", "township", "industry").collect()
    out = rows.join(names, on="uscc", how="left")
    if tiers:
        out = out.filter(pl.col("tier").is_in(list(tiers)))
    return out.select(*SCORE_COLUMNS, "model_version")
