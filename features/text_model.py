"""The text model: which of the five categories (``features.text_categories``) a record is about.

Character 1-3-grams of the normalised text (TF-IDF, sublinear), one logistic regression per
category, each with its own decision threshold; then the rule layer: a hard trigger reports a
category, a denial removes it; then, for a text that mentions a category's matter, the second
reading (``features.text_scope``) decides it from the words around each mention, the first
reading's probability and the rules' findings. Trained on the project's labelled corpus (``features/text_corpus``,
documented in its README): the writers ``TRAIN_FILES`` only. Thresholds are chosen by
cross-validation inside those files, so the held-out writer and the negation set are never seen
before ``evaluate_text`` reads them.

The model is small and deterministic (a few seconds to fit), so it is not a registered artifact:
``default_classifier`` fits it from the corpus once per process, or reads the same fit from the
user's cache folder when the corpus, the code and the libraries are those it was fitted with
(``features.text_model_cache``).
"""

from __future__ import annotations

import json
import zipfile
from contextlib import suppress
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from features.char_ngrams import CharNgramTfidf
from features.text_categories import CATEGORIES, rule_flags
from features.text_model_cache import Stage, cache_folder, fit_key, load_fitted, save_fitted
from features.text_normalise import normalise
from features.text_scope import ScopeModel, fit_scope, mentions, plain_text
from layoffwatch.errors import UserError
from sources.schema import CHANNEL_ZH

CORPUS = Path(__file__).with_name("text_corpus")
TRAIN_FILES = (
    "writer_a.jsonl", "writer_b.jsonl", "writer_e.jsonl", "writer_f.jsonl",
    "writer_g.jsonl", "writer_h.jsonl", "writer_i.jsonl", "writer_j.jsonl",
    "writer_k.jsonl", "writer_l.jsonl",
)
HELD_OUT_FILE = "writer_c.jsonl"
NEGATION_FILE = "negation_d.jsonl"
CHANNELS = tuple(CHANNEL_ZH)
THRESHOLDS = np.round(np.arange(0.2, 0.71, 0.05), 2)
FOLDS = 5
SEED = 2026


def read_corpus(*names: str, folder: Path = CORPUS) -> pl.DataFrame:
    """The labelled sentences of ``names``: text, channel, labels (list), negated, writer.
    A malformed line is a ``UserError`` naming the file and line."""
    rows = []
    for name in names:
        path = folder / name
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                labels = list(item["labels"])
                row = (str(item["text"]), str(item["channel"]), labels, bool(item["negated"]), path.stem)
            except (ValueError, KeyError, TypeError) as error:
                raise UserError(f"{path}:{number}: not a labelled sentence ({error}).") from None
            unknown = set(labels) - set(CATEGORIES)
            if unknown or row[1] not in CHANNELS:
                raise UserError(
                    f"{path}:{number}: labels {sorted(unknown)} or channel {row[1]!r} unknown; "
                    f"expected labels from {', '.join(CATEGORIES)} and a channel from {', '.join(CHANNELS)}."
                )
            rows.append(row)
    return pl.DataFrame(
        rows,
        schema={
            "text": pl.String,
            "channel": pl.String,
            "labels": pl.List(pl.String),
            "negated": pl.Boolean,
            "writer": pl.String,
        },
        orient="row",
    )


def label_matrix(labels: pl.Series) -> np.ndarray:
    """One boolean column per category, in ``CATEGORIES`` order."""
    return np.column_stack([labels.list.contains(c).to_numpy() for c in CATEGORIES])


@dataclass(frozen=True)
class TextClassifier:
    vectorizer: TfidfVectorizer
    models: tuple[LogisticRegression, ...]
    thresholds: tuple[float, ...]
    # The second reading, one per category; none: the first reading and the rules decide alone
    # (for the evaluation's comparison).
    scopes: tuple[ScopeModel, ...] = ()

    @cached_property
    def tfidf(self) -> CharNgramTfidf:
        """The vectorizer's transform over arrays (the same matrix, without a Python loop per n-gram)."""
        return CharNgramTfidf.of(self.vectorizer)

    def probabilities(self, analysed: pl.Series) -> np.ndarray:
        """Per category, the model's probability for each normalised text (rules not applied)."""
        return _probabilities(self.models, self.tfidf.transform(analysed))

    def categorise(self, texts: pl.Series, *, rules: bool = True, normalised: bool = False) -> pl.DataFrame:
        """``cat_<category>`` booleans for each text: where the text mentions the category's matter,
        the second reading's decision; elsewhere the model above its threshold or a hard trigger, and
        not denied. ``rules=False``: the model alone (for the evaluation's comparison)."""
        analysed = texts if normalised else normalise(texts.cast(pl.String))
        probability = self.probabilities(analysed)
        above = probability >= np.asarray(self.thresholds)
        if not rules:
            return pl.DataFrame({f"cat_{c}": above[:, i] for i, c in enumerate(CATEGORIES)})
        flags = rule_flags(analysed)
        decided = {
            f"cat_{c}": (above[:, i] | flags[f"trigger_{c}"].to_numpy()) & ~flags[f"denied_{c}"].to_numpy()
            for i, c in enumerate(CATEGORIES)
        }
        if self.scopes:
            plain = plain_text(analysed)
            for i, c in enumerate(CATEGORIES):
                windows, mentioned = mentions(plain, c)
                if mentioned.any():
                    decided[f"cat_{c}"][mentioned] = self.scopes[i].decide(
                        windows, probability[mentioned, i], flags.filter(mentioned), c
                    )
        return pl.DataFrame(decided)


def _probabilities(models: tuple[LogisticRegression, ...], features: Any) -> np.ndarray:
    """One column per category: each model's probability of its category."""
    return np.column_stack([model.predict_proba(features)[:, 1] for model in models])


def _vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1, dtype=np.float32, vocabulary=vocabulary
    )


def _fit_models(texts: list[str], y: np.ndarray) -> tuple[TfidfVectorizer, tuple[LogisticRegression, ...]]:
    vectorizer = _vectorizer()
    features = vectorizer.fit_transform(texts)
    models = tuple(
        LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000).fit(features, y[:, i])
        for i in range(y.shape[1])
    )
    return vectorizer, models


def fit(corpus: pl.DataFrame) -> TextClassifier:
    """Fit on ``corpus``; each category's threshold is the one with the best F1 over out-of-fold
    probabilities of the same corpus, and the second reading learns from those probabilities."""
    analysed = normalise(corpus["text"])
    texts = analysed.to_list()
    y = label_matrix(corpus["labels"])
    out_of_fold = np.zeros(y.shape, dtype=np.float64)
    for train, test in KFold(FOLDS, shuffle=True, random_state=SEED).split(texts):
        vectorizer, models = _fit_models([texts[i] for i in train], y[train])
        out_of_fold[test] = _probabilities(models, vectorizer.transform([texts[i] for i in test]))
    thresholds = tuple(float(_best_threshold(out_of_fold[:, i], y[:, i])) for i in range(y.shape[1]))
    vectorizer, models = _fit_models(texts, y)
    flags = rule_flags(analysed)
    plain = plain_text(analysed)
    scopes = []
    for i, c in enumerate(CATEGORIES):
        windows, mentioned = mentions(plain, c)
        scopes.append(
            fit_scope(
                windows,
                y[mentioned, i],
                out_of_fold[mentioned, i],
                flags.filter(mentioned),
                c,
                make_vectorizer=_vectorizer,
                choose_threshold=_best_threshold,
            )
        )
    return TextClassifier(vectorizer=vectorizer, models=models, thresholds=thresholds, scopes=tuple(scopes))


def _best_threshold(probability: np.ndarray, truth: np.ndarray) -> float:
    scores = [_f1(probability >= t, truth) for t in THRESHOLDS]
    return float(THRESHOLDS[int(np.argmax(scores))])


def _f1(predicted: np.ndarray, truth: np.ndarray) -> float:
    tp = float((predicted & truth).sum())
    denominator = float(predicted.sum() + truth.sum())
    return 2 * tp / denominator if denominator else 1.0


@cache
def default_classifier() -> TextClassifier:
    """The classifier fitted on the corpus's training writers: once per process, and read from the
    cache folder when the same fit was saved there."""
    path = cache_folder() / "text-model" / f"{fit_key([CORPUS / name for name in TRAIN_FILES])}.npz"
    try:
        return _from_stages(load_fitted(path, _vectorizer))
    except (OSError, ValueError, KeyError, IndexError, zipfile.BadZipFile):
        pass  # not saved yet, or unreadable: fit
    classifier = fit(read_corpus(*TRAIN_FILES))
    with suppress(OSError):  # a cache that cannot be written only costs the next process a fit
        save_fitted(path, _stages(classifier))
    return classifier


def _stages(classifier: TextClassifier) -> dict[str, Stage]:
    """The classifier as the cache's linear stages: the first reading, then one per category."""
    stages = {"first": Stage(classifier.vectorizer, classifier.models, classifier.thresholds)}
    for c, scope in zip(CATEGORIES, classifier.scopes, strict=True):
        stages[f"scope_{c}"] = Stage(scope.vectorizer, (scope.model,), (scope.threshold,))
    return stages


def _from_stages(stages: dict[str, Stage]) -> TextClassifier:
    first = stages["first"]
    scope_stages = [stages[f"scope_{c}"] for c in CATEGORIES]
    scopes = tuple(ScopeModel(s.vectorizer, s.models[0], s.thresholds[0]) for s in scope_stages)
    return TextClassifier(first.vectorizer, tuple(first.models), tuple(first.thresholds), scopes)
