"""Insert-or-update by key (``INSERT ... ON CONFLICT DO UPDATE``), the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

Insert = postgresql.Insert | sqlite.Insert


def upsert(
    dialect: Dialect,
    table: sa.Table,
    *,
    key: Sequence[str],
    update: Sequence[str],
    when_changed: Sequence[str] = (),
    rows: Sequence[Mapping[str, Any]] | None = None,
    select: sa.Select[tuple[object, ...]] | None = None,
) -> sa.Executable:
    """Insert ``rows`` (or the rows of ``select``); on a ``key`` conflict, overwrite ``update``.

    With ``when_changed``, an existing row is only overwritten when one of those columns differs
    (NULL-safe), so repeating the same values touches nothing and is not counted in ``rowcount``.
    """
    statement: Insert
    match dialect.name:
        case "postgresql":
            statement = postgresql.insert(table)
        case "sqlite":
            statement = sqlite.insert(table)
        case other:
            raise NotImplementedError(f"upsert on {other}")
    if select is not None:
        # `WHERE true` keeps SQLite from reading ON CONFLICT as part of the SELECT's join.
        statement = statement.from_select([c.name for c in select.selected_columns], select.where(sa.true()))
    elif rows is not None:
        statement = statement.values(list(rows))
    changed = [table.c[name].is_distinct_from(statement.excluded[name]) for name in when_changed]
    return statement.on_conflict_do_update(
        index_elements=list(key),
        set_={name: statement.excluded[name] for name in update},
        where=sa.or_(*changed) if changed else None,
    )
