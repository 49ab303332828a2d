"""Ingestion batches (one per input file, keyed by content hash) and the validation runs over them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from store.tables import BATCH_STATUSES, IngestionBatch, ValidationRun
from store.upsert import upsert


def find_batch(session: Session, batch_id: str) -> IngestionBatch | None:
    """The batch with this content hash, or None if the file was never seen."""
    return session.get(IngestionBatch, batch_id)


def record_batch(
    session: Session,
    *,
    id: str,
    source: str,
    file_name: str,
    file_path: str,
    format: str,
    status: str,
    received_at: datetime,
    encoding: str | None = None,
    reason: str | None = None,
    rows_read: int = 0,
    rows_valid: int = 0,
    rows_quarantined: int = 0,
    rows_rejected: int = 0,
    quarantine_path: str | None = None,
    lake_paths: Sequence[str] = (),
) -> IngestionBatch:
    """Record what happened to one file; a batch already recorded under ``id`` is overwritten.

    Runs in the session's transaction; the caller commits.
    """
    if status not in BATCH_STATUSES:
        raise ValueError(f"batch status {status!r}; expected one of {BATCH_STATUSES}")
    values = {
        "id": id,
        "source": source,
        "file_name": file_name,
        "file_path": file_path,
        "format": format,
        "encoding": encoding,
        "status": status,
        "reason": reason,
        "rows_read": rows_read,
        "rows_valid": rows_valid,
        "rows_quarantined": rows_quarantined,
        "rows_rejected": rows_rejected,
        "quarantine_path": quarantine_path,
        "lake_paths": list(lake_paths),
        "received_at": received_at,
    }
    table = IngestionBatch.__table__  # type: ignore[attr-defined]
    statement = upsert(session.get_bind().dialect, table, key=["id"], update=list(values)[1:], rows=[values])
    session.execute(statement)
    batch = session.get(IngestionBatch, id, populate_existing=True)
    assert batch is not None
    return batch


def record_validation_run(
    session: Session,
    *,
    batch_id: str,
    source: str,
    suite_name: str,
    success: bool,
    evaluated: int,
    successful: int,
    results: Sequence[Mapping[str, Any]],
    warnings: Mapping[str, int],
    run_at: datetime,
) -> ValidationRun:
    """Add one run of ``suite_name`` over the batch; the batch must be recorded first. The caller commits."""
    run = ValidationRun(
        batch_id=batch_id,
        source=source,
        suite_name=suite_name,
        success=bool(success),
        evaluated=int(evaluated),
        successful=int(successful),
        results=_plain(list(results)),
        warnings={str(rule): int(count) for rule, count in warnings.items()},
        run_at=run_at,
    )
    session.add(run)
    session.flush()
    return run


def list_batches(
    session: Session, *, source: str | None = None, status: str | None = None, limit: int = 100
) -> list[IngestionBatch]:
    """Batches newest first, optionally of one source and/or status."""
    query = select(IngestionBatch)
    if source is not None:
        query = query.where(IngestionBatch.source == source)
    if status is not None:
        query = query.where(IngestionBatch.status == status)
    query = query.order_by(col(IngestionBatch.received_at).desc(), col(IngestionBatch.id)).limit(limit)
    return list(session.exec(query))


def validation_runs(session: Session, batch_id: str) -> list[ValidationRun]:
    """The validation runs over one batch, oldest first."""
    query = (
        select(ValidationRun)
        .where(ValidationRun.batch_id == batch_id)
        .order_by(col(ValidationRun.run_at), col(ValidationRun.id))
    )
    return list(session.exec(query))


def _plain(value: Any) -> Any:
    """``value`` with numpy scalars and dates turned into JSON's own types."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
