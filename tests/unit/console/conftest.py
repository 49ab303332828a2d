"""One console home per backend per module: building it (a day of the real alerting step, six
password hashes) takes a while, and the tests read more than they change."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from layoffwatch.settings import Settings
from store import db
from tests.conftest import POSTGRES_URL
from tests.unit.console.console_home import ConsoleHome, build


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def console(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConsoleHome]:
    home = tmp_path_factory.mktemp("console") / "home"
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'layoffwatch.db'}")
    schema = None
    if request.param == "postgresql":
        admin: sa.Engine = request.getfixturevalue("postgres_admin")
        schema = f"t_{uuid.uuid4().hex[:16]}"
        with admin.begin() as connection:
            connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        settings = dataclasses.replace(settings, database_url=url.render_as_string(hide_password=False))
    try:
        yield build(settings)
    finally:
        db.dispose(settings)
        if schema is not None:
            with request.getfixturevalue("postgres_admin").begin() as connection:
                connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
