"""``layoffwatch watchlist`` end to end, as an officer uses it: add, list, export, remove, mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from layoffwatch.cli import app
from layoffwatch.settings import Settings
from tests.unit.watchlist.builders import (
    at,
    code,
    day,
    model_version,
    reason,
    register,
    score,
    session_for,
    tiers,
)
from watchlist.daily import update_watchlist
from watchlist.export import SHEET_NAME


@pytest.fixture
def runner(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The command line on ``db_settings``' home and database, with enterprise 1 on the list
    automatically and 2 and 3 in the register."""
    monkeypatch.setenv("LAYOFFWATCH_HOME", str(db_settings.home))
    monkeypatch.setenv("LAYOFFWATCH_DATABASE_URL", db_settings.database_url)
    monkeypatch.setenv("COLUMNS", "240")
    with session_for(db_settings) as session:
        register(session, 1, 2, 3)
        model_version(session)
        score(session, 1, "orange", headcount=120, reasons=[reason("近期集中减员", "近30天减员40人")])
        frame = tiers({1: "orange"}, {1: [reason("近期集中减员")]})
        update_watchlist(session, frame, as_of=day(0), now=at(0), entry_tier="yellow", exit_after_days=14)
    return CliRunner()


def listed(runner: CliRunner, *args: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["watchlist", "list", "--json", *args])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_an_officer_adds_lists_exports_and_removes(runner: CliRunner, tmp_path: Path) -> None:
    added = runner.invoke(
        app,
        ["watchlist", "add", code(2), "--reason", "群众反映拖欠工资", "--until", "2099-12-31",
         "--office", "public_security", "--by", "张三"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "已将" in added.stdout and "至 2099-12-31 止" in added.stdout

    rows = listed(runner)
    assert [r["uscc"] for r in rows] == [code(1), code(2)]
    assert rows[0]["tier_zh"] == "橙色" and rows[0]["risk_factors"] == "近30天减员40人"
    assert (rows[1]["offices"], rows[1]["reason"]) == ("公安局", "人工纳入：群众反映拖欠工资")

    table = runner.invoke(app, ["watchlist", "list"])
    assert table.exit_code == 0 and "重点关注企业清单" in table.stdout and "测试企业2有限公司" in table.stdout

    xlsx = runner.invoke(
        app, ["watchlist", "export", "--format", "xlsx", "--out", str(tmp_path / "list.xlsx")]
    )
    assert xlsx.exit_code == 0, xlsx.output
    sheet = openpyxl.load_workbook(tmp_path / "list.xlsx")[SHEET_NAME]
    assert [r[2] for r in sheet.iter_rows(min_row=2, values_only=True)] == [code(1), code(2)]
    csv = runner.invoke(app, ["watchlist", "export", "--format", "csv", "--out", str(tmp_path / "list.csv")])
    assert csv.exit_code == 0 and (tmp_path / "list.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    removed = runner.invoke(app, ["watchlist", "remove", code(2), "--reason", "已核实", "--by", "李四"])
    assert removed.exit_code == 0, removed.output
    assert [r["uscc"] for r in listed(runner)] == [code(1)]
    history = listed(runner, "--all")
    assert [(r["uscc"], r["leave_reason"]) for r in history] == [(code(1), None), (code(2), "已核实")]


def test_the_history_prints_as_a_table_with_how_each_stay_ended(runner: CliRunner) -> None:
    result = runner.invoke(app, ["watchlist", "list", "--all"])
    assert result.exit_code == 0, result.output
    assert (
        "全部记录" in result.stdout and "移出原因" in result.stdout and "测试企业1有限公司" in result.stdout
    )


def test_mistakes_are_one_chinese_sentence_and_exit_code_2(runner: CliRunner, tmp_path: Path) -> None:
    unknown = runner.invoke(app, ["watchlist", "add", code(9), "--reason", "原因"])
    assert unknown.exit_code == 2 and code(9) in unknown.output and "不在企业名录中" in unknown.output
    assert runner.invoke(app, ["watchlist", "add", code(2), "--reason", "原因"]).exit_code == 0
    twice = runner.invoke(app, ["watchlist", "add", code(2), "--reason", "原因"])
    assert twice.exit_code == 2 and "无需重复纳入" in twice.output
    empty = runner.invoke(app, ["watchlist", "remove", code(2), "--reason", " "])
    assert empty.exit_code == 2 and "请填写移出原因" in empty.output
    auto = runner.invoke(app, ["watchlist", "remove", code(1), "--reason", "原因"])
    assert auto.exit_code == 2 and "自动纳入" in auto.output
    bad_day = runner.invoke(app, ["watchlist", "add", code(3), "--reason", "原因", "--until", "明年"])
    assert bad_day.exit_code == 2 and "--until" in bad_day.output
    bad_format = runner.invoke(
        app, ["watchlist", "export", "--format", "pdf", "--out", str(tmp_path / "x.pdf")]
    )
    assert bad_format.exit_code == 2 and "应为 csv 或 xlsx" in bad_format.output
