"""The enterprise register in the database: bulk upsert by uscc, and the look-ups intake uses."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
from sqlmodel import Session, select

from layoffwatch.settings import Settings
from sources.schema import ENTERPRISES
from store import db, enterprises
from store.tables import Enterprise

MONDAY = datetime(2025, 12, 1, 8, 0, tzinfo=UTC)
TUESDAY = datetime(2025, 12, 2, 8, 0, tzinfo=UTC)


def register(*rows: dict[str, object]) -> pl.DataFrame:
    """Validated register rows; each row overrides a plain default enterprise."""
    defaults = {
        "name": "侯马市示例机械有限公司",
        "aliases": ["示例机械"],
        "industry": "C34",
        "chain": "高端装备制造",
        "township": "浍滨街道",
        "ownership": "private",
        "founded_on": date(2012, 5, 1),
        "status": "active",
    }
    return pl.DataFrame([{**defaults, **row} for row in rows], schema=ENTERPRISES.polars_schema)


def stored(settings: Settings) -> dict[str, Enterprise]:
    with Session(db.engine_for(settings)) as session:
        return {e.uscc: e for e in session.exec(select(Enterprise))}


def test_new_enterprises_are_inserted_with_their_batch(db_settings: Settings) -> None:
    engine = db.engine_for(db_settings)
    frame = register(
        {"uscc": "A" * 18, "aliases": ["甲", '带"引号']}, {"uscc": "B" * 18, "aliases": None, "chain": None}
    )

    assert enterprises.upsert_enterprises(engine, frame, batch_id="batch-1", now=MONDAY) == 2

    rows = stored(db_settings)
    assert rows["A" * 18].aliases == ["甲", '带"引号']
    assert rows["B" * 18].aliases == []
    assert rows["B" * 18].chain is None
    assert rows["A" * 18].founded_on == date(2012, 5, 1)
    assert {(e.batch_id, e.updated_at) for e in rows.values()} == {("batch-1", MONDAY)}


def test_upserting_the_same_rows_again_changes_nothing(db_settings: Settings) -> None:
    engine = db.engine_for(db_settings)
    frame = register({"uscc": "A" * 18}, {"uscc": "B" * 18, "aliases": None})
    enterprises.upsert_enterprises(engine, frame, batch_id="batch-1", now=MONDAY)

    assert enterprises.upsert_enterprises(engine, frame, batch_id="batch-2", now=TUESDAY) == 0

    assert {(e.batch_id, e.updated_at) for e in stored(db_settings).values()} == {("batch-1", MONDAY)}


@pytest.mark.parametrize(
    "change",
    [
        {"name": "侯马市示例重工有限公司"},
        {"aliases": ["示例重工"]},
        {"chain": None},
        {"status": "suspended"},
        {"founded_on": date(2013, 1, 1)},
    ],
)
def test_a_changed_row_is_updated_and_names_the_batch(
    db_settings: Settings, change: dict[str, object]
) -> None:
    engine = db.engine_for(db_settings)
    enterprises.upsert_enterprises(
        engine, register({"uscc": "A" * 18}, {"uscc": "B" * 18}), batch_id="batch-1", now=MONDAY
    )

    changed = enterprises.upsert_enterprises(
        engine, register({"uscc": "A" * 18, **change}, {"uscc": "B" * 18}), batch_id="batch-2", now=TUESDAY
    )

    rows = stored(db_settings)
    assert changed == 1
    for column, value in change.items():
        assert getattr(rows["A" * 18], column) == value
    assert (rows["A" * 18].batch_id, rows["A" * 18].updated_at) == ("batch-2", TUESDAY)
    assert (rows["B" * 18].batch_id, rows["B" * 18].updated_at) == ("batch-1", MONDAY)


def test_the_last_row_wins_when_a_frame_repeats_a_uscc(db_settings: Settings) -> None:
    engine = db.engine_for(db_settings)

    enterprises.upsert_enterprises(
        engine,
        register({"uscc": "A" * 18, "name": "旧名"}, {"uscc": "A" * 18, "name": "新名"}),
        batch_id="batch-1",
        now=MONDAY,
    )

    assert stored(db_settings)["A" * 18].name == "新名"


def test_known_uscc_and_count_cover_the_register(db_settings: Settings) -> None:
    engine = db.engine_for(db_settings)
    assert enterprises.known_uscc(engine).dtype == pl.String
    assert enterprises.known_uscc(engine).is_empty()

    enterprises.upsert_enterprises(
        engine, register({"uscc": "A" * 18}, {"uscc": "B" * 18}), batch_id="batch-1", now=MONDAY
    )

    assert sorted(enterprises.known_uscc(engine).to_list()) == ["A" * 18, "B" * 18]
    assert enterprises.enterprise_count(engine) == 2


def test_an_empty_frame_writes_nothing(db_settings: Settings) -> None:
    engine = db.engine_for(db_settings)

    assert enterprises.upsert_enterprises(engine, register().clear(), batch_id="batch-1", now=MONDAY) == 0
    assert enterprises.enterprise_count(engine) == 0
