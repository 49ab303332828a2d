"""``layoffwatch report …``: the reports for the bureau, starting with the daily report (日报)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alerts.report import write_daily_report
from layoffwatch.cli_support import (
    AsOfOption,
    JsonOption,
    console,
    for_people,
    now,
    parse_day,
    print_json,
    settings,
)

app = typer.Typer(help="Reports for the bureau (日报).", no_args_is_help=True)


@app.callback()
def report() -> None:
    """Reports for the bureau: HTML and XLSX in Chinese."""


@app.command("daily")
@for_people
def report_daily(
    as_of: AsOfOption,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write into (default: <home>/reports/daily/<as-of>)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Write the daily report of --as-of: 日报-<as-of>.html and .xlsx."""
    cfg = settings()
    result = write_daily_report(cfg, as_of=parse_day(as_of, "--as-of"), now=now(cfg), out=out)
    if as_json:
        print_json({"html": str(result.html), "xlsx": str(result.xlsx), "summary": result.summary})
        return
    s = result.summary
    tiers = s["tiers"]
    console.print(
        f"{s['as_of']} 日报已生成（数据截至 {s['data_as_of']}）：评估企业 {s['scored']:,} 家，"
        f"红色 {tiers['red']:,}、橙色 {tiers['orange']:,}、黄色 {tiers['yellow']:,}、蓝色 {tiers['blue']:,}；"
        f"新增预警 {s['new_alerts']} 条，升级 {s['escalated_alerts']} 条，解除或关闭 {s['closed_alerts']} 条。",
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"HTML：{result.html}", highlight=False, soft_wrap=True)
    console.print(f"XLSX：{result.xlsx}", highlight=False, soft_wrap=True)
