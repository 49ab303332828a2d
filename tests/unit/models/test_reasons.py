"""Reason codes: every signal has a Chinese sentence, and the top reason is faithful."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from features.catalog import CONTEXT_GROUPS, FEATURES, GROUPS, by_group
from features.inputs import from_lake
from features.labels import layoff_episodes
from layoffwatch.settings import Settings
from models.dataset import labelled_snapshots
from models.estimator import LayoffRiskModel
from models.reasons import REASON_CODES, REASON_GROUPS, explain
from models.windows import snapshots


def test_every_model_feature_belongs_to_a_reason_or_to_the_context() -> None:
    assert set(REASON_CODES) == set(REASON_GROUPS)
    assert set(GROUPS) == set(REASON_GROUPS) | set(CONTEXT_GROUPS)
    assert all(f.group in GROUPS for f in FEATURES)
    assert len({c.code for c in REASON_CODES.values()}) == len(REASON_CODES)


@pytest.fixture(scope="module")
def trained(city_lake: Path) -> tuple[LayoffRiskModel, pl.DataFrame]:
    settings = Settings(home=city_lake, database_url="sqlite://")
    inputs = from_lake(settings)
    until = date(2026, 6, 30)
    episodes = layoff_episodes(inputs.changes, inputs.register, inputs.outcomes, until=until)
    dates = snapshots(date(2024, 7, 1), until)[-8:]
    rows = labelled_snapshots(inputs, episodes, dates)
    model = LayoffRiskModel(max_iter=150, min_samples_leaf=60).fit(rows, rows["label"].to_numpy())
    return model, rows.filter(pl.col("as_of") == dates[-1])


def test_high_risk_enterprises_get_three_to_five_reasons_in_chinese(
    trained: tuple[LayoffRiskModel, pl.DataFrame],
) -> None:
    model, rows = trained
    top = rows.with_columns(pl.Series("p", model.predict_risk(rows))).sort("p", descending=True).head(20)
    reasons = explain(model, top).to_list()
    assert all(3 <= len(r) <= 5 for r in reasons[:5])
    for rs in reasons:
        impacts = [r["impact"] for r in rs]
        assert impacts == sorted(impacts, reverse=True) and all(i > 0 for i in impacts)
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in r["sentence"]) for r in rs)


def test_neutralising_the_top_reason_lowers_the_score(trained: tuple[LayoffRiskModel, pl.DataFrame]) -> None:
    model, rows = trained
    scored = rows.with_columns(pl.Series("p", model.predict_risk(rows))).sort("p", descending=True).head(30)
    reasons = explain(model, scored).to_list()
    by_code = {c.code: g for g, c in REASON_CODES.items()}
    for i, rs in enumerate(reasons):
        group = by_code[rs[0]["code"]]
        neutral = {
            f.name: pl.lit(model.reference_[model.feature_names_.index(f.name)]).cast(scored.schema[f.name])
            for f in by_group(group)
        }
        before = model.predict_risk(scored.slice(i, 1))[0]
        after = model.predict_risk(scored.slice(i, 1).with_columns(**neutral))[0]
        assert after < before, (group, before, after)
        assert np.isclose(before - after, rs[0]["impact"], atol=1e-3)


def test_rerunning_only_the_trees_that_read_a_group_gives_what_the_whole_ensemble_gives(
    trained: tuple[LayoffRiskModel, pl.DataFrame],
) -> None:
    model, rows = trained
    matrix = model._matrix(rows)
    groups = [
        [model.feature_names_.index(f.name) for f in by_group(g) if f.name in model.feature_names_]
        for g in REASON_GROUPS
    ]

    own, neutral = model._neutralised_by_tree(matrix, groups)
    own_full, neutral_full = model._neutralised_in_full(matrix, groups)

    assert np.allclose(own, own_full, rtol=0, atol=1e-12) and np.allclose(neutral, neutral_full, rtol=0, atol=1e-12)
    # Where the full ensemble sees no change, neither does the shortcut (no rounding noise that
    # could pass for a reason).
    unchanged = neutral_full == own_full[:, None]
    assert unchanged.any() and (neutral[unchanged] == own[:, None].repeat(len(groups), 1)[unchanged]).all()
