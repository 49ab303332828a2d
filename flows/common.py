"""What every flow shares: settings, the clock, the default day, run-scoped cache keys, and the
failure hooks that tell the data-engineering contact.

Caching. A task's cache key is its inputs that matter (``as_of``, a batch's content hash) *and its
flow run*: a flow run that is retried, or resumed after a crash, skips the tasks it already
finished, while a new run of the same day always recomputes. Keys shared across runs would go
stale whenever the state they summarise changes under them (a late file for a past day, a database
restored from backup at the same URL, a silence added, time passing an acknowledgement deadline),
and a stale hit here means a day silently not scored or not alerted. Recomputing is safe because
every step is idempotent by key (batch = content hash, scores upsert on (as_of, uscc, model),
alerts per enterprise episode, outbox rows per (alert, state, office, target)); that is the real
guarantee, the cache only saves work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from prefect import Task
from prefect.context import TaskRunContext
from prefect.logging import get_logger

from alerts import pipeline
from alerts.config import load_alerting
from layoffwatch.errors import UserError
from layoffwatch.settings import Settings, load_settings

log = get_logger("layoffwatch.flows")  # under Prefect's "prefect" logger: shown with the run's logs
KeyFn = Callable[[TaskRunContext, dict[str, Any]], str | None]


def settings() -> Settings:
    """The settings of the process running the flow (``LAYOFFWATCH_HOME``, ``LAYOFFWATCH_DATABASE_URL``)."""
    return load_settings()


def clock(cfg: Settings) -> datetime:
    """Now, in the settings' timezone: flows read the clock here and pass it down as ``now``."""
    return datetime.now(cfg.tz)


def day_before(now: datetime) -> date:
    """The default day of a run started at ``now`` (in the settings' timezone): yesterday, the last
    day whose data is complete."""
    return now.date() - timedelta(days=1)


def days(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end``, both included, in order."""
    if end < start:
        raise ValueError(f"backfill: end {end} is before start {start}; expected start <= end.")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def batches_digest(reports: list[dict[str, Any]]) -> str:
    """One hash of the batches the landing folder holds (taken now or before): part of the cache
    key of every step after the pull, so that a file arriving between two attempts is not skipped."""
    ids = sorted(r["batch_id"] for r in reports if r["status"] in ("ingested", "duplicate"))
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]


def run_scoped(*names: str) -> KeyFn:
    """A cache key: the task, its flow run and the named parameters (see the module docstring)."""

    def key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
        return ":".join(
            [context.task.name, str(context.task_run.flow_run_id), *(str(parameters[n]) for n in names)]
        )

    return key


def run_each(task: Task[..., Any], calls: Sequence[dict[str, Any]], *, dask_address: str | None) -> list[Any]:
    """Run ``task`` once per parameter set in ``calls``, all at once, and return the results in order.

    Without ``dask_address`` they go to the flow's own task runner (threads by default, or the one
    ``flow.with_options(task_runner=...)`` gave it); with one, to the running Dask cluster (scheduler)
    at that address, through prefect-dask. A cluster's workers run the tasks with *their*
    environment: ``LAYOFFWATCH_HOME`` at the same path on storage every worker sees, and the same
    ``LAYOFFWATCH_DATABASE_URL``, as the process running the flow; they must import this package.
    """
    if dask_address is None and len(calls) == 1:
        return [task(**calls[0])]  # in the flow's own thread, where the task's timeout can interrupt it
    if dask_address is None:
        futures = [task.submit(**parameters) for parameters in calls]
        return [future.result() for future in futures]
    from prefect_dask import DaskTaskRunner

    with DaskTaskRunner(address=dask_address) as runner:
        futures = [runner.submit(task, parameters=dict(parameters)) for parameters in calls]
        return [future.result() for future in futures]


def retry_unless_user_error(task: Any, task_run: Any, state: Any) -> bool:
    """``retry_condition_fn`` of every task with retries: a person's mistake (no champion yet, a
    wrong setting, a source view that does not exist) is the same on every attempt, so it fails at
    once and is reported; anything else may be transient and is retried."""
    return not isinstance(state.data, UserError)


# ---------------------------------------------------------------------------------------------
# failure hooks: a failed task (and the flow it fails) reports once to the data-engineering contact


def notify_task_failure(task: Any, task_run: Any, state: Any) -> None:
    """``on_failure`` hook of every task: reports the flow run, the task and the error."""
    from prefect.runtime import flow_run

    report_failure(
        flow=str(flow_run.flow_name or "-"),
        flow_run_id=str(task_run.flow_run_id),
        flow_run_name=str(flow_run.name or "-"),
        task=task.name,
        error=state.message or type(state).__name__,
        url=_ui_url(),
    )


def notify_flow_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """``on_failure`` hook of every flow. When a task failed, its hook has already reported this
    run under the same key, so nothing new is written; otherwise the failure was in the flow itself."""
    report_failure(
        flow=flow.name,
        flow_run_id=str(flow_run.id),
        flow_run_name=flow_run.name,
        task=None,
        error=state.message or type(state).__name__,
        url=_ui_url(),
    )


def report_failure(
    *, flow: str, flow_run_id: str, flow_run_name: str, task: str | None, error: str, url: str | None
) -> None:
    """Write the failure message to the outbox and deliver it at once. Never raises: a hook that
    fails would hide the original error; the log keeps why the report could not be made."""
    try:
        cfg = settings()
        now = clock(cfg)
        config = load_alerting(cfg)
        failure = pipeline.RunFailure(flow, flow_run_id, flow_run_name, task, error, at=now, url=url)
        sent = pipeline.send(
            cfg,
            config,
            pipeline.failure_messages(config, failure, tz=cfg.tz),
            now=now,
            clock=lambda: clock(cfg),
        )
        log.info(
            "failure of flow run %s reported to data engineering: %s sent, %s failed",
            flow_run_id,
            sent.sent,
            sent.failed,
        )
    except Exception:
        log.exception("could not report the failure of flow run %s to data engineering", flow_run_id)


def _ui_url() -> str | None:
    try:
        from prefect.runtime import flow_run
        from prefect.settings import PREFECT_UI_URL

        return flow_run.ui_url if PREFECT_UI_URL.value() else None
    except Exception:
        return None
