"""prefect.yaml against the flows: entrypoints import, schedules valid and the same as `layoffwatch
serve`'s, parameters matching the flows' signatures, one process work pool."""

from __future__ import annotations

import asyncio
import inspect
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from prefect import Flow
from prefect.client.schemas.schedules import CronSchedule

from flows.schedules import DEPLOYMENTS, WORK_POOL, deployment, runner_deployments

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def yaml_deployments() -> dict[str, dict[str, Any]]:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    return {d["name"]: d for d in config["deployments"]}


def test_prefect_yaml_has_the_same_deployments_as_serve(yaml_deployments: dict[str, dict[str, Any]]) -> None:
    assert (
        set(yaml_deployments)
        == {d.name for d in DEPLOYMENTS}
        == {"daily-run", "retrain", "backfill", "ingest-landing"}
    )


@pytest.mark.parametrize("name", [d.name for d in DEPLOYMENTS])
def test_each_deployment_agrees_with_its_declaration(
    yaml_deployments: dict[str, dict[str, Any]], name: str
) -> None:
    declared, written = deployment(name), yaml_deployments[name]
    assert written["entrypoint"] == declared.entrypoint
    assert written["work_pool"]["name"] == WORK_POOL
    schedules = written["schedules"]
    if declared.cron is None:
        assert schedules == []
    else:
        [schedule] = schedules
        assert (schedule["cron"], schedule["timezone"]) == (declared.cron, declared.timezone)
        CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])  # raises on a bad string or zone
        ZoneInfo(schedule["timezone"])


@pytest.mark.parametrize("name", [d.name for d in DEPLOYMENTS])
def test_entrypoints_import_and_parameters_match_the_signature(
    yaml_deployments: dict[str, dict[str, Any]], name: str
) -> None:
    flow = deployment(name).load_flow()
    assert isinstance(flow, Flow)
    signature = inspect.signature(flow.fn)
    given = yaml_deployments[name]["parameters"]
    assert set(given) <= set(signature.parameters)
    required = {p for p, v in signature.parameters.items() if v.default is inspect.Parameter.empty}
    if yaml_deployments[name]["schedules"]:  # a scheduled run has nobody to supply a missing parameter
        assert required <= set(given)


def test_the_schedules_are_the_issue_s() -> None:
    assert (deployment("daily-run").cron, deployment("daily-run").timezone) == ("30 6 * * *", "Asia/Shanghai")
    assert (deployment("retrain").cron, deployment("retrain").timezone) == ("0 2 * * 1", "Asia/Shanghai")
    assert deployment("backfill").cron is None
    assert list(inspect.signature(deployment("backfill").load_flow().fn).parameters)[:2] == ["start", "end"]


def test_serve_builds_the_same_schedules() -> None:
    built = {d.name: d for d in runner_deployments()}
    assert set(built) == {d.name for d in DEPLOYMENTS}
    for declared in DEPLOYMENTS:
        schedules = [s.schedule for s in built[declared.name].schedules or []]
        if declared.cron is None:
            assert schedules == []
        else:
            [schedule] = schedules
            assert isinstance(schedule, CronSchedule)
            assert (schedule.cron, schedule.timezone) == (declared.cron, declared.timezone)


@pytest.mark.parametrize(
    ("name", "fires"),
    [
        ("daily-run", [datetime(2026, 7, 2, 6, 30), datetime(2026, 7, 3, 6, 30)]),
        ("retrain", [datetime(2026, 7, 6, 2, 0), datetime(2026, 7, 13, 2, 0)]),  # Mondays
    ],
)
def test_the_schedules_fire_at_shanghai_local_time(name: str, fires: list[datetime]) -> None:
    from prefect.server.schemas.schedules import CronSchedule as ServerCronSchedule

    declared = deployment(name)
    assert declared.cron is not None
    start = datetime(2026, 6, 30, 23, 0, tzinfo=UTC)  # 2026-07-01 07:00 in Shanghai, a Wednesday
    dates: Any = ServerCronSchedule(cron=declared.cron, timezone=declared.timezone).get_dates(n=2, start=start)
    if inspect.isawaitable(dates):  # Prefect's sync/async dispatch hands back a coroutine under pytest
        dates = asyncio.run(dates)
    shanghai = ZoneInfo("Asia/Shanghai")
    assert [d.timestamp() for d in dates] == [f.replace(tzinfo=shanghai).timestamp() for f in fires]
