"""Risk scores in the database: one row per (as_of, uscc, model_version), upserted by that key."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql

from store.stage import create_stage, fill_stage
from store.tables import RiskScore
from store.types import UtcDateTime
from store.upsert import upsert

COLUMNS = (
    "as_of", "uscc", "model_version", "probability", "percentile", "tier", "reasons", "evidence", "scored_at"
)  # fmt: skip


def write_scores(engine: Engine, scores: pl.DataFrame, *, model_version: str, scored_at: datetime) -> int:
    """Upsert ``scores`` (uscc, as_of, probability, percentile, tier, reasons and, when present,
    evidence: a struct, null where there is none); returns rows written.

    Set-based (``store.stage``): the rows are staged with reasons and evidence already JSON text,
    then one ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` writes them.
    """
    rows = _staged(scores)
    if rows.is_empty():
        return 0
    table = RiskScore.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        numbers = {"probability", "percentile"}
        stage = create_stage(
            connection, "risk_score_stage", {c: sa.Float() if c in numbers else sa.String() for c in STAGED}
        )
        fill_stage(connection, stage, rows)

        def json_of(column: sa.Column[Any]) -> sa.ColumnElement[Any]:
            return sa.cast(column, postgresql.JSONB) if postgres else sa.func.json(column)

        select = sa.select(
            (sa.cast(stage.c.as_of, sa.Date) if postgres else stage.c.as_of).label("as_of"),
            stage.c.uscc,
            sa.literal(model_version, sa.String).label("model_version"),
            stage.c.probability,
            stage.c.percentile,
            stage.c.tier,
            json_of(stage.c.reasons).label("reasons"),
            json_of(stage.c.evidence).label("evidence"),
            sa.literal(scored_at, UtcDateTime()).label("scored_at"),
        )
        connection.execute(
            upsert(
                connection.dialect,
                table,
                key=("as_of", "uscc", "model_version"),
                update=COLUMNS[3:],
                select=select,
            )
        )
        stage.drop(connection)
    return rows.height


STAGED = ("as_of", "uscc", "probability", "percentile", "tier", "reasons", "evidence")


def _staged(scores: pl.DataFrame) -> pl.DataFrame:
    """One row per (as_of, uscc) as the stage takes it: dates as ISO text, reasons and evidence as JSON."""
    reasons = (
        pl.struct(pl.col("reasons"))
        .struct.json_encode()
        .str.strip_prefix('{"reasons":')
        .str.strip_suffix("}")
    )
    # A null struct encodes as the text "null", not as a null: test the struct itself.
    evidence = (
        pl.when(pl.col("evidence").is_null())
        .then(pl.lit("{}"))
        .otherwise(pl.col("evidence").struct.json_encode())
        if "evidence" in scores.columns
        else pl.lit("{}")
    )
    return scores.select(
        pl.col("as_of").cast(pl.Date).cast(pl.String),
        "uscc",
        pl.col("probability").cast(pl.Float64),
        pl.col("percentile").cast(pl.Float64),
        "tier",
        pl.when(pl.col("reasons").is_null()).then(pl.lit("[]")).otherwise(reasons).alias("reasons"),
        evidence.alias("evidence"),
    ).unique(subset=["as_of", "uscc"], keep="last", maintain_order=True)


def read_scores(engine: Engine, *, as_of: date, model_version: str | None = None) -> pl.DataFrame:
    """Score rows of one day (of one model version, or of all)."""
    table = RiskScore.__table__  # type: ignore[attr-defined]
    query = sa.select(table).where(table.c.as_of == as_of)
    if model_version is not None:
        query = query.where(table.c.model_version == model_version)
    with engine.connect() as connection:
        result = connection.execute(query.order_by(table.c.probability.desc().nulls_last(), table.c.uscc))
        records = [dict(r._mapping) for r in result]
    schema: dict[str, Any] = {
        "as_of": pl.Date, "uscc": pl.String, "model_version": pl.String, "probability": pl.Float64,
        "percentile": pl.Float64, "tier": pl.String, "reasons": pl.Object, "scored_at": pl.Datetime("us", "UTC"),
    }  # fmt: skip
    if not records:
        return pl.DataFrame(schema={k: v for k, v in schema.items() if k != "reasons"}).with_columns(
            pl.lit(
                None,
                pl.List(
                    pl.Struct(
                        {"code": pl.String, "title": pl.String, "sentence": pl.String, "impact": pl.Float64}
                    )
                ),
            ).alias("reasons")
        )
    return pl.DataFrame(records, infer_schema_length=None)
