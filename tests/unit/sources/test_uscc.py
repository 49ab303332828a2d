"""GB 32100-2015 check character: known codes, single-character typos, and the vectorised form."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from sources.uscc import ALPHABET, build_codes, check_character, is_valid, valid_expr

# Published on a business licence; the check character is Y... at position 18: '3'.
REAL_CODE = "91350100M000100Y43"


def test_a_published_code_is_valid() -> None:
    assert is_valid(REAL_CODE)
    assert check_character(REAL_CODE[:17]) == "3"


@pytest.mark.parametrize("position", range(18))
def test_any_single_character_typo_is_caught(position: int) -> None:
    original = REAL_CODE[position]
    for replacement in ALPHABET:
        if replacement != original:
            typo = REAL_CODE[:position] + replacement + REAL_CODE[position + 1 :]
            assert not is_valid(typo), typo


@pytest.mark.parametrize("code", ["", "91350100M000100Y4", "91350100M000100Y433", "91350100M000100I43", "91350100m000100y43"])
def test_wrong_length_or_alphabet_is_invalid(code: str) -> None:
    assert not is_valid(code)


def test_built_codes_are_valid_distinct_and_in_houma() -> None:
    codes = build_codes(np.random.default_rng(0), 2000)
    assert len(set(codes)) == 2000
    assert all(is_valid(c) and c[2:8] == "141081" for c in codes)


def test_vectorised_check_agrees_with_the_scalar_one() -> None:
    rng = np.random.default_rng(1)
    good = build_codes(rng, 500)
    bad = [c[:17] + ALPHABET[(ALPHABET.index(c[17]) + 1) % 31] for c in good[:250]]
    odd = ["", "123", "91350100M000100I43", None]
    frame = pl.DataFrame({"code": good + bad + odd})
    got = frame.select(valid_expr("code")).to_series().to_list()
    expected = [None if c is None else is_valid(c) for c in frame["code"].to_list()]
    assert got == expected
