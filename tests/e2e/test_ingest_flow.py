"""The ingest flow in a real (temporary) Prefect server, and prefect.yaml's deployments."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml

from sources.synthetic import generate_city

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def prefect_harness() -> Iterator[None]:
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    # The default 20 s is too tight for a cold start on a busy 2-core machine.
    with temporary_settings({PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: 120}), prefect_test_harness(server_startup_timeout=120):
        yield


def test_every_deployment_entrypoint_imports() -> None:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    assert config["deployments"]
    for deployment in config["deployments"]:
        path, name = deployment["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert callable(getattr(module, name)), deployment["entrypoint"]


def test_ingest_flow_takes_the_landing_folder_once(
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
