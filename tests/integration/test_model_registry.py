"""The registry on SQLite and PostgreSQL: train, gate, force, history, verified artifacts, scores.

One story per backend, in order, because each step builds on the last (a champion must exist
before a challenger can lose to it).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from models import registry
from models.artifacts import ArtifactRefused
from models.training import promote, score_day, train
from store.db import engine_for
from store.uow import unit_of_work
from tests.conftest import home_with_city

AS_OF = date(2026, 6, 30)
NOW = datetime(2026, 7, 1, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
WORSE = {"features": ["age_years", "ownership", "industry_section"], "max_iter": 5}


def _statuses(settings: Settings) -> dict[str, str]:
    with unit_of_work(engine_for(settings)) as session:
        return {v.version: v.status for v in registry.versions(session)}


def _history(settings: Settings) -> list[tuple[str, str | None, str, str, bool]]:
    with unit_of_work(engine_for(settings)) as session:
        return [
            (h.version, h.from_status, h.to_status, h.reason, h.forced) for h in registry.history(session)
        ]


def test_registry_story(db_settings: Settings, city_lake: Path) -> None:
    settings = home_with_city(city_lake, db_settings)

    # 1. The first model becomes champion: there is nothing to beat.
    first = train(settings, as_of=AS_OF, now=NOW, by="数据工程师甲")
    assert first.promoted and first.gate is None
    assert _statuses(settings) == {first.version.version: "champion"}
    assert Path(first.version.artifact_path).exists() and first.report.exists()

    # 2. Every score row carries the model version; scoring the same day twice adds nothing.
    version, scored = score_day(settings, as_of=AS_OF, now=NOW)
    score_day(settings, as_of=AS_OF, now=NOW + timedelta(hours=1))
    with engine_for(settings).connect() as connection:
        rows = connection.execute(
            sa.text("SELECT model_version, count(*) FROM risk_score GROUP BY model_version")
        ).all()
    assert rows == [(first.version.version, scored.height)]
    assert version.version == first.version.version

    # 3. A worse challenger, compared on the same holdout window, is not promoted.
    worse = train(settings, as_of=AS_OF, now=NOW + timedelta(days=1), by="数据工程师乙", params=WORSE)
    assert worse.gate is not None and not worse.gate.passed and not worse.promoted
    assert worse.gate.window == f"{first.version.holdout_from}..{first.version.holdout_to}"
    assert _statuses(settings)[worse.version.version] == "challenger"
    with pytest.raises(UserError, match="--reason"):
        promote(settings, worse.version.version, by="乙", now=NOW, force=True)
    gate_again, promoted = promote(settings, worse.version.version, by="乙", now=NOW)
    assert gate_again is not None and not promoted

    # 4. Forced with a reason: it becomes champion, the old one retires, the history only grows.
    before = _history(settings)
    _, promoted = promote(
        settings, worse.version.version, by="乙", now=NOW, force=True, reason="上级要求临时切换"
    )
    assert promoted
    assert _statuses(settings) == {first.version.version: "retired", worse.version.version: "champion"}
    after = _history(settings)
    assert after[: len(before)] == before
    assert after[len(before) :] == [
        (first.version.version, "champion", "retired", f"replaced by {worse.version.version}", False),
        (worse.version.version, "challenger", "champion", "上级要求临时切换", True),
    ]

    # 5. A model file changed on disk is refused before it is read.
    path = Path(worse.version.artifact_path)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ArtifactRefused, match="sha256"):
        score_day(settings, as_of=AS_OF, now=NOW)


def test_scoring_without_a_champion_says_what_to_do(db_settings: Settings, city_lake: Path) -> None:
    settings = home_with_city(city_lake, db_settings)
    with pytest.raises(UserError, match="layoffwatch train"):
        score_day(settings, as_of=AS_OF, now=NOW)
