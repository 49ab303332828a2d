"""The command line as an officer or engineer uses it: tables, --json, clear one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from layoffwatch.cli import app

ROOT = Path(__file__).resolve().parents[2]
END = date(2026, 10, 31)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated city, shared by the tests of this module (they only read it)."""
    out = tmp_path_factory.mktemp("city")
    result = CliRunner().invoke(
        app,
        ["generate", "--out", str(out), "--enterprises", "200", "--months", "4", "--seed", "11",
         "--end", END.isoformat(), "--error-rate", "0.01"],
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("LAYOFFWATCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LAYOFFWATCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


def test_generate_writes_landing_and_truth_apart(city: Path) -> None:
    sources = {p.name for p in (city / "landing").iterdir()}
    assert {"enterprises", "si_changes", "si_contributions", "payroll", "sentiment"} <= sources
    assert (city / "truth" / "events.parquet").exists()


def test_ingest_then_again_is_a_no_op(runner: CliRunner, city: Path, tmp_path: Path) -> None:
    first = runner.invoke(app, ["ingest", str(city / "landing"), "--json"])
    assert first.exit_code == 0, first.output
    reports = json.loads(first.stdout)
    assert reports and all(r["status"] == "ingested" for r in reports), [r for r in reports if r["status"] != "ingested"]
    assert sum(r["rows_quarantined"] for r in reports) > 0  # the generator injected export mistakes
    second = runner.invoke(app, ["ingest", str(city / "landing"), "--json"])
    assert {r["status"] for r in json.loads(second.stdout)} == {"duplicate"}
    matchers = tmp_path / "home" / "cache" / "matchers"  # the runner's home
    assert len(list(matchers.iterdir())) == 1, "the register that arrived has its matcher built and kept"


def test_ingest_prints_a_table_per_file(runner: CliRunner, city: Path) -> None:
    result = runner.invoke(app, ["ingest", str(city / "landing" / "enterprises")])
    assert result.exit_code == 0, result.output
    assert "导入结果" in result.stdout and "已导入" in result.stdout


def test_quarantine_list_and_show_give_rule_and_row(runner: CliRunner, city: Path) -> None:
    runner.invoke(app, ["ingest", str(city / "landing")])
    listed = runner.invoke(app, ["quarantine", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    batches = json.loads(listed.stdout)
    assert batches and all(b["rows_quarantined"] > 0 and b["top_reasons"] for b in batches)
    shown = runner.invoke(app, ["quarantine", "show", batches[0]["batch_id"][:10], "--json"])
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.stdout)
    assert len(rows) == batches[0]["rows_quarantined"] or len(rows) == 50
    assert all(r["行号"] >= 2 and r["原因"] for r in rows)


def test_validate_is_a_dry_run(runner: CliRunner, city: Path) -> None:
    result = runner.invoke(app, ["validate", str(city / "landing" / "enterprises"), "--json"])
    assert result.exit_code == 0, result.output
    assert {r["status"] for r in json.loads(result.stdout)} == {"checked"}
    listed = runner.invoke(app, ["batches", "list", "--json"])
    assert json.loads(listed.stdout) == []


def test_batches_list_has_one_row_per_file(runner: CliRunner, city: Path) -> None:
    ingested = json.loads(runner.invoke(app, ["ingest", str(city / "landing"), "--json"]).stdout)
    listed = json.loads(runner.invoke(app, ["batches", "list", "--json", "--limit", "1000"]).stdout)
    assert {b["batch_id"] for b in listed} == {r["batch_id"] for r in ingested}


def test_db_upgrade_is_idempotent(runner: CliRunner) -> None:
    first = runner.invoke(app, ["db", "upgrade"])
    second = runner.invoke(app, ["db", "upgrade"])
    assert first.exit_code == second.exit_code == 0, first.output + second.output


@pytest.mark.parametrize(
    ("args", "env", "mentions"),
    [
        (["ingest", "/no/such/folder"], {}, "/no/such/folder"),
        (["quarantine", "show", "zzzzzzzz"], {}, "zzzzzzzz"),
        (["batches", "list"], {"LAYOFFWATCH_DATABASE_URL": "mysql://x"}, "LAYOFFWATCH_DATABASE_URL"),
        (["generate", "--out", "x", "--end", "31/12/2025"], {}, "--end"),
    ],
    ids=["missing-path", "unknown-batch", "bad-database-url", "bad-end-date"],
)
def test_a_user_mistake_is_one_sentence_and_exit_code_2(
    runner: CliRunner, args: list[str], env: dict[str, str], mentions: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert mentions in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_bench_ingest_reports_every_stage_and_the_targets(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["bench", "ingest", "--enterprises", "150", "--months", "2", "--data", str(tmp_path / "bench"), "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["rows"] > 0 and figures["files"] > 0
    assert set(figures["stage_seconds"]) == {"read", "parse", "check", "gx", "write", "data_docs", "linking index"}
    assert len(list((Path(figures["home"]) / "cache" / "matchers").iterdir())) == 1, "the register's matcher is kept"
    assert 0 < figures["gx_share"] < 1 and figures["peak_rss_gb"] > 0
    assert {"total_met", "peak_rss_met", "validate_share_met"} <= set(figures["targets"])


def test_the_readme_holds_exactly_two_setup_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(.+?)\n```", readme, flags=re.S)
    assert len(commands) == 2, commands
    demo, tests = commands
    assert demo.endswith("layoffwatch demo")
    assert tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_module_entry_point_runs(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "layoffwatch", "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and "ingest" in result.stdout
