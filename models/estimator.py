"""``LayoffRiskModel``: gradient-boosted trees with monotonic constraints, then a calibration step.

A scikit-learn citizen: parameters are stored untouched by ``__init__``, learned state ends in
``_``, ``fit`` returns ``self`` and ``clone()`` works. It takes the feature table as a Polars
frame (the columns of ``features.catalog``), encodes the categorical columns with a vocabulary
learned in ``fit``, and returns calibrated probabilities.

Calibration is a logistic fit on the trees' log-odds over a *later* window than the trees were
trained on (``fit(..., calibration=(X, y))``): strictly increasing, so it never reorders
enterprises and a lower raw score is always a lower probability (reason codes rely on that).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
from threadpoolctl import threadpool_limits

from features.catalog import FEATURES, Feature

MAX_CATEGORIES = 250  # HistGradientBoosting takes at most 255 categories per feature
# Below this many rows the trees predict on one thread. On an idle 2-core machine a second thread
# saves about 10 ms on a 3,000-enterprise day (and a third of the time at 20,000 rows); while the
# other core is busy (a daily run beside an ingest) a threaded prediction of that day was measured
# 4-9x slower than a single-threaded one.
THREADED_PREDICTION_ROWS = 5_000
EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


class LayoffRiskModel(ClassifierMixin, BaseEstimator):
    """The defaults were chosen by rolling-origin evaluation on development cities (seeds 7, 11, 13
    and 101, 20,000 enterprises each; never the acceptance seed). Positives are under 1% of rows,
    and a distressed enterprise of ten to a hundred people is a small region of the feature space:
    leaves of at least 100 rows, shrunk by an L2 penalty of 20, find it, where leaves of 400 could
    not. Against min_samples_leaf=400, l2=1: PR-AUC 0.080-0.102 -> 0.120-0.151 on all four, and
    recall 30+ days ahead at the budget 0.73x -> 0.81x the oracle's on average (0.65-0.78x ->
    0.74-0.87x; seed 101 alone did not move). More leaves per tree (15), a faster rate (0.05) or
    half the features per split did no better."""

    def __init__(
        self,
        features: Sequence[str] | None = None,
        max_iter: int = 400,
        learning_rate: float = 0.03,
        max_leaf_nodes: int = 7,
        min_samples_leaf: int = 100,
        l2_regularization: float = 20.0,
        random_state: int = 0,
    ) -> None:
        self.features = features
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state

    # -- learning ------------------------------------------------------------------------------

    def _catalog(self) -> list[Feature]:
        chosen = set(self.features) if self.features is not None else None
        return [f for f in FEATURES if chosen is None or f.name in chosen]

    def fit(
        self,
        X: pl.DataFrame,
        y: np.ndarray | pl.Series,
        *,
        sample_weight: np.ndarray | None = None,
        calibration: tuple[pl.DataFrame, np.ndarray | pl.Series] | None = None,
    ) -> LayoffRiskModel:
        """Trees on (X, y); calibration on a later window when given (else the trees' own scores).

        ``sample_weight`` undoes any subsampling of negatives done when the rows were drawn.
        """
        catalog = self._catalog()
        self.feature_names_ = [f.name for f in catalog]
        self.vocabulary_ = {
            f.name: X.get_column(f.name)
            .drop_nulls()
            .value_counts(sort=True)
            .head(MAX_CATEGORIES)
            .get_column(f.name)
            .sort()
            .to_list()
            for f in catalog
            if f.categorical
        }
        target = np.asarray(y, dtype=bool)
        matrix = self._matrix(X)
        if sample_weight is not None and np.all(np.asarray(sample_weight) == 1.0):
            # Unit weights fit the same trees (the same bins, gradients and leaves), but
            # scikit-learn bins weighted columns with one full sort per quantile, 255 per
            # feature: a 20,000-enterprise evaluation spent half its time there.
            sample_weight = None
        self.reference_ = np.nanmedian(np.where(target[:, None], np.nan, matrix), axis=0)
        self.trees_ = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            categorical_features=np.array([f.categorical for f in catalog]),
            monotonic_cst=[f.monotonic for f in catalog],
            early_stopping=False,
            random_state=self.random_state,
        ).fit(matrix, target, sample_weight=sample_weight)
        cal_X, cal_y = calibration if calibration is not None else (X, target)
        raw = self._raw(self._matrix(cal_X))
        self.calibrator_ = LogisticRegression(C=1e4).fit(_logit(raw)[:, None], np.asarray(cal_y, dtype=bool))
        if self.calibrator_.coef_[0, 0] <= 0:  # a calibration window with no signal: keep the trees' order
            self.calibrator_.coef_[0, 0] = 1.0
        self.classes_ = np.array([False, True])
        return self

    # -- prediction -----------------------------------------------------------------------------

    def _matrix(self, X: pl.DataFrame) -> np.ndarray:
        """The model's float matrix: categoricals as vocabulary codes (unknown -> missing)."""
        names = self.feature_names_ if hasattr(self, "feature_names_") else [f.name for f in self._catalog()]
        vocab = getattr(self, "vocabulary_", {})
        columns = []
        for name in names:
            col = X.get_column(name)
            if name in vocab:
                codes = pl.Series(vocab[name], dtype=pl.String)
                col = col.cast(pl.String).replace_strict(codes, pl.Series(range(len(codes))), default=None)
            columns.append(col.cast(pl.Float64).fill_nan(None).alias(name))
        return pl.DataFrame(columns).to_numpy().astype(np.float64, copy=False)

    def _raw(self, matrix: np.ndarray) -> np.ndarray:
        if matrix.shape[0] >= THREADED_PREDICTION_ROWS:
            return self._tree_probability(matrix)
        with threadpool_limits(limits=1, user_api="openmp"):
            return self._tree_probability(matrix)

    def _tree_probability(self, matrix: np.ndarray) -> np.ndarray:
        """The trees' probability of each row: ``trees_.predict_proba``, to the last bit (tested).

        The matrix is binned once, as in training, and every tree reads the bins: scikit-learn's own
        prediction compares raw values tree by tree and took 24.3 s for a province's 908,440 rows
        and 400 trees, against 6.6 s binned. A value a tree compares with a threshold falls on the
        same side as its bin does with the threshold's bin."""
        trees = self.trees_
        try:
            binned = self._binned(matrix)
            threads = _openmp_effective_n_threads()
            missing = trees._bin_mapper.missing_values_bin_idx_
            raw = np.zeros(matrix.shape[0], dtype=trees._baseline_prediction.dtype)
            raw += trees._baseline_prediction.ravel()[0]
            for (predictor,) in trees._predictors:
                raw += predictor.predict_binned(binned, missing, threads)
        except (AttributeError, TypeError, ValueError):  # scikit-learn's internals moved: its own way
            return np.asarray(trees.predict_proba(matrix)[:, 1])
        return np.asarray(expit(raw))

    def _binned(self, matrix: np.ndarray) -> np.ndarray:
        """``matrix`` as the trees read it in training: encoded by their own preprocessor (categorical
        columns first, a category they never saw made missing, as their prediction reads it), then
        binned. (scikit-learn's private API; the predictions are checked against its own.)"""
        trees = self.trees_
        return np.asarray(trees._bin_mapper.transform(trees._preprocess_X(matrix, reset=False)))

    def predict_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """Calibrated probability for a matrix already encoded by ``_matrix`` (reason codes use this)."""
        return self._calibrated(self._raw(matrix))

    def neutralised(
        self, matrix: np.ndarray, groups: Sequence[Sequence[int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated probability of each row of ``matrix`` (encoded by ``_matrix``), and of the row
        with each group's columns (indices into ``feature_names_``) set to ``reference_``, as a
        rows × groups array: what predicting every neutralised copy with the whole ensemble gives.

        Only the trees that split on a group's columns are run again for it (any other tree lands
        in the same leaf whatever those columns hold), about a sixth of the work. Each tree's
        change is added to the row's own log-odds, so a group no tree reads, or a row already at
        the reference, changes the probability by exactly nothing.
        """
        try:
            return self._neutralised_by_tree(matrix, groups)
        except (AttributeError, TypeError):  # scikit-learn's tree internals moved: the whole ensemble
            return self._neutralised_in_full(matrix, groups)

    def _neutralised_in_full(
        self, matrix: np.ndarray, groups: Sequence[Sequence[int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        blocks = [matrix]
        for columns in groups:
            neutral = matrix.copy()
            neutral[:, list(columns)] = self.reference_[list(columns)]
            blocks.append(neutral)
        predicted = self.predict_matrix(np.vstack(blocks)).reshape(len(blocks), len(matrix))
        return predicted[0], predicted[1:].T.copy()

    def _neutralised_by_tree(
        self, matrix: np.ndarray, groups: Sequence[Sequence[int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        # scikit-learn's private tree API (checked against _neutralised_in_full in the tests).
        trees = self.trees_
        rows = matrix.shape[0]
        threads = 1 if rows < THREADED_PREDICTION_ROWS else _openmp_effective_n_threads()
        position, reads = self._tree_reads()
        # Binned, as ``_tree_probability`` predicts: the same leaves, several times faster.
        encoded = self._binned(matrix)
        reference = self._binned(self.reference_[None, :])[0]
        missing = trees._bin_mapper.missing_values_bin_idx_

        def leaf_values(tree: int, X: np.ndarray) -> np.ndarray:
            return np.asarray(trees._predictors[tree][0].predict_binned(X, missing, threads))

        per_tree = np.empty((rows, len(reads)))
        for tree in range(len(reads)):
            per_tree[:, tree] = leaf_values(tree, encoded)
        raw = trees._baseline_prediction.ravel()[0] + per_tree.sum(axis=1)
        neutral = np.repeat(raw[:, None], len(groups), axis=1)
        for g, columns in enumerate(groups):
            readers = [t for t, read in enumerate(reads) if read.intersection(columns)]
            if not readers:
                continue
            copy = encoded.copy()
            at = position[list(columns)]
            copy[:, at] = reference[at]
            change = np.zeros(rows)
            for tree in readers:
                change += leaf_values(tree, copy) - per_tree[:, tree]
            neutral[:, g] = raw + change
        own = self._calibrated(expit(raw))
        return own, self._calibrated(expit(neutral.ravel())).reshape(neutral.shape)

    def _tree_reads(self) -> tuple[np.ndarray, list[frozenset[int]]]:
        """Where each model column sits in the trees' encoded input (categorical columns first),
        and the model columns each tree splits on."""
        trees = self.trees_
        width = len(self.feature_names_)
        if trees._preprocessor is None:
            order = np.arange(width)
        else:
            order = np.concatenate([np.flatnonzero(trees.is_categorical_), np.flatnonzero(~trees.is_categorical_)])
        position = np.empty(width, dtype=np.intp)
        position[order] = np.arange(width)
        reads = [
            frozenset(order[nodes["feature_idx"][~nodes["is_leaf"].astype(bool)]].tolist())
            for nodes in (predictors[0].nodes for predictors in trees._predictors)
        ]
        return position, reads

    def _calibrated(self, tree_probability: np.ndarray) -> np.ndarray:
        return self.calibrator_.predict_proba(_logit(tree_probability)[:, None])[:, 1]

    def predict_risk(self, X: pl.DataFrame) -> np.ndarray:
        """Calibrated probability of a mass layoff within the horizon, one per row."""
        return self.predict_matrix(self._matrix(X))

    def predict_proba(self, X: pl.DataFrame) -> np.ndarray:
        p = self.predict_risk(X)
        return np.column_stack([1 - p, p])

    def predict(self, X: pl.DataFrame) -> np.ndarray:
        return self.predict_risk(X) >= 0.5
