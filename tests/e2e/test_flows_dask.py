"""The distributed path: the daily run scored in 3 township partitions on a 2-worker Dask
LocalCluster (``layoffwatch run daily --partitions 3 --dask-address ...``) gives the same scores,
watchlist, alerts and notifications as the single-process run of the same day.

Two copies of one trained home (the city's lake, its database and the champion; ``trained_home`` of
``test_flows``). The workers are separate processes that read their settings from the environment
they were started with, so ``LAYOFFWATCH_HOME`` and ``LAYOFFWATCH_DATABASE_URL`` name the Dask home
before the cluster starts; on a real cluster the home is on storage every worker sees, at the same
path, and the database URL is the same.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from flows import common
from layoffwatch.settings import Settings
from store import db
from store.tables import Alert, Notification, RiskScore, WatchlistEntry
from tests.conftest import CITY_END
from tests.e2e.test_flows import NOW, prefect_harness

__all__ = ["prefect_harness"]  # a module-scoped fixture; trained_home is the session's (tests/e2e/conftest.py)

SCORE: sa.Table = RiskScore.__table__  # type: ignore[attr-defined]
WATCH: sa.Table = WatchlistEntry.__table__  # type: ignore[attr-defined]
ALERT: sa.Table = Alert.__table__  # type: ignore[attr-defined]
NOTE: sa.Table = Notification.__table__  # type: ignore[attr-defined]

COMPARED = {
    SCORE: ("uscc", "tier", "probability", "percentile", "reasons", "evidence"),
    WATCH: ("uscc", "kind", "entered_on", "reason"),
    ALERT: ("kind", "subject", "tier", "status", "offices", "details"),
    NOTE: ("key", "title", "body"),
}


def home_copy(trained: Settings, city_lake: Path, target: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A copy of the trained home with the city's register in its landing folder, made the home of
    this process and of any process started from now on."""
    shutil.copytree(trained.home, target)
    shutil.copytree(city_lake.parent / "landing" / "enterprises", target / "landing" / "enterprises")
    cfg = Settings(home=target, database_url=f"sqlite:///{target / 'layoffwatch.db'}")
    monkeypatch.setenv("LAYOFFWATCH_HOME", str(target))
    monkeypatch.setenv("LAYOFFWATCH_DATABASE_URL", cfg.database_url)
    return cfg


def stored(cfg: Settings) -> dict[str, list[str]]:
    """The compared columns of every compared table, one JSON text per row, in a stable order."""
    with db.engine_for(cfg).connect() as connection:
        return {
            table.name: sorted(
                json.dumps([unsigned_zero(v) for v in row], sort_keys=True, default=str)
                for row in connection.execute(sa.select(*(table.c[c] for c in columns)))
            )
            for table, columns in COMPARED.items()
        }


def unsigned_zero(value: Any) -> Any:
    """``value`` with every -0.0 made 0.0 (equal numbers). The feature table itself gives an exact
    zero either sign from one run to the next, single process or not: its float sums are not
    ordered (features/monthly.py, ``contribution_arrears``), and the evidence stores the sign."""
    if isinstance(value, float):
        return value + 0.0
    if isinstance(value, dict):
        return {k: unsigned_zero(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unsigned_zero(v) for v in value]
    return value


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Any]:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        local_directory=str(tmp_path / "dask"),
    ) as local:
        yield local


@pytest.mark.slow
def test_the_daily_run_in_partitions_on_a_dask_cluster_gives_exactly_the_single_process_results(
    prefect_harness: None,
    trained_home: Settings,
    city_lake: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    from typer.testing import CliRunner

    from flows.daily import daily_run
    from layoffwatch.cli_flows import run_app

    monkeypatch.setattr(common, "clock", lambda _settings: NOW)
    single = home_copy(trained_home, city_lake, tmp_path / "single", monkeypatch)
    started = time.perf_counter()
    alone = daily_run(as_of=CITY_END)
    print(f"\nsingle process: {time.perf_counter() - started:.1f}s")
    expected = stored(single)
    db.dispose(single)

    split = home_copy(trained_home, city_lake, tmp_path / "dask", monkeypatch)
    started = time.perf_counter()
    local = request.getfixturevalue("cluster")  # started after the environment names the Dask home
    address = local.scheduler_address
    print(f"2-worker LocalCluster at {address}: {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    result = CliRunner().invoke(
        run_app,
        ["daily", "--as-of", str(CITY_END), "--partitions", "3", "--dask-address", address, "--json"],
    )
    print(f"3 partitions on the cluster: {time.perf_counter() - started:.1f}s")
    assert result.exit_code == 0, result.output
    on_dask = json.loads(result.stdout)

    try:
        assert stored(split) == expected
    finally:
        db.dispose(split)
    assert on_dask["scores"] == json.loads(json.dumps(alone["scores"], default=str))
    assert on_dask["scores"]["scored"] > 1_500 and all(expected.values())  # no table compared empty
    assert on_dask["alerts"]["enterprise"]["opened"] == alone["alerts"]["enterprise"]["opened"] > 0
    assert not (split.home / "work" / "scoring" / str(CITY_END)).exists()  # the parts are cleaned up
    done_on_cluster = {name: p.state_counts["memory"] for name, p in local.scheduler.task_prefixes.items()}
    assert done_on_cluster == {"score_partition_task": 3}
