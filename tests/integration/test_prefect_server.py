"""prefect.yaml against a real Prefect server on 127.0.0.1: create the process work pool, deploy
everything with ``prefect deploy --all``, run one deployment through a worker and see it complete.

The deployment run is the cheapest one, ingest-landing on an empty landing folder; the others are
registered by the same command. Every process the test starts is killed at the end.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
PREFECT = [sys.executable, "-m", "prefect"]
FLOW_RUN_ID = re.compile(r"UUID:\s*([0-9a-f-]{36})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop ``process`` and everything it started (it leads its own process group)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A Prefect server with its own PREFECT_HOME; yields the environment for the CLI and the worker."""
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_CLI_PROMPT": "false",
        "LAYOFFWATCH_HOME": str(tmp_path / "home"),
    }
    env.pop("LAYOFFWATCH_DATABASE_URL", None)
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "server.log").read_text(errors="replace")
            try:
                if httpx.get(f"{env['PREFECT_API_URL']}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the Prefect server did not start within 60 s"
            time.sleep(0.5)
        yield env
    finally:
        stop(process)
        log.close()


def prefect(env: dict[str, str], *args: str, timeout: float = 60) -> str:
    result = subprocess.run(
        [*PREFECT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"prefect {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.slow
def test_deploy_all_then_a_worker_runs_a_deployment_to_completion(
    server: dict[str, str], tmp_path: Path
) -> None:
    prefect(server, "work-pool", "create", "layoffwatch-process", "--type", "process")
    deployed = prefect(server, "--no-prompt", "deploy", "--all", timeout=120)
    for name in ("daily-run/daily-run", "retrain/retrain", "backfill/backfill", "ingest/ingest-landing"):
        assert name in deployed, deployed
    api = server["PREFECT_API_URL"]
    schedules = {
        name: [
            (s["schedule"].get("cron"), s["schedule"].get("timezone"))
            for s in httpx.get(f"{api}/deployments/name/{name}", timeout=10).json()["schedules"]
        ]
        for name in ("daily-run/daily-run", "retrain/retrain", "backfill/backfill")
    }
    assert schedules == {
        "daily-run/daily-run": [("30 6 * * *", "Asia/Shanghai")],
        "retrain/retrain": [("0 2 * * 1", "Asia/Shanghai")],
        "backfill/backfill": [],
    }

    started = prefect(server, "deployment", "run", "ingest/ingest-landing")
    match = FLOW_RUN_ID.search(started)
    assert match, started
    flow_run_id = match.group(1)

    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [*PREFECT, "worker", "start", "--pool", "layoffwatch-process", "--run-once"],
        cwd=ROOT, env=server, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        worker.wait(timeout=90)
    finally:
        stop(worker)
        log.close()

    run = httpx.get(f"{api}/flow_runs/{flow_run_id}", timeout=10).json()
    assert run["state"]["type"] == "COMPLETED", (tmp_path / "worker.log").read_text(errors="replace")
    assert (tmp_path / "home" / "landing").is_dir()  # the flow ran here, with this LAYOFFWATCH_HOME
