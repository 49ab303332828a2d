"""``layoffwatch demo``: a small synthetic city generated, ingested, trained on and scored, on the embedded defaults."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from expectations.intake import FileReport, ingest_paths
from layoffwatch.model_views import tier_counts_table, top_table
from layoffwatch.settings import Settings
from models.training import score_day, train
from sources.synthetic import generate_city


def run(
    settings: Settings, console: Console, *, enterprises: int, months: int, seed: int, now: datetime
) -> list[FileReport]:
    """Generate the city under the home, ingest its landing folder, print what arrived."""
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
    trained = train(settings, as_of=end, now=now, by="demo", progress=lambda stage: console.print(f"[dim]训练：{stage}[/]"))
    state = "已启用" if trained.promoted else "未超过当前模型，保留为挑战者"
    console.print(f"模型 {trained.version.version}（{state}），评估报告：{trained.report}")
    version, scored = score_day(settings, as_of=end, now=now)
    console.print(tier_counts_table(scored))
    console.print(top_table(scored))
    console.print(f"评分已保存（模型 {version.version}）。导出：[bold]layoffwatch scores --as-of {end} --format xlsx --out 评分.xlsx[/]")
    return reports


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
