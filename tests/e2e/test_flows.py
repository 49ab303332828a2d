"""The flows in a real (temporary) Prefect server: the daily run on the 2,000-enterprise city end
to end and again with nothing duplicated, a backfill, a failing task reported to data engineering
only, the weekly retrain, and the on-demand ingest.

One Prefect test harness for the module (~25 s to start). Each test copies a home trained once
(the city's lake and a champion as of ``TRAIN_AS_OF``), drops the city's enterprise register into
its landing folder, and fixes the flows' clock at ``NOW``.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from flows import common
from layoffwatch.bench_daily import stage_seconds
from layoffwatch.settings import Settings
from sources.synthetic import generate_city
from store import db
from store.tables import Alert, Notification, RiskScore
from tests.conftest import CITY_END, CITY_NOW, home_with_city

ALERT: sa.Table = Alert.__table__  # type: ignore[attr-defined]
NOTE: sa.Table = Notification.__table__  # type: ignore[attr-defined]
SCORE: sa.Table = RiskScore.__table__  # type: ignore[attr-defined]

NOW = CITY_NOW  # 2026-07-01 06:30 Asia/Shanghai, before the 08:30 digest of the cyberspace office
TIMINGS: dict[str, dict[str, float]] = {}


@pytest.fixture(scope="module")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    from prefect.settings import (
        PREFECT_RESULTS_LOCAL_STORAGE_PATH,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    results = tmp_path_factory.mktemp("prefect-results")
    # The default 20 s is too tight for a cold start on a busy 2-core machine.
    with (
        temporary_settings(
            {
                PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: 120,
                PREFECT_RESULTS_LOCAL_STORAGE_PATH: results,
                PREFECT_SERVER_ANALYTICS_ENABLED: False,  # offline: no telemetry attempts
            }
        ),
        prefect_test_harness(server_startup_timeout=120),
    ):
        yield


@pytest.fixture
def home(
    trained_home: Settings, city_lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    target = tmp_path / "home"
    shutil.copytree(trained_home.home, target)
    shutil.copytree(city_lake.parent / "landing" / "enterprises", target / "landing" / "enterprises")
    cfg = Settings(home=target, database_url=f"sqlite:///{target / 'layoffwatch.db'}")
    monkeypatch.setenv("LAYOFFWATCH_HOME", str(target))
    monkeypatch.setenv("LAYOFFWATCH_DATABASE_URL", cfg.database_url)
    monkeypatch.setattr(common, "clock", lambda _settings: NOW)
    yield cfg
    db.dispose(cfg)


def snapshot(cfg: Settings) -> dict[str, Any]:
    """Everything a re-run could duplicate: rows per table, notification statuses, every file."""
    engine = db.engine_for(cfg)
    with engine.connect() as connection:
        rows = {
            t.name: connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in SQLModel.metadata.sorted_tables
        }
        statuses = Counter(connection.execute(sa.select(NOTE.c.kind, NOTE.c.status)).all())
    files = sorted(
        str(p.relative_to(cfg.home))
        for p in cfg.home.rglob("*")
        if p.is_file() and not p.name.startswith("layoffwatch.db")
    )
    return {"rows": rows, "statuses": statuses, "files": files}


def run_timed(flow: Any, label: str, **parameters: Any) -> Any:
    """Run ``flow``; record the seconds of the run and of each of its task runs under ``label``."""
    started = time.perf_counter()
    state = flow(**parameters, return_state=True)
    seconds = {"flow (wall)": time.perf_counter() - started}
    run_id: UUID = state.state_details.flow_run_id
    seconds.update(stage_seconds(run_id))
    TIMINGS[label] = seconds
    print(f"\n{label}: " + ", ".join(f"{k} {v:.2f}s" for k, v in seconds.items()))
    return state.result(), run_id


def artifact_keys(run_id: UUID) -> set[str]:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
    return {a.key for a in artifacts if a.key}


def test_the_daily_run_scores_alerts_delivers_and_reports_and_a_rerun_changes_nothing(
    prefect_harness: None, home: Settings
) -> None:
    from flows.daily import daily_run

    result, run_id = run_timed(daily_run, "daily run (first)", as_of=CITY_END)

    engine = db.engine_for(home)
    with engine.connect() as connection:
        scored = connection.execute(
            sa.select(sa.func.count()).select_from(SCORE).where(SCORE.c.as_of == CITY_END)
        ).scalar_one()
        alerts = connection.execute(sa.select(ALERT.c.id, ALERT.c.subject_name, ALERT.c.kind)).all()
        sent = Counter(
            office
            for office, status in connection.execute(sa.select(NOTE.c.office, NOTE.c.status))
            if status == "sent"
        )
    assert [b["source"] for b in result["batches"]] == ["enterprises"] * len(result["batches"])
    assert {b["status"] for b in result["batches"]} == {"ingested"}
    assert scored == result["scores"]["scored"] > 1_500
    assert alerts and result["alerts"]["enterprise"]["opened"] == sum(
        kind == "enterprise" for _, _, kind in alerts
    )
    assert all(
        not name.startswith("9") for _, name, kind in alerts if kind == "enterprise"
    )  # names from the register
    assert sent["hr"] == result["alerts"]["enterprise"]["opened"] + result["alerts"]["area"]["opened"] > 0
    assert len(list((home.outbox / "hr").glob("*.md"))) == sent["hr"]
    assert result["delivery"]["sent"] == sum(sent.values()) and result["delivery"]["failed"] == 0
    assert not (home.outbox / "data_engineering").exists()
    assert Path(result["report"]["html"]).is_file() and Path(result["report"]["xlsx"]).is_file()
    assert artifact_keys(run_id) == {"daily-summary", "daily-alerts", "daily-validation", "daily-report"}
    assert f"# 每日运行 {CITY_END}" in result["summary"]

    before = snapshot(home)
    again, _ = run_timed(daily_run, "daily run (same day again)", as_of=CITY_END)

    assert snapshot(home) == before
    assert again["batches"] == [] and again["delivery"]["sent"] == 0
    assert again["alerts"]["enterprise"]["opened"] == 0 and again["alerts"]["changed"] == []


def test_backfill_runs_each_day_in_order_and_a_second_backfill_changes_nothing(
    prefect_harness: None, home: Settings
) -> None:
    from flows.backfill import backfill

    start = CITY_END - timedelta(days=2)
    days, _ = run_timed(backfill, "backfill (3 days)", start=start, end=CITY_END)

    assert [d["as_of"] for d in days] == [start, start + timedelta(days=1), CITY_END]
    with db.engine_for(home).connect() as connection:
        per_day: dict[date, int] = dict(
            connection.execute(sa.select(SCORE.c.as_of, sa.func.count()).group_by(SCORE.c.as_of)).all()
        )
    assert sorted(per_day) == [d["as_of"] for d in days]
    assert all(n == days[0]["scores"]["scored"] for n in per_day.values())

    before = snapshot(home)
    run_timed(backfill, "backfill (3 days, again)", start=start, end=CITY_END)
    assert snapshot(home) == before


def test_a_failing_task_tells_data_engineering_once_and_the_offices_nothing(
    prefect_harness: None, home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows import daily

    def relay_down(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("SMTP relay 10.0.0.25 refused the connection")

    monkeypatch.setattr(daily, "dispatch", relay_down)
    monkeypatch.setattr(daily.deliver_task, "retries", 0)
    state = daily.daily_run(as_of=CITY_END, return_state=True)

    assert state.is_failed()
    with db.engine_for(home).connect() as connection:
        rows = connection.execute(sa.select(NOTE.c.kind, NOTE.c.office, NOTE.c.status)).all()
    assert [(office, status) for kind, office, status in rows if kind == "pipeline"] == [
        ("data_engineering", "sent")
    ]
    office_rows = [status for kind, _, status in rows if kind != "pipeline"]
    assert office_rows and "sent" not in office_rows
    [message] = (home.outbox / "data_engineering").iterdir()
    text = message.read_text(encoding="utf-8")
    for part in (
        "失败的任务（task）：deliver",
        "SMTP relay 10.0.0.25 refused the connection",
        str(state.state_details.flow_run_id),
    ):
        assert part in text, part
    assert [p.name for p in home.outbox.iterdir()] == ["data_engineering"]


def test_the_retrain_registers_a_challenger_and_sends_the_evaluation_to_data_engineering(
    prefect_harness: None, home: Settings
) -> None:
    from flows.retrain import retrain
    from models import registry
    from store.uow import unit_of_work

    result, run_id = run_timed(retrain, "retrain", as_of=CITY_END)

    with unit_of_work(db.engine_for(home)) as session:
        versions = {v.version: v.status for v in registry.versions(session)}
    assert result["version"] in versions and len(versions) == 2
    assert result["gate"] is not None and result["promoted"] == result["gate"]["passed"]
    assert (versions[result["version"]] == "champion") == result["promoted"]
    assert result["delivery"] == {"sent": 1, "failed": 0}
    [message] = (home.outbox / "data_engineering").iterdir()
    text = message.read_text(encoding="utf-8")
    assert f"【模型训练】{result['version']}" in text and result["report"] in text and "| PR AUC |" in text
    assert Path(result["report"]).exists()
    assert artifact_keys(run_id) == {"retrain-summary"}


def test_the_ingest_flow_takes_the_landing_folder_once(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.ingest import ingest

    home = tmp_path / "home"
    monkeypatch.setenv("LAYOFFWATCH_HOME", str(home))
    monkeypatch.delenv("LAYOFFWATCH_DATABASE_URL", raising=False)
    generate_city(tmp_path / "city", enterprises=60, months=3, seed=2, end=date(2026, 5, 31))
    home.mkdir(parents=True)
    (tmp_path / "city" / "landing").rename(home / "landing")

    first = ingest()
    second = ingest()

    assert first and {r["status"] for r in first} == {"ingested"}
    assert {r["status"] for r in second} == {"duplicate"}
    assert (home / "reports" / "data_docs" / "index.html").exists()


def test_a_persons_mistake_fails_at_once_without_retries_and_is_reported(
    prefect_harness: None, city_lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.daily import daily_run

    cfg = home_with_city(
        city_lake,
        Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'home' / 'db.sqlite'}"),
    )
    monkeypatch.setenv("LAYOFFWATCH_HOME", str(cfg.home))
    monkeypatch.setenv("LAYOFFWATCH_DATABASE_URL", cfg.database_url)
    monkeypatch.setattr(common, "clock", lambda _settings: NOW)

    started = time.perf_counter()
    state = daily_run(as_of=CITY_END, return_state=True)

    assert state.is_failed()
    assert time.perf_counter() - started < 10, "a UserError must not wait for the 10 s and 60 s retries"
    [message] = (cfg.outbox / "data_engineering").iterdir()
    text = message.read_text(encoding="utf-8")
    assert "失败的任务（task）：score" in text and "还没有启用的模型" in text
    db.dispose(cfg)


def test_layoffwatch_run_daily_prints_the_days_summary(prefect_harness: None, home: Settings) -> None:
    from typer.testing import CliRunner

    from layoffwatch.cli_flows import run_app

    result = CliRunner().invoke(run_app, ["daily", "--as-of", str(CITY_END)])

    assert result.exit_code == 0, result.output
    for text in (f"每日运行 {CITY_END}", "风险评分", "评分企业", "通知发送"):
        assert text in result.output, text


def test_bench_daily_runs_a_first_and_an_ordinary_day_in_a_copy_and_times_every_stage(
    prefect_harness: None, home: Settings, tmp_path: Path
) -> None:
    import json

    from typer.testing import CliRunner

    from layoffwatch.cli import app

    db.dispose(home)
    before = sorted(
        (p.relative_to(home.home), p.stat().st_mtime_ns) for p in home.home.rglob("*") if p.is_file()
    )
    data = tmp_path / "bench"
    result = CliRunner().invoke(
        app, ["bench", "daily", "--home", str(home.home), "--data", str(data), "--json"]
    )

    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    first, ordinary = figures["days"]
    assert (first["as_of"], ordinary["as_of"]) == (str(CITY_END - timedelta(days=1)), str(CITY_END))
    stages = {
        "pull",
        "score: features",
        "score: partition",
        "score: rank",
        "alerts",
        "deliver",
        "daily report",
    }
    for day in (first, ordinary):
        assert stages <= set(day["stages"]) and all(day["stages"][s] > 0 for s in stages)
        assert 0 < sum(day["stages"].values()) <= day["seconds"]
        assert day["scored"] > 1_500
    assert first["alerts_opened"] > 0 and first["messages_sent"] > 0
    assert first["alert_messages"] >= first["alerts_opened"] and first["batches"] >= 0
    assert ordinary["rows_delivered"]["si_changes"] > 0 and ordinary["messages_sent"] < first["messages_sent"]
    assert figures["peak_rss_gb"] > 0 and set(figures["targets"]) >= {"seconds_met", "peak_rss_met"}
    run_home = Path(figures["home"])
    assert run_home.parent == data.resolve() and (run_home / "bench-daily.json").is_file()
    after = sorted(
        (p.relative_to(home.home), p.stat().st_mtime_ns) for p in home.home.rglob("*") if p.is_file()
    )
    assert after == before, "the benchmark runs in a copy: the ingested home is untouched"


def test_a_model_trained_in_one_home_is_imported_as_the_champion_of_another(
    trained_home: Settings, tmp_path: Path
) -> None:
    from layoffwatch.bench_daily import import_model
    from models import registry
    from models.partitions import champion_version
    from models.training import champion_model
    from store.uow import unit_of_work

    with unit_of_work(db.engine_for(trained_home)) as session:
        source = registry.champion(session)
        assert source is not None
        session.expunge(source)
    target = Settings(
        home=tmp_path / "other", database_url=f"sqlite:///{tmp_path / 'other' / 'layoffwatch.db'}"
    )
    version = import_model(target, source, by="test", reason="imported", now=NOW)

    assert version == source.version == champion_version(target)
    imported, model = champion_model(target)  # loads the copied artifact, its hash checked
    assert Path(imported.artifact_path).parent == target.models
    assert imported.artifact_sha256 == source.artifact_sha256 and model.feature_names_ == source.features
    db.dispose(target)
