"""The enterprise register in the database: bulk upsert from validated rows, and fast look-ups.

One row per enterprise (uscc). Writes go through a staging table (``store.stage``) and one
set-based ``INSERT ... SELECT ... ON CONFLICT DO UPDATE``. No ORM objects: a million rows take
seconds, not minutes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql

from sources.schema import ENTERPRISES
from store.stage import create_stage, fill_stage
from store.tables import Enterprise
from store.types import UtcDateTime
from store.upsert import upsert

COLUMNS: tuple[str, ...] = ENTERPRISES.names
"""The register's columns, in the source's order; uscc first."""
_TABLE: sa.Table = Enterprise.__table__  # type: ignore[attr-defined]


def upsert_enterprises(engine: Engine, frame: pl.DataFrame, *, batch_id: str, now: datetime) -> int:
    """Insert new enterprises and update changed ones from validated register rows.

    ``frame`` has the register's columns (``sources.schema.ENTERPRISES``); when a uscc appears
    twice the last row wins. A row whose values are all unchanged is left alone (its
    ``batch_id`` and ``updated_at`` keep naming the batch that last changed it), so running
    the same batch twice changes nothing. Returns how many enterprises were inserted or changed.
    """
    rows = _staged_values(frame)
    if rows.is_empty():
        return 0
    with engine.begin() as connection:
        date_type: sa.types.TypeEngine[Any] = sa.Date() if connection.dialect.name == "postgresql" else sa.String()
        stage = create_stage(
            connection, "enterprise_stage", {c: date_type if c == "founded_on" else sa.String() for c in COLUMNS}
        )
        fill_stage(connection, stage, rows)
        aliases = stage.c.aliases
        select = sa.select(
            *(stage.c[name] for name in COLUMNS if name != "aliases"),
            (
                sa.cast(aliases, postgresql.JSONB)
                if connection.dialect.name == "postgresql"
                else sa.func.json(aliases)
            ).label("aliases"),
            sa.literal(batch_id, sa.String).label("batch_id"),
            sa.literal(now, UtcDateTime()).label("updated_at"),
        )
        changed = connection.execute(
            upsert(
                connection.dialect,
                _TABLE,
                key=["uscc"],
                update=[*COLUMNS[1:], "batch_id", "updated_at"],
                when_changed=COLUMNS[1:],
                select=select,
            ),
            execution_options={"preserve_rowcount": True},
        ).rowcount
        stage.drop(connection)
    return changed


def known_uscc(engine: Engine) -> pl.Series:
    """Every uscc in the register (Utf8, unordered): what other sources' references are checked against."""
    with engine.connect() as connection:
        driver: Any = connection.connection.driver_connection
        cursor = driver.cursor()
        try:
            cursor.execute("SELECT uscc FROM enterprise")
            codes = [row[0] for row in cursor.fetchall()]
        finally:
            cursor.close()
    return pl.Series("uscc", codes, dtype=pl.String)


def enterprise_count(engine: Engine) -> int:
    """How many enterprises the register holds."""
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(_TABLE)).scalar_one()


def _staged_values(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame as the stage takes it: one row per uscc, aliases as JSON text, dates as ISO text."""
    missing = [name for name in COLUMNS if name not in frame.columns]
    if missing:
        raise ValueError(f"enterprise rows lack column(s) {missing}")
    aliases = pl.col("aliases").cast(pl.List(pl.String))
    aliases_json = (
        pl.struct(aliases).struct.json_encode().str.strip_prefix('{"aliases":').str.strip_suffix("}")
    )
    converted = {
        "aliases": pl.when(aliases.is_null()).then(pl.lit("[]")).otherwise(aliases_json).alias("aliases"),
        "founded_on": pl.col("founded_on").cast(pl.Date).cast(pl.String),
    }
    return frame.unique(subset="uscc", keep="last", maintain_order=True).select(
        converted.get(name, pl.col(name)) for name in COLUMNS
    )
