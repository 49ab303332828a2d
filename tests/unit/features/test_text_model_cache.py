"""The text model read from the cache folder is the model fitted from the corpus, exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from features import text_model
from features.text_model_cache import CACHE_ENV, fit_key

pytestmark = pytest.mark.slow


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    return tmp_path


def test_a_saved_fit_reads_back_as_the_same_classifier(cache_dir: Path) -> None:
    fitted = text_model.default_classifier.__wrapped__()
    saved = list((cache_dir / "text-model").glob("*.npz"))
    assert len(saved) == 1
    read = text_model.default_classifier.__wrapped__()
    assert read.vectorizer is not fitted.vectorizer  # it was read, not the same object
    texts = text_model.read_corpus(*text_model.TRAIN_FILES)["text"]
    extra = ["没有裁员，但是工资拖了两个月", "老板跑路了，三十多个工人拉横幅讨薪", "今天天气不错", ""]
    analysed = text_model.normalise(pl.concat([texts, pl.Series(extra)]))
    assert np.array_equal(read.probabilities(analysed), fitted.probabilities(analysed))
    assert read.thresholds == fitted.thresholds
    assert read.categorise(texts).equals(fitted.categorise(texts))


def test_an_unreadable_cache_file_means_fitting_again(cache_dir: Path) -> None:
    files = [text_model.CORPUS / name for name in text_model.TRAIN_FILES]
    path = cache_dir / "text-model" / f"{fit_key(files)}.npz"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a numpy archive")
    classifier = text_model.default_classifier.__wrapped__()
    assert len(classifier.models) == len(text_model.CATEGORIES)
    with np.load(path, allow_pickle=False) as rewritten:  # the fit replaced the bad file
        assert rewritten["first.coef"].shape[0] == len(text_model.CATEGORIES)


def test_the_key_follows_the_training_files(tmp_path: Path) -> None:
    original = text_model.CORPUS / text_model.TRAIN_FILES[0]
    copy = tmp_path / original.name
    copy.write_bytes(original.read_bytes())
    assert fit_key([copy]) == fit_key([original])
    copy.write_bytes(
        original.read_bytes() + b'{"text": "x", "channel": "online", "labels": [], "negated": false}\n'
    )
    assert fit_key([copy]) != fit_key([original])
