"""The ingest flow: new files in the landing folder (or given paths) through the intake.

One task per file, in register-first order; each task calls ``Intake.ingest``, which is
idempotent by content hash, so a retried or repeated run adds nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_table_artifact

from expectations import suite
from expectations.intake import FileReport, Intake, landing_files
from layoffwatch.settings import load_settings


@task(retries=2, retry_delay_seconds=30, task_run_name="ingest {path.name}")
def ingest_file(path: Path, *, now: datetime) -> dict[str, Any]:
    return Intake(load_settings(), now=now).ingest(path).as_dict()


@task
def render_data_docs() -> str:
    return str(suite.render_data_docs(load_settings()))


@flow(name="ingest")
def ingest(paths: list[str] | None = None) -> list[dict[str, Any]]:
    """Ingest ``paths`` (default: the home's landing folder) and publish the per-file table."""
    settings = load_settings()
    now = datetime.now(settings.tz)
    files = landing_files(settings, [Path(p) for p in paths] if paths else None)
    reports = [ingest_file(path, now=now) for path in files]
    if any(r["status"] == "ingested" for r in reports):
        render_data_docs()
    create_table_artifact(
        key="ingest-files",
        table=[{column: r[column] for column in FileReport.TABLE_COLUMNS} for r in reports],
        description="每个文件的读取、有效、隔离行数",
    )
    return reports
