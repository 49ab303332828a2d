"""``layoffwatch outbox …`` and ``layoffwatch notify``: the notification outbox and its delivery."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer
from rich.table import Table

from layoffwatch.cli_support import JsonOption, console, for_people, now, print_json, settings
from layoffwatch.errors import UserError
from layoffwatch.settings import Settings

app = typer.Typer(help="Notifications waiting, sent or retrying; delivery.", no_args_is_help=True)

STATUS_ZH = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已发送",
    "held": "等待汇总",
    "digested": "已并入汇总",
}
KIND_ZH = {
    "alert": "预警",
    "overdue": "超时未确认",
    "digest": "汇总消息",
    "test": "测试",
    "pipeline": "系统故障",
}
REASON_ZH = {
    "first": "首次预警", "escalated": "等级升高", "repeat": "重复提醒", "resolved": "预警解除",
    "overdue": "超时未确认", "digest": "每日汇总", "batch": "批量通知", "test": "通道测试",
    "pipeline": "系统故障",
}  # fmt: skip


def status_label(status: str, attempts: int) -> str:
    """The status as officers read it: a pending row that has failed before is 重试中."""
    if status == "pending" and attempts > 0:
        return "重试中"
    return STATUS_ZH.get(status, status)


@app.command("list")
@for_people
def outbox_list(
    status: Annotated[
        str | None,
        typer.Option(help="Only this status: pending, sending, sent, held, digested, or retrying."),
    ] = None,
    office: Annotated[str | None, typer.Option(help="Only this office (hr, public_security, ...).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Newest first, at most this many.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """Outbox messages, newest first: what waits, what was sent, what is retrying and why."""
    from alerts.sender import outbox_rows
    from store.db import engine_for

    cfg = settings()
    rows = outbox_rows(engine_for(cfg), status=status, office=office, limit=limit)
    for row in rows:
        row["status_zh"] = status_label(row["status"], row["attempts"])
    if as_json:
        print_json(rows)
        return
    names = _office_names(cfg)
    table = Table(title="通知发件箱")
    headers = (
        "编号",
        "单位",
        "目标",
        "类型",
        "原因",
        "状态",
        "尝试次数",
        "下次尝试",
        "最近错误",
        "创建时间",
        "发送时间",
    )
    for header in headers:
        table.add_column(header, overflow="fold")
    for r in rows:
        waiting = r["status"] == "pending"
        table.add_row(
            str(r["id"]),
            names.get(r["office"], r["office"]),
            r["target"],
            KIND_ZH.get(r["kind"], r["kind"]),
            REASON_ZH.get(r["reason"], r["reason"]),
            r["status_zh"],
            str(r["attempts"]),
            _local(cfg, r["next_attempt_at"]) if waiting else "",
            r["last_error"] or "",
            _local(cfg, r["created_at"]),
            _local(cfg, r["sent_at"]),
        )
    console.print(table)


@app.command("retry")
@for_people
def outbox_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="Notification ids (see `outbox list`).")] = None,
    all_waiting: Annotated[bool, typer.Option("--all", help="Every message waiting for a retry.")] = False,
) -> None:
    """Make waiting messages due now; the next `outbox send` (or the running sender) sends them."""
    from alerts.sender import retry_now
    from store.db import engine_for

    if bool(ids) == all_waiting:
        raise UserError("outbox retry: give notification ids or --all (not both).")
    cfg = settings()
    changed = retry_now(engine_for(cfg), ids or [], all_waiting=all_waiting, now=now(cfg))
    console.print(f"已将 {changed} 条通知设为立即重试。")


@app.command("send")
@for_people
def outbox_send(
    loop: Annotated[bool, typer.Option("--loop", help="Keep sending until interrupted (Ctrl-C).")] = False,
    interval: Annotated[
        float, typer.Option(min=0.05, help="With --loop: seconds between two looks at the outbox.")
    ] = 10.0,
    max_seconds: Annotated[
        float | None, typer.Option(min=0.0, help="With --loop: stop after this many seconds.")
    ] = None,
    lease: Annotated[
        float,
        typer.Option(
            min=1.0, help="Seconds a claimed message stays this sender's; after that, another may take it."
        ),
    ] = 120.0,
) -> None:
    """Escalate overdue alerts, build due digests, deliver what is due (once, or in a loop)."""
    from alerts.config import load_alerting
    from alerts.dispatch import dispatch
    from alerts.sender import Channels

    cfg = settings()
    config = load_alerting(cfg)
    sender = Channels()  # one per process: it paces messages per destination across rounds
    started = time.monotonic()
    sent = failed = 0
    with stop_requested() as stop:
        while True:
            round_ = dispatch(cfg, config, clock=lambda: now(cfg), lease=timedelta(seconds=lease), sender=sender)
            report = round_.delivery
            sent, failed = sent + report.sent, failed + report.failed
            if round_.escalated or round_.digests:
                console.print(
                    f"{_local(cfg, now(cfg))} 超时未确认上报 {len(round_.escalated)} 条预警，生成每日汇总 {round_.digests} 份"
                )
            if loop and report.results:
                console.print(f"{_local(cfg, now(cfg))} 本轮发送 {report.sent} 条，失败 {report.failed} 条")
            elapsed = time.monotonic() - started
            if not loop or stop.is_set() or (max_seconds is not None and elapsed >= max_seconds):
                break
            pause = interval if max_seconds is None else min(interval, max_seconds - elapsed)
            if stop.wait(max(pause, 0.0)):
                break
    console.print(f"已发送 {sent} 条，失败 {failed} 条（失败的将按退避时间自动重试）。")


@contextmanager
def stop_requested() -> Iterator[threading.Event]:
    """An event set by Ctrl-C or SIGTERM: the sender finishes the round it is in, then stops.

    A KeyboardInterrupt raised wherever the signal lands can be swallowed (inside a weakref
    callback, say) and leave the loop running, or abort a send between the POST and its record;
    a flag read between rounds does neither. A second Ctrl-C interrupts at once.
    """
    stop = threading.Event()

    def request(signum: int, frame: Any) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, request) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@for_people
def notify(
    test: Annotated[
        str,
        typer.Option(
            "--test",
            help="Office key (hr, public_security, petitions, cyberspace): test each of its targets.",
        ),
    ],
) -> None:
    """Send a test message to every target of an office at once and show what each target answered."""
    from alerts.config import load_alerting
    from alerts.sender import add_test_messages, deliver
    from store.db import engine_for

    cfg = settings()
    engine = engine_for(cfg)
    config = load_alerting(cfg)
    ids = add_test_messages(engine, config, test, now=now(cfg))
    report = deliver(engine, cfg, config, clock=lambda: now(cfg), only=ids)
    table = Table(title=f"通知通道测试：{config.office(test).name}")
    for header in ("编号", "目标", "结果", "原因"):
        table.add_column(header, overflow="fold")
    for r in report.results:
        table.add_row(str(r.id), r.target, "成功" if r.sent else "失败（将自动重试）", r.error or "")
    console.print(table)
    if report.failed:
        raise typer.Exit(1)


def _office_names(cfg: Settings) -> dict[str, str]:
    from alerts.config import load_alerting

    try:
        return {o.key: o.short for o in load_alerting(cfg).offices}
    except UserError:  # the list must work even while alerting.yaml has a mistake
        return {}


def _local(cfg: Settings, value: Any) -> str:
    if not isinstance(value, datetime):
        return ""
    return value.astimezone(cfg.tz).strftime("%Y-%m-%d %H:%M:%S")
