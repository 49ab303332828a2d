"""What the end-to-end flow tests share: one home trained once per session (the flows and the Dask
modules copy it; none changes it)."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from layoffwatch.settings import Settings
from store import db
from tests.conftest import home_with_city

TRAIN_AS_OF = date(2026, 5, 31)
TRAIN_NOW = datetime(2026, 6, 1, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="session")
def trained_home(city_lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The template: the city's lake and a champion trained as of TRAIN_AS_OF (no enterprise register
    in the database yet: the daily run's pull brings it)."""
    from models.training import train

    home = tmp_path_factory.mktemp("trained") / "home"
    cfg = home_with_city(city_lake, Settings(home=home, database_url=f"sqlite:///{home / 'layoffwatch.db'}"))
    started = time.perf_counter()
    result = train(cfg, as_of=TRAIN_AS_OF, now=TRAIN_NOW, by="test")
    print(f"\ntrain on the city as of {TRAIN_AS_OF}: {time.perf_counter() - started:.1f}s")
    assert result.promoted
    db.dispose(cfg)
    return cfg
