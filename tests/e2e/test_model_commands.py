"""The model commands as a data engineer and an officer use them, on a generated, ingested city."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from layoffwatch.cli import app

AS_OF = "2026-06-30"


@pytest.fixture(scope="module")
def home(city_lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the city's lake and one trained champion, shared by this module's tests."""
    home = tmp_path_factory.mktemp("model-cli") / "home"
    shutil.copytree(city_lake / "lake", home / "lake")
    return home


@pytest.fixture
def runner(home: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("LAYOFFWATCH_HOME", str(home))
    monkeypatch.delenv("LAYOFFWATCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


def test_score_before_any_training_is_one_sentence(runner: CliRunner) -> None:
    result = runner.invoke(app, ["score", "--as-of", AS_OF])
    assert result.exit_code == 2
    assert "layoffwatch train" in result.output and "Traceback" not in result.output


def test_train_prints_model_and_baseline_and_promotes_the_first(runner: CliRunner, home: Path) -> None:
    result = runner.invoke(app, ["train", "--as-of", AS_OF, "--by", "工程师"])
    assert result.exit_code == 0, result.output
    assert "PR-AUC" in result.output and "baseline" in result.output and "champion" in result.output
    assert list((home / "models").glob("*.skops"))


def test_score_prints_tiers_and_reasons_and_stores_rows(runner: CliRunner) -> None:
    result = runner.invoke(app, ["score", "--as-of", AS_OF, "--json"])
    assert result.exit_code == 0, result.output
    tiers = json.loads(result.stdout)["tiers"]
    assert sum(tiers.values()) > 1500 and "insufficient_data" in tiers
    table = runner.invoke(app, ["score", "--as-of", AS_OF])
    assert "风险最高" in table.output and ("红色" in table.output or "橙色" in table.output)


def test_scores_export_in_three_formats_with_chinese_headers(runner: CliRunner, tmp_path: Path) -> None:
    text = runner.invoke(app, ["scores", "--as-of", AS_OF, "--format", "csv"])
    assert text.exit_code == 0, text.output
    rows = list(csv.DictReader(io.StringIO(text.stdout)))
    assert rows[0].keys() >= {"统一社会信用代码", "企业名称", "风险等级", "主要风险因素", "模型版本"}
    assert float(rows[0]["90天内规模裁员概率"]) >= float(rows[-1]["90天内规模裁员概率"] or 0)
    as_json = json.loads(runner.invoke(app, ["scores", "--as-of", AS_OF, "--format", "json", "--tier", "red"]).stdout)
    assert all(r["tier"] == "red" and r["reasons"] for r in as_json)
    out = tmp_path / "评分.xlsx"
    assert runner.invoke(app, ["scores", "--as-of", AS_OF, "--format", "xlsx", "--out", str(out)]).exit_code == 0
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None and sheet.cell(1, 1).value == "统一社会信用代码" and sheet.max_row == len(rows) + 1


def test_scores_refuse_an_unknown_format_or_tier(runner: CliRunner) -> None:
    for args in (["--format", "pdf"], ["--tier", "purple"]):
        result = runner.invoke(app, ["scores", "--as-of", AS_OF, *args])
        assert result.exit_code == 2 and "Traceback" not in result.output


def test_the_days_alerts_from_real_scores_reach_the_offices_and_an_officer_works_one(
    runner: CliRunner, home: Path
) -> None:
    """After `score`: the watchlist and alerts from the stored scores, delivered to the outbox folder,
    one alert taken through its lifecycle, and running the day again changing nothing."""
    update = runner.invoke(app, ["alerts", "update", "--as-of", AS_OF, "--json"])
    assert update.exit_code == 0, update.output
    summary = json.loads(update.stdout)
    assert summary["alerts_opened"] > 0 and summary["watchlist_entered"] >= summary["alerts_opened"]
    assert summary["messages"] >= summary["alerts_opened"]

    sent = runner.invoke(app, ["outbox", "send"])
    assert sent.exit_code == 0, sent.output
    hr = list((home / "outbox" / "hr").glob("*.md"))
    assert len(hr) >= summary["alerts_opened"]
    first = hr[0].read_text(encoding="utf-8")
    assert "规模性失业风险" in first and "统一社会信用代码" in first and "请于" in first

    alerts = json.loads(runner.invoke(app, ["alerts", "list", "--json"]).stdout)
    alert_id = str(alerts[0]["id"])
    for command in (["ack", alert_id], ["verify", alert_id, "--assign", "张科长", "--reason", "派员核查"],
                    ["false-alarm", alert_id, "--reason", "企业为季节性用工调整"],
                    ["close", alert_id, "--reason", "核查完毕"]):  # fmt: skip
        done = runner.invoke(app, ["alerts", *command])
        assert done.exit_code == 0, done.output
    shown = runner.invoke(app, ["alerts", "show", alert_id])
    assert "核查不属实" in shown.output and "已关闭" in shown.output and "派发核查" in shown.output
    again = runner.invoke(app, ["alerts", "close", alert_id, "--reason", "再关一次"])
    assert again.exit_code == 2 and "已关闭" in again.output and "Traceback" not in again.output

    listing = runner.invoke(app, ["watchlist", "list", "--json"])
    assert listing.exit_code == 0 and len(json.loads(listing.stdout)) >= summary["alerts_opened"]

    rerun = json.loads(runner.invoke(app, ["alerts", "update", "--as-of", AS_OF, "--json"]).stdout)
    assert (rerun["alerts_opened"], rerun["messages"], rerun["watchlist_entered"]) == (0, 0, 0)


def test_scoring_in_township_partitions_gives_exactly_the_single_process_rows(home: Path) -> None:
    """The distributed path's pieces (features once, one part per group of townships, ranked
    together) against score_day, on the same champion and day."""
    from datetime import UTC, date, datetime

    import polars as pl
    from polars.testing import assert_frame_equal

    from layoffwatch.settings import Settings
    from models import partitions
    from models.training import score_day
    from store.db import dispose

    settings = Settings(home=home, database_url=f"sqlite:///{home / 'layoffwatch.db'}")
    day, now = date.fromisoformat(AS_OF), datetime(2026, 7, 1, tzinfo=UTC)
    try:
        _, single = score_day(settings, as_of=day, now=now)
        features = partitions.feature_snapshot(settings, as_of=day)
        groups = partitions.partition_groups(features, by="township", parts=3)
        assert len(groups) == 3 and sorted(sum(groups, [])) == sorted(single["township"].fill_null("").unique())
        version = partitions.champion_version(settings)
        parts = [partitions.score_partition(settings, features, by="township", values=g, model_version=version)
                 for g in groups]  # fmt: skip
        split = partitions.finish_scores(settings, parts, model_version=version, now=now)
    finally:
        dispose(settings)
    columns = ["uscc", "as_of", "probability", "percentile", "tier", "reasons", "evidence"]
    assert_frame_equal(split.select(columns).sort("uscc"), single.select(columns).sort("uscc"))
    assert split.height == single.height and split.filter(pl.col("reasons").list.len() > 0).height >= 10


def test_models_list_show_and_a_refused_promotion(runner: CliRunner) -> None:
    listed = json.loads(runner.invoke(app, ["models", "list", "--json"]).stdout)
    assert [v["status"] for v in listed] == ["champion"]
    version = listed[0]["version"]
    shown = json.loads(runner.invoke(app, ["models", "show", version, "--json"]).stdout)
    assert shown["artifact_sha256"] and [h["to_status"] for h in shown["history"]] == ["challenger", "champion"]
    again = runner.invoke(app, ["models", "promote", version])
    assert again.exit_code == 2 and "already the champion" in again.output
    unknown = runner.invoke(app, ["models", "show", "nope"])
    assert unknown.exit_code == 2 and "models list" in unknown.output


def test_evaluate_prints_model_and_baseline_side_by_side(runner: CliRunner) -> None:
    result = runner.invoke(app, ["evaluate", "--as-of", AS_OF, "--folds", "1", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert set(figures["metrics"]) == {"model", "baseline"}
    assert Path(figures["report"]).exists() and Path(figures["report"]).with_name("precision_recall.png").exists()


def test_train_with_too_little_history_is_one_sentence(runner: CliRunner) -> None:
    result = runner.invoke(app, ["train", "--as-of", "2025-06-30"])
    assert result.exit_code == 2 and "not enough history" in result.output


def test_bench_features_polars_and_pandas_agree(city_lake: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "features", "--home", str(city_lake), "--as-of", AS_OF, "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["columns_differing"] == []
    assert figures["enterprises"] > 1900 and figures["polars_seconds"] > 0 and figures["speedup"] > 0


def test_bench_text_links_and_classifies_the_records_it_is_asked_for(city_lake: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "text", "--home", str(city_lake), "--records", "3000", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["records"] == 3000 and figures["enterprises"] > 1900
    assert figures["linked_rows"] > 0 and figures["records_with_a_category"] > 0
    assert figures["records_per_minute"] > 0 and figures["matcher_build_seconds"] > 0
    assert figures["classify_without_second_reading_seconds"] > 0


def test_bench_train_times_each_stage(city_lake: Path) -> None:
    result = CliRunner().invoke(
        app, ["bench", "train", "--home", str(city_lake), "--snapshots", "3", "--negative-fraction", "0.5", "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert set(figures["stage_seconds"]) == {"read", "labels", "features", "fit"}
    assert figures["rows_fitted"] < figures["snapshot_rows_represented"]


def test_demo_loads_trains_and_runs_days_through_prefect_to_the_offices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlalchemy as sa

    home = tmp_path / "home"
    monkeypatch.setenv("LAYOFFWATCH_HOME", str(home))
    monkeypatch.delenv("LAYOFFWATCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    from prefect.testing.utilities import prefect_test_harness

    # A harness rather than the demo's own temporary server: it stops inside the test, not at exit,
    # when pytest has already closed the streams Prefect would log its shutdown to.
    with prefect_test_harness(server_startup_timeout=120):
        result = CliRunner().invoke(app, ["demo", "--enterprises", "400", "--months", "24", "--days", "4", "--seed", "11"])
    assert result.exit_code == 0, result.output
    assert "导入汇总" in result.output and "风险等级分布" in result.output and "每日运行汇总" in result.output
    assert "4 次每日运行" in result.output and "各单位收到的预警通知" in result.output
    assert len(list((home / "reports" / "daily").glob("*/日报-*.html"))) == 4, "one daily report per day"
    engine = sa.create_engine(f"sqlite:///{home / 'layoffwatch.db'}")
    with engine.connect() as connection:
        days = connection.execute(sa.text("SELECT COUNT(DISTINCT as_of) FROM risk_score")).scalar_one()
        sent = connection.execute(
            sa.text("SELECT COUNT(*) FROM notification WHERE office = 'hr' AND status = 'sent'")
        ).scalar_one()
    engine.dispose()
    assert days == 4
    assert len(list((home / "outbox" / "hr").glob("*.md"))) == sent, "every message hr was sent is in its folder"
