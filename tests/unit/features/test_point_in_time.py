"""Point-in-time correctness: a feature at as_of uses only what was known by the end of that day.

The proof is by construction, on a generated city: rows that were not yet known at as_of (later
enrolment changes, monthly reports whose period is later or that were reported later, later
sentiment records) are added in bulk -- wild values on purpose -- and not one feature may move.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from features.inputs import Inputs, from_lake
from features.linked_sentiment import CATEGORY_COLUMNS, LinkedSentiment
from features.table import feature_table
from layoffwatch.settings import Settings

AS_OF = date(2025, 11, 20)


@pytest.fixture(scope="module")
def inputs(city_lake: Path) -> Inputs:
    settings = Settings(home=city_lake, database_url=f"sqlite:///{city_lake / 'layoffwatch.db'}")
    lake = from_lake(settings)
    # Materialise once: the test compares many variants of the same data.
    return lake.collected()


def _future(inputs: Inputs) -> Inputs:
    """The same inputs plus rows nobody could have known at AS_OF, with alarming values."""
    later = AS_OF + timedelta(days=1)
    changes = inputs.changes.collect()
    firms = changes["uscc"].unique().sort().head(300)
    n = firms.len()
    future_changes = pl.DataFrame(
        {"uscc": firms, "date": [later + timedelta(days=i % 40) for i in range(n)], "added": [0] * n,
         "removed": [500] * n, "insured_total": [0] * n}
    ).cast(changes.schema)  # fmt: skip
    contributions = inputs.contributions.collect()
    # Same periods as known ones but reported after AS_OF; and periods that end after AS_OF.
    late_report = pl.DataFrame(
        {"uscc": firms, "period": [date(2025, 10, 1)] * n, "base_total": [1.0] * n, "due": [1e6] * n,
         "paid": [0.0] * n, "reported_on": [later] * n}
    ).cast(contributions.schema)  # fmt: skip
    next_period = late_report.with_columns(
        pl.lit(date(2025, 11, 1)).alias("period"), pl.lit(None, pl.Date).alias("reported_on")
    )
    payroll = inputs.payroll.collect()
    late_payroll = pl.DataFrame(
        {"uscc": firms, "period": [date(2025, 11, 1)] * n, "workers_paid": [0] * n, "gross_pay": [0.0] * n,
         "paid_on": [None] * n, "arrears_workers": [999] * n, "arrears_amount": [1e7] * n, "reported_on": [None] * n}
    ).cast(payroll.schema)  # fmt: skip
    sentiment = inputs.sentiment.since().collect()
    late_records = pl.DataFrame(
        {"uscc": firms, "published_at": [pl.datetime(2025, 11, 21, 0, 5) for _ in range(n)]}
    ).select(
        "uscc",
        pl.lit(None).cast(sentiment.schema["published_at"]).alias("published_at"),
    )
    late_records = late_records.with_columns(
        pl.lit("2025-11-21 00:05")
        .str.to_datetime()
        .dt.replace_time_zone("Asia/Shanghai")
        .dt.convert_time_zone(str(sentiment.schema["published_at"].time_zone))  # type: ignore[attr-defined]
        .alias("published_at"),
        pl.lit("petition").alias("channel"),
        pl.lit(300, pl.Int64).alias("participants"),
        *(pl.lit(True).alias(c) for c in CATEGORY_COLUMNS),  # about everything at once
    ).cast(sentiment.schema)
    return Inputs(
        register=inputs.register,
        changes=pl.concat([changes, future_changes]).lazy(),
        contributions=pl.concat([contributions, late_report, next_period]).lazy(),
        payroll=pl.concat([payroll, late_payroll]).lazy(),
        sentiment=LinkedSentiment.of_rows(pl.concat([sentiment, late_records])),
        outcomes=inputs.outcomes,
    )


def test_appending_future_rows_changes_no_feature(inputs: Inputs) -> None:
    before = feature_table(inputs, as_of=AS_OF).collect().sort("uscc")
    after = feature_table(_future(inputs), as_of=AS_OF).collect().sort("uscc")
    assert before.height > 1000
    assert_frame_equal(before, after)


def test_the_future_rows_would_change_features_at_a_later_date(inputs: Inputs) -> None:
    """The check above is not vacuous: the same rows do move the features once they are known."""
    later = date(2026, 1, 31)
    before = feature_table(inputs, as_of=later).collect().sort("uscc")
    after = feature_table(_future(inputs), as_of=later).collect().sort("uscc")
    for column in ("removed_90d", "contribution_arrears", "wage_arrears_workers", "petition_90d", "cat_layoffs_90d"):
        assert not before[column].equals(after[column]), column


def test_a_monthly_report_is_known_from_day_15_of_the_next_month_by_default(inputs: Inputs) -> None:
    periods = feature_table(inputs, as_of=date(2025, 11, 14)).collect()
    assert periods["contribution_months_since_report"].min() == 2  # September is the latest known
    periods = feature_table(inputs, as_of=date(2025, 11, 15)).collect()
    assert periods["contribution_months_since_report"].min() == 1  # October arrives on the 15th


def test_many_as_of_dates_give_the_same_rows_as_one_at_a_time(inputs: Inputs) -> None:
    dates = [date(2025, 9, 30), date(2025, 10, 31)]
    together = feature_table(inputs, as_of=dates).collect().sort("as_of", "uscc")
    apart = pl.concat([feature_table(inputs, as_of=d).collect() for d in dates]).sort("as_of", "uscc")
    assert_frame_equal(together, apart)
