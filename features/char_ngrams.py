"""The text model's TF-IDF of character n-grams, computed over all texts at once.

scikit-learn's ``TfidfVectorizer(analyzer="char")`` cuts every text into n-gram strings in Python
and looks each one up in a dictionary: at a million records that loop is most of the time the
classification takes. ``CharNgramTfidf`` gives the same matrix from the fitted vectorizer's
vocabulary and idf with array operations: each text's code points in one array, each n-gram an
integer (up to three 21-bit code points), joined with the vocabulary's integers. The
equality with the vectorizer's own ``transform`` is tested (``tests/unit/features``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

_BITS = 21  # every Unicode code point fits (the largest is 0x10FFFF)
_EMPTY = (1 << _BITS) - 1  # no code point: the place of a missing character in a short n-gram
_LONGEST = 3  # three code points fill 63 bits of an unsigned 64-bit integer
# Texts cut into pieces of this many so that the per-n-gram arrays stay a few hundred MB.
_CHUNK = 50_000


@dataclass(frozen=True)
class CharNgramTfidf:
    """A fitted character-n-gram ``TfidfVectorizer``'s ``transform``, vectorised."""

    vocabulary: pl.DataFrame  # ``code``: an n-gram as an integer (``_pack``); ``column``: its column
    idf: np.ndarray
    sizes: tuple[int, ...]  # the n-gram lengths
    lowercase: bool

    @classmethod
    def of(cls, vectorizer: TfidfVectorizer) -> CharNgramTfidf:
        shortest, longest = vectorizer.ngram_range
        if (
            vectorizer.analyzer != "char"
            or longest > _LONGEST
            or vectorizer.preprocessor is not None
            or vectorizer.strip_accents is not None
            or vectorizer.norm != "l2"
            or not vectorizer.use_idf
            or not vectorizer.sublinear_tf
        ):
            raise ValueError(f"not a character n-gram vectorizer this transform reproduces: {vectorizer!r}")
        terms = vectorizer.get_feature_names_out().tolist()  # in column order
        return cls(
            vocabulary=pl.DataFrame(
                {"code": _codes_of_terms(terms), "column": np.arange(len(terms), dtype=np.int32)}
            ),
            idf=np.asarray(vectorizer.idf_, dtype=vectorizer.dtype),
            sizes=tuple(range(shortest, longest + 1)),
            lowercase=bool(vectorizer.lowercase),
        )

    def transform(self, texts: pl.Series) -> sparse.csr_matrix:
        """The TF-IDF matrix of ``texts`` (null read as empty), one row per text."""
        prepared = texts.cast(pl.String).fill_null("")
        if self.lowercase:
            prepared = prepared.str.to_lowercase()
        # As the vectorizer does before cutting n-grams: a run of whitespace becomes one space.
        prepared = prepared.str.replace_all(r"\s\s+", " ")
        pieces = [self._counts(prepared.slice(start, _CHUNK)) for start in range(0, prepared.len(), _CHUNK)]
        counts = sparse.vstack(pieces, format="csr") if pieces else self._empty(0)
        counts.data = np.log(counts.data) + counts.data.dtype.type(1)
        counts.data *= self.idf[counts.indices]
        return normalize(counts, norm="l2", copy=False)

    def _empty(self, rows: int) -> sparse.csr_matrix:
        return sparse.csr_matrix((rows, self.idf.size), dtype=self.idf.dtype)

    def _counts(self, texts: pl.Series) -> sparse.csr_matrix:
        lengths = texts.str.len_chars().cast(pl.Int64).to_numpy()
        joined = texts.str.join("").item() or ""
        points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        if points.size == 0:
            return self._empty(texts.len())
        row_of_point = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
        room = np.repeat(np.cumsum(lengths), lengths) - np.arange(points.size)  # characters left in its text
        padded = np.concatenate([points, np.full(_LONGEST - 1, _EMPTY, dtype=np.uint64)])
        grams = []
        for size in self.sizes:
            starts = np.flatnonzero(room >= size)
            code = _pack([padded[starts + offset] for offset in range(size)])
            grams.append(pl.DataFrame({"code": code, "row": row_of_point[starts]}))
        # A hash join: a binary search of the sorted vocabulary per n-gram took five times as long.
        known = pl.concat(grams).lazy().join(self.vocabulary.lazy(), on="code", how="inner").collect()
        ones: np.ndarray = np.ones(known.height, dtype=self.idf.dtype)
        # scipy sums the repeated (text, column) cells and sorts each row's columns (canonical form).
        return sparse.coo_matrix(
            (ones, (known["row"].to_numpy(), known["column"].to_numpy())), shape=(lengths.size, self.idf.size)
        ).tocsr()


def _pack(characters: list[np.ndarray]) -> np.ndarray:
    """One integer per n-gram: its code points in the high bits, ``_EMPTY`` where it is shorter."""
    code = np.zeros(characters[0].size, dtype=np.uint64)
    for place in range(_LONGEST):
        part = characters[place] if place < len(characters) else np.uint64(_EMPTY)
        code |= np.left_shift(part, np.uint64(_BITS * (_LONGEST - 1 - place)))
    return code


def _codes_of_terms(terms: list[str]) -> np.ndarray:
    lengths = pl.Series(terms, dtype=pl.String).str.len_chars().to_numpy()
    if lengths.size and (lengths.max() > _LONGEST or lengths.min() < 1):
        raise ValueError(f"vocabulary terms must be 1 to {_LONGEST} characters")
    points = np.frombuffer("".join(terms).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    starts = np.cumsum(lengths) - lengths
    characters = [
        np.where(lengths > place, points[np.minimum(starts + place, points.size - 1)], np.uint64(_EMPTY))
        for place in range(_LONGEST)
    ]
    return _pack(characters)
