"""Backfill: the daily run over each day from ``start`` to ``end``, in order.

Idempotent because the daily run is: running a range twice changes nothing. Each day is a daily-run
subflow, so a failed day is reported (once) by that run's hooks and the backfill stops there; run
it again from that day once the cause is fixed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow

from flows import common
from flows.daily import daily_run


@flow(name="backfill")
def backfill(
    start: date, end: date, partitions: int = 1, dask_address: str | None = None
) -> list[dict[str, Any]]:
    """Run every day from ``start`` to ``end`` (both included) through the daily run (scored in
    ``partitions`` groups, on the Dask cluster at ``dask_address`` when given)."""
    return [
        daily_run(as_of=day, partitions=partitions, dask_address=dask_address) for day in common.days(start, end)
    ]
