"""Risk scores in the database: one row per (as_of, uscc, model_version), upserted by that key."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy import Engine

from store.tables import RiskScore
from store.upsert import upsert

CHUNK = 5_000
COLUMNS = (
    "as_of", "uscc", "model_version", "probability", "percentile", "tier", "reasons", "evidence", "scored_at"
)  # fmt: skip


def write_scores(engine: Engine, scores: pl.DataFrame, *, model_version: str, scored_at: datetime) -> int:
    """Upsert ``scores`` (uscc, as_of, probability, percentile, tier, reasons and, when present,
    evidence: a struct, null where there is none); returns rows written."""
    table = RiskScore.__table__  # type: ignore[attr-defined]
    rows = scores.select(
        "as_of",
        "uscc",
        pl.lit(model_version).alias("model_version"),
        "probability",
        "percentile",
        "tier",
        "reasons",
        pl.col("evidence") if "evidence" in scores.columns else pl.lit(None).alias("evidence"),
        pl.lit(scored_at).alias("scored_at"),
    )
    written = 0
    with engine.begin() as connection:
        for chunk in rows.iter_slices(CHUNK):
            statement = upsert(
                connection.dialect,
                table,
                key=("as_of", "uscc", "model_version"),
                update=COLUMNS[3:],
                rows=[{**row, "evidence": row["evidence"] or {}} for row in chunk.to_dicts()],
            )
            connection.execute(statement)
            written += chunk.height
    return written


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
