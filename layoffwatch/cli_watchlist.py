"""``layoffwatch watchlist …``: the key-enterprise watchlist (重点关注企业清单)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from layoffwatch.cli_support import (
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
from layoffwatch.errors import UserError
from store.db import engine_for
from store.uow import unit_of_work
from watchlist.export import HISTORY_HEADERS, json_rows, write_export
from watchlist.listing import watchlist_frame
from watchlist.manual import add_manual, remove_manual

app = typer.Typer(help="The key-enterprise watchlist (重点关注企业清单).", no_args_is_help=True)

AllOption = Annotated[bool, typer.Option("--all", help="Include past stays: the whole history of the list.")]
UsccArg = Annotated[str, typer.Argument(help="The enterprise's unified social credit code (18 characters).")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (required; kept with the entry).")]
FORMATS = ("csv", "xlsx")


@app.command("list")
@for_people
def watchlist_list(all_: AllOption = False, as_json: JsonOption = False) -> None:
    """Show the enterprises on the list (riskiest first), or with --all every stay ever."""
    with unit_of_work(engine_for(settings())) as session:
        listing = watchlist_frame(session, include_history=all_)
    if as_json:
        print_json(json_rows(listing))
        return
    if listing.is_empty():
        console.print("重点关注企业清单为空。" if not all_ else "重点关注企业清单没有任何记录。")
        return
    console.print(
        _table(listing, title=f"重点关注企业清单（{'全部记录' if all_ else '当前'}，共 {listing.height} 条）")
    )


@app.command("add")
@for_people
def watchlist_add(
    uscc: UsccArg,
    reason: ReasonOption,
    until: Annotated[str | None, typer.Option("--until", help="Last day on the list, YYYY-MM-DD.")] = None,
    office: Annotated[
        str | None, typer.Option("--office", help="Responsible office (hr, public_security, … or its name).")
    ] = None,
    by: ByOption = None,
) -> None:
    """Put an enterprise on the list by hand, with a reason (optionally until a day)."""
    cfg = settings()
    clock = now(cfg)
    expires_on = parse_day(until, "--until") if until is not None else None
    with unit_of_work(engine_for(cfg)) as session:
        entry = add_manual(
            session, uscc, reason=reason, by=who(by), now=clock, as_of=clock.date(), expires_on=expires_on,
            office=office,
        )  # fmt: skip
        session.commit()
    until_text = f"，至 {entry.expires_on} 止" if entry.expires_on else ""
    console.print(
        f"已将 {entry.uscc} 纳入重点关注企业清单（{entry.entered_on}{until_text}）。", highlight=False
    )


@app.command("remove")
@for_people
def watchlist_remove(uscc: UsccArg, reason: ReasonOption, by: ByOption = None) -> None:
    """Take an enterprise put on the list by hand off it, with a reason."""
    cfg = settings()
    clock = now(cfg)
    with unit_of_work(engine_for(cfg)) as session:
        entry = remove_manual(session, uscc, reason=reason, by=who(by), now=clock, as_of=clock.date())
        session.commit()
    console.print(f"已将 {entry.uscc} 移出重点关注企业清单（{entry.left_on}）。", highlight=False)


@app.command("export")
@for_people
def watchlist_export(
    format: Annotated[str, typer.Option("--format", help="csv or xlsx.")],
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    all_: AllOption = False,
) -> None:
    """Write the list in the officers' form: XLSX (one sheet) or CSV (UTF-8 with BOM)."""
    if format not in FORMATS:
        raise UserError(f"--format {format!r}：导出格式应为 csv 或 xlsx。")
    with unit_of_work(engine_for(settings())) as session:
        listing = watchlist_frame(session, include_history=all_)
    path = write_export(listing, out, format="csv" if format == "csv" else "xlsx")
    console.print(f"已导出 {listing.height} 条记录到 {path}。", highlight=False)


def _table(listing: pl.DataFrame, *, title: str) -> Table:
    headers = {k: v for k, v in HISTORY_HEADERS.items() if k in listing.columns}
    table = Table(title=title)
    for header in headers.values():
        table.add_column(header, overflow="fold")
    for row in listing.select(list(headers)).iter_rows():
        table.add_row(*["" if v is None else str(v) for v in row])
    return table
