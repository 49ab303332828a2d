"""The ingest flow: new files in the landing folder (or given paths) through the intake.

One task per file, in register-first order; each task calls ``Intake.ingest``, which is
idempotent by content hash, so a retried or repeated run adds nothing twice. The daily run
ingests the landing folder itself (``flows.daily``); this flow is for taking files on demand.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_table_artifact

from expectations import suite
from expectations.intake import FileReport, Intake, landing_files
from flows import common


@task(
    retries=2,
    retry_delay_seconds=30,
    task_run_name="ingest {path.name}",
    retry_condition_fn=common.retry_unless_user_error,
    on_failure=[common.notify_task_failure],
)
def ingest_file(path: Path, *, now: datetime) -> dict[str, Any]:
    return Intake(common.settings(), now=now).ingest(path).as_dict()


@task(retry_condition_fn=common.retry_unless_user_error, on_failure=[common.notify_task_failure])
def render_data_docs() -> str:
    return str(suite.render_data_docs(common.settings()))


@flow(name="ingest", on_failure=[common.notify_flow_failure], on_crashed=[common.notify_flow_failure])
def ingest(paths: list[str] | None = None) -> list[dict[str, Any]]:
    """Ingest ``paths`` (default: the home's landing folder) and publish the per-file table."""
    settings = common.settings()
    now = common.clock(settings)
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
