"""``layoffwatch serve`` and ``layoffwatch run``: wiring and user mistakes, without starting Prefect."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from layoffwatch import cli_flows


def test_serve_serves_every_declared_deployment_on_its_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    import prefect

    served: dict[str, Any] = {}
    monkeypatch.setattr(
        prefect, "serve", lambda *deployments, **kwargs: served.update(d=deployments, kw=kwargs)
    )
    app = typer.Typer()
    app.command("serve")(cli_flows.serve)

    result = CliRunner().invoke(app, ["--limit", "2"])

    assert result.exit_code == 0, result.output
    names = {d.name: [(s.schedule.cron, s.schedule.timezone) for s in d.schedules or []] for d in served["d"]}
    assert names == {
        "daily-run": [("30 6 * * *", "Asia/Shanghai")],
        "retrain": [("0 2 * * 1", "Asia/Shanghai")],
        "backfill": [],
        "ingest-landing": [],
    }
    assert served["kw"] == {"limit": 2}
    assert "daily-run: cron '30 6 * * *' (Asia/Shanghai)" in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["backfill", "--start", "2026-06-30", "--end", "2026-06-01"],
            "--end 2026-06-01 is before --start 2026-06-30",
        ),
        (["backfill", "--start", "30/06/2026", "--end", "2026-07-01"], "--start '30/06/2026' is not a date"),
        (["daily", "--as-of", "yesterday"], "--as-of 'yesterday' is not a date"),
    ],
)
def test_a_bad_date_is_one_sentence_and_exit_code_2(args: list[str], says: str) -> None:
    result = CliRunner().invoke(cli_flows.run_app, args)

    assert result.exit_code == 2
    assert says in " ".join(result.output.split())
