"""``layoffwatch serve`` and ``layoffwatch run daily|retrain|backfill``: the Prefect flows on this machine.

``run`` runs one flow now, in this process, through Prefect (a temporary local server unless
``PREFECT_API_URL`` points at one); ``serve`` keeps the schedules of ``flows.schedules`` (the same
as ``prefect.yaml``'s) running in one process, for single-machine installs without a work pool.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markdown import Markdown
from rich.table import Table

from layoffwatch.cli_support import JsonOption, console, for_people, parse_day, print_json
from layoffwatch.prefect_local import prefect_for_commands

run_app = typer.Typer(help="Run a flow now, in this process, through Prefect.", no_args_is_help=True)

AsOfDefaultYesterday = Annotated[
    str | None,
    typer.Option("--as-of", help="As-of date, YYYY-MM-DD (default: yesterday in the home's timezone)."),
]

Partitions = Annotated[
    int,
    typer.Option(
        "--partitions",
        min=1,
        help="Score in this many groups of townships at once (default 1: one process; more on a cluster).",
    ),
]
DaskAddress = Annotated[
    str | None,
    typer.Option(
        "--dask-address",
        help="Score on the running Dask cluster with this scheduler address (tcp://host:8786). Its "
        "workers need this package, LAYOFFWATCH_HOME at the same path on shared storage and the same "
        "LAYOFFWATCH_DATABASE_URL.",
    ),
]




@run_app.command("daily")
@for_people
def run_daily(
    as_of: AsOfDefaultYesterday = None,
    partitions: Partitions = 1,
    dask_address: DaskAddress = None,
    as_json: JsonOption = False,
) -> None:
    """Pull new data, score, alert, deliver and write the daily report for one day."""
    from flows.daily import daily_run

    day = parse_day(as_of, "--as-of") if as_of else None
    with prefect_for_commands():
        result = daily_run(as_of=day, partitions=partitions, dask_address=dask_address)
    if as_json:
        print_json(result)
        return
    console.print(Markdown(result["summary"]))


@run_app.command("retrain")
@for_people
def run_retrain(as_of: AsOfDefaultYesterday = None, as_json: JsonOption = False) -> None:
    """Train a challenger, promote it if it passes the gate, tell the data-engineering contact."""
    from alerts.pipeline import training_markdown
    from flows.retrain import retrain

    day = parse_day(as_of, "--as-of") if as_of else None
    with prefect_for_commands():
        result = retrain(as_of=day)
    if as_json:
        print_json(result)
        return
    console.print(Markdown(training_markdown(result)))


@run_app.command("backfill")
@for_people
def run_backfill(
    start: Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--end", help="Last day (included), YYYY-MM-DD.")],
    partitions: Partitions = 1,
    dask_address: DaskAddress = None,
    as_json: JsonOption = False,
) -> None:
    """The daily run over every day from --start to --end, in order (safe to repeat)."""
    from flows.backfill import backfill
    from layoffwatch.errors import UserError

    first, last = parse_day(start, "--start"), parse_day(end, "--end")
    if last < first:
        raise UserError(f"--end {end} is before --start {start}; expected start <= end.")
    with prefect_for_commands():
        days = backfill(start=first, end=last, partitions=partitions, dask_address=dask_address)
    if as_json:
        print_json(days)
        return
    console.print(_backfill_table(days))


def _backfill_table(days: list[dict[str, Any]]) -> Table:
    table = Table(title="补跑结果")
    for header in ("日期", "新批次", "评分企业", "新增预警", "升级预警", "已发送通知", "发送失败", "日报"):
        table.add_column(header, overflow="fold")
    for day in days:
        alerts, delivery = day["alerts"], day["delivery"]
        opened = alerts["enterprise"]["opened"] + alerts["area"]["opened"]
        raised = alerts["enterprise"]["raised"] + alerts["area"]["raised"]
        table.add_row(
            str(day["as_of"]), str(len(day["batches"])), f"{day['scores']['scored']:,}", str(opened), str(raised),
            str(delivery["sent"]), str(delivery["failed"]), day["report"]["html"],
        )  # fmt: skip
    return table


@for_people
def serve(
    limit: Annotated[
        int | None, typer.Option(min=1, help="At most this many flow runs at once (default: no limit).")
    ] = None,
) -> None:
    """Serve the daily run (06:30), the weekly retrain (Monday 02:00) and backfill in this process."""
    from prefect import serve as prefect_serve

    from flows.schedules import DEPLOYMENTS, runner_deployments

    for d in DEPLOYMENTS:
        when = f"cron {d.cron!r} ({d.timezone})" if d.cron else "按需运行（无定时）"
        console.print(f"{d.name}: {when}")
    with prefect_for_commands():
        prefect_serve(*runner_deployments(), limit=limit)
