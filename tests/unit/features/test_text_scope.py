"""The text model's second reading: the windows around each mention, and what it learns from them."""

from __future__ import annotations

import numpy as np
import polars as pl

from features.text_categories import CATEGORIES, rule_flags
from features.text_model import _best_threshold, _vectorizer, default_classifier
from features.text_normalise import normalise
from features.text_scope import MARK, fit_scope, mention_windows, plain_text


def windows(text: str, category: str) -> str:
    return str(mention_windows(plain_text(normalise(pl.Series([text]))), category).item())


def test_each_mention_becomes_the_mark_with_the_words_around_it() -> None:
    assert windows("没有裁员,但工资拖了两个月", "layoffs") == f"没有{MARK},但工资拖了两个月"
    assert windows("没有裁员,但工资拖了两个月", "wage_arrears") == f"没有裁员,但{MARK}了两个月"
    assert windows("今天天气不错", "layoffs") == ""
    assert windows("", "shutdown") == ""


def test_the_window_keeps_a_verdict_in_the_next_clause_and_cuts_far_words() -> None:
    text = "某某某某某某某某某某某某某某某某某某某某网传鑫达铜业要裁员,经核实不属实"
    found = windows(text, "layoffs")
    assert found.endswith(f"{MARK},经核实不属实") and len(found.split(MARK)[0]) == 15


def test_two_mentions_far_apart_give_two_windows() -> None:
    text = "停产了" + "。" + "好" * 40 + "。听说又停产了"
    assert windows(text, "shutdown").count("|") == 1


def test_a_word_that_only_looks_like_a_mention_is_not_one() -> None:
    assert windows("劳动仲裁员说材料不全", "layoffs") == ""


def test_it_learns_from_the_words_around_the_mark() -> None:
    """On windows where 没有 before the mark means "not about it" and 了 after it means "about it",
    with the first reading's probability saying nothing, it learns the difference."""
    denied = [
        f"{a}没有{MARK}{b}"
        for a in ("厂里", "公司", "我们", "听说", "车间")
        for b in ("啊", "的事", "，放心", "吧", "")
    ]
    asserted = [
        f"{a}{MARK}了{b}"
        for a in ("厂里", "公司", "我们", "听说", "车间")
        for b in ("啊", "的事", "，完了", "吧", "")
    ]
    texts = pl.Series(denied + asserted)
    truth = np.array([False] * len(denied) + [True] * len(asserted))
    flags = rule_flags(pl.Series([""] * texts.len()))
    scope = fit_scope(
        texts,
        truth,
        np.full(truth.size, 0.5),
        flags,
        "layoffs",
        make_vectorizer=_vectorizer,
        choose_threshold=_best_threshold,
    )
    new = pl.Series([f"食堂没有{MARK}", f"食堂{MARK}了"])
    assert scope.decide(new, np.full(2, 0.5), rule_flags(pl.Series(["", ""])), "layoffs").tolist() == [
        False,
        True,
    ]


def test_it_decides_the_texts_that_mention_a_category_and_only_those() -> None:
    fitted = default_classifier()
    texts = normalise(pl.Series(["没有裁员,但是工资拖了两个月", "今天天气不错,招聘会人很多", "老板跑路了"]))
    with_second = fitted.categorise(texts, normalised=True)
    probability = fitted.probabilities(texts)
    flags = rule_flags(texts)
    for i, c in enumerate(CATEGORIES):
        first = (probability[:, i] >= fitted.thresholds[i]) | flags[f"trigger_{c}"].to_numpy()
        first &= ~flags[f"denied_{c}"].to_numpy()
        found = mention_windows(plain_text(texts), c)
        mentioned = (found != "").to_numpy()
        second = fitted.scopes[i].decide(found, probability[:, i], flags, c)
        expected = np.where(mentioned, second, first)
        assert with_second[f"cat_{c}"].to_list() == expected.tolist(), c
