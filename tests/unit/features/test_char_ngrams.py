"""The array transform of character n-grams gives scikit-learn's TF-IDF matrix exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from features import char_ngrams
from features.char_ngrams import CharNgramTfidf
from features.text_model import TRAIN_FILES, _vectorizer, read_corpus
from features.text_model_cache import Stage, load_fitted, save_fitted
from features.text_normalise import normalise

# Texts at the edges: empty and null, one and two characters, case, runs of whitespace (the
# vectorizer collapses them), characters beyond the basic plane (four bytes in UTF-8), and n-grams
# the vocabulary never saw.
EDGES = [
    "",
    None,
    "裁",
    "裁员",
    "ABC  Def\t\tx",
    "𠀀𠀁 😀 欠薪😀",
    "ΣΑΣ İ",
    "  前后有空格  ",
    "全新的词语组合：鑫达铜业停产了",
]


def assert_same_matrix(expected: sparse.spmatrix, actual: sparse.spmatrix) -> None:
    expected, actual = sparse.csr_matrix(expected), sparse.csr_matrix(actual)
    expected.sort_indices()
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    assert np.array_equal(actual.indptr, expected.indptr)
    assert np.array_equal(actual.indices, expected.indices)
    assert np.array_equal(actual.data, expected.data)


@pytest.fixture(scope="module")
def corpus_texts() -> pl.Series:
    return normalise(read_corpus(*TRAIN_FILES)["text"])


@pytest.fixture(scope="module")
def fitted(corpus_texts: pl.Series) -> TfidfVectorizer:
    return _vectorizer().fit(corpus_texts.to_list())


def test_the_corpus_and_edge_texts_give_the_vectorizers_matrix(
    fitted: TfidfVectorizer, corpus_texts: pl.Series
) -> None:
    texts = pl.concat([corpus_texts, pl.Series(EDGES, dtype=pl.String)])
    expected = fitted.transform(texts.fill_null("").to_list())
    assert_same_matrix(expected, CharNgramTfidf.of(fitted).transform(texts))


def test_raw_text_with_capitals_and_a_small_vocabulary() -> None:
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, dtype=np.float32)
    vectorizer.fit(["AAb 裁员裁员", "停产 ab", "Ab"])
    texts = pl.Series(["aab", "AAB 裁员 停产停产", "", "xyz", "Ab Ab Ab"])
    assert_same_matrix(vectorizer.transform(texts.to_list()), CharNgramTfidf.of(vectorizer).transform(texts))


def test_more_texts_than_one_chunk_are_stacked_in_order(
    fitted: TfidfVectorizer, corpus_texts: pl.Series, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = pl.concat([corpus_texts.head(500), pl.Series(EDGES, dtype=pl.String)])
    monkeypatch.setattr(char_ngrams, "_CHUNK", 7)
    assert_same_matrix(
        fitted.transform(texts.fill_null("").to_list()), CharNgramTfidf.of(fitted).transform(texts)
    )


def test_a_vectorizer_read_from_the_cache_gives_the_same_matrix(
    fitted: TfidfVectorizer, corpus_texts: pl.Series, tmp_path: Path
) -> None:
    features = fitted.transform(corpus_texts.to_list())
    model = LogisticRegression().fit(features, np.arange(features.shape[0]) % 2)
    save_fitted(tmp_path / "fit.npz", {"first": Stage(fitted, [model], [0.5])})
    read = load_fitted(tmp_path / "fit.npz", _vectorizer)["first"].vectorizer
    texts = pl.concat([corpus_texts.head(200), pl.Series(EDGES, dtype=pl.String)])
    assert_same_matrix(
        fitted.transform(texts.fill_null("").to_list()), CharNgramTfidf.of(read).transform(texts)
    )


@pytest.mark.parametrize(
    "settings",
    [{"analyzer": "word"}, {"ngram_range": (1, 4)}, {"sublinear_tf": False}, {"norm": "l1"}],
)
def test_a_vectorizer_it_does_not_reproduce_is_refused(settings: dict[str, object]) -> None:
    options: dict[str, object] = {"analyzer": "char", "ngram_range": (1, 3), "sublinear_tf": True, **settings}
    vectorizer = TfidfVectorizer(**options).fit(["裁员 停产", "欠薪"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a character n-gram vectorizer"):
        CharNgramTfidf.of(vectorizer)
