"""``layoffwatch bench daily``: one daily run of a province, through Prefect, timed per stage.

What is measured is the production path: the ``daily-run`` flow (pull → score → alerts and
watchlist → deliver → daily report → artifacts) on a temporary Prefect server, on a home whose
history is already in the lake. Preparation is not timed and is reused across runs:

- the ingested history: the newest ``<data>/home-*`` that ``bench ingest`` made for the same city
  (made now, in a child process, if there is none);
- a champion: a model trained, in a child process, on a smaller city from the same generator
  (``--champion-enterprises``; training at full scale is what ``bench train`` measures), then
  registered in the run's home like any imported model; an ingested home that already has a
  champion keeps it;
- a fresh run home for every invocation: the lake hard-linked (it is append-only, files are
  replaced by rename, never rewritten), the database and the rest copied, so every run starts from
  the same state and the ingested home is never changed.

Two days are run. The first is the home's first daily run: every alert is new, so every office is
told of every alert it receives (tens of thousands of messages, which go out folded into batches:
``alerts.digests``). The second is an ordinary day: its enrolment changes and sentiment records are
delivered again as new files in the landing folder (the pull reads, validates and stores them as a
new batch), and only what changed is alerted. The target is checked on both. Neither day receives
a new register: a day that does also builds the register's name matcher in its pull (about 16 s at
a million enterprises; ``bench ingest`` times it as its "linking index" stage). Peak RSS is that
of this process, which runs the flow and its tasks; the Prefect server runs in its own process and
is reported separately.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import polars as pl
from rich.console import Console
from rich.table import Table

from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from models import registry
from sources.schema import ENTERPRISES, SENTIMENT, SI_CHANGES
from store import lake
from store.db import dispose, engine_for
from store.tables import ModelVersion
from store.uow import unit_of_work

TARGET_SECONDS = 120.0
TARGET_RSS_GB = 8.0
STAGES = ("pull", "score: features", "score: partition", "score: rank", "alerts", "deliver", "daily report")


def run(
    console: Console,
    *,
    enterprises: int,
    months: int,
    seed: int,
    data: Path,
    home: Path | None,
    champion_enterprises: int,
    partitions: int,
    dask_address: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Prepare (or reuse) the history and a champion, run two days in a fresh home, print the table."""
    source = (
        home.resolve()
        if home
        else ingested_home(console, data, enterprises=enterprises, months=months, seed=seed)
    )
    end = last_day(source)
    run_home = fresh_run_home(source, data, now=now)
    settings = _sqlite(run_home)
    champion = ensure_champion(
        console, settings, data, enterprises=champion_enterprises, months=months, seed=seed, end=end, now=now
    )
    population = pl.scan_parquet(lake.files(settings, ENTERPRISES)).select(pl.len()).collect().item()
    console.print(
        f"[bold]bench daily[/]: {population:,} 条企业登记记录，历史截至 {end}，模型 {champion}，运行目录 {run_home}"
    )
    _start_prefect()  # the temporary server's start-up is not part of a daily run
    days = [
        _day(
            settings, end - timedelta(days=1), "首次运行（全部预警为新）", partitions, dask_address, console
        ),
        _day(
            settings,
            end,
            "平常一天（当天文件重新送达）",
            partitions,
            dask_address,
            console,
            deliver_again=True,
        ),
    ]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    server_rss = _server_rss_gb()
    figures: dict[str, Any] = {
        "enterprises_in_register": population,
        "history_until": end.isoformat(),
        "model_version": champion,
        "partitions": partitions,
        "dask_address": dask_address,
        "days": days,
        "peak_rss_gb": peak,
        "prefect_server_rss_gb": server_rss,
        "targets": {
            "seconds_at_most": TARGET_SECONDS,
            "seconds_met": all(d["seconds"] <= TARGET_SECONDS for d in days),
            "peak_rss_at_most_gb": TARGET_RSS_GB,
            "peak_rss_met": peak <= TARGET_RSS_GB,
        },
        "home": str(run_home),
    }
    console.print(stage_table(days))
    for d in days:
        verdict = "met" if d["seconds"] <= TARGET_SECONDS else "NOT met"
        console.print(
            f"{d['as_of']} {d['label']}: {d['seconds']:.1f} s (target ≤ {TARGET_SECONDS:g} s: {verdict})"
        )
    verdict = "met" if peak <= TARGET_RSS_GB else "NOT met"
    console.print(
        f"peak RSS {peak:.2f} GB (target ≤ {TARGET_RSS_GB:g} GB: {verdict}); "
        f"the temporary Prefect server (its own process) {server_rss:.2f} GB at the end"
    )
    (run_home / "bench-daily.json").write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")
    return figures


# ---------------------------------------------------------------------------------------------
# preparation (not timed)


def ingested_home(console: Console, data: Path, *, enterprises: int, months: int, seed: int) -> Path:
    """The newest home ``bench ingest`` made for this city, or a new one made now in a child process."""
    for candidate in sorted(data.glob("home-*"), reverse=True):
        figures = _ingest_figures(candidate) or {}
        same_city = (figures.get("enterprises"), figures.get("months")) == (enterprises, months)
        if same_city and figures.get("seed", seed) == seed and figures.get("files_rejected") == 0:
            console.print(f"复用已导入的历史：{candidate}")
            return candidate.resolve()
    console.print(
        f"没有 {enterprises:,} 家企业 × {months} 个月的已导入历史，现在用 `bench ingest` 生成并导入（不计时）…"
    )
    out = _child(
        ["bench", "ingest", "--enterprises", str(enterprises), "--months", str(months), "--seed", str(seed),
         "--data", str(data), "--json"],
        env={"LAYOFFWATCH_DATABASE_URL": None},
    )  # fmt: skip
    return Path(json.loads(out)["home"]).resolve()


def _ingest_figures(home: Path) -> dict[str, Any] | None:
    path = home / "bench-ingest.json"
    if not (path.exists() and (home / "layoffwatch.db").exists()):
        return None
    return dict(json.loads(path.read_text(encoding="utf-8")))


def last_day(home: Path) -> date:
    """The last day with enrolment changes in the home's lake: the history ends there."""
    settings = _sqlite(home)
    files = lake.files(settings, SI_CHANGES)
    if not files:
        raise UserError(f"{home}: no enrolment changes in its lake; expected a home made by `bench ingest`.")
    day = pl.scan_parquet(files).select(pl.col(SI_CHANGES.time_column).max()).collect().item()
    return day if isinstance(day, date) and not isinstance(day, datetime) else day.date()


def fresh_run_home(source: Path, data: Path, *, now: datetime) -> Path:
    """A copy of ``source`` to run in: the lake hard-linked, everything else copied."""
    target = data / f"daily-{now.strftime('%Y%m%dT%H%M%S')}"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for entry in source.iterdir():
        if entry.name in ("bench-ingest.json", "bench-daily.json", "work") or entry.name.startswith(
            "layoffwatch.db-"
        ):
            continue
        if entry.name == "lake":
            shutil.copytree(entry, target / "lake", copy_function=os.link)
        elif entry.is_dir():
            shutil.copytree(entry, target / entry.name)
        else:
            shutil.copy2(entry, target / entry.name)
    return target.resolve()


def ensure_champion(
    console: Console,
    settings: Settings,
    data: Path,
    *,
    enterprises: int,
    months: int,
    seed: int,
    end: date,
    now: datetime,
) -> str:
    """The run home's champion: its own if it has one, else one trained on a smaller city."""
    with unit_of_work(engine_for(settings)) as session:
        current = registry.champion(session)
        if current is not None:
            return current.version
    trained = data / f"champion-{enterprises}x{months}-seed{seed}-{end:%Y%m%d}"
    if not _champion_of(trained):
        console.print(f"在 {enterprises:,} 家企业的同一生成器城市上训练模型（不计时）…")
        shutil.rmtree(trained, ignore_errors=True)
        env = {"LAYOFFWATCH_HOME": str(trained.resolve()), "LAYOFFWATCH_DATABASE_URL": None}
        city = trained / "city"
        _child(["generate", "--out", str(city), "--enterprises", str(enterprises), "--months", str(months),
                "--seed", str(seed), "--end", end.isoformat()], env=env)  # fmt: skip
        _child(["ingest", str(city / "landing"), "--json"], env=env)
        _child(["train", "--as-of", end.isoformat(), "--by", "bench"], env=env)
    version = _champion_of(trained)
    assert version is not None, f"training in {trained} registered no champion"
    return import_model(
        settings, version, by="bench", reason=f"基准测试：在 {enterprises:,} 家企业的合成城市上训练", now=now
    )


def _champion_of(home: Path) -> ModelVersion | None:
    if not (home / "layoffwatch.db").exists():
        return None
    settings = _sqlite(home)
    try:
        with unit_of_work(engine_for(settings)) as session:
            current = registry.champion(session)
            if current is not None:
                session.expunge(current)
            return current
    finally:
        dispose(settings)


def import_model(settings: Settings, version: ModelVersion, *, by: str, reason: str, now: datetime) -> str:
    """Register ``version`` (trained in another home) in ``settings``'s home as its champion: the
    artifact copied into the home's models folder, its hash checked again when it is loaded."""
    settings.models.mkdir(parents=True, exist_ok=True)
    artifact = settings.models / Path(version.artifact_path).name
    shutil.copy2(version.artifact_path, artifact)
    copy = ModelVersion.model_validate(
        version.model_dump(exclude={"id", "status"})
        | {"artifact_path": str(artifact), "status": "challenger"}
    )
    with unit_of_work(engine_for(settings)) as session:
        registry.add(session, copy, by=by, at=now)
        registry.make_champion(session, copy, by=by, at=now, reason=reason)
        session.commit()
        return copy.version


# ---------------------------------------------------------------------------------------------
# the timed days


def _day(
    settings: Settings,
    as_of: date,
    label: str,
    partitions: int,
    dask_address: str | None,
    console: Console,
    *,
    deliver_again: bool = False,
) -> dict[str, Any]:
    delivered = deliver_day_again(settings, as_of) if deliver_again else {}
    console.print(f"{as_of} {label} …")
    seconds, stages, result = timed_daily_run(
        settings, as_of=as_of, partitions=partitions, dask_address=dask_address
    )
    alerts = result["alerts"]["enterprise"]
    return {
        "as_of": as_of.isoformat(),
        "label": label,
        "seconds": seconds,
        "stages": stages,
        "rows_delivered": delivered,
        "scored": result["scores"].get("scored"),
        "alerts_opened": alerts["opened"],
        "alerts_raised": alerts["raised"],
        "alerts_resolved": alerts["resolved"],
        "alert_messages": alerts["messages"],
        "batches": alerts.get("batches", 0),
        "messages_sent": result["delivery"]["sent"],
    }


def deliver_day_again(settings: Settings, day: date) -> dict[str, int]:
    """The day's enrolment changes and sentiment records from the lake, written to the landing
    folder as the files the offices would send that morning (CSV, declared column names)."""
    counts = {}
    for source in (SI_CHANGES, SENTIMENT):
        column = pl.col(source.time_column)
        on_day = (
            column.dt.date() if source.polars_schema[source.time_column] != pl.Date() else column
        ) == day
        rows = lake.scan(settings, source).filter(on_day).select(list(source.polars_schema)).collect()
        folder = settings.landing / source.name
        folder.mkdir(parents=True, exist_ok=True)
        rows.write_csv(folder / f"{source.name}-{day:%Y%m%d}.csv", datetime_format="%Y-%m-%d %H:%M:%S%z")
        counts[source.name] = rows.height
    return counts


def timed_daily_run(
    settings: Settings, *, as_of: date, partitions: int = 1, dask_address: str | None = None
) -> tuple[float, dict[str, float], dict[str, Any]]:
    """Run the daily-run flow for ``as_of`` on ``settings``'s home; returns its wall seconds, the
    seconds of each stage (its task runs, as Prefect recorded them) and the flow's result."""
    from flows.daily import daily_run

    saved = {k: os.environ.get(k) for k in ("LAYOFFWATCH_HOME", "LAYOFFWATCH_DATABASE_URL")}
    os.environ.update(LAYOFFWATCH_HOME=str(settings.home), LAYOFFWATCH_DATABASE_URL=settings.database_url)
    try:
        started = time.perf_counter()
        state = daily_run(as_of=as_of, partitions=partitions, dask_address=dask_address, return_state=True)
        seconds = time.perf_counter() - started
        result = state.result()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    flow_run_id = state.state_details.flow_run_id
    assert flow_run_id is not None, "a flow run that returned a state has an id"
    return seconds, stage_seconds(flow_run_id), result


def stage_seconds(flow_run_id: UUID) -> dict[str, float]:
    """Seconds per task of a flow run, from the Prefect API (a task run more than once, such as one
    per partition, is summed), plus the flow's own work outside its tasks as ``flow (rest)``."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    out: dict[str, float] = {}
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run_id)
        for task_run in client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        ):
            name = task_run.name.rsplit("-", 1)[0]
            out[name] = out.get(name, 0.0) + task_run.total_run_time.total_seconds()
    out["flow (rest)"] = max(0.0, run.total_run_time.total_seconds() - sum(out.values()))
    return out


def _start_prefect() -> None:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        client.api_healthcheck()


def _server_rss_gb() -> float:
    """Resident memory now of this process's children (the temporary Prefect server and its
    workers): its peak is not readable from here, its size at the end is."""
    import psutil

    total = 0
    for child in psutil.Process().children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:  # ended meanwhile
            continue
    return total / 1024**3


def stage_table(days: list[dict[str, Any]]) -> Table:
    table = Table(title="bench daily: seconds per stage (Prefect task runs)")
    table.add_column("stage")
    for d in days:
        table.add_column(f"{d['as_of']}\n{d['label']}", justify="right")
    names = [s for s in STAGES if any(s in d["stages"] for d in days)]
    names += sorted({s for d in days for s in d["stages"]} - set(names))
    for name in names:
        table.add_row(name, *(f"{d['stages'].get(name, 0.0):.1f}" for d in days))
    table.add_row("total (wall)", *(f"{d['seconds']:.1f}" for d in days), style="bold")
    for key, title in (("scored", "scored"), ("alerts_opened", "alerts opened"), ("alerts_raised", "alerts raised"),
                       ("alerts_resolved", "alerts resolved"), ("alert_messages", "alert messages decided"),
                       ("batches", "batches they went out in"), ("messages_sent", "messages sent")):  # fmt: skip
        table.add_row(title, *(f"{d[key] or 0:,}" for d in days))
    table.add_row(
        "rows delivered",
        *(", ".join(f"{k} {v:,}" for k, v in d["rows_delivered"].items()) or "-" for d in days),
    )
    return table


def _sqlite(home: Path) -> Settings:
    return Settings(home=home, database_url=f"sqlite:///{home / 'layoffwatch.db'}")


def _child(arguments: list[str], *, env: dict[str, str | None]) -> str:
    """A ``layoffwatch`` command in a child process (its memory is not this benchmark's); returns stdout."""
    environment = {k: v for k, v in os.environ.items() if k not in env or env[k] is not None}
    environment.update({k: v for k, v in env.items() if v is not None})
    done = subprocess.run(
        [sys.executable, "-m", "layoffwatch", *arguments], env=environment, capture_output=True, text=True
    )
    if done.returncode != 0:
        # The child has already said what is wrong in its own words (a person's mistake) or with a
        # traceback (a bug); either way its last lines are the message.
        raise UserError(f"`layoffwatch {' '.join(arguments)}` failed:\n{done.stderr.strip()[-3000:]}")
    return done.stdout
