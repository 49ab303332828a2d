"""The ``layoffwatch`` command: the only place besides flows/ that reads the clock.

Every command turns a ``UserError`` into one red sentence and exit code 2; anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from layoffwatch.cli_support import (
    AsOfOption,
    ByOption,
    JsonOption,
    console,
    err_console,
    for_people,
    now,
    parse_day,
    print_json,
    settings,
    who,
)
from layoffwatch.errors import UserError

app = typer.Typer(
    name="layoffwatch",
    help="Mass-layoff (规模性失业) early warning: ingest, validate, train, score.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)
quarantine_app = typer.Typer(
    help="Rows held back by validation, with the rule they failed.", no_args_is_help=True
)
batches_app = typer.Typer(
    help="Ingestion batches (one per file, keyed by content hash).", no_args_is_help=True
)
bench_app = typer.Typer(
    help="Benchmarks at province scale; measured figures, not tests.", no_args_is_help=True
)
models_app = typer.Typer(
    help="The model registry: versions, promotion through the gate.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(batches_app, name="batches")
app.add_typer(bench_app, name="bench")
app.add_typer(models_app, name="models")


def _add_command_groups() -> None:
    from layoffwatch import cli_alerts, cli_flows, cli_links, cli_outbox, cli_report, cli_watchlist, cli_web

    app.add_typer(cli_alerts.app, name="alerts")
    app.add_typer(cli_watchlist.app, name="watchlist")
    app.add_typer(cli_links.app, name="links")
    app.add_typer(cli_outbox.app, name="outbox")
    app.command("notify")(cli_outbox.notify)
    app.add_typer(cli_report.app, name="report")
    app.add_typer(cli_flows.run_app, name="run")
    app.command("serve")(cli_flows.serve)
    app.command("web")(cli_web.web)
    app.add_typer(cli_web.users_app, name="users")


_add_command_groups()

# ---------------------------------------------------------------------------------------------
# ingest / validate


def _file_table(reports: list[Any], title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for header in ("文件", "数据源", "状态", "读取", "有效", "隔离", "拒收", "原因"):
        table.add_column(header, overflow="fold")
    for r in reports:
        style = {"rejected": "red", "duplicate": "dim"}.get(r.status, "")
        table.add_row(
            str(r.path),
            r.source or "-",
            r.status_zh,
            str(r.rows_read),
            str(r.rows_valid),
            str(r.rows_quarantined),
            str(r.rows_rejected) if r.status != "rejected" else "整份",
            "；".join(r.reasons) or "-",
            style=style,
        )
    return table


def _run_intake(paths: list[Path], *, dry_run: bool, as_json: bool) -> None:
    from expectations.intake import ingest_paths, sources_taken

    cfg = settings()
    with console.status("正在读取和校验…", spinner="dots") as status:
        reports = ingest_paths(
            cfg,
            paths,
            now=now(cfg),
            dry_run=dry_run,
            progress=lambda p, done, total: status.update(f"正在处理 {p}（{done + 1}/{total}）"),
        )
    if not dry_run:
        from features.inputs import prepare_linking

        with console.status("正在为企业名称建立舆情关联索引…", spinner="dots"):
            prepare_linking(cfg, arrived=sources_taken(reports))
    if as_json:
        print_json([r.as_dict() for r in reports])
        return
    console.print(_file_table(reports, "校验结果（未写入）" if dry_run else "导入结果"))
    total_q = sum(r.rows_quarantined for r in reports)
    if total_q and not dry_run:
        console.print(f"共隔离 {total_q} 行；用 [bold]layoffwatch quarantine list[/] 查看原因。")


PathsArg = Annotated[list[Path], typer.Argument(help="Files or folders (folders are read recursively).")]


@app.command()
@for_people
def ingest(paths: PathsArg, as_json: JsonOption = False) -> None:
    """Ingest files: valid rows to the lake, failed rows to quarantine, a table per file."""
    _run_intake(paths, dry_run=False, as_json=as_json)


@app.command()
@for_people
def validate(paths: PathsArg, as_json: JsonOption = False) -> None:
    """Dry run: read and validate files, report per file, write nothing."""
    _run_intake(paths, dry_run=True, as_json=as_json)


# ---------------------------------------------------------------------------------------------
# quarantine and batches


@quarantine_app.command("list")
@for_people
def quarantine_list(
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Batches with quarantined rows: file, source, how many rows, the main reasons."""
    from layoffwatch import views

    rows = views.quarantine_batches(settings(), source=source)
    if as_json:
        print_json(rows)
        return
    table = Table(title="隔离数据")
    for header in ("批次", "数据源", "文件", "导入时间", "隔离行数", "主要原因"):
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(
            row["batch_id"][:12],
            row["source"],
            row["file_name"],
            row["received_at"],
            str(row["rows_quarantined"]),
            "；".join(row["top_reasons"]),
        )
    console.print(table)


@quarantine_app.command("show")
@for_people
def quarantine_show(
    batch: Annotated[str, typer.Argument(help="Batch id (the first characters are enough).")],
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """The quarantined rows of one batch: row number, the rule failed, the original values."""
    from layoffwatch import views

    frame = views.quarantine_rows(settings(), batch, limit=limit)
    if as_json:
        print_json(frame.to_dicts())
        return
    table = Table(title=f"批次 {batch} 的隔离行")
    for name in frame.columns:
        table.add_column(name, overflow="fold", max_width=40)
    for row in frame.iter_rows():
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


@batches_app.command("list")
@for_people
def batches_list(
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    limit: Annotated[int, typer.Option(help="Newest first, at most this many.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """Ingestion batches, newest first."""
    from layoffwatch import views

    rows = views.batch_rows(settings(), source=source, limit=limit)
    if as_json:
        print_json(rows)
        return
    table = Table(title="导入批次")
    for header in ("批次", "数据源", "文件", "状态", "读取", "有效", "隔离", "导入时间", "原因"):
        table.add_column(header, overflow="fold")
    for r in rows:
        table.add_row(
            r["batch_id"][:12],
            r["source"],
            r["file_name"],
            r["status"],
            str(r["rows_read"]),
            str(r["rows_valid"]),
            str(r["rows_quarantined"]),
            r["received_at"],
            r["reason"] or "",
        )
    console.print(table)


# ---------------------------------------------------------------------------------------------
# generate, db, demo, bench


@app.command()
@for_people
def generate(
    out: Annotated[
        Path,
        typer.Option(help="Folder to write landing/ (the inputs) and truth/ (never read by the pipeline)."),
    ],
    enterprises: Annotated[int, typer.Option(min=1, help="How many enterprises.")] = 3000,
    months: Annotated[int, typer.Option(min=1, max=120, help="How many months of history.")] = 24,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 7,
    end: Annotated[
        str | None, typer.Option(help="Last day of data, YYYY-MM-DD (default: yesterday).")
    ] = None,
    error_rate: Annotated[
        float, typer.Option(min=0.0, max=0.5, help="Share of rows with a realistic export mistake.")
    ] = 0.0005,
) -> None:
    """Write a synthetic city in the contract's formats, with its ground truth kept apart."""
    cfg = settings()
    last_day = parse_day(end, "--end") if end else now(cfg).date() - timedelta(days=1)
    _generate_with_progress(
        out, enterprises=enterprises, months=months, seed=seed, end=last_day, error_rate=error_rate
    )
    console.print(
        f"已生成 {enterprises} 家企业 × {months} 个月的数据：{out / 'landing'}（真实答案在 {out / 'truth'}，流水线不读取）"
    )


def _generate_with_progress(out: Path, **kwargs: Any) -> Any:
    from rich.progress import Progress

    from sources.synthetic import generate_city

    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("生成合成城市", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"生成合成城市：{stage}", completed=done, total=total)

        return generate_city(out, progress=progress, **kwargs)


@db_app.command("upgrade")
@for_people
def db_upgrade() -> None:
    """Apply pending database migrations (also done automatically on first use)."""
    from store import db

    head = db.upgrade(settings())
    console.print(f"数据库已是最新版本：{head}")


@app.command()
@for_people
def demo(
    enterprises: Annotated[int, typer.Option(min=50, help="How many enterprises.")] = 3000,
    months: Annotated[int, typer.Option(min=18, help="How many months of history.")] = 24,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    days: Annotated[int, typer.Option(min=1, max=120, help="Daily runs at the end of the history.")] = 60,
) -> None:
    """A small city (3,000 enterprises × 24 months): load its history, train, then 60 daily runs
    through Prefect (scores, watchlist, alerts to the local outbox, daily reports)."""
    from layoffwatch import demo as demo_run

    cfg = settings()
    demo_run.run(cfg, console, enterprises=enterprises, months=months, seed=seed, now=now(cfg), days=days)


@bench_app.command("ingest")
@for_people
def bench_ingest(
    enterprises: Annotated[int, typer.Option(min=100)] = 1_000_000,
    months: Annotated[int, typer.Option(min=1)] = 24,
    seed: Annotated[int, typer.Option()] = 7,
    data: Annotated[Path, typer.Option(help="Where the generated city is kept and reused.")] = Path(
        "bench-data"
    ),
    as_json: JsonOption = False,
) -> None:
    """Generate (or reuse) a city and time its whole ingest: read, validate, write, peak RSS."""
    from layoffwatch import bench

    cfg = settings()
    result = bench.ingest(
        cfg,
        err_console if as_json else console,
        enterprises=enterprises,
        months=months,
        seed=seed,
        data=data,
        now=now(cfg),
    )
    if as_json:
        print_json(result)



@bench_app.command("features")
@for_people
def bench_features(
    data: Annotated[Path, typer.Option(help="Where `bench ingest` keeps its cities and homes.")] = Path("bench-data"),
    home: Annotated[Path | None, typer.Option(help="An ingested home (default: the newest under --data).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Default: the last day in the lake.")] = None,
    enterprises: Annotated[int | None, typer.Option(help="Only checked against the lake, for the record.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Feature build time for one as_of, Polars against a pandas version of the same features."""
    from layoffwatch import bench_model

    out = err_console if as_json else console
    figures = bench_model.features(out, data=data, home=home, as_of=parse_day(as_of, "--as-of") if as_of else None)
    if enterprises is not None:
        figures["enterprises_requested"] = enterprises
    if as_json:
        print_json(figures)


@bench_app.command("text")
@for_people
def bench_text(
    data: Annotated[Path, typer.Option(help="Where `bench ingest` keeps its cities and homes.")] = Path("bench-data"),
    home: Annotated[Path | None, typer.Option(help="An ingested home (default: the newest under --data).")] = None,
    records: Annotated[int, typer.Option(min=1, help="Records to link and classify.")] = 1_000_000,
    as_json: JsonOption = False,
) -> None:
    """Sentiment records linked to every enterprise's names and classified: records per minute."""
    from layoffwatch import bench_text as bench

    figures = bench.run(err_console if as_json else console, data=data, home=home, records=records)
    if as_json:
        print_json(figures)


@bench_app.command("train")
@for_people
def bench_train(
    data: Annotated[Path, typer.Option(help="Where `bench ingest` keeps its cities and homes.")] = Path("bench-data"),
    home: Annotated[Path | None, typer.Option(help="An ingested home (default: the newest under --data).")] = None,
    snapshots: Annotated[int, typer.Option(min=1, max=24)] = 12,
    negative_fraction: Annotated[float, typer.Option(min=0.001, max=1.0, help="Share of negative rows kept (weighted back).")] = 0.1,
    enterprises: Annotated[int | None, typer.Option(help="Only recorded.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Training time: labels, monthly snapshots of features, and the fit."""
    from layoffwatch import bench_model

    out = err_console if as_json else console
    figures = bench_model.train(out, data=data, home=home, snapshots=snapshots, negative_fraction=negative_fraction)
    if enterprises is not None:
        figures["enterprises_requested"] = enterprises
    if as_json:
        print_json(figures)

@bench_app.command("alerts")
@for_people
def bench_alerts(
    enterprises: Annotated[int, typer.Option(min=100)] = 1_000_000,
    data: Annotated[Path, typer.Option(help="Where the benchmark home is made.")] = Path("bench-data"),
    seed: Annotated[int, typer.Option()] = 7,
    as_json: JsonOption = False,
) -> None:
    """Route and render a day's alerts for N scored enterprises (about 2% flagged): time per stage."""
    from layoffwatch import bench_alerts as bench

    figures = bench.run(err_console if as_json else console, enterprises=enterprises, data=data, seed=seed)
    if as_json:
        print_json(figures)


@bench_app.command("web")
@for_people
def bench_web(
    enterprises: Annotated[int, typer.Option(min=1000)] = 1_000_000,
    data: Annotated[Path, typer.Option(help="Where the benchmark home is made.")] = Path("bench-data"),
    database_url: Annotated[
        str | None, typer.Option(help="A PostgreSQL database to drop and refill (its name must contain 'bench').")
    ] = None,
    users: Annotated[int, typer.Option(min=1, help="Concurrent signed-in users, no think time.")] = 20,
    seconds: Annotated[float, typer.Option(min=5, help="How long the load lasts.")] = 60.0,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 2,
    seed: Annotated[int, typer.Option()] = 0,
    together: Annotated[
        bool, typer.Option("--sign-in-together", help="All users sign in at the same instant (default: one after another).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """The review console under load: N enterprises and their open alerts in PostgreSQL, a real server
    on 127.0.0.1, concurrent users on the inbox and alert pages; latency percentiles per page."""
    from layoffwatch import bench_web as bench

    figures = bench.run(
        err_console if as_json else console, enterprises=enterprises, data=data,
        database_url=database_url or bench.DEFAULT_DATABASE_URL, users=users, seconds=seconds, workers=workers,
        seed=seed, together=together,
    )  # fmt: skip
    if as_json:
        print_json(figures)


@bench_app.command("daily")
@for_people
def bench_daily(
    enterprises: Annotated[int, typer.Option(min=100)] = 1_000_000,
    months: Annotated[int, typer.Option(min=18)] = 24,
    seed: Annotated[int, typer.Option()] = 7,
    data: Annotated[Path, typer.Option(help="Where `bench ingest` keeps its cities and homes.")] = Path("bench-data"),
    home: Annotated[Path | None, typer.Option(help="An ingested home to copy (default: the newest for this city).")] = None,
    champion_enterprises: Annotated[int, typer.Option(min=100, help="Size of the city the model is trained on, when the home has none.")] = 20_000,
    partitions: Annotated[int, typer.Option(min=1)] = 1,
    dask_address: Annotated[str | None, typer.Option(help="A running Dask scheduler, tcp://host:8786.")] = None,
    as_json: JsonOption = False,
) -> None:
    """One daily run through Prefect on an already ingested history: seconds per stage, peak RSS."""
    from layoffwatch import bench_daily
    from layoffwatch.prefect_local import prefect_for_commands

    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # the table, not a page of run logs
    with prefect_for_commands():
        figures = bench_daily.run(
            err_console if as_json else console, enterprises=enterprises, months=months, seed=seed, data=data,
            home=home, champion_enterprises=champion_enterprises, partitions=partitions, dask_address=dask_address,
            now=now(settings()),
        )  # fmt: skip
    if as_json:
        print_json(figures)


# ---------------------------------------------------------------------------------------------
# the model: train, evaluate, score, export, registry

def _say(message: str) -> None:
    err_console.print(f"[dim]… {message}[/]")


@app.command()
@for_people
def train(
    as_of: AsOfOption,
    by: ByOption = None,
    no_promote: Annotated[bool, typer.Option("--no-promote", help="Register as challenger only.")] = False,
) -> None:
    """Train a challenger on the latest windows before --as-of; promote it if it passes the gate."""
    from layoffwatch import model_views as views
    from models.training import train as run

    cfg = settings()
    result = run(
        cfg,
        as_of=parse_day(as_of, "--as-of"),
        now=now(cfg),
        by=who(by),
        promote=not no_promote,
        progress=_say,
    )
    v = result.version
    console.print(
        views.metrics_side_by_side(
            result.metrics, f"模型 {v.version} 在留出窗口 {v.holdout_from}..{v.holdout_to} 上"
        )
    )
    if result.gate is not None:
        console.print(views.gate_table(result.gate))
    state = "已启用为当前模型（champion）" if result.promoted else "保留为挑战者（challenger）"
    console.print(f"模型 {v.version}：{state}。评估报告：{result.report}")


@app.command()
@for_people
def evaluate(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Evaluate with data up to this date (default: the latest in the lake)."),
    ] = None,
    truth: Annotated[
        Path | None, typer.Option(help="A synthetic city's truth/ folder: adds the oracle columns.")
    ] = None,
    folds: Annotated[int, typer.Option(min=1, max=24, help="Rolling-origin folds (one-month holdouts).")] = 6,
    text: Annotated[
        bool, typer.Option("--text", help="Evaluate the text model on its held-out sentences instead.")
    ] = False,
    compare_text: Annotated[
        bool, typer.Option("--compare-text", help="Also the same model without text features, side by side.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Rolling-origin evaluation: the model, the rule baseline and (with --truth) the oracle, side by side."""
    from features.inputs import from_lake, latest_day
    from layoffwatch import model_views as views
    from models.training import evaluate_history

    if text:
        _evaluate_text(as_json=as_json)
        return
    cfg = settings()
    if truth is not None and not (truth / "distress_monthly.parquet").exists():
        raise UserError(
            f"--truth {truth}: no distress_monthly.parquet there; expected a generated city's truth/ folder."
        )
    day = parse_day(as_of, "--as-of") if as_of else latest_day(from_lake(cfg))
    result = evaluate_history(cfg, as_of=day, truth=truth, folds=folds, progress=_say, compare_text=compare_text)
    ev = result.evaluation
    if as_json:
        print_json(
            {
                "as_of": day,
                "folds": [f.describe() for f in ev.folds],
                "metrics": {k: m.as_dict() for k, m in ev.metrics.items()},
                "look_alikes": result.traps.to_dicts() if result.traps is not None else None,
                "report": result.report,
            }
        )
        return
    console.print(
        views.metrics_side_by_side(ev.metrics, f"滚动起点评估（{len(ev.folds)} 个留出月，数据截至 {day}）")
    )
    if result.traps is not None:
        console.print(views.frame_table(result.traps, "春节返乡与转移：红色等级占比"))
    console.print(f"评估报告：{result.report}")


def _evaluate_text(*, as_json: bool) -> None:
    from layoffwatch import model_views as views
    from models.text_evaluation import MACRO_F1_TARGET, NEGATION_ACCURACY_TARGET, evaluate_text

    result = evaluate_text()
    if as_json:
        print_json(result.as_dict())
        return
    console.print(views.text_evaluation_table(result))
    s = result.summary
    for label, value, target in (
        ("macro-F1", s["model_and_rules_macro_f1"], MACRO_F1_TARGET),
        ("否定与辟谣句正确率", s["model_and_rules_negation_accuracy"], NEGATION_ACCURACY_TARGET),
    ):
        met = "达标" if float(value) >= target else "未达标"
        console.print(f"{label} {float(value):.3f}（目标 ≥ {target}）：{met}")
    console.print(
        f"训练集：{s['train_files']}（{s['train_sentences']} 句）；留出：{s['held_out_file']}；否定集：{s['negation_file']}"
    )


@app.command()
@for_people
def score(as_of: AsOfOption, as_json: JsonOption = False) -> None:
    """Score every enterprise on --as-of with the current model and store the scores."""
    from layoffwatch import model_views as views
    from models.training import score_day

    cfg = settings()
    version, scored = score_day(cfg, as_of=parse_day(as_of, "--as-of"), now=now(cfg))
    if as_json:
        print_json(
            {
                "as_of": as_of,
                "model_version": version.version,
                "tiers": dict(scored["tier"].value_counts().iter_rows()),
            }
        )
        return
    console.print(views.tier_counts_table(scored))
    console.print(views.top_table(scored))
    console.print(
        f"已保存 {scored.height:,} 条评分（模型 {version.version}）。导出：layoffwatch scores --as-of {as_of} --format xlsx"
    )


@app.command()
@for_people
def scores(
    as_of: AsOfOption,
    fmt: Annotated[str, typer.Option("--format", help="csv, json or xlsx.")] = "csv",
    out: Annotated[
        Path | None, typer.Option(help="Output file (default: standard output for csv/json).")
    ] = None,
    tier: Annotated[
        list[str] | None,
        typer.Option(help="Only these tiers (red, orange, yellow, blue, none, insufficient_data)."),
    ] = None,
) -> None:
    """Export the stored scores of --as-of (the current model's) with Chinese headers."""
    from layoffwatch import model_views as views
    from models.exports import scores_for_export

    cfg = settings()
    if fmt not in ("csv", "json", "xlsx"):
        raise UserError(f"--format {fmt!r}: expected csv, json or xlsx.")
    if fmt == "xlsx" and out is None:
        raise UserError("--format xlsx needs --out FILE.xlsx.")
    frame = scores_for_export(cfg, as_of=parse_day(as_of, "--as-of"), tiers=tier)
    if fmt == "json":
        text = json.dumps(
            frame.drop("name_for_sort", strict=False).to_dicts(), ensure_ascii=False, indent=2, default=str
        )
        _write_text(text + "\n", out)
        return
    table = views.export_frame(frame)
    if fmt == "csv":
        _write_text(table.write_csv(), out)
    else:
        assert out is not None
        table.write_excel(out, worksheet="风险评分", autofit=True)
        console.print(f"已导出 {table.height:,} 行：{out}")


def _write_text(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8-sig" if out.suffix == ".csv" else "utf-8")
        err_console.print(f"已导出：{out}")


@models_app.command("list")
@for_people
def models_list(as_json: JsonOption = False) -> None:
    """Every model version with its status and holdout metrics."""
    from layoffwatch import model_views as views
    from models import registry
    from store.db import engine_for
    from store.uow import unit_of_work

    with unit_of_work(engine_for(settings())) as session:
        versions = registry.versions(session)
        session.expunge_all()
    if as_json:
        print_json([v.model_dump() for v in versions])
    else:
        console.print(views.versions_table(versions))


@models_app.command("show")
@for_people
def models_show(version: str, as_json: JsonOption = False) -> None:
    """One version: windows, features, metrics, artifact hash and its promotion history."""
    from layoffwatch import model_views as views
    from models import registry
    from store.db import engine_for
    from store.uow import unit_of_work

    with unit_of_work(engine_for(settings())) as session:
        v = registry.get(session, version)
        history = registry.history(session, version)
        session.expunge_all()
    if as_json:
        print_json(views.version_dict(v, history))
        return
    console.print(views.versions_table([v]))
    console.print(
        f"训练窗口 {v.trees_from}..{v.trees_to} · 校准窗口 {v.calibration_from}..{v.calibration_to} · 留出窗口 {v.holdout_from}..{v.holdout_to}"
    )
    console.print(f"特征 {len(v.features)} 个 · 文件 {v.artifact_path} · sha256 {v.artifact_sha256}")
    console.print(f"评估报告：{v.report_path}")
    console.print(views.history_table(history))


@models_app.command("promote")
@for_people
def models_promote(
    version: str,
    force: Annotated[
        bool, typer.Option("--force", help="Promote even if the gate fails (needs --reason).")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="Why (recorded in the history).")] = None,
    by: ByOption = None,
) -> None:
    """Make VERSION the champion if it beats the current one on the same holdout window."""
    from layoffwatch import model_views as views
    from models.training import promote

    cfg = settings()
    result, promoted = promote(cfg, version, by=who(by), now=now(cfg), reason=reason, force=force)
    if result is not None:
        console.print(views.gate_table(result))
    if not promoted:
        raise UserError(f"{version} 未通过晋级门槛，仍为挑战者；如确需启用，请加 --force --reason 说明原因。")
    console.print(f"{version} 已启用为当前模型。")


if __name__ == "__main__":  # pragma: no cover
    app()
