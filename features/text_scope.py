"""The text model's second reading: each category's mentions in their surroundings.

Character n-grams of a whole text cannot tell 没有裁员 from 裁员了没有人管: both hold 裁员, and
a denial's words anywhere in the text pull every category down (没倒闭，可工资拖了四个月). The
rules (``features.text_categories``) read what a denial covers, but only in the forms they were
written for. The second reading learns it: for each category, every mention of its matter
(``MENTIONS``, ``TRIGGERS``, ``TOPICS``) is replaced by one mark, and the text around each mark (a
few characters before, more after, where verdicts and rebuttals stand) is kept. Character n-grams
of those windows (没有Ⓜ, Ⓜ不属实, Ⓜ？其实) go to one logistic regression per category, with the
first reading's probability and the rules' findings (denied, asserted, trigger, any denial) as
five more columns. It decides the category for every text that mentions its matter; a text that
does not is left to the first reading and the rules.

It is fitted on the first reading's out-of-fold probabilities, so it learns how far to trust them
on text the first reading did not see; its threshold is the best F1 over its own out-of-fold
probabilities. Leave one writer out over the eight training writers it was designed on, the negated
texts came out 0.837 → 0.874 exactly right and the others 0.841 → 0.856; on two writers read once
and never before, 0.837 → 0.873 and 0.847 → 0.870 (``features/text_corpus/README.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from features.char_ngrams import CharNgramTfidf
from features.text_categories import CATEGORIES, FALSE_FRIENDS, MENTIONS, TOPICS, TRIGGERS

MARK = "Ⓜ"
# Characters kept before and after each mention: a negation stands just before the matter
# (并未发生停产), a verdict or a rebuttal after it, often in the next clause (…裁员，经核实不属实).
BEFORE, AFTER = 15, 30
# Weaker regularisation than the first reading's: the windows are short, and their few n-grams
# around the mark are the signal.
C = 10.0
FOLDS = 5
SEED = 1


def mention_pattern(category: str) -> str:
    """Every word the rules read as naming the category's matter."""
    words = [MENTIONS[category], TRIGGERS[category], TOPICS.get(category)]
    return "|".join(f"(?:{w})" for w in words if w)


def plain_text(texts: pl.Series) -> pl.Series:
    """Normalised texts as the windows are cut from them: words that only look like a rule's word
    (未来, 仲裁员) blanked, as the rules do, and every whitespace a space. Computed once for all
    five categories."""
    return texts.fill_null("").str.replace_all(FALSE_FRIENDS, "〇").str.replace_all(r"\s", " ")


def mention_windows(plain: pl.Series, category: str) -> pl.Series:
    """For each text (``plain_text``), its windows around the category's mentions joined by
    ``|``: "" where it mentions none."""
    marked = plain.str.replace_all(mention_pattern(category), MARK)
    found = marked.str.extract_all(f".{{0,{BEFORE}}}{MARK}.{{0,{AFTER}}}")
    return found.list.join("|").fill_null("")


def mentions(plain: pl.Series, category: str) -> tuple[pl.Series, np.ndarray]:
    """The windows of the texts that mention the category, and which texts those are."""
    windows = mention_windows(plain, category)
    mentioned = (windows != "").to_numpy()
    return windows.filter(mentioned), mentioned


def _columns(probability: np.ndarray, flags: pl.DataFrame, category: str) -> np.ndarray:
    """The first reading's probability (as log-odds, scaled to the windows' unit-length rows) and
    the rules' findings for the category."""
    p = np.clip(probability, 1e-4, 1 - 1e-4)
    return np.column_stack(
        [
            np.log(p / (1 - p)) / 4,
            flags[f"denied_{category}"].to_numpy(),
            flags[f"asserted_{category}"].to_numpy(),
            flags[f"trigger_{category}"].to_numpy(),
            np.any([flags[f"denied_{c}"].to_numpy() for c in CATEGORIES], axis=0),
        ]
    ).astype(np.float32)


@dataclass(frozen=True)
class ScopeModel:
    """One category's second reading: the windows' vectorizer, the regression and its threshold."""

    vectorizer: TfidfVectorizer
    model: LogisticRegression
    threshold: float

    @cached_property
    def tfidf(self) -> CharNgramTfidf:
        return CharNgramTfidf.of(self.vectorizer)

    def decide(
        self, windows: pl.Series, probability: np.ndarray, flags: pl.DataFrame, category: str
    ) -> np.ndarray:
        """Whether each text (all with a mention) is about the category."""
        features = sparse.hstack(
            [self.tfidf.transform(windows), _columns(probability, flags, category)]
        ).tocsr()
        return np.asarray(self.model.predict_proba(features)[:, 1] >= self.threshold)


def fit_scope(
    windows: pl.Series,
    truth: np.ndarray,
    out_of_fold: np.ndarray,
    flags: pl.DataFrame,
    category: str,
    *,
    make_vectorizer: Callable[[], TfidfVectorizer],
    choose_threshold: Callable[[np.ndarray, np.ndarray], float],
) -> ScopeModel:
    """Fit on the texts that mention the category (``windows`` not empty): ``truth`` is whether
    each is about it, ``out_of_fold`` the first reading's probability for a text it did not see."""
    vectorizer = make_vectorizer().fit(windows.to_list())
    features = sparse.hstack(
        [vectorizer.transform(windows.to_list()), _columns(out_of_fold, flags, category)]
    ).tocsr()
    own_out_of_fold = np.zeros(truth.size)
    for train, test in KFold(FOLDS, shuffle=True, random_state=SEED).split(features):
        own_out_of_fold[test] = (
            _regression().fit(features[train], truth[train]).predict_proba(features[test])[:, 1]
        )
    return ScopeModel(
        vectorizer=vectorizer,
        model=_regression().fit(features, truth),
        threshold=choose_threshold(own_out_of_fold, truth),
    )


def _regression() -> LogisticRegression:
    return LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
