"""The ground truth the pipeline never reads: events, traps, hidden distress, planted errors.

Files under ``out/truth/``:
- ``events.parquet`` -- one row per mass layoff: uscc, start_date (the first day from which the
  si_changes data meet art. 41), size (removals in the 30 days from start_date), headcount_before
  (insured on the day before), mechanism, burst_date (the planned first layoff day), notice_date,
  distress_since (first month of the episode).
- ``traps.parquet`` -- one row per look-alike that is not a layoff: uscc, date, type, size,
  headcount_before, counterpart_uscc (transfers), end_date, returned, detail.
- ``distress_monthly.parquet`` -- one row per operating enterprise and month: the latent distress.
- ``sentiment_labels.parquet`` -- one row per sentiment record: the enterprise it is about, intent.
- ``injected_errors.parquet`` -- one row per planted error: file, row, column, error_type.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from sources.synthetic.calendar import Window, add_months
from sources.synthetic.city import City
from sources.synthetic.dynamics import Simulation


class ParquetStream:
    """Appends frames of one schema to a Parquet file, one row group per call (bounded memory)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: pq.ParquetWriter | None = None
        self.rows = 0

    def write(self, frame: pl.DataFrame) -> None:
        table = frame.to_arrow()
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self._writer.write_table(table)
        self.rows += frame.height

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def _date(window: Window, column: str) -> pl.Expr:
    return (pl.lit(window.start) + pl.duration(days=pl.col(column))).cast(pl.Date)


def art41_need_expr(headcount: pl.Expr) -> pl.Expr:
    """Removals in 30 days that make a mass layoff: 20, or 10% of the headcount and at least 5."""
    return (
        pl.when(headcount >= 200).then(20).otherwise(pl.max_horizontal(pl.lit(5), (0.1 * headcount).ceil()))
    )


def events(sim: Simulation, city: City, window: Window) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Mass layoffs with their start read off the data, and planned ones that fell short (as traps).

    For each planned burst on day B, start_date is the earliest day D in [B-29, B] (within the
    window) on which people are removed and from which the removals in [D, D+29] reach 20, or 10%
    of the insured total on D-1 and at least 5. (Requiring a removal on D keeps the start on a
    day something happened; on a bare calendar grid every burst would "start" on B-29.)
    """
    schema = pl.Schema(
        {
            "firm": pl.Int32,
            "burst_day": pl.Int32,
            "planned": pl.Int32,
            "before": pl.Int32,
            "mechanism": pl.String,
            "notice_day": pl.Int32,
            "episode_start_month": pl.Int32,
        }
    )
    planned = (
        pl.concat([p.cast(schema) for p in sim.pending_events])
        if sim.pending_events
        else pl.DataFrame(schema=schema)
    )
    rows = (
        pl.concat(
            [
                r.cast({"firm": pl.Int32, "day": pl.Int32, "removed": pl.Int32, "insured_total": pl.Int32})
                for r in sim.watched_rows
            ]
        )
        if sim.watched_rows
        else pl.DataFrame(
            schema={"firm": pl.Int32, "day": pl.Int32, "removed": pl.Int32, "insured_total": pl.Int32}
        )
    )
    rows = rows.sort("firm", "day").with_columns(cum=pl.col("removed").cum_sum().over("firm")).sort("day")
    offsets = pl.DataFrame({"offset": np.arange(0, 30, dtype=np.int32)})
    removal_days = rows.filter(pl.col("removed") > 0).select("firm", pl.col("day").alias("d")).unique()
    cand = (
        planned.join(offsets, how="cross")
        .with_columns(d=(pl.col("burst_day") - pl.col("offset")).cast(pl.Int32))
        .filter(pl.col("d") >= 0)
        .join(removal_days, on=["firm", "d"], how="semi")
        .with_columns(d_prev=(pl.col("d") - 1).cast(pl.Int32), d_last=(pl.col("d") + 29).cast(pl.Int32))
        .sort("d_prev")
    )
    before = rows.select(
        "firm",
        pl.col("day").alias("d_prev"),
        pl.col("cum").alias("cum_prev"),
        pl.col("insured_total").alias("base"),
    )
    through = rows.select("firm", pl.col("day").alias("d_last"), pl.col("cum").alias("cum_last"))
    scored = (
        cand.join_asof(before, on="d_prev", by="firm", strategy="backward", check_sortedness=False)
        .sort("d_last")
        .join_asof(through, on="d_last", by="firm", strategy="backward", check_sortedness=False)
        .with_columns(
            removed=(pl.col("cum_last").fill_null(0) - pl.col("cum_prev").fill_null(0)).cast(pl.Int32),
            base=pl.col("base").fill_null(pl.col("before")),
        )
    )
    met = (
        scored.filter(pl.col("removed") >= art41_need_expr(pl.col("base")))
        .sort("d")
        .group_by("firm", "burst_day", maintain_order=True)
        .first()
    )
    uscc = pl.Series(city.uscc.astype(str))
    found = met.select(
        pl.col("firm").map_batches(lambda f: uscc.gather(f), return_dtype=pl.String).alias("uscc"),
        _date(window, "d").alias("start_date"),
        pl.col("removed").alias("size"),
        pl.col("base").alias("headcount_before"),
        "mechanism",
        _date(window, "burst_day").alias("burst_date"),
        pl.when(pl.col("notice_day") < pl.col("burst_day"))
        .then(_date(window, "notice_day"))
        .alias("notice_date"),
        pl.col("episode_start_month")
        .map_batches(
            lambda m: pl.Series([add_months(window.start, int(x)) for x in m], dtype=pl.Date),
            return_dtype=pl.Date,
        )
        .alias("distress_since"),
        "firm",
    ).sort("start_date", "uscc")
    short = planned.join(met.select("firm", "burst_day"), on=["firm", "burst_day"], how="anti").select(
        "firm",
        pl.col("burst_day").alias("day"),
        pl.lit("layoff_below_line").alias("type"),
        pl.col("planned").alias("size"),
        "before",
        pl.col("mechanism").alias("detail"),
    )
    return found, short


def traps(sim: Simulation, city: City, window: Window, extra: pl.DataFrame) -> pl.DataFrame:
    """Every recorded trap with dates inside the window; returns not yet complete have no end_date."""
    schema = {
        "firm": pl.Int32,
        "day": pl.Int32,
        "type": pl.String,
        "size": pl.Int32,
        "before": pl.Int32,
        "counterpart": pl.Int32,
        "end_day": pl.Int32,
        "returned": pl.Int32,
        "detail": pl.String,
    }
    parts = [p for p in [*sim.traps, extra] if p.height]
    if not parts:
        return pl.DataFrame(schema={"uscc": pl.String, "date": pl.Date, "type": pl.String})
    frames = []
    for p in parts:
        frames.append(
            p.select(
                [pl.col(c).cast(t) if c in p.columns else pl.lit(None, t).alias(c) for c, t in schema.items()]
            )
        )
    allp = pl.concat(frames).filter(pl.col("day") <= window.last_ordinal)
    uscc = pl.Series(city.uscc.astype(str))
    last = window.last_ordinal
    return allp.select(
        pl.col("firm").map_batches(lambda f: uscc.gather(f), return_dtype=pl.String).alias("uscc"),
        _date(window, "day").alias("date"),
        "type",
        "size",
        pl.col("before").alias("headcount_before"),
        pl.col("counterpart")
        .map_batches(
            lambda f: uscc.gather(f.fill_null(0)).zip_with(
                f.is_not_null(), pl.Series([None] * len(f), dtype=pl.String)
            ),
            return_dtype=pl.String,
        )
        .alias("counterpart_uscc"),
        pl.when(pl.col("end_day") <= last).then(_date(window, "end_day")).alias("end_date"),
        "returned",
        "detail",
    ).sort("date", "uscc", "type")
