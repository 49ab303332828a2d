"""The database engine: one per URL, migrated to the latest schema before first use.

``engine_for`` is the only way code below the command line gets an engine. The first call for
a URL creates the home folder, connects (a database that cannot be reached is a ``SettingsError``
naming ``LAYOFFWATCH_DATABASE_URL``) and applies pending Alembic migrations under a lock, so two
processes starting together migrate once. Migrations are found next to this module, so an
installed package needs no ``alembic.ini``.
"""

from __future__ import annotations

import threading
import zlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import make_url

from layoffwatch.errors import SettingsError
from layoffwatch.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_SECONDS = 60
# Connections kept open per process. The console serves concurrent requests from one process each
# on its own connection; past the pool, every request would open (and close) a connection of its
# own, which costs more than the page. Connections open only when used, so a small job keeps few.
POSTGRES_POOL_SIZE = 20
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10
SQLITE_BEGIN_IMMEDIATE = "layoffwatch_sqlite_begin_immediate"

_engines: dict[str, Engine] = {}
_migrated: set[str] = set()
_lock = threading.Lock()


def engine_for(settings: Settings) -> Engine:
    """The engine for ``settings.database_url``, with the schema at the latest migration.

    Cached per URL; the first call in a process creates the home folder and migrates.
    """
    with _lock:
        engine = _engine(settings)
        if settings.database_url not in _migrated:
            _migrate(engine, settings)
            _migrated.add(settings.database_url)
        return engine


def upgrade(settings: Settings) -> str:
    """Apply pending migrations (``layoffwatch db upgrade``); returns the revision now current."""
    with _lock:
        revision = _migrate(_engine(settings), settings)
        _migrated.add(settings.database_url)
        return revision


def current_revision(settings: Settings) -> str | None:
    """The migration the database is at, or None for a database never migrated. Applies nothing."""
    with _lock:
        engine = _engine(settings)
    with _connect(engine, settings) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The latest migration shipped with this version of the code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, f"no migrations under {MIGRATIONS}"
    return head


def dispose(settings: Settings) -> None:
    """Close the pooled connections for this URL and forget its engine (tests, shutdown)."""
    with _lock:
        engine = _engines.pop(settings.database_url, None)
        _migrated.discard(settings.database_url)
    if engine is not None:
        engine.dispose()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at the packaged migrations, running on ``connection``.

    Also the way to write a new migration: ``command.revision(alembic_config(conn), message,
    autogenerate=True)`` against a database at head, then review the generated file.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def masked_url(url: str) -> str:
    """The URL as shown to people: the password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def _engine(settings: Settings) -> Engine:
    engine = _engines.get(settings.database_url)
    if engine is None:
        _make_home(settings)
        engine = _create_engine(settings.database_url)
        _engines[settings.database_url] = engine
    return engine


def _make_home(settings: Settings) -> None:
    folders = [settings.home]
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        folders.append(Path(url.database).expanduser().parent)
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SettingsError(
                f"LAYOFFWATCH_HOME={settings.home}: cannot create {folder} ({exc.strerror}); "
                "expected a folder this user may write."
            ) from None


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_SECONDS
    return sa.create_engine(
        url, pool_pre_ping=True, pool_size=POSTGRES_POOL_SIZE, max_overflow=POSTGRES_POOL_SIZE, connect_args=connect_args
    )


def _sqlite_on_connect(dbapi_connection: Any, _record: object) -> None:
    # SQLAlchemy emits BEGIN itself (see _sqlite_on_begin) so DDL is transactional too.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")  # readers do not wait for the writer
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(SQLITE_BEGIN_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _connect(engine: Engine, settings: Settings) -> Connection:
    try:
        return engine.connect()
    except sa.exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise SettingsError(
            f"LAYOFFWATCH_DATABASE_URL={masked_url(settings.database_url)}: cannot connect ({reason}); "
            "expected a running database this user may open."
        ) from None


def _migrate(engine: Engine, settings: Settings) -> str:
    """Upgrade to head in one transaction, holding a lock that a second migrator waits on."""
    with _connect(engine, settings) as connection:
        if engine.dialect.name == "sqlite":
            connection = connection.execution_options(**{SQLITE_BEGIN_IMMEDIATE: True})
        with connection.begin():
            if engine.dialect.name == "postgresql":
                _lock_postgres_schema(connection, settings)
            command.upgrade(alembic_config(connection), "head")
            revision = MigrationContext.configure(connection).get_current_revision()
    assert revision is not None
    return revision


def _lock_postgres_schema(connection: Connection, settings: Settings) -> None:
    """Wait for any other process migrating the same schema; released at commit."""
    schema = connection.execute(sa.text("SELECT current_schema()")).scalar_one_or_none()
    if schema is None:
        search_path = connection.execute(sa.text("SHOW search_path")).scalar_one()
        raise SettingsError(
            f"LAYOFFWATCH_DATABASE_URL={masked_url(settings.database_url)}: no schema of search_path "
            f"{search_path!r} exists; create it first (CREATE SCHEMA ...) or change the URL."
        )
    key = zlib.crc32(f"layoffwatch migrations {schema}".encode())
    connection.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
