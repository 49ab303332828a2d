"""The engine and migrations: applied on first use, idempotent, matching the models, clear when unreachable."""

from __future__ import annotations

import dataclasses
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session, SQLModel

from layoffwatch.errors import SettingsError
from layoffwatch.settings import Settings
from store import batches, db
from store.uow import unit_of_work

TABLES = {
    "alembic_version", "enterprise", "ingestion_batch", "validation_run", "model_version", "model_promotion", "risk_score",
    "watchlist_entry", "routing_config", "alert", "alert_transition", "silence", "notification", "source_watermark",
    "web_user", "web_session", "web_event", "enterprise_trend",
}
SHANGHAI = timezone(timedelta(hours=8))


def test_first_use_creates_the_home_and_applies_the_migrations(db_settings: Settings) -> None:
    assert db.current_revision(db_settings) is None

    engine = db.engine_for(db_settings)

    assert db_settings.home.is_dir()
    assert db.current_revision(db_settings) == db.head_revision()
    assert set(sa.inspect(engine).get_table_names()) == TABLES
    assert db.engine_for(db_settings) is engine


def test_upgrade_is_idempotent(db_settings: Settings) -> None:
    head = db.upgrade(db_settings)

    assert head == db.head_revision()
    assert db.upgrade(db_settings) == head
    db.dispose(db_settings)
    assert db.upgrade(db_settings) == head


def test_the_migrated_schema_matches_the_models(db_settings: Settings) -> None:
    engine = db.engine_for(db_settings)

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_two_processes_starting_together_migrate_once(db_settings: Settings) -> None:
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        revisions = list(pool.map(db.upgrade, [db_settings, db_settings]))

    assert revisions == [db.head_revision()] * 2
    with db.engine_for(db_settings).connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar_one() == 1


def test_datetimes_come_back_aware_in_utc(db_settings: Settings) -> None:
    engine = db.engine_for(db_settings)
    received = datetime(2025, 12, 3, 9, 30, 15, 123456, tzinfo=SHANGHAI)
    with unit_of_work(engine) as session:
        batches.record_batch(
            session,
            id="a" * 64,
            source="payroll",
            file_name="f.csv",
            file_path="/in/f.csv",
            format="csv",
            status="ingested",
            received_at=received,
        )
        session.commit()

    with Session(engine) as session:
        stored = batches.find_batch(session, "a" * 64)

    assert stored is not None
    assert stored.received_at == received
    assert stored.received_at.utcoffset() == timedelta(0)


def test_a_naive_datetime_is_refused(db_settings: Settings) -> None:
    engine = db.engine_for(db_settings)

    with unit_of_work(engine) as session, pytest.raises(sa.exc.StatementError, match="naive datetime"):
        batches.record_batch(
            session,
            id="b" * 64,
            source="payroll",
            file_name="f.csv",
            file_path="/in/f.csv",
            format="csv",
            status="ingested",
            received_at=datetime(2025, 12, 3, 9, 30),
        )


def test_an_unreachable_database_is_a_settings_error_naming_the_url(settings: Settings) -> None:
    unreachable = dataclasses.replace(
        settings, database_url="postgresql+psycopg://lw:secret@127.0.0.1:1/layoffwatch?connect_timeout=2"
    )

    with pytest.raises(SettingsError) as raised:
        db.engine_for(unreachable)

    message = str(raised.value)
    assert message.startswith("LAYOFFWATCH_DATABASE_URL=postgresql+psycopg://lw:***@127.0.0.1:1/layoffwatch")
    assert "cannot connect" in message
    assert "secret" not in message
    assert "\n" not in message


def test_an_unopenable_sqlite_file_is_a_settings_error(settings: Settings) -> None:
    settings.home.mkdir(parents=True)
    (settings.home / "a-file").write_text("")
    unopenable = dataclasses.replace(settings, database_url=f"sqlite:///{settings.home / 'a-file' / 'x.db'}")

    with pytest.raises(SettingsError, match="cannot create"):
        db.engine_for(unopenable)


@pytest.mark.postgres
def test_a_missing_search_path_schema_is_a_settings_error(
    postgres_admin: sa.Engine, settings: Settings
) -> None:
    url = postgres_admin.url.update_query_dict({"options": "-csearch_path=t_does_not_exist"})
    missing = dataclasses.replace(settings, database_url=url.render_as_string(hide_password=False))

    with pytest.raises(SettingsError, match="no schema of search_path 't_does_not_exist' exists"):
        db.engine_for(missing)
    db.dispose(missing)
