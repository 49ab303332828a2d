"""``layoffwatch links …``: the uncertain links between sentiment records and enterprises."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from layoffwatch.cli_support import JsonOption, console, for_people, parse_day, print_json, settings
from layoffwatch.errors import UserError

app = typer.Typer(
    help="Links of sentiment records to enterprises that a person must decide.", no_args_is_help=True
)

HEADERS = {
    "published_at": "发布时间",
    "channel": "渠道",
    "record_id": "编号",
    "name": "候选企业",
    "uscc": "统一社会信用代码",
    "matched": "文中字样",
    "confidence": "把握",
    "why": "待核原因",
    "text": "内容摘录",
}
EXCERPT_CHARS = 60


@app.command("review")
@for_people
def links_review(
    as_of: Annotated[str, typer.Option("--as-of", help="The last day, YYYY-MM-DD.")],
    days: Annotated[int, typer.Option(min=1, max=366, help="How many days back from --as-of.")] = 7,
    out: Annotated[Path | None, typer.Option("--out", help="Write a CSV (UTF-8 with BOM) here.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Records whose text names an enterprise too uncertainly to count (a shared or weak alias):
    kept for a person to decide, never used as evidence."""
    from alerts.fields import deidentify
    from features.inputs import from_lake
    from features.text_normalise import readable_text
    from sources.text import spreadsheet_safe

    cfg = settings()
    until = parse_day(as_of, "--as-of")
    rows = from_lake(cfg).sentiment.for_review(until - timedelta(days=days), until)
    rows = rows.with_columns(
        # Masked before it is cut, so a number at the cut is not left half visible.
        readable_text("text").map_elements(deidentify, return_dtype=pl.String).str.slice(0, EXCERPT_CHARS),
        pl.col("published_at").dt.convert_time_zone(str(cfg.tz)).dt.strftime("%Y-%m-%d %H:%M"),
        pl.col("confidence").round(2),
    ).select(list(HEADERS))
    if as_json:
        print_json(rows.to_dicts())
        return
    if out is not None:
        if out.suffix.lower() != ".csv":
            raise UserError(f"--out {out}: expected a .csv file.")
        safe = rows.with_columns(
            spreadsheet_safe(pl.col(c)).alias(c) for c, t in rows.schema.items() if t == pl.String
        )
        safe.rename(HEADERS).write_csv(out, include_bom=True)
        console.print(f"已导出 {rows.height} 条待核关联到 {out}。", highlight=False)
        return
    table = Table(
        title=f"待人工核对的企业关联（{until - timedelta(days=days - 1)} 至 {until}，共 {rows.height} 条）"
    )
    for header in HEADERS.values():
        table.add_column(header, overflow="fold")
    for row in rows.head(200).iter_rows():
        table.add_row(*["" if v is None else str(v) for v in row])
    console.print(table)
    if rows.height > 200:
        console.print(f"只显示前 200 条；用 --out 导出全部 {rows.height} 条。")
