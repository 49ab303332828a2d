"""The custom GX expectation for unified social credit codes flags exactly the bad codes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from expectations import gx_project
from expectations.gx_uscc import ExpectColumnValuesToBeValidUscc, valid_codes
from sources.uscc import ALPHABET, build_codes, is_valid, valid_expr

GOOD = build_codes(np.random.default_rng(11), 200)


def mutated(rng: np.random.Generator, codes: list[str]) -> list[str]:
    """Each code with one character replaced by another of the alphabet (always a wrong check)."""
    out = []
    for code in codes:
        i = int(rng.integers(0, 18))
        other = ALPHABET[(ALPHABET.index(code[i]) + int(rng.integers(1, 31))) % 31]
        out.append(code[:i] + other + code[i + 1 :])
    return out


ODD = ["", "123", GOOD[0] + "0", GOOD[0][:17], GOOD[0].lower(), GOOD[0][:17] + "I", "ＡＢＣ", "９" * 18]


def sample() -> list[str | None]:
    rng = np.random.default_rng(5)
    return [*GOOD, *mutated(rng, GOOD), *ODD, None]


def test_numpy_check_agrees_with_the_reference_and_with_polars() -> None:
    codes = sample()
    expected = [is_valid(c) if c is not None else False for c in codes]
    assert valid_codes(pd.Series(codes, dtype=object)).tolist() == expected
    polars = pl.DataFrame({"c": codes}, schema={"c": pl.String}).select(valid_expr("c").fill_null(False)).to_series()
    assert polars.to_list() == expected


def test_every_single_character_change_is_caught() -> None:
    bad = mutated(np.random.default_rng(9), GOOD)
    assert not valid_codes(pd.Series(bad)).any()


@pytest.fixture(scope="module")
def batch() -> Any:
    gx = gx_project.import_gx()
    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("codes").add_dataframe_asset("codes")
    definition = asset.add_batch_definition_whole_dataframe("all")
    codes = sample()
    frame = pd.DataFrame({"uscc": pd.Series(codes, dtype=object), "_row": range(len(codes))})
    return definition.get_batch(batch_parameters={"dataframe": frame}), codes


def test_the_expectation_flags_exactly_the_bad_codes(batch: Any) -> None:
    gx_batch, codes = batch
    result = gx_batch.validate(
        ExpectColumnValuesToBeValidUscc(column="uscc"),
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["_row"]},
    )
    bad_rows = [i for i, c in enumerate(codes) if c is not None and not is_valid(c)]
    assert not result.success
    assert result.result["unexpected_count"] == len(bad_rows) == 200 + len(ODD)  # lower case: the parser upper-cases
    assert sorted(int(r["_row"]) for r in result.result["unexpected_index_list"]) == bad_rows
    assert result.result["missing_count"] == 1


def test_the_expectation_passes_valid_codes(batch: Any) -> None:
    gx_batch, _ = batch
    del gx_batch
    gx = gx_project.import_gx()
    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("good").add_dataframe_asset("good")
    frame = pd.DataFrame({"uscc": GOOD})
    good_batch = asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": frame})
    assert good_batch.validate(ExpectColumnValuesToBeValidUscc(column="uscc")).success


def test_the_expectation_is_serialisable_by_type_name() -> None:
    exp = ExpectColumnValuesToBeValidUscc(column="uscc", meta={"rule_id": "x"})
    assert exp.configuration.type == "expect_column_values_to_be_valid_uscc"
    assert exp.configuration.to_domain_obj().__class__ is ExpectColumnValuesToBeValidUscc
