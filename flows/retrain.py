"""The weekly retrain: train a challenger on the latest windows, promote it if it passes the gate,
and send the evaluation summary to the data-engineering contact."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from alerts import pipeline
from alerts.config import load_alerting
from flows import common
from models.training import train

HOUR = 3600
TRAINED_BY = "prefect:retrain"


# No retries: a model version's id is derived from its parameters and ``now``, so a second attempt
# with the same ``now`` would register the same version again. Cached per (flow run, as_of): a
# resumed run whose message failed does not train a second challenger.
@task(
    name="train challenger",
    timeout_seconds=4 * HOUR,
    cache_key_fn=common.run_scoped("as_of"),
    persist_result=True,
    retry_condition_fn=common.retry_unless_user_error,
    on_failure=[common.notify_task_failure],
)
def train_task(as_of: date, now: datetime) -> dict[str, Any]:
    return pipeline.training_summary(train(common.settings(), as_of=as_of, now=now, by=TRAINED_BY))


# Idempotent by the message key (the model version): a retry sends nothing twice.
@task(
    name="notify data engineering",
    retries=2,
    retry_delay_seconds=[10.0, 60.0],
    retry_condition_fn=common.retry_unless_user_error,
    on_failure=[common.notify_task_failure],
)
def notify_task(summary: dict[str, Any], now: datetime) -> dict[str, int]:
    cfg = common.settings()
    config = load_alerting(cfg)
    report = pipeline.send(
        cfg, config, pipeline.training_messages(config, summary), now=now, clock=lambda: common.clock(cfg)
    )
    return {"sent": report.sent, "failed": report.failed}


@flow(
    name="retrain",
    timeout_seconds=6 * HOUR,
    on_failure=[common.notify_flow_failure],
    on_crashed=[common.notify_flow_failure],
)
def retrain(as_of: date | None = None) -> dict[str, Any]:
    """Train as of ``as_of`` (default: yesterday in the settings' timezone); the gate decides promotion."""
    cfg = common.settings()
    now = common.clock(cfg)
    summary = train_task(as_of=as_of or common.day_before(now), now=now)
    delivery = notify_task(summary, now=now)
    create_markdown_artifact(
        key="retrain-summary",
        markdown=pipeline.training_markdown(summary),
        description=f"模型 {summary['version']} 的评估摘要",
    )
    return {**summary, "delivery": delivery}
