"""Read-only views for the command line: batches and quarantine as plain rows (for tables and --json)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import polars as pl
from sqlmodel import Session, col, select

from expectations.rules import rules_for
from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from sources.schema import SOURCES
from store import db, quarantine
from store.tables import IngestionBatch


def _row(batch: IngestionBatch, settings: Settings) -> dict[str, Any]:
    return {
        "batch_id": batch.id,
        "source": batch.source,
        "file_name": batch.file_name,
        "file_path": batch.file_path,
        "status": batch.status,
        "reason": batch.reason,
        "rows_read": batch.rows_read,
        "rows_valid": batch.rows_valid,
        "rows_quarantined": batch.rows_quarantined,
        "rows_rejected": batch.rows_rejected,
        "received_at": batch.received_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M:%S"),
    }


def batch_rows(settings: Settings, *, source: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Ingestion batches, newest first."""
    with Session(db.engine_for(settings)) as session:
        query = select(IngestionBatch).order_by(col(IngestionBatch.received_at).desc()).limit(limit)
        if source:
            query = query.where(IngestionBatch.source == source)
        return [_row(b, settings) for b in session.exec(query)]


def quarantine_batches(settings: Settings, *, source: str | None = None) -> list[dict[str, Any]]:
    """Batches that have quarantined rows, newest first, with their three most frequent reasons."""
    with Session(db.engine_for(settings)) as session:
        query = (
            select(IngestionBatch)
            .where(IngestionBatch.rows_quarantined > 0)
            .order_by(col(IngestionBatch.received_at).desc())
        )
        if source:
            query = query.where(IngestionBatch.source == source)
        found = list(session.exec(query))
    rows = []
    for batch in found:
        frame = quarantine.read(settings, batch.id)
        by_rule: Counter[str] = Counter(frame.select(pl.col("_rules").explode())["_rules"].to_list())
        messages = {r.id: r.message for r in rules_for(SOURCES[batch.source])}
        row = _row(batch, settings)
        row["top_reasons"] = [f"{messages.get(rule, rule)}（{n}行）" for rule, n in by_rule.most_common(3)]
        rows.append(row)
    return rows


def find_batch_id(settings: Settings, prefix: str) -> str:
    """The full batch id for an id or its first characters; a clear error when none or several match."""
    if len(prefix) < 4:
        raise UserError(f"批次号 {prefix!r} 太短；请至少给出前4位（见 layoffwatch quarantine list）。")
    with Session(db.engine_for(settings)) as session:
        ids = list(
            session.exec(select(IngestionBatch.id).where(col(IngestionBatch.id).startswith(prefix)).limit(3))
        )
    if not ids:
        raise UserError(f"没有批次号以 {prefix!r} 开头的批次（见 layoffwatch quarantine list）。")
    if len(ids) > 1:
        raise UserError(f"批次号 {prefix!r} 对应多个批次（{', '.join(i[:12] for i in ids)}…）；请多给几位。")
    return ids[0]


def quarantine_rows(settings: Settings, prefix: str, *, limit: int = 50) -> pl.DataFrame:
    """One batch's quarantined rows: row number, the reason, then the original cells."""
    batch_id = find_batch_id(settings, prefix)
    frame = quarantine.read(settings, batch_id)
    originals = [c for c in frame.columns if not c.startswith("_")]
    return frame.select(pl.col("_row").alias("行号"), pl.col("_reason").alias("原因"), *originals).head(limit)
