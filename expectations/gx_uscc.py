"""The Great Expectations expectation for unified social credit codes (GB 32100-2015).

``ExpectColumnValuesToBeValidUscc`` is a column map expectation: each non-null value must be 18
characters of the code alphabet whose 18th is the check character of the first 17. Defining the
classes registers them with Great Expectations (its metaclass does it on import), so this module
must be imported before a suite that uses the expectation is built or loaded from the store.

The pandas check is vectorised with NumPy, the same arithmetic as ``sources.uscc.valid_expr``
(which the Polars rules use): a test holds the two to the same answers.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    column_condition_partial,
)

from sources.uscc import ALPHABET, valid_block

CODE_LENGTH = 18
SHAPE = f"[{ALPHABET}]{{{CODE_LENGTH}}}"


def valid_codes(codes: pd.Series) -> pd.Series:
    """True where the code is well formed with a correct check character; False elsewhere (nulls too).

    Codes are expected normalised (upper case, no spaces), as ``sources.parse`` gives them. Each
    distinct code is checked once (a file repeats an enterprise's code on each of its rows).
    """
    positions, distinct = pd.factorize(codes, use_na_sentinel=True)
    text = pd.Series(distinct, dtype="string")
    shaped = text.str.fullmatch(SHAPE).fillna(False).to_numpy(dtype=bool)
    valid = np.zeros(len(text) + 1, dtype=bool)  # the extra last slot answers for nulls (-1)
    if shaped.any():
        block = "".join(text[shaped].tolist()).encode("ascii")
        valid[: len(text)][shaped] = valid_block(block)
    return pd.Series(valid[positions], index=codes.index)


class ColumnValuesValidUscc(ColumnMapMetricProvider):
    """Metric ``column_values.valid_uscc``: per row, whether the code is valid (pandas engine)."""

    condition_metric_name = "column_values.valid_uscc"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return valid_codes(column)


class ExpectColumnValuesToBeValidUscc(ColumnMapExpectation):
    """Expect column values to be unified social credit codes with a valid GB 32100-2015 check character.

    Args:
        column (str): The column name.

    Keyword Args:
        mostly (None or a float between 0 and 1): Successful if at least this fraction of the
            non-null values are valid codes.
    """

    map_metric = "column_values.valid_uscc"
    success_keys = ("mostly",)
    args_keys = ("column",)
    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "production",
        "tags": ["layoffwatch", "column map expectation", "GB 32100-2015"],
        "contributors": ["layoffwatch"],
        "requirements": [],
    }
