"""Shared test fixtures: a fresh home per test, and databases (SQLite always, PostgreSQL when reachable)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from layoffwatch.settings import Settings
from store import db

# rich fixes a console's width when the console is made (at the first import of the command
# modules), from COLUMNS; a wide one keeps table cells on one line whichever test imports first.
os.environ.setdefault("COLUMNS", "240")
# Under pytest-xdist every worker is one busy process per core: OpenMP teams of one thread each
# (scikit-learn's trees) instead of teams that fight each other for the same cores.
if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
    os.environ.setdefault("OMP_NUM_THREADS", "1")

POSTGRES_URL = os.environ.get(
    "LAYOFFWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


# Modules whose tests share a session fixture that costs a minute to build (a trained home).
SHARED_GROUPS = {"test_flows.py": "trained-home", "test_flows_dask.py": "trained-home"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups into the test ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``--dist loadgroup``, see pyproject.toml) a module's tests run on one
    worker, so that its module-scoped fixtures (a generated city, an ingested home) are built once;
    modules sharing a costly session fixture share a worker too."""
    for item in items:
        name = item.path.name
        item.add_marker(pytest.mark.xdist_group(SHARED_GROUPS.get(name, str(item.path))))


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    """A home that does not exist yet, with the embedded SQLite database inside it."""
    home = tmp_path / "home"
    fresh = Settings(home=home, database_url=f"sqlite:///{home / 'layoffwatch.db'}")
    yield fresh
    db.dispose(fresh)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[sa.Engine]:
    """An engine on the test PostgreSQL server; skips the test when none is reachable."""
    url = make_url(POSTGRES_URL)
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3}, poolclass=sa.pool.NullPool)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0]
        pytest.skip(f"PostgreSQL not reachable at {url.host}:{url.port or 5432}: {reason}")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_settings(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    """``settings`` on each backend; on PostgreSQL in a fresh schema (via search_path), dropped afterwards."""
    if request.param == "sqlite":
        yield settings
        return
    with postgres_schema(request.getfixturevalue("postgres_admin"), settings) as isolated:
        yield isolated


@contextmanager
def postgres_schema(admin: sa.Engine, settings: Settings) -> Iterator[Settings]:
    """``settings`` on the test PostgreSQL in a schema of its own (via search_path), dropped after."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    isolated = dataclasses.replace(settings, database_url=url.render_as_string(hide_password=False))
    try:
        yield isolated
    finally:
        db.dispose(isolated)
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


CITY_END = date(2026, 6, 30)
CITY_NOW = datetime(2026, 7, 1, 6, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="session")
def city_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated city (2,000 enterprises x 24 months, seed 11) ingested once per session.

    Returns the home whose lake holds it; tests copy the lake into their own home (see
    ``home_with_city``) so that each gets its own database and model folder.
    """
    from expectations.intake import ingest_paths
    from sources.synthetic import generate_city

    out = tmp_path_factory.mktemp("model-city")
    generate_city(out, enterprises=2000, months=24, seed=11, end=CITY_END, error_rate=0.0005)
    home = out / "home"
    ingest_paths(
        Settings(home=home, database_url=f"sqlite:///{home / 'layoffwatch.db'}"),
        [out / "landing"],
        now=CITY_NOW,
        render_docs=False,
    )
    return home


def home_with_city(city_lake: Path, settings: Settings) -> Settings:
    """``settings`` (any backend) with a copy of the city's lake in its home."""
    shutil.copytree(city_lake / "lake", settings.home / "lake")
    return settings
