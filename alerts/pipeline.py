"""What the pipeline tells people: the data-engineering contact's messages (a run failed, a model
was retrained) and the summaries each scheduled run publishes (Markdown and tables, in Chinese).

Builders are pure and tested without Prefect. ``send`` writes messages to the outbox and delivers
those rows only, so a pipeline message never waits behind, nor releases, the offices' alerts; the
offices never receive one. A message's key is (pipeline, flow run or model version, data
engineering, target): reporting the same failure twice writes one row and sends one message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import sqlalchemy as sa
from sqlmodel import Session, col, select

from alerts.config import AlertingConfig
from alerts.daily import AlertDay
from alerts.dispatch import Round
from alerts.outbox import TABLE, Message, add
from alerts.sender import Clock, DeliveryReport, deliver
from expectations.intake import FileReport
from layoffwatch.settings import Settings
from models.tiers import TIER_RANK, TIER_ZH
from models.training import TrainResult
from store.db import engine_for
from store.tables import Alert, ModelVersion
from store.uow import unit_of_work

KIND = "pipeline"
# The ``office`` of every pipeline row; its targets are ``config.data_engineering``.
DATA_ENGINEERING = "data_engineering"
ERROR_LIMIT = 1_500
# Holdout metrics the retrain message shows, in this order, with the names engineers and analysts read.
METRICS_ZH = (
    ("roc_auc", "ROC AUC"),
    ("pr_auc", "PR AUC"),
    ("brier", "Brier 分数（越低越好）"),
    ("precision_top1pct", "前1%企业的精确率"),
    ("recall_top1pct", "前1%企业的召回率"),
    ("recall_30d_ahead", "提前30天以上的召回率"),
    ("median_lead_days", "提前天数中位数"),
    ("positives", "留出期发生规模裁员的样本数"),
    ("rows", "留出期样本数"),
)
CHANGE_ZH = {"opened": "新增", "raised": "升级"}
KIND_ZH = {"enterprise": "企业", "area": "区域"}


# ---------------------------------------------------------------------------------------------
# messages to the data-engineering contact


@dataclass(frozen=True)
class RunFailure:
    """A flow run that failed: which run, in which task (None: in the flow itself), with what error."""

    flow: str
    flow_run_id: str
    flow_run_name: str
    task: str | None
    error: str
    at: datetime
    url: str | None = None


def failure_messages(config: AlertingConfig, failure: RunFailure, *, tz: ZoneInfo) -> list[Message]:
    """One message per data-engineering target; keyed by the flow run, so a run's failure is one
    message however many hooks report it."""
    task = failure.task or "（流程本身，不在某个任务中 / in the flow itself）"
    error = _one_paragraph(failure.error)[:ERROR_LIMIT]
    lines = [
        "规模性失业预警系统的自动运行失败，请数据工程人员处理。本消息只发给数据工程联系人，不发给各业务部门。",
        "",
        f"- 流程（flow）：{failure.flow}",
        f"- 运行（flow run）：{failure.flow_run_name}（{failure.flow_run_id}）",
        f"- 失败的任务（task）：{task}",
        f"- 错误（error）：{error}",
        f"- 时间：{failure.at.astimezone(tz):%Y-%m-%d %H:%M:%S}",
    ]
    if failure.url:
        lines.append(f"- 运行页面：{failure.url}")
    lines += [
        "",
        "排除原因后重新运行即可（各流程可重复执行，不会重复写入数据，也不会重复发出通知）。",
        "",
        f"English: flow {failure.flow}, run {failure.flow_run_name} ({failure.flow_run_id}) failed in "
        f"task {failure.task or '-'}. Fix the cause and run it again; the flows are idempotent.",
    ]
    title = f"【系统故障】{failure.flow} 运行失败：{failure.task or '流程'}"
    return _for_data_engineering(
        config, state=f"failed:{failure.flow_run_id}", title=title, body="\n".join(lines)
    )


def training_summary(result: TrainResult) -> dict[str, Any]:
    """What a retrain produced, as plain values (a flow passes it on and may persist it)."""
    v = result.version
    return {
        "version": v.version,
        "as_of": v.as_of,
        "promoted": result.promoted,
        "holdout": f"{v.holdout_from}..{v.holdout_to}",
        "metrics": {name: m.as_dict() for name, m in result.metrics.items()},
        "gate": result.gate.as_dict() if result.gate is not None else None,
        "report": str(result.report),
    }


def training_messages(config: AlertingConfig, summary: Mapping[str, Any]) -> list[Message]:
    """The evaluation summary of a retrain (``training_markdown``), one message per data-engineering
    target, keyed by the version: the same retrain reported twice is one message."""
    title = f"【模型训练】{summary['version']}：{'已启用' if summary['promoted'] else '未启用'}"
    return _for_data_engineering(
        config, state=f"retrain:{summary['version']}", title=title, body=training_markdown(summary)
    )


def training_markdown(summary: Mapping[str, Any]) -> str:
    """Holdout metrics beside the rule baseline, the gate's checks and the report's path."""
    version = summary["version"]
    gate = summary["gate"]
    if summary["promoted"]:
        outcome = "已通过晋级门槛，启用为当前模型（champion）"
    elif gate is None:
        outcome = "仅登记为挑战者（未评估晋级）"
    else:
        outcome = "未通过晋级门槛，保留为挑战者（challenger），当前模型不变"
    metrics = summary["metrics"]
    lines = [
        f"模型 {version}（数据截至 {summary['as_of']}）训练完成：{outcome}。",
        "",
        f"留出窗口（holdout）：{summary['holdout']}",
        "",
        "| 指标 | 新模型 | 规则基线 |",
        "|---|---|---|",
    ]
    for key, label in METRICS_ZH:
        lines.append(
            f"| {label} | {_number(metrics['model'].get(key))} | {_number(metrics['baseline'].get(key))} |"
        )
    lines.append("")
    lines += gate_lines(gate)
    lines += [
        "",
        f"评估报告：{summary['report']}",
        "",
        f"English: model {version} trained as of {summary['as_of']}; "
        f"{'promoted to champion' if summary['promoted'] else 'kept as challenger'}; report {summary['report']}.",
    ]
    return "\n".join(lines)


def gate_lines(gate: Mapping[str, Any] | None) -> list[str]:
    """The gate's checks as a Markdown table (the challenger against the champion on the same rows)."""
    if gate is None:
        return ["晋级门槛：未评估。"]
    lines = [
        f"晋级门槛（与当前模型在同一留出样本 {gate['window']} 上比较）：{'通过' if gate['passed'] else '未通过'}",
        "",
        "| 指标 | 新模型 | 当前模型 | 要求 | 结果 |",
        "|---|---|---|---|---|",
    ]
    for check in gate["checks"]:
        rule = "更高" if check["rule"] == "higher" else "不高于"
        lines.append(
            f"| {check['metric']} | {_number(check['challenger'])} | {_number(check['champion'])} | {rule} | "
            f"{'通过' if check['passed'] else '未通过'} |"
        )
    return lines


def send(
    settings: Settings, config: AlertingConfig, messages: Sequence[Message], *, now: datetime, clock: Clock
) -> DeliveryReport:
    """Put ``messages`` in the outbox (once: a key already there is left alone) and deliver those
    rows now, and only those: a failure report must not wait for, or send, the offices' messages."""
    engine = engine_for(settings)
    with unit_of_work(engine) as session:
        add(session, messages, now=now)
        session.commit()
    with engine.connect() as connection:
        query = sa.select(TABLE.c.id).where(TABLE.c.key.in_([m.key for m in messages]))
        ids = list(connection.execute(query).scalars())
    return deliver(engine, settings, config, clock=clock, only=ids)


def _for_data_engineering(config: AlertingConfig, *, state: str, title: str, body: str) -> list[Message]:
    return [
        Message(
            kind=KIND,
            alert_id=None,
            state=state,
            reason=KIND,
            office=DATA_ENGINEERING,
            target=target.name,
            title=title,
            body=body,
            routing_version=config.version,
        )  # fmt: skip
        for target in config.data_engineering
    ]


# ---------------------------------------------------------------------------------------------
# what a daily run publishes


def score_summary(version: ModelVersion, scored: pl.DataFrame) -> dict[str, Any]:
    """The day's scoring: the champion's version, how many enterprises, how many per tier."""
    tiers = dict(scored.group_by("tier").len().sort("tier").iter_rows()) if scored.height else {}
    return {"model_version": version.version, "scored": scored.height, "tiers": tiers}


def alert_summary(settings: Settings, day: AlertDay) -> dict[str, Any]:
    """The day's alerting as counts, plus one row per new or escalated alert (enterprise or area)."""
    e, a = day.enterprises, day.areas
    changed = {**dict.fromkeys(e.opened + a.opened, "opened"), **dict.fromkeys(e.raised + a.raised, "raised")}
    with Session(engine_for(settings)) as session:
        alerts = session.exec(select(Alert).where(col(Alert.id).in_(list(changed)))).all() if changed else []
        rows = [_alert_row(alert, changed[alert.id]) for alert in alerts if alert.id is not None]
    return {
        "as_of": day.as_of,
        "model_version": day.model_version,
        "scored": day.scored,
        "watchlist": {
            "entered": len(day.watchlist.entered),
            "left": len(day.watchlist.left),
            "kept": day.watchlist.kept,
            "expired": len(day.watchlist.expired),
        },  # fmt: skip
        "enterprise": {
            "opened": len(e.opened),
            "raised": len(e.raised),
            "lowered": len(e.lowered),
            "resolved": len(e.resolved),
            "refired": len(e.refired),
            "messages": e.messages,
            "held": e.held,
            "batches": day.batches,
        },  # fmt: skip
        "area": {
            "opened": len(a.opened),
            "raised": len(a.raised),
            "resolved": len(a.resolved),
            "messages": a.messages,
        },
        "changed": sorted(rows, key=lambda r: (r["change"] != "opened", -r["rank"], r["id"])),
    }


def _alert_row(alert: Alert, change: str) -> dict[str, Any]:
    details = alert.details or {}
    return {
        "id": alert.id, "kind": alert.kind, "subject": alert.subject, "name": alert.subject_name,
        "tier": alert.tier, "rank": TIER_RANK.get(alert.tier, 0), "change": change,
        "township": details.get("township"), "offices": list(alert.offices),
    }  # fmt: skip


def round_summary(result: Round) -> dict[str, Any]:
    """One delivery round: alerts escalated for being overdue, digests built, messages sent and failed."""
    return {
        "escalated": len(result.escalated),
        "digests": result.digests,
        "sent": result.delivery.sent,
        "failed": result.delivery.failed,
        "errors": sorted({r.error for r in result.delivery.results if r.error})[:5],
    }


def new_batches(reports: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The files this run took or rejected (``FileReport.as_dict``); duplicates of earlier batches are not news."""
    return [r for r in reports if r["status"] in ("ingested", "rejected")]


def validation_table(reports: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The day's batches and their validation, one row per file, with Chinese headers."""
    return [
        {
            "文件": str(r["path"]).rsplit("/", 1)[-1],
            "数据源": r["source"] or "-",
            "状态": FileReport.STATUS_ZH[r["status"]],
            "读取行数": r["rows_read"],
            "有效行数": r["rows_valid"],
            "隔离行数": r["rows_quarantined"],
            "批次（内容哈希）": r["batch_id"][:12],
            "主要原因": "；".join(r["reasons"]) or "-",
        }
        for r in new_batches(reports)
    ]


# A province's first day opens tens of thousands of alerts: a table artifact of them all is
# megabytes that the Prefect server refuses to publish as an event and nobody reads in its UI.
ARTIFACT_ROWS = 1_000


def alerts_table(
    alerts: Mapping[str, Any], config: AlertingConfig, *, limit: int = ARTIFACT_ROWS
) -> list[dict[str, Any]]:
    """New and escalated alerts, one row each, riskiest change first, with Chinese headers; at most
    ``limit`` rows (the daily report lists them all)."""
    office_names = {o.key: o.short for o in config.offices}
    return [
        {
            "预警编号": row["id"],
            "变化": CHANGE_ZH[row["change"]],
            "类型": KIND_ZH.get(row["kind"], row["kind"]),
            "对象": row["name"],
            "代码或区域": row["subject"],
            "等级": TIER_ZH.get(row["tier"], row["tier"]),
            "乡镇街道": row["township"] or "-",
            "通知单位": "、".join(office_names.get(o, o) for o in row["offices"]) or "-",
        }
        for row in alerts["changed"][:limit]
    ]


def daily_markdown(
    *,
    as_of: date,
    flow_run_name: str,
    batches: Sequence[Mapping[str, Any]],
    scores: Mapping[str, Any],
    alerts: Mapping[str, Any],
    delivery: Mapping[str, Any],
    report: str | None,
) -> str:
    """The run's summary as the Prefect run page shows it, in Chinese."""
    taken = new_batches(batches)
    valid = sum(r["rows_valid"] for r in taken)
    quarantined = sum(r["rows_quarantined"] for r in taken)
    rejected = sum(r["status"] == "rejected" for r in taken)
    tiers = scores["tiers"]
    tier_text = "，".join(
        f"{TIER_ZH.get(t, t)} {tiers.get(t, 0):,}" for t in ("red", "orange", "yellow", "blue")
    )
    e, a, w = alerts["enterprise"], alerts["area"], alerts["watchlist"]
    lines = [
        f"# 每日运行 {as_of}",
        "",
        f"运行：{flow_run_name}；模型：{scores['model_version']}",
        "",
        "## 数据接收",
        f"- 新批次 {len(taken)} 个（整份拒收 {rejected} 个），有效 {valid:,} 行，隔离 {quarantined:,} 行"
        + ("；无新数据" if not taken else ""),
        "",
        "## 风险评分",
        f"- 评分企业 {scores['scored']:,} 家：{tier_text}",
        "",
        "## 重点企业名单",
        f"- 新列入 {w['entered']} 家，移出 {w['left']} 家，保留 {w['kept']} 家",
        "",
        "## 预警",
        f"- 企业预警：新增 {e['opened']}，升级 {e['raised']}，降级 {e['lowered']}，解除 {e['resolved']}，"
        f"重新触发 {e['refired']}",
        f"- 区域预警：新增 {a['opened']}，升级 {a['raised']}，解除 {a['resolved']}",
        "",
        "## 通知发送",
        f"- 已发送 {delivery['sent']} 条，发送失败待重试 {delivery['failed']} 条，"
        f"超时未确认升级 {delivery['escalated']} 条，每日汇总 {delivery['digests']} 份",
    ]
    if e.get("batches"):
        lines.append(f"- 预警较多，逐条通知已按风险从高到低合并为批量通知 {e['batches']} 条")
    if delivery["errors"]:
        lines.append(f"- 发送错误：{'；'.join(delivery['errors'])}")
    lines += ["", "## 日报", f"- {report}" if report else "- 本次未生成日报"]
    return "\n".join(lines) + "\n"


def _number(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() and abs(value) >= 10 else f"{value:.3f}"
    return str(value)


def _one_paragraph(text: str) -> str:
    return " ".join(text.split())
