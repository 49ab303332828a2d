"""Alembic environment: runs migrations on the connection ``store.db`` hands over.

There is no ``alembic.ini`` and no URL here: ``store.db.alembic_config`` builds the
configuration and passes an open connection (already inside the migration transaction and,
on PostgreSQL, holding the migration lock) in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlmodel import SQLModel

import store.tables  # noqa: F401  (registers every table on SQLModel.metadata)
from store.types import UtcDateTime


def render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Write our custom types as the plain SQLAlchemy types they store, so migrations import nothing of ours."""
    if kind == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "run migrations through store.db (e.g. `layoffwatch db upgrade`), not the alembic CLI"
        )
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run them through store.db")
run_migrations_online()
