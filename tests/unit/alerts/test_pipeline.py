"""The data-engineering messages and the daily run's summaries, without Prefect."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from alerts import pipeline
from alerts.config import AlertingConfig, load_alerting
from alerts.outbox import TABLE, Message, add
from layoffwatch.settings import Settings
from store.db import engine_for
from store.uow import unit_of_work

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 7, 1, 6, 31, tzinfo=SHANGHAI)


def failure(run_id: str = "8f7e-run", task: str | None = "score") -> pipeline.RunFailure:
    return pipeline.RunFailure(
        flow="daily-run", flow_run_id=run_id, flow_run_name="crimson-owl", task=task,
        error="Task run encountered an exception NoChampion: 还没有启用的模型", at=NOW,
        url="http://127.0.0.1:4200/runs/flow-run/8f7e-run",
    )  # fmt: skip


def summary(*, promoted: bool, passed: bool | None) -> dict[str, object]:
    metric = {"rows": 24000.0, "positives": 170.0, "roc_auc": 0.912, "pr_auc": 0.41, "brier": 0.0061,
              "precision_top1pct": 0.5, "recall_top1pct": 0.35, "recall_30d_ahead": 0.6, "median_lead_days": 47.0}  # fmt: skip
    gate = None
    if passed is not None:
        gate = {"passed": passed, "window": "2026-03-31..2026-05-31", "checks": [
            {"metric": "pr_auc", "challenger": 0.41, "champion": 0.38 if passed else 0.45, "rule": "higher", "passed": passed},
            {"metric": "brier", "challenger": 0.0061, "champion": 0.007, "rule": "lower", "passed": True},
        ]}  # fmt: skip
    return {
        "version": "m20260531-abc123", "as_of": date(2026, 5, 31), "promoted": promoted,
        "holdout": "2026-03-31..2026-05-31", "metrics": {"model": metric, "baseline": {**metric, "pr_auc": 0.2}},
        "gate": gate, "report": "/home/x/reports/models/m20260531-abc123/index.html",
    }  # fmt: skip


@pytest.fixture
def config(settings: Settings) -> AlertingConfig:
    return load_alerting(settings)


def test_a_failure_goes_to_each_data_engineering_target_keyed_by_its_flow_run(config: AlertingConfig) -> None:
    [message] = pipeline.failure_messages(config, failure(), tz=SHANGHAI)

    assert (message.kind, message.office, message.target) == ("pipeline", "data_engineering", "outbox")
    assert message.alert_id is None and message.state == "failed:8f7e-run"
    assert message.title == "【系统故障】daily-run 运行失败：score"
    for text in ("crimson-owl（8f7e-run）", "失败的任务（task）：score", "NoChampion: 还没有启用的模型",
                 "2026-07-01 06:31:00", "不发给各业务部门", "http://127.0.0.1:4200/runs/flow-run/8f7e-run",
                 "English: flow daily-run, run crimson-owl (8f7e-run) failed in task score"):  # fmt: skip
        assert text in message.body, text
    # the same run reported again (by the flow's hook after the task's) is the same message
    assert pipeline.failure_messages(config, failure(task=None), tz=SHANGHAI)[0].key == message.key
    assert pipeline.failure_messages(config, failure(run_id="other"), tz=SHANGHAI)[0].key != message.key


def test_a_failure_outside_any_task_says_so(config: AlertingConfig) -> None:
    [message] = pipeline.failure_messages(config, failure(task=None), tz=SHANGHAI)
    assert message.title.endswith("运行失败：流程")
    assert "流程本身" in message.body


def test_send_delivers_the_pipeline_message_once_and_never_the_offices_rows(
    settings: Settings, config: AlertingConfig
) -> None:
    engine = engine_for(settings)
    office_row = Message(kind="test", alert_id=None, state="test:1", reason="test", office="hr", target="outbox",
                         title="office", body="waiting for its own round")  # fmt: skip
    with unit_of_work(engine) as session:
        add(session, [office_row], now=NOW)
        session.commit()
    messages = pipeline.failure_messages(config, failure(), tz=SHANGHAI)

    first = pipeline.send(settings, config, messages, now=NOW, clock=lambda: NOW)
    again = pipeline.send(settings, config, messages, now=NOW, clock=lambda: NOW)

    assert (first.sent, first.failed, again.sent, again.failed) == (1, 0, 0, 0)
    with engine.connect() as connection:
        rows = {r.kind: r.status for r in connection.execute(sa.select(TABLE.c.kind, TABLE.c.status))}
    assert rows == {"test": "pending", "pipeline": "sent"}
    [written] = (settings.outbox / "data_engineering").iterdir()
    assert "crimson-owl" in written.read_text(encoding="utf-8")
    assert not (settings.outbox / "hr").exists()


@pytest.mark.parametrize(
    ("promoted", "passed", "title_end", "says"),
    [
        (
            True,
            True,
            "已启用",
            [
                "已通过晋级门槛，启用为当前模型",
                "晋级门槛（与当前模型在同一留出样本 2026-03-31..2026-05-31 上比较）：通过",
            ],
        ),
        (
            False,
            False,
            "未启用",
            ["未通过晋级门槛，保留为挑战者", "| pr_auc | 0.410 | 0.450 | 更高 | 未通过 |"],
        ),
        (False, None, "未启用", ["仅登记为挑战者", "晋级门槛：未评估。"]),
    ],
)
def test_the_retrain_message_gives_metrics_gate_and_report(
    config: AlertingConfig, promoted: bool, passed: bool | None, title_end: str, says: list[str]
) -> None:
    [message] = pipeline.training_messages(config, summary(promoted=promoted, passed=passed))

    assert message.kind == "pipeline" and message.state == "retrain:m20260531-abc123"
    assert message.title == f"【模型训练】m20260531-abc123：{title_end}"
    for text in (*says, "留出窗口（holdout）：2026-03-31..2026-05-31", "| PR AUC | 0.410 | 0.200 |",
                 "| 提前天数中位数 | 47 | 47 |", "评估报告：/home/x/reports/models/m20260531-abc123/index.html"):  # fmt: skip
        assert text in message.body, text


def report(name: str, status: str, *, valid: int = 10, quarantined: int = 0) -> dict[str, object]:
    return {"path": f"/landing/changes/{name}", "status": status, "source": "enrolment_changes",
            "batch_id": f"{name:0<64}", "rows_read": valid + quarantined, "rows_valid": valid,
            "rows_quarantined": quarantined, "rows_rejected": 0, "reasons": ["减员人数应为不小于0的整数（2行）"] if quarantined else []}  # fmt: skip


def test_the_validation_table_lists_only_this_runs_batches() -> None:
    reports = [report("old.csv", "duplicate"), report("new.csv", "ingested", valid=98, quarantined=2),
               report("bad.xlsx", "rejected", valid=0)]  # fmt: skip

    table = pipeline.validation_table(reports)

    assert [(r["文件"], r["状态"], r["有效行数"], r["隔离行数"]) for r in table] == [
        ("new.csv", "已导入", 98, 2),
        ("bad.xlsx", "整份拒收", 0, 0),
    ]
    assert table[0]["主要原因"] == "减员人数应为不小于0的整数（2行）"


def alerts_summary(changed: list[dict[str, object]]) -> dict[str, object]:
    return {
        "watchlist": {"entered": 3, "left": 1, "kept": 20, "expired": 0},
        "enterprise": {
            "opened": 2,
            "raised": 1,
            "lowered": 0,
            "resolved": 4,
            "refired": 0,
            "messages": 9,
            "held": 1,
        },
        "area": {"opened": 0, "raised": 0, "resolved": 0, "messages": 0},
        "changed": changed,
    }


def test_the_alerts_table_names_the_change_tier_and_offices(config: AlertingConfig) -> None:
    changed = [{"id": 7, "kind": "enterprise", "subject": "91320000MA1X", "name": "某某制造有限公司", "tier": "red",
                "rank": 4, "change": "raised", "township": "上马街道", "offices": ["hr", "public_security"]}]  # fmt: skip

    [row] = pipeline.alerts_table(alerts_summary(changed), config)

    assert row == {"预警编号": 7, "变化": "升级", "类型": "企业", "对象": "某某制造有限公司", "代码或区域": "91320000MA1X",
                   "等级": "红色", "乡镇街道": "上马街道", "通知单位": "人社、公安"}  # fmt: skip


def test_the_alerts_table_keeps_the_riskiest_rows_up_to_its_limit(config: AlertingConfig) -> None:
    changed = [{"id": n, "kind": "enterprise", "subject": f"9132{n:014d}", "name": f"企业{n}", "tier": "red",
                "rank": 4, "change": "opened", "township": None, "offices": ["hr"]} for n in range(5)]  # fmt: skip

    rows = pipeline.alerts_table(alerts_summary(changed), config, limit=3)

    assert [r["预警编号"] for r in rows] == [0, 1, 2]
    assert len(pipeline.alerts_table(alerts_summary(changed), config)) == 5


def test_the_daily_summary_reads_in_chinese() -> None:
    text = pipeline.daily_markdown(
        as_of=date(2026, 6, 30), flow_run_name="crimson-owl",
        batches=[report("new.csv", "ingested", valid=98, quarantined=2), report("old.csv", "duplicate")],
        scores={"model_version": "m1", "scored": 2000, "tiers": {"red": 3, "orange": 5, "yellow": 12, "blue": 40, "none": 1940}},
        alerts=alerts_summary([]), delivery={"sent": 9, "failed": 1, "escalated": 0, "digests": 0, "errors": ["json: 503"]},
        report="/home/x/reports/daily/2026-06-30.html",
    )  # fmt: skip

    for line in ("# 每日运行 2026-06-30", "新批次 1 个（整份拒收 0 个），有效 98 行，隔离 2 行",
                 "评分企业 2,000 家：红色 3，橙色 5，黄色 12，蓝色 40", "新列入 3 家，移出 1 家",
                 "企业预警：新增 2，升级 1，降级 0，解除 4", "已发送 9 条，发送失败待重试 1 条", "发送错误：json: 503",
                 "/home/x/reports/daily/2026-06-30.html"):  # fmt: skip
        assert line in text, line


def test_no_new_data_is_said_plainly(tmp_path: Path) -> None:
    text = pipeline.daily_markdown(
        as_of=date(2026, 6, 30), flow_run_name="r", batches=[report("old.csv", "duplicate")],
        scores={"model_version": "m1", "scored": 0, "tiers": {}}, alerts=alerts_summary([]),
        delivery={"sent": 0, "failed": 0, "escalated": 0, "digests": 0, "errors": []}, report=None,
    )  # fmt: skip
    assert "新批次 0 个（整份拒收 0 个），有效 0 行，隔离 0 行；无新数据" in text
    assert "本次未生成日报" in text
