"""The deployments and their schedules, declared once.

``layoffwatch serve`` builds its deployments from this table; ``prefect.yaml`` (read by
``prefect deploy --all``) writes the same names, entrypoints, cron strings and timezones, and a
test checks the two agree.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

WORK_POOL = "layoffwatch-process"
TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Deployment:
    name: str
    entrypoint: str  # path/to/module.py:flow_function, relative to the repository root
    description: str
    cron: str | None = None  # in ``timezone``; None: run on demand only
    timezone: str = TIMEZONE
    parameters: dict[str, Any] = field(default_factory=dict)

    def load_flow(self) -> Any:
        """The flow object the entrypoint names."""
        path, name = self.entrypoint.split(":")
        return getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)


DEPLOYMENTS = (
    Deployment(
        name="daily-run",
        entrypoint="flows/daily.py:daily_run",
        description="每日运行：接收新数据 → 评分 → 预警 → 发送通知 → 日报（默认处理前一天）。",
        cron="30 6 * * *",
    ),
    Deployment(
        name="retrain",
        entrypoint="flows/retrain.py:retrain",
        description="每周重新训练：训练挑战者模型，通过晋级门槛则启用，并通知数据工程联系人。",
        cron="0 2 * * 1",
    ),
    Deployment(
        name="backfill",
        entrypoint="flows/backfill.py:backfill",
        description="补跑：按日期顺序对 start 到 end 的每一天执行每日运行（可重复执行）；需要参数 start、end。",
    ),
    Deployment(
        name="ingest-landing",
        entrypoint="flows/ingest.py:ingest",
        description="接收落地文件夹中的新文件（按需运行）。",
    ),
)


def deployment(name: str) -> Deployment:
    for d in DEPLOYMENTS:
        if d.name == name:
            return d
    raise KeyError(name)


def runner_deployments() -> list[Any]:
    """The deployments as ``prefect.serve`` takes them: same names, schedules and timezones."""
    from prefect.schedules import Cron

    return [
        d.load_flow().to_deployment(
            name=d.name,
            schedules=[Cron(d.cron, timezone=d.timezone)] if d.cron else [],
            description=d.description,
            parameters=d.parameters,
        )
        for d in DEPLOYMENTS
    ]
