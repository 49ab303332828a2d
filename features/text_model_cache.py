"""The fitted text model kept on disk, so that a process reads it instead of fitting it again.

Fitting takes a few seconds of both cores (six fits for the cross-validated thresholds), and every
process that reads sentiment text needs it: each daily run, each command, each test worker. The
fit is deterministic, so its result is a function of what went into it; the key is the sha256 of
the training files, the code that fits and normalises, and the versions of the libraries that
compute it. A change to any of them fits again.

The file holds arrays only (``numpy.savez``, read with ``allow_pickle=False``): for each linear
stage (the first reading, and the second reading of each category) the vocabulary, the idf
weights, each model's coefficients and intercept and its threshold. Nothing on disk is
ever executed. It lives in the user's cache folder (``$XDG_CACHE_HOME/layoffwatch``, else
``~/.cache/layoffwatch``; ``LAYOFFWATCH_CACHE`` overrides). A folder that cannot be written, or a
file that cannot be read, means fitting as before: the cache only saves time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

CACHE_ENV = "LAYOFFWATCH_CACHE"
# The rules are in the key: the second reading is fitted on their findings.
_CODE = ("text_model.py", "text_scope.py", "text_categories.py", "text_normalise.py", "text_model_cache.py")
_LIBRARIES = ("scikit-learn", "numpy", "scipy", "opencc", "polars")


def cache_folder() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "layoffwatch"


def fit_key(training_files: Sequence[Path]) -> str:
    """What the fitted model is a function of: the training files, the code, the libraries."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for path in (*training_files, *(here / name for name in _CODE)):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for library in _LIBRARIES:
        try:
            version = metadata.version(library)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{library}={version}\0".encode())
    return digest.hexdigest()[:32]


class Stage(NamedTuple):
    """A character-n-gram vectorizer and the logistic regressions read from it, with thresholds."""

    vectorizer: TfidfVectorizer
    models: Sequence[LogisticRegression]
    thresholds: Sequence[float]


def save_fitted(path: Path, stages: Mapping[str, Stage]) -> None:
    """Write atomically (a temporary file renamed), so a reader never sees half a file."""
    arrays: dict[str, np.ndarray] = {"stages": np.asarray(list(stages), dtype=str)}
    for name, (vectorizer, models, thresholds) in stages.items():
        vocabulary = vectorizer.vocabulary_
        terms = np.empty(len(vocabulary), dtype=object)
        for term, index in vocabulary.items():
            terms[index] = term
        arrays |= {
            f"{name}.terms": terms.astype(str),
            f"{name}.idf": vectorizer.idf_,
            f"{name}.coef": np.vstack([m.coef_ for m in models]),
            f"{name}.intercept": np.concatenate([m.intercept_ for m in models]),
            f"{name}.thresholds": np.asarray(thresholds, dtype=np.float64),
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part.npz")
    os.close(fd)
    try:
        np.savez(tmp, **arrays)  # type: ignore[arg-type]
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def load_fitted(path: Path, make_vectorizer: Callable[..., TfidfVectorizer]) -> dict[str, Stage]:
    """The stages saved by ``save_fitted``, by name."""
    with np.load(path, allow_pickle=False) as saved:
        return {name: _stage(saved, name, make_vectorizer) for name in saved["stages"].tolist()}


def _stage(
    saved: Mapping[str, np.ndarray], name: str, make_vectorizer: Callable[..., TfidfVectorizer]
) -> Stage:
    terms, idf = saved[f"{name}.terms"].tolist(), saved[f"{name}.idf"]
    coef, intercept = saved[f"{name}.coef"], saved[f"{name}.intercept"]
    vectorizer = make_vectorizer(vocabulary={term: i for i, term in enumerate(terms)})
    vectorizer.idf_ = idf
    models = []
    for row in range(coef.shape[0]):
        model = LogisticRegression()
        model.classes_ = np.array([False, True])
        model.coef_ = coef[row : row + 1]
        model.intercept_ = intercept[row : row + 1]
        model.n_features_in_ = coef.shape[1]
        models.append(model)
    return Stage(vectorizer, tuple(models), tuple(float(t) for t in saved[f"{name}.thresholds"]))
