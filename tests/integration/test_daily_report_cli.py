"""``layoffwatch report daily`` as an officer runs it: the files, the one-line summary, mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from layoffwatch import cli_report
from layoffwatch.settings import Settings
from tests.unit.alerts.builders import day, model_version, register, run_day, session_for


@pytest.fixture
def runner(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The command line on ``db_settings``' home and database."""
    monkeypatch.setenv("LAYOFFWATCH_HOME", str(db_settings.home))
    monkeypatch.setenv("LAYOFFWATCH_DATABASE_URL", db_settings.database_url)
    monkeypatch.setenv("COLUMNS", "240")
    return CliRunner()


def test_writes_the_day_into_the_home_or_a_chosen_folder(
    runner: CliRunner, db_settings: Settings, tmp_path: Path
) -> None:
    with session_for(db_settings) as session:
        register(session, 1, 2, 3)
        model_version(session)
    run_day(db_settings, 0, {1: "red", 2: "yellow", 3: "none"})

    result = runner.invoke(cli_report.app, ["daily", "--as-of", day(0).isoformat()])
    assert result.exit_code == 0, result.output
    assert "评估企业 3 家，红色 1、橙色 0、黄色 1、蓝色 0；新增预警 2 条" in result.stdout
    folder = db_settings.home / "reports" / "daily" / day(0).isoformat()
    assert sorted(p.name for p in folder.iterdir()) == [f"日报-{day(0)}.html", f"日报-{day(0)}.xlsx"]

    out = tmp_path / "mail"
    result = runner.invoke(
        cli_report.app, ["daily", "--as-of", day(0).isoformat(), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    written = json.loads(result.stdout)
    assert written["html"] == str(out / f"日报-{day(0)}.html") and written["summary"]["tiers"]["red"] == 1


def test_mistakes_get_one_sentence(runner: CliRunner) -> None:
    result = runner.invoke(cli_report.app, ["daily", "--as-of", "2026-13-01"])
    assert result.exit_code == 2 and "expected YYYY-MM-DD" in result.stderr
    result = runner.invoke(cli_report.app, ["daily", "--as-of", "2026-03-02"])
    assert result.exit_code == 2 and "还没有启用的模型" in result.stderr
