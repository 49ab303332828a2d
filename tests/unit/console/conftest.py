"""One console home per backend per module: building it (a day of the real alerting step, six
password hashes) takes a while, and the tests read more than they change."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from layoffwatch.settings import Settings
from store import db
from tests.conftest import postgres_schema
from tests.unit.console.console_home import ConsoleHome, build


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def console(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConsoleHome]:
    home = tmp_path_factory.mktemp("console") / "home"
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'layoffwatch.db'}")
    if request.param == "sqlite":
        yield build(settings)
        db.dispose(settings)
        return
    with postgres_schema(request.getfixturevalue("postgres_admin"), settings) as isolated:
        yield build(isolated)
