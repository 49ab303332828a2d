"""The watchlist as officers read it: entries joined with the register, the latest scores and the alerts.

Columns are English here (``LISTING_COLUMNS``); ``watchlist.export`` gives them the officers' Chinese
headers. Reads only the rows on the list (or, for the history, the list's rows ever), the scores of
those enterprises on the latest scored day, and their alerts that are not closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy import Connection
from sqlmodel import Session

from models.tiers import TIER_ZH, tier_rank_expr
from store.tables import Alert, Enterprise, ModelVersion, RiskScore, WatchlistEntry
from watchlist.industries import industry_label

OFFICE_ZH = {"hr": "人社局", "public_security": "公安局", "petitions": "信访局", "cyberspace": "网信办"}
DEFAULT_OFFICE = "人社局"
UNSCORED = "未评分"
TOP_SENTENCES = 3
MANUAL_PREFIX = "人工纳入："
LISTING_COLUMNS = (
    "no", "name", "uscc", "township", "industry", "headcount", "tier", "tier_zh", "risk_factors",
    "entered_on", "reason", "offices", "kinds",
)  # fmt: skip
HISTORY_COLUMNS = (*LISTING_COLUMNS, "left_on", "leave_reason")
CHUNK = 5_000  # uscc codes per IN (...), well under SQLite's bound-parameter limit

_ENTRY: sa.Table = WatchlistEntry.__table__  # type: ignore[attr-defined]
_ENTERPRISE: sa.Table = Enterprise.__table__  # type: ignore[attr-defined]
_SCORE: sa.Table = RiskScore.__table__  # type: ignore[attr-defined]
_MODEL: sa.Table = ModelVersion.__table__  # type: ignore[attr-defined]
_ALERT: sa.Table = Alert.__table__  # type: ignore[attr-defined]
_REASON = pl.Struct({"code": pl.String, "title": pl.String, "sentence": pl.String, "impact": pl.Float64})


def watchlist_frame(session: Session, *, include_history: bool = False) -> pl.DataFrame:
    """The list, riskiest first: one row per enterprise on it (``LISTING_COLUMNS``); an enterprise on
    it both by hand and automatically is one row with both reasons.

    With ``include_history``: one row per stay ever (``HISTORY_COLUMNS``), on the list or not,
    oldest first. ``tier``, ``headcount`` and ``risk_factors`` come from the enterprise's score on
    the latest scored day (the champion's when several models scored it); ``offices`` from its
    alert that is not closed, else the manual entry's office, else 人社局.
    """
    connection = session.connection()
    stays = _stays(connection, include_history=include_history)
    rows = stays if include_history else _one_per_enterprise(stays)
    codes = rows["uscc"].unique().to_list()
    out = (
        rows.join(_latest_scores(connection, codes), on="uscc", how="left")
        .join(_alert_offices(connection, codes), on="uscc", how="left")
        .with_columns(
            pl.col("tier").replace_strict(TIER_ZH, default=None).fill_null(UNSCORED).alias("tier_zh"),
            industry_label(pl.col("industry")).alias("industry"),
            pl.coalesce("alert_offices", _office_names(pl.col("office")), pl.lit(DEFAULT_OFFICE)).alias(
                "offices"
            ),
            pl.col("risk_factors").fill_null(""),
            pl.col("name").fill_null(""),
            pl.col("township").fill_null(""),
        )
    )
    if include_history:
        out = out.sort("entered_on", "uscc", "kind")
    else:
        rank = tier_rank_expr()
        out = out.sort(rank, "entered_on", "uscc", descending=[True, False, False])
    out = out.with_row_index("no", offset=1).with_columns(pl.col("no").cast(pl.Int64))
    return out.select(HISTORY_COLUMNS if include_history else LISTING_COLUMNS)


def _stays(connection: Connection, *, include_history: bool) -> pl.DataFrame:
    """One row per watchlist row with its enterprise's name, township and industry code."""
    e, r = _ENTRY, _ENTERPRISE
    query = sa.select(
        e.c.uscc, e.c.kind, e.c.entered_on, e.c.reason, e.c.office, e.c.left_on, e.c.leave_reason,
        r.c.name, r.c.township, r.c.industry,
    ).select_from(e.outerjoin(r, r.c.uscc == e.c.uscc))  # fmt: skip
    if not include_history:
        query = query.where(e.c.left_on.is_(None))
    schema = {
        "uscc": pl.String, "kind": pl.String, "entered_on": pl.Date, "reason": pl.String, "office": pl.String,
        "left_on": pl.Date, "leave_reason": pl.String, "name": pl.String, "township": pl.String,
        "industry": pl.String,
    }  # fmt: skip
    stays = pl.DataFrame([tuple(row) for row in connection.execute(query)], schema=schema, orient="row")
    return stays.with_columns(
        pl.when(pl.col("kind") == "manual")
        .then(pl.lit(MANUAL_PREFIX) + pl.col("reason"))
        .otherwise(pl.col("reason"))
        .alias("reason"),
        pl.concat_list(pl.col("kind")).alias("kinds"),
    )


def _one_per_enterprise(stays: pl.DataFrame) -> pl.DataFrame:
    """Stays on the list merged per enterprise: the earliest entry day, the automatic reason first."""
    return (
        stays.sort("uscc", pl.col("kind") == "manual", "entered_on")
        .group_by("uscc", maintain_order=True)
        .agg(
            pl.col("entered_on").min(),
            pl.col("reason").str.join("；"),
            pl.col("office").drop_nulls().first(),
            pl.col("kind").sort().alias("kinds"),
            pl.col("name", "township", "industry").first(),
        )
    )


def _latest_scores(connection: Connection, codes: Sequence[str]) -> pl.DataFrame:
    """One row per enterprise in ``codes`` scored on the latest scored day: tier, headcount and the
    top reason sentences."""
    schema = {"uscc": pl.String, "tier": pl.String, "headcount": pl.Int64, "risk_factors": pl.String}
    latest = connection.execute(sa.select(sa.func.max(_SCORE.c.as_of))).scalar_one_or_none()
    if latest is None or not codes:
        return pl.DataFrame(schema=schema)
    s, m = _SCORE, _MODEL
    records: list[tuple[Any, ...]] = []
    for chunk in _chunks(codes):
        query = (
            sa.select(
                s.c.uscc, s.c.tier, s.c.evidence["headcount"].as_float(), s.c.reasons,
                (m.c.status == "champion").label("champion"), s.c.scored_at,
            )
            .select_from(s.join(m, m.c.version == s.c.model_version))
            .where(s.c.as_of == latest, s.c.uscc.in_(chunk))
        )  # fmt: skip
        records.extend(tuple(row) for row in connection.execute(query))
    scores = pl.DataFrame(
        records,
        schema={
            "uscc": pl.String,
            "tier": pl.String,
            "headcount": pl.Float64,
            "reasons": pl.List(_REASON),
            "champion": pl.Boolean,
            "scored_at": pl.Datetime("us", "UTC"),
        },  # fmt: skip
        orient="row",
    )
    sentences = (
        pl.col("reasons")
        .list.head(TOP_SENTENCES)
        .list.eval(pl.element().struct.field("sentence").drop_nulls())
        .list.join("；")
    )
    return (
        scores.sort("champion", "scored_at", descending=True, nulls_last=True)
        .unique("uscc", keep="first")
        .select("uscc", "tier", pl.col("headcount").round().cast(pl.Int64), sentences.alias("risk_factors"))
    )


def _alert_offices(connection: Connection, codes: Sequence[str]) -> pl.DataFrame:
    """One row per enterprise in ``codes`` with an alert that is not closed: its offices in Chinese."""
    a = _ALERT
    records: list[tuple[Any, ...]] = []
    for chunk in _chunks(codes):
        query = sa.select(a.c.subject, a.c.offices).where(
            a.c.kind == "enterprise", a.c.status != "closed", a.c.subject.in_(chunk)
        )
        records.extend(tuple(row) for row in connection.execute(query))
    alerts = pl.DataFrame(records, schema={"uscc": pl.String, "offices": pl.List(pl.String)}, orient="row")
    names = (
        pl.col("offices")
        .list.eval(pl.element().replace_strict(OFFICE_ZH, default=pl.element()))
        .list.join("、")
    )
    return alerts.select(
        "uscc", pl.when(pl.col("offices").list.len() > 0).then(names).alias("alert_offices")
    ).unique("uscc", keep="first")


def _office_names(office: pl.Expr) -> pl.Expr:
    """An officer's ``--office``: an office key (hr, public_security, …) in Chinese, other text as given."""
    return office.replace_strict(OFFICE_ZH, default=office)


def _chunks(codes: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for code in codes:
        batch.append(code)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch
