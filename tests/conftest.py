"""Shared test fixtures: a fresh home per test, and databases (SQLite always, PostgreSQL when reachable)."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from layoffwatch.settings import Settings
from store import db

POSTGRES_URL = os.environ.get(
    "LAYOFFWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


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
    admin: sa.Engine = request.getfixturevalue("postgres_admin")
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
