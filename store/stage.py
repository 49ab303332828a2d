"""Staging tables for set-based writes: rows go to a temporary table in bulk (PostgreSQL ``COPY``,
SQLite ``executemany``), then one ``INSERT ... SELECT ... ON CONFLICT`` moves them (``store.upsert``).

A million rows take seconds this way, not the minutes of one statement per chunk of dictionaries.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy import Connection

CHUNK_ROWS = 100_000


def create_stage(connection: Connection, name: str, columns: Mapping[str, sa.types.TypeEngine[Any]]) -> sa.Table:
    """A temporary table ``name`` with ``columns`` (dropped first if a failed run left one)."""
    stage = sa.Table(name, sa.MetaData(), *(sa.Column(c, t) for c, t in columns.items()), prefixes=["TEMPORARY"])
    stage.drop(connection, checkfirst=True)
    stage.create(connection)  # dropped again before commit; a rollback undoes it on both backends
    return stage


def fill_stage(connection: Connection, stage: sa.Table, rows: pl.DataFrame) -> None:
    """Put ``rows`` (the stage's columns, in order) into the stage, in chunks."""
    names = [c.name for c in stage.columns]
    if connection.dialect.name == "postgresql":
        # COPY as CSV: an unquoted empty field is NULL.
        driver: Any = connection.connection.driver_connection  # a psycopg.Connection
        statement = f"COPY {stage.name} ({', '.join(names)}) FROM STDIN (FORMAT csv)"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for chunk in rows.iter_slices(CHUNK_ROWS):
                buffer = io.BytesIO()
                chunk.write_csv(buffer, include_header=False)
                copy.write(buffer.getvalue())
        return
    statement = f"INSERT INTO {stage.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    for chunk in rows.iter_slices(CHUNK_ROWS):
        connection.exec_driver_sql(statement, chunk.rows())
