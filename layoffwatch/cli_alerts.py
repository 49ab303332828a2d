"""``layoffwatch alerts …``: the day's alerting step, alerts, the officers' actions and silences."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from layoffwatch.cli_support import (
    AsOfOption,
    ByOption,
    JsonOption,
    console,
    for_people,
    now,
    parse_day,
    print_json,
    settings,
    who,
)

app = typer.Typer(help="Alerts: the day's update, list, show, and the officers' actions.", no_args_is_help=True)

IdArg = Annotated[int, typer.Argument(help="Alert number (预警编号).")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit trail).")]


@app.command("update")
@for_people
def update(as_of: AsOfOption, as_json: JsonOption = False) -> None:
    """From the champion's scores of --as-of: the watchlist, enterprise alerts, area warnings, outbox rows."""
    from alerts.daily import alert_day

    cfg = settings()
    result = alert_day(cfg, as_of=parse_day(as_of, "--as-of"), now=now(cfg))
    summary = {
        "as_of": result.as_of,
        "model_version": result.model_version,
        "routing_version": result.routing_version,
        "watchlist_entered": len(result.watchlist.entered),
        "watchlist_left": len(result.watchlist.left) + len(result.watchlist.expired),
        "alerts_opened": len(result.enterprises.opened),
        "alerts_raised": len(result.enterprises.raised),
        "alerts_resolved": len(result.enterprises.resolved),
        "area_warnings_opened": len(result.areas.opened),
        "messages": result.enterprises.messages + result.areas.messages,
        "held_for_digest": result.enterprises.held + result.areas.held,
        "batches": result.batches,
    }
    if as_json:
        print_json(summary)
        return
    table = Table(title=f"{result.as_of} 预警更新（模型 {result.model_version}，路由配置 {result.routing_version}）")
    table.add_column("项目")
    table.add_column("数量", justify="right")
    labels = {
        "watchlist_entered": "新纳入重点关注企业", "watchlist_left": "移出重点关注企业",
        "alerts_opened": "新预警", "alerts_raised": "风险升级", "alerts_resolved": "风险解除",
        "area_warnings_opened": "新区域预警", "messages": "待发送通知", "held_for_digest": "其中等待每日汇总",
        "batches": "合并成的批量通知",
    }  # fmt: skip
    for key, label in labels.items():
        table.add_row(label, f"{summary[key]:,}")
    console.print(table)
    console.print("发送通知：[bold]layoffwatch outbox send[/]；查看预警：[bold]layoffwatch alerts list[/]")


@app.command("list")
@for_people
def list_(
    status: Annotated[list[str] | None, typer.Option(help="open, acknowledged, verifying, confirmed, false_alarm, closed (default: all but closed).")] = None,
    tier: Annotated[list[str] | None, typer.Option(help="red, orange, yellow, blue.")] = None,
    office: Annotated[str | None, typer.Option(help="Only alerts routed to this office (hr, public_security, petitions, cyberspace).")] = None,
    kind: Annotated[str | None, typer.Option(help="enterprise or area.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 200,
    as_json: JsonOption = False,
) -> None:
    """Alerts, riskiest first."""
    from alerts.config import load_alerting
    from alerts.lifecycle import STATUS_ZH
    from alerts.queries import alert_row, list_alerts
    from models.tiers import TIER_ZH
    from store.db import engine_for
    from store.uow import unit_of_work

    cfg = settings()
    short = {o.key: o.short for o in load_alerting(cfg).offices}
    with unit_of_work(engine_for(cfg)) as session:
        alerts = list_alerts(session, statuses=status, tiers=tier, office=office, kind=kind, limit=limit)
        session.expunge_all()
    if as_json:
        print_json([alert_row(a) for a in alerts])
        return
    table = Table(title=f"预警（{len(alerts)} 条）")
    for header in ("编号", "对象", "等级", "状态", "风险", "生成日期", "数据日期", "通知单位", "确认时限"):
        table.add_column(header, overflow="fold")
    for a in alerts:
        table.add_row(
            str(a.id), a.subject_name, TIER_ZH.get(a.tier, a.tier), STATUS_ZH[a.status],
            "持续" if a.firing else "已解除", str(a.episode_start), str(a.as_of),
            "、".join(short.get(o, o) for o in a.offices),
            a.ack_deadline.astimezone(cfg.tz).strftime("%m-%d %H:%M") if a.ack_deadline and a.status == "open" else "",
        )  # fmt: skip
    console.print(table)


@app.command("show")
@for_people
def show(alert_id: IdArg, as_json: JsonOption = False) -> None:
    """One alert: what it is about, its reasons, its whole history and every message sent for it."""
    from alerts.lifecycle import ACTION_ZH, STATUS_ZH
    from alerts.queries import alert_record, alert_row
    from models.tiers import TIER_ZH
    from store.db import engine_for
    from store.uow import unit_of_work

    cfg = settings()
    with unit_of_work(engine_for(cfg)) as session:
        record = alert_record(session, alert_id)
        session.expunge_all()
    a = record.alert
    if as_json:
        print_json(
            {
                "alert": alert_row(a),
                "transitions": [t.model_dump() for t in record.transitions],
                "notifications": [n.model_dump(exclude={"body"}) for n in record.notifications],
            }
        )
        return
    console.print(
        f"[bold]预警 {a.id}[/]：{a.subject_name}（{a.subject}） · {TIER_ZH.get(a.tier, a.tier)} · "
        f"{STATUS_ZH[a.status]} · {'风险持续' if a.firing else f'风险已于{a.resolved_on}解除'}"
    )
    for reason in a.details.get("reasons", [])[:5]:
        console.print(f"  · {reason['sentence']}")
    if a.details.get("summary"):
        console.print(f"  · {a.details['summary']}")
    history = Table(title="处理记录")
    for header in ("时间", "操作", "状态", "操作人", "原因"):
        history.add_column(header, overflow="fold")
    for t in record.transitions:
        history.add_row(
            t.at.astimezone(cfg.tz).strftime("%Y-%m-%d %H:%M"), ACTION_ZH.get(t.action, t.action),
            f"{STATUS_ZH.get(t.from_status or '', '')}→{STATUS_ZH[t.to_status]}", t.by, t.reason,
        )  # fmt: skip
    console.print(history)
    sent = Table(title="通知")
    for header in ("编号", "单位", "目标", "原因", "状态", "发送时间"):
        sent.add_column(header)
    for n in record.notifications:
        sent.add_row(
            str(n.id), n.office, n.target, n.reason, n.status,
            n.sent_at.astimezone(cfg.tz).strftime("%Y-%m-%d %H:%M") if n.sent_at else "",
        )  # fmt: skip
    console.print(sent)


def _act(alert_id: int, action: str, *, by: str | None, reason: str, **extra: object) -> None:
    from alerts.actions import act
    from alerts.lifecycle import ACTION_ZH, STATUS_ZH

    cfg = settings()
    alert = act(cfg, alert_id, action, by=who(by), reason=reason, now=now(cfg), **extra)  # type: ignore[arg-type]
    console.print(f"预警 {alert.id}：{ACTION_ZH[action]}，当前状态「{STATUS_ZH[alert.status]}」。")


@app.command("ack")
@for_people
def ack(alert_id: IdArg, reason: ReasonOption = "已收到", by: ByOption = None) -> None:
    """Acknowledge an alert (确认收到)."""
    _act(alert_id, "acknowledge", by=by, reason=reason)


@app.command("verify")
@for_people
def verify(
    alert_id: IdArg,
    assign: Annotated[str, typer.Option("--assign", help="Who verifies in the field (核查人).")],
    reason: ReasonOption,
    due: Annotated[str | None, typer.Option(help="Verification due date, YYYY-MM-DD.")] = None,
    by: ByOption = None,
) -> None:
    """Send an alert for field verification (派发核查)."""
    _act(alert_id, "verify", by=by, reason=reason, assignee=assign, due=parse_day(due, "--due") if due else None)


@app.command("confirm")
@for_people
def confirm(
    alert_id: IdArg,
    outcome: Annotated[str, typer.Option(help="mass_layoff (规模裁员), partial_layoff (部分裁员) or closed (关停).")],
    reason: ReasonOption,
    affected: Annotated[int | None, typer.Option(min=0, help="Workers affected (涉及人数).")] = None,
    by: ByOption = None,
) -> None:
    """Record that verification confirmed the risk; the outcome becomes a training label."""
    _act(alert_id, "confirm", by=by, reason=reason, outcome=outcome, affected_workers=affected)


@app.command("false-alarm")
@for_people
def false_alarm(alert_id: IdArg, reason: ReasonOption, by: ByOption = None) -> None:
    """Record that verification found no layoff (核查不属实); the outcome becomes a training label."""
    _act(alert_id, "false_alarm", by=by, reason=reason)


@app.command("close")
@for_people
def close(alert_id: IdArg, reason: ReasonOption, by: ByOption = None) -> None:
    """Close an alert after verification (or once its risk has resolved). A closed alert never reopens."""
    _act(alert_id, "close", by=by, reason=reason)


@app.command("silence")
@for_people
def silence(
    uscc: Annotated[str, typer.Argument(help="The enterprise's unified social credit code.")],
    until: Annotated[str | None, typer.Option(help="Muted up to and including this day, YYYY-MM-DD.")] = None,
    reason: Annotated[str, typer.Option(help="Why (required).")] = "",
    lift: Annotated[bool, typer.Option("--lift", help="End the enterprise's silences now.")] = False,
    by: ByOption = None,
) -> None:
    """Mute an enterprise's alerts until a day (its alerts are kept; nobody is notified), or lift it."""
    from alerts.silences import add_silence, lift_silences
    from layoffwatch.errors import UserError
    from store.db import engine_for
    from store.uow import unit_of_work

    cfg = settings()
    moment = now(cfg)
    with unit_of_work(engine_for(cfg)) as session:
        if lift:
            lifted = lift_silences(session, uscc, by=who(by), now=moment)
            session.commit()
            console.print(f"{uscc}：已解除 {lifted} 条静默。")
            return
        if until is None:
            raise UserError("设置静默需要 --until 日期（或用 --lift 解除）。")
        day = parse_day(until, "--until")
        add_silence(session, uscc, until=day, reason=reason, by=who(by), now=moment, as_of=moment.date())
        session.commit()
    console.print(f"{uscc}：{day} 前不再发送预警通知（预警照常记录）。")
