"""The daily run: pull what is new → score with the champion → watchlist and alerts → deliver the
outbox → the daily report, then the run's artifacts (summary, alerts, validation, report link).

Scoring is partitioned (``models.partitions``): the day's features once for the whole population,
then one task per group of townships (``partitions`` groups of about equal size, run at once on the
flow's task runner or on the Dask cluster at ``dask_address``), then the parts ranked together and
written once. The rows are the same for any number of partitions and any task runner; one
partition is the single-process run, through the same code path.

Every step is idempotent by key, so a day can be run again (a retry, a backfill, a late file) and
changes only what the new data changes. Caching and its limits: ``flows.common``. Any failure is
reported once to the data-engineering contact (never to the offices) by the failure hooks.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from alerts import pipeline
from alerts.config import load_alerting
from alerts.daily import alert_day
from alerts.daily_report import write_daily_report
from alerts.dispatch import dispatch
from expectations.intake import ingest_paths, sources_taken
from features.inputs import prepare_linking
from flows import common
from layoffwatch.settings import Settings
from models import registry
from models.partitions import (
    champion_version,
    feature_snapshot,
    finish_scores,
    partition_groups,
    score_partition,
)
from sources.sql import pull_sql_sources
from store.db import engine_for
from store.uow import unit_of_work

HOUR = 3600
# Transient trouble (a locked SQLite file, a PostgreSQL restart, a share mounted late) clears in
# seconds to minutes; a bug does not, and after the last retry the hooks report it.
RETRY_DELAYS: list[float] = [10.0, 60.0]


def day_step(name: str, *, timeout_seconds: float, cache_key_fn: common.KeyFn | None = None) -> Any:
    """A step of the daily run: retried twice after ``RETRY_DELAYS`` unless a person must fix
    something, reported once to the data-engineering contact when it fails for good, and its result
    kept when it has a cache key (``flows.common`` says why keys are run-scoped)."""
    return task(
        name=name,
        retries=2,
        retry_delay_seconds=RETRY_DELAYS,
        timeout_seconds=timeout_seconds,
        cache_key_fn=cache_key_fn,
        persist_result=True if cache_key_fn is not None else None,
        retry_condition_fn=common.retry_unless_user_error,
        on_failure=[common.notify_task_failure],
    )


# Not cached by Prefect: the intake is its own cache keyed by batch hash. A repeated or retried pull
# hashes each landing file and skips every batch already taken, which is what a Prefect cache keyed
# by those hashes would do, at the same cost, and it also holds across runs and processes.
@day_step("pull", timeout_seconds=2 * HOUR)
def pull_task(now: datetime) -> list[dict[str, Any]]:
    """SQL sources into the landing folder, then every landing file through the intake."""
    cfg = common.settings()
    pull_sql_sources(cfg, now=now)  # writes new rows of the configured SQL views as landing files
    cfg.landing.mkdir(parents=True, exist_ok=True)
    reports = ingest_paths(cfg, [cfg.landing], now=now)
    # A new register's matcher, built once here rather than by its first reader.
    prepare_linking(cfg, arrived=sources_taken(reports))
    return [r.as_dict() for r in reports]


# The score stage, three steps; each cached per (flow run, as_of, batches in the landing folder, its
# part): a resumed run does not score twice, and a file that arrived between attempts changes the key
# and is scored. The champion is fixed once, in the first step, so every part is scored by the same
# model even if another one is promoted meanwhile; a home without one fails there, at once.
@day_step(
    "score: features",
    timeout_seconds=2 * HOUR,
    cache_key_fn=common.run_scoped("as_of", "batches", "partition_by", "partitions"),
)
def features_task(as_of: date, batches: str, partition_by: str, partitions: int) -> dict[str, Any]:
    """The champion, the population's features for ``as_of`` (a file in the home), and its groups."""
    cfg = common.settings()
    version = champion_version(cfg)
    features = feature_snapshot(cfg, as_of=as_of)
    groups = partition_groups(features, by=partition_by, parts=partitions)
    return {"model_version": version, "features": str(features), "groups": groups}


# Runs where the flow's task runner (or the Dask cluster) puts it: everything it needs is in its
# parameters, the home and the database.
@day_step(
    "score: partition",
    timeout_seconds=2 * HOUR,
    cache_key_fn=common.run_scoped("as_of", "batches", "partition_by", "values"),
)
def score_partition_task(
    as_of: date, batches: str, features: str, partition_by: str, values: list[str], model_version: str
) -> str:
    path = score_partition(
        common.settings(), Path(features), by=partition_by, values=values, model_version=model_version
    )
    return str(path)


@day_step("score: rank", timeout_seconds=2 * HOUR, cache_key_fn=common.run_scoped("as_of", "batches"))
def rank_task(
    as_of: date, batches: str, parts: list[str], model_version: str, now: datetime
) -> dict[str, Any]:
    """The parts ranked together and written once; the day's work folder is then removed."""
    cfg = common.settings()
    scored = finish_scores(cfg, [Path(p) for p in parts], model_version=model_version, now=now)
    with unit_of_work(engine_for(cfg)) as session:
        return pipeline.score_summary(registry.get(session, model_version), scored)


@day_step("alerts", timeout_seconds=HOUR, cache_key_fn=common.run_scoped("as_of", "batches"))
def alert_task(as_of: date, batches: str, now: datetime) -> dict[str, Any]:
    cfg = common.settings()
    return pipeline.alert_summary(cfg, alert_day(cfg, as_of=as_of, now=now, config=load_alerting(cfg)))


# Never cached: a delivery round is meant to be repeated (it sends whatever is due now, retries
# included); the outbox key makes a repeat send nothing twice.
@day_step("deliver", timeout_seconds=HOUR)
def deliver_task() -> dict[str, Any]:
    cfg = common.settings()
    return pipeline.round_summary(dispatch(cfg, load_alerting(cfg), clock=lambda: common.clock(cfg)))


@day_step("daily report", timeout_seconds=HOUR, cache_key_fn=common.run_scoped("as_of", "batches"))
def report_task(as_of: date, batches: str, now: datetime) -> dict[str, Any]:
    report = write_daily_report(common.settings(), as_of=as_of, now=now)
    return {"html": str(report.html), "xlsx": str(report.xlsx), "summary": report.summary}


@flow(
    name="daily-run",
    timeout_seconds=6 * HOUR,
    on_failure=[common.notify_flow_failure],
    on_crashed=[common.notify_flow_failure],
)
def daily_run(
    as_of: date | None = None,
    partitions: int = 1,
    dask_address: str | None = None,
    partition_by: str = "township",
) -> dict[str, Any]:
    """Run ``as_of`` (default: yesterday in the settings' timezone) end to end, scoring in
    ``partitions`` groups of ``partition_by`` at once, on the Dask cluster at ``dask_address``
    (``tcp://host:8786``) when given, else on the flow's task runner."""
    cfg = common.settings()
    now = common.clock(cfg)
    day = as_of or common.day_before(now)
    batches = pull_task(now=now)
    key = common.batches_digest(batches)
    plan = features_task(as_of=day, batches=key, partition_by=partition_by, partitions=partitions)
    parts = common.run_each(
        score_partition_task,
        [dict(as_of=day, batches=key, features=plan["features"], partition_by=partition_by, values=group,
              model_version=plan["model_version"]) for group in plan["groups"]],
        dask_address=dask_address,
    )  # fmt: skip
    scores = rank_task(as_of=day, batches=key, parts=parts, model_version=plan["model_version"], now=now)
    alerts = alert_task(as_of=day, batches=key, now=now)
    delivery = deliver_task()
    report = report_task(as_of=day, batches=key, now=now)
    summary = publish(cfg, day, batches, scores, alerts, delivery, report)
    return {"as_of": day, "batches": pipeline.new_batches(batches), "scores": scores, "alerts": alerts,
            "delivery": delivery, "report": report, "summary": summary}  # fmt: skip


def publish(
    cfg: Settings,
    day: date,
    batches: list[dict[str, Any]],
    scores: dict[str, Any],
    alerts: dict[str, Any],
    delivery: dict[str, Any],
    report: dict[str, Any],
) -> str:
    """The run's Prefect artifacts, keyed per kind so each keeps its history across days; returns
    the Markdown summary."""
    summary = pipeline.daily_markdown(
        as_of=day, flow_run_name=str(flow_run.name), batches=batches, scores=scores, alerts=alerts,
        delivery=delivery, report=report["html"],
    )  # fmt: skip
    create_markdown_artifact(key="daily-summary", markdown=summary, description=f"{day} 每日运行摘要")
    create_table_artifact(
        key="daily-alerts",
        table=pipeline.alerts_table(alerts, load_alerting(cfg)),
        description=f"{day} 新增和升级的预警",
    )
    create_table_artifact(
        key="daily-validation",
        table=pipeline.validation_table(batches),
        description=f"{day} 新批次的校验结果",
    )
    create_link_artifact(
        key="daily-report", link=Path(report["html"]).as_uri(), link_text=f"{day} 规模性失业风险日报",
        description=f"日报（HTML）；表格版：{report['xlsx']}",
    )  # fmt: skip
    return summary
