"""LayoffRiskModel is a scikit-learn citizen, honours its monotonic constraints, and calibrates
on the window it is given."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.base import clone

from features.catalog import FEATURES
from models.estimator import LayoffRiskModel


def synthetic(n: int, seed: int, *, positive_rate_shift: float = 0.0) -> tuple[pl.DataFrame, np.ndarray]:
    """Rows with every model feature; risk rises with arrears and removals."""
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {}
    for f in FEATURES:
        if f.categorical:
            columns[f.name] = rng.choice(["C", "E", "F"], n)
        else:
            columns[f.name] = rng.random(n)
    columns["arrears_streak"] = rng.integers(0, 6, n).astype(float)
    columns["removed_share_30d"] = rng.random(n) * 0.3
    logit = -5 + 0.8 * columns["arrears_streak"] + 8 * columns["removed_share_30d"] + positive_rate_shift  # type: ignore[operator]
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pl.DataFrame(columns), y


SMALL = {"max_iter": 60, "min_samples_leaf": 40}


def test_fit_returns_self_and_clone_keeps_parameters() -> None:
    X, y = synthetic(4000, 1)
    model = LayoffRiskModel(**SMALL)
    assert model.fit(X, y) is model
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    assert not hasattr(twin, "trees_")


def test_unit_weights_fit_the_model_no_weights_fit_and_other_weights_count() -> None:
    X, y = synthetic(4000, 4)
    unweighted = LayoffRiskModel(**SMALL).fit(X, y).predict_risk(X)
    unit = LayoffRiskModel(**SMALL).fit(X, y, sample_weight=np.ones(len(y))).predict_risk(X)
    assert np.array_equal(unit, unweighted)
    negatives_doubled = np.where(y, 1.0, 2.0)
    weighted = LayoffRiskModel(**SMALL).fit(X, y, sample_weight=negatives_doubled).predict_risk(X)
    assert not np.array_equal(weighted, unweighted)


def test_probabilities_are_probabilities() -> None:
    X, y = synthetic(4000, 2)
    p = LayoffRiskModel(**SMALL).fit(X, y).predict_proba(X)
    assert p.shape == (4000, 2)
    assert np.allclose(p.sum(axis=1), 1)
    assert ((p >= 0) & (p <= 1)).all()


def test_more_arrears_never_lowers_the_score() -> None:
    X, y = synthetic(6000, 3)
    model = LayoffRiskModel(**SMALL).fit(X, y)
    probe = X.head(200)
    low = model.predict_risk(probe.with_columns(pl.lit(0.0).alias("arrears_streak")))
    high = model.predict_risk(probe.with_columns(pl.lit(5.0).alias("arrears_streak")))
    assert (high >= low - 1e-12).all()


def test_calibration_follows_the_later_window() -> None:
    X, y = synthetic(6000, 4)
    later_X, later_y = synthetic(6000, 5, positive_rate_shift=1.5)  # the world got riskier
    model = LayoffRiskModel(**SMALL).fit(X, y, calibration=(later_X, later_y))
    assert model.predict_risk(later_X).mean() == pytest.approx(later_y.mean(), rel=0.15)


def test_unknown_categories_are_read_as_missing() -> None:
    X, y = synthetic(3000, 6)
    model = LayoffRiskModel(**SMALL).fit(X, y)
    odd = X.head(5).with_columns(pl.lit("Z").alias("industry_section"))
    assert np.isfinite(model.predict_risk(odd)).all()


def test_binned_prediction_is_scikit_learns_own_to_the_last_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The trees read a binned matrix (``_tree_probability``); scikit-learn compares raw values.
    Rows at the edges: missing values, a category the trees never saw, values exactly at the
    trees' thresholds and beyond the training range, few rows (one thread) and many."""
    X, y = synthetic(6000, 7)
    rng = np.random.default_rng(8)
    X = X.with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 0)
        .then(None)
        .otherwise(pl.col("arrears_streak"))
        .alias("arrears_streak"),
        # A category that goes with the event, so that trees split on a categorical column.
        pl.Series(
            "industry_section", np.where(y & (rng.random(len(y)) < 0.7), "F", rng.choice(["C", "E"], len(y)))
        ),
    )
    model = LayoffRiskModel(**SMALL).fit(X, y)
    matrix = model._matrix(X)
    trees = model.trees_
    split_nodes = np.concatenate([tree.nodes for (tree,) in trees._predictors])
    assert split_nodes["is_categorical"][split_nodes["is_leaf"] == 0].any()
    thresholds = [t for t in trees._bin_mapper.bin_thresholds_ if t.size]
    edges = matrix[: len(thresholds)].copy()
    for row, values in enumerate(thresholds):  # each row puts one column's thresholds in every column
        edges[row, :] = values[np.arange(matrix.shape[1]) % values.size]
    beyond = matrix[:50] * 10 - 5
    unknown = matrix[:50].copy()
    categorical = [i for i, name in enumerate(model.feature_names_) if name in model.vocabulary_]
    unknown[:, categorical] = 3.0  # no such code: missing, as scikit-learn's prediction reads it
    cases = (matrix, edges, beyond, unknown, matrix[:20])
    expected = [trees.predict_proba(rows)[:, 1] for rows in cases]

    def not_this_way(*args: object, **kwargs: object) -> None:
        raise AssertionError("the binned prediction fell back to scikit-learn's own")

    monkeypatch.setattr(trees, "predict_proba", not_this_way)
    for rows, wanted in zip(cases, expected, strict=True):
        before = rows.copy()
        assert np.array_equal(model._raw(rows), wanted)
        assert np.array_equal(rows, before, equal_nan=True)  # the caller's matrix is left alone
