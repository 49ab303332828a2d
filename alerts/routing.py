"""Routing: which offices must act on which alert, decided for a whole day's alerts at once.

An office's ``receives`` (``alerts.config``) is a list of condition blocks: the alert goes to the
office when every condition of any one block holds. Conditions compare the alert's tier and its
evidence figures (``models.scoring.EVIDENCE_COLUMNS``); each block compiles to one Polars
expression, so routing 20,000 alerts is one pass, not 80,000 calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from alerts.config import AlertingConfig, Office
from models.tiers import TIER_RANK, tier_rank_expr


def _block(conditions: Mapping[str, Any]) -> pl.Expr:
    expr = pl.lit(True)
    for name, threshold in conditions.items():
        if name == "tier_at_least":
            expr = expr & (tier_rank_expr() >= TIER_RANK[threshold])
        else:
            figure = name.removeprefix("min_")
            expr = expr & (pl.col(figure).cast(pl.Float64).fill_null(0) >= threshold)
    return expr


def receives(office: Office) -> pl.Expr:
    """True for the rows (one per enterprise alert, evidence figures as columns) the office receives."""
    expr = pl.lit(False)
    for block in office.receives:
        expr = expr | _block(block)
    return expr


def routed_offices(alerts: pl.DataFrame, config: AlertingConfig) -> pl.Series:
    """For each row of ``alerts`` (tier plus evidence columns), the list of office keys to notify,
    the lead office first. Area warnings are not routed here: every office gets them."""
    if alerts.is_empty():
        return pl.Series("offices", [], dtype=pl.List(pl.String))
    flags = alerts.select(
        *(pl.when(receives(office)).then(pl.lit(office.key)).alias(office.key) for office in config.offices)
    )
    return flags.select(pl.concat_list(pl.all()).list.drop_nulls().alias("offices")).to_series()
