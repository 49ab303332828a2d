"""Small builders for hand-made enrolment histories: an enterprise, its days, its changes."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from features.inputs import Inputs

START = date(2025, 1, 1)


def day(n: int) -> date:
    return START + timedelta(days=n)


class History:
    """Per-enterprise daily changes; insured_total is accumulated from an opening headcount."""

    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []
        self.register: list[dict[str, object]] = []

    def enterprise(
        self, uscc: str, headcount: int, *, name: str | None = None, founded: date = date(2010, 1, 1)
    ) -> History:
        self.register.append(
            {"uscc": uscc, "name": name or f"侯马市{uscc}有限公司", "industry": "C33", "township": "新田乡",
             "ownership": "private", "founded_on": founded, "status": "active"}
        )  # fmt: skip
        if headcount:
            # The opening headcount arrives long before the story starts (older than a year).
            self.rows.append({"uscc": uscc, "date": day(-400), "added": headcount, "removed": 0})
        return self

    def change(self, uscc: str, n: int, *, added: int = 0, removed: int = 0) -> History:
        self.rows.append({"uscc": uscc, "date": day(n), "added": added, "removed": removed})
        return self

    def changes(self) -> pl.DataFrame:
        frame = pl.DataFrame(
            self.rows, schema={"uscc": pl.String, "date": pl.Date, "added": pl.Int64, "removed": pl.Int64}
        )
        frame = (
            frame.group_by("uscc", "date")
            .agg(pl.col("added").sum(), pl.col("removed").sum())
            .sort("uscc", "date")
        )
        return frame.with_columns(
            (pl.col("added") - pl.col("removed")).cum_sum().over("uscc").alias("insured_total")
        )

    def inputs(self, **others: pl.DataFrame) -> Inputs:
        return Inputs.from_frames(register=pl.DataFrame(self.register), changes=self.changes(), **others)
