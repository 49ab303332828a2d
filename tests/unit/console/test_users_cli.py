"""``layoffwatch users``: accounts opened, listed, disabled and reset from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from layoffwatch.cli import app

PASSWORD = "cli-password-2026"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("LAYOFFWATCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LAYOFFWATCH_DATABASE_URL", raising=False)
    return CliRunner()


def users(runner: CliRunner, *args: str, password: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["users", *args], input=None if password is None else password + "\n")
    return result.exit_code, result.output


def test_add_list_disable_and_reset(runner: CliRunner) -> None:
    code, out = users(
        runner, "add", "li.hr", "--role", "hr", "--name", "李明", "--password-stdin", password=PASSWORD
    )
    assert code == 0 and "已开通账号 li.hr" in out
    code, out = users(runner, "list", "--json")
    assert code == 0 and [(u["username"], u["role"], u["disabled"]) for u in json.loads(out)] == [
        ("li.hr", "hr", False)
    ]
    assert users(runner, "disable", "li.hr")[0] == 0
    assert json.loads(users(runner, "list", "--json")[1])[0]["disabled"] is True
    code, out = users(runner, "reset", "li.hr", "--password-stdin", password="new-password-77")
    assert code == 0 and json.loads(users(runner, "list", "--json")[1])[0]["disabled"] is False


@pytest.mark.parametrize(
    ("args", "password", "said"),
    [
        (("add", "li", "--role", "mayor", "--password-stdin"), PASSWORD, "--role 'mayor'"),
        (("add", "Li Ming", "--role", "hr", "--password-stdin"), PASSWORD, "用户名"),
        (("add", "li", "--role", "hr", "--password-stdin"), "short", "密码至少需要"),
        (("disable", "nobody"), None, "没有用户 nobody"),
    ],
)
def test_mistakes_are_one_sentence_and_exit_2(
    runner: CliRunner, args: tuple[str, ...], password: str | None, said: str
) -> None:
    code, out = users(runner, *args, password=password)
    assert code == 2 and said in out and "Traceback" not in out
