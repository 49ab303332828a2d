"""``layoffwatch demo``: a small synthetic city generated, ingested, trained on and scored, then its
alerts routed to the offices through the local outbox, on the embedded defaults."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from alerts.config import AlertingConfig, load_alerting
from alerts.digests import GROUPED_REASONS
from expectations.intake import FileReport, ingest_paths
from layoffwatch.model_views import tier_counts_table
from layoffwatch.settings import Settings
from models.training import champion_model, train
from sources.synthetic import generate_city
from store.db import engine_for
from store.scores import read_scores
from store.tables import Notification
from store.uow import unit_of_work


def run(
    settings: Settings, console: Console, *, enterprises: int, months: int, seed: int, now: datetime, days: int = 60
) -> list[FileReport]:
    """Generate the city under the home and load its history, train on all but the last ``days``
    days, then run the daily-run flow through Prefect for each of those days: scores, watchlist,
    alerts delivered to the local outbox, daily reports. Prints what each office received."""
    city = settings.home / "demo" / f"city-{enterprises}x{months}-seed{seed}"
    end = now.date() - timedelta(days=1)
    console.print(
        f"[bold]layoffwatch 演示[/]：{enterprises} 家企业 × {months} 个月，数据截至 {end}，主目录 {settings.home}"
    )
    with progress_bar(console) as bar:
        task = bar.add_task("生成合成城市", total=None)
        generate_city(
            city,
            enterprises=enterprises,
            months=months,
            seed=seed,
            end=end,
            progress=lambda stage, done, total: bar.update(
                task, description=f"生成：{stage}", completed=done, total=total
            ),
        )
        reports = ingest_paths(
            settings, [city / "landing"], now=now, progress=file_progress(bar), render_docs=False
        )
    from expectations import suite

    docs = suite.render_data_docs(settings)
    console.print(summary_table(reports))
    console.print(f"数据质量报告（Great Expectations Data Docs）：{docs}")
    console.print("查看隔离行：[bold]layoffwatch quarantine list[/]；再次运行同一天的演示不会重复导入。")
    start = end - timedelta(days=days - 1)
    trained = train(
        settings, as_of=start - timedelta(days=1), now=now, by="demo",
        progress=lambda stage: console.print(f"[dim]训练：{stage}[/]"),
    )  # fmt: skip
    state = "已启用" if trained.promoted else "未超过当前模型，保留为挑战者"
    console.print(f"模型 {trained.version.version}（{state}，用 {start} 之前的数据训练），评估报告：{trained.report}")
    results = daily_runs(settings, console, start=start, end=end)
    last = results[-1]
    version, _ = champion_model(settings)
    scored = read_scores(engine_for(settings), as_of=end, model_version=version.version)
    console.print(tier_counts_table(scored))
    console.print(days_table(results))
    config = load_alerting(settings)
    console.print(received_table(settings, config))
    console.print(
        f"{days} 次每日运行（Prefect 流程 daily-run）已完成，模型 {version.version}。"
        f"最新日报：[bold]{last['report']['html'] if last.get('report') else '（无）'}[/]"
    )
    console.print(
        f"各单位收到的消息在 {settings.outbox}（本地投递，无需网络）。查看预警：[bold]layoffwatch alerts list[/]；"
        "清单导出：[bold]layoffwatch watchlist export --format xlsx --out 重点关注企业清单.xlsx[/]；"
        "网页处置：[bold]layoffwatch users add 用户名 --role hr[/] 开通账号后运行 [bold]layoffwatch web[/]，"
        "打开消息中的链接。"
    )
    return reports


def daily_runs(settings: Settings, console: Console, *, start: date, end: date) -> list[dict[str, Any]]:
    """The daily-run flow for every day from ``start`` to ``end``, through Prefect, with a progress bar."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # the bar, not a page of run logs
    from flows.daily import daily_run
    from layoffwatch.prefect_local import prefect_for_commands

    results: list[dict[str, Any]] = []
    total = (end - start).days + 1
    with prefect_for_commands(), progress_bar(console) as bar:
        task = bar.add_task("每日运行（Prefect）", total=total)
        for offset in range(total):
            day = start + timedelta(days=offset)
            bar.update(task, description=f"每日运行 {day}")
            results.append(daily_run(as_of=day))
            bar.update(task, completed=offset + 1)
    return results


def days_table(results: list[dict[str, Any]]) -> Table:
    """One line per week of daily runs: new alerts, escalations, resolutions, messages sent."""
    table = Table(title="每日运行汇总（按周）")
    for header in ("日期", "新增预警", "风险升级", "风险解除", "新发送通知"):
        table.add_column(header, justify="right" if header != "日期" else "left")
    for week in range(0, len(results), 7):
        chunk = results[week : week + 7]
        alerts = [r["alerts"]["enterprise"] for r in chunk]
        table.add_row(
            f"{chunk[0]['as_of']} ~ {chunk[-1]['as_of']}",
            str(sum(a["opened"] for a in alerts)),
            str(sum(a["raised"] for a in alerts)),
            str(sum(a["resolved"] for a in alerts)),
            str(sum(r["delivery"]["sent"] for r in chunk)),
        )
    return table


def received_table(settings: Settings, config: AlertingConfig) -> Table:
    """Per office: messages delivered (and how many of them grouped several alerts: a daily digest
    or a batch), messages held for its daily digest, and the first title."""
    table = Table(title="各单位收到的预警通知")
    for header in ("单位", "已送达", "其中汇总或批量", "等待每日汇总", "示例"):
        table.add_column(header, overflow="fold")
    with unit_of_work(engine_for(settings)) as session:
        table_ = Notification.__table__  # type: ignore[attr-defined]
        rows = session.execute(
            sa.select(table_.c.office, table_.c.status, table_.c.reason, table_.c.title).order_by(table_.c.id)
        ).all()
    for office in config.offices:
        mine = [r for r in rows if r.office == office.key]
        sent = [r for r in mine if r.status == "sent"]
        held = [r for r in mine if r.status == "held"]
        example = (sent or held)[0].title if (sent or held) else "（无）"
        grouped = sum(r.reason in GROUPED_REASONS for r in sent)
        table.add_row(office.name, str(len(sent)), str(grouped), str(len(held)), example)
    return table


def summary_table(reports: list[FileReport]) -> Table:
    """Rows read, valid, quarantined and rejected per source, plus files skipped as duplicates."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in reports:
        t = totals[r.source or "（无法识别）"]
        t["files"] += 1
        t[r.status] += 1
        t["read"] += r.rows_read if r.status != "duplicate" else 0
        t["valid"] += r.rows_valid
        t["quarantined"] += r.rows_quarantined
    table = Table(title="导入汇总")
    for header in ("数据源", "文件", "已导入", "重复跳过", "整份拒收", "读取行", "有效行", "隔离行"):
        table.add_column(header, justify="right" if header != "数据源" else "left")
    for source, t in totals.items():
        table.add_row(
            source,
            str(t["files"]),
            str(t["ingested"]),
            str(t["duplicate"]),
            str(t["rejected"]),
            f"{t['read']:,}",
            f"{t['valid']:,}",
            f"{t['quarantined']:,}",
        )
    return table


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def file_progress(bar: Progress) -> Callable[[Path, int, int], None]:
    """A progress callback for ``ingest_paths``: one bar step per file, named in the description."""
    task = bar.add_task("读取、校验、入湖", total=None)

    def step(path: Path, done: int, total: int) -> None:
        bar.update(task, description=f"导入 {path.parent.name}/{path.name}", completed=done + 1, total=total)

    return step
