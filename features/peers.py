"""Peer comparisons: where an enterprise stands among enterprises of the same industry section and
size band on the same as_of date (so that what happens to everybody in a season looks ordinary)."""

from __future__ import annotations

import polars as pl

PEER_GROUP = ("as_of", "industry_section", "size_band")
# Signals compared with peers; each gives ``<signal>_peer_pct`` (0-1) and, for removals, the excess
# over the peer median.
PEER_SIGNALS = (
    "removed_share_30d",
    "removed_share_90d",
    "contribution_arrears_months_due",
    "days_late_3m",
    "records_30d",
)
EXCESS_SIGNALS = ("removed_share_30d", "removed_share_90d")


def with_peer_comparisons(table: pl.LazyFrame) -> pl.LazyFrame:
    """Adds peer percentiles (share of peers with a strictly lower value) and excesses."""
    group = list(PEER_GROUP)
    return table.with_columns(
        *(
            ((pl.col(s).rank("min").over(group) - 1) / pl.col(s).count().over(group))
            .cast(pl.Float32)
            .alias(f"{s}_peer_pct")
            for s in PEER_SIGNALS
        ),
        *(
            (pl.col(s) - pl.col(s).median().over(group)).cast(pl.Float32).alias(f"{s}_vs_peers")
            for s in EXCESS_SIGNALS
        ),
    )
