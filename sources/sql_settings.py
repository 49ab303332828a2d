"""The ``[sql_sources.<source>]`` tables of layoffwatch.toml: which sources are pulled by SQL, and how.

    [sql_sources.si_changes]
    url_env = "LAYOFFWATCH_SI_DB_URL"        # the URL, with its password, lives in the environment
    query = "SELECT uscc, date, added, removed, insured_total, updated_at FROM si.v_changes"
    watermark = "updated_at"                 # rows with updated_at > the last one pulled are new
    batch_rows = 10000                       # optional: rows fetched per round trip

``url`` may be given instead of ``url_env`` only when it carries no password. Every mistake is a
``SettingsError`` with one sentence naming the file and the key, like the rest of the settings.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from layoffwatch.errors import SettingsError
from layoffwatch.settings import TOML_NAME, Settings, read_toml
from sources.schema import INGEST_ORDER, SOURCES
from store.db import masked_url

SECTION = "sql_sources"
KEYS = ("url", "url_env", "query", "watermark", "batch_rows")
DEFAULT_BATCH_ROWS = 10_000
MAX_BATCH_ROWS = 1_000_000
# A line comment or a block comment before the first keyword does not change what the query is.
_LEADING_COMMENTS = re.compile(r"^(\s*(--[^\n]*(\n|$)|/\*.*?\*/))*\s*", re.DOTALL)


@dataclass(frozen=True)
class SqlSource:
    """One source pulled by SQL: where from, which query, and which column orders its rows.

    ``url`` is the full SQLAlchemy URL (password included when it came from ``url_env``); show
    people ``shown_url`` instead. ``setting`` names the toml table, for messages.
    """

    source: str
    url: str
    query: str
    watermark: str
    batch_rows: int = DEFAULT_BATCH_ROWS
    setting: str = ""

    @property
    def shown_url(self) -> str:
        """The URL with its password replaced by ***."""
        return masked_url(self.url)


def load_sql_sources(settings: Settings, env: Mapping[str, str] | None = None) -> tuple[SqlSource, ...]:
    """The SQL sources configured in ``<home>/layoffwatch.toml``, in ingest order; empty when none.

    ``env`` (default: the process environment) resolves ``url_env``. Reads and checks the whole
    section, so a mistake in any source is reported before anything is pulled.
    """
    env = os.environ if env is None else env
    path = settings.home / TOML_NAME
    tables = _section(path)
    unknown = sorted(set(tables) - set(SOURCES))
    if unknown:
        raise SettingsError(
            f"{path}: [{SECTION}.{unknown[0]}] is not a source; expected one of {', '.join(SOURCES)}."
        )
    return tuple(_sql_source(path, name, tables[name], env) for name in INGEST_ORDER if name in tables)


def _section(path: Path) -> dict[str, dict[str, object]]:
    section = read_toml(path).get(SECTION, {})
    if not isinstance(section, dict) or not all(isinstance(v, dict) for v in section.values()):
        raise SettingsError(
            f"{path}: {SECTION} must be tables like [{SECTION}.si_changes], one per source pulled by SQL."
        )
    return {str(name): dict(values) for name, values in section.items()}


def _sql_source(path: Path, name: str, values: dict[str, object], env: Mapping[str, str]) -> SqlSource:
    setting = f"{SECTION}.{name}"
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        raise SettingsError(f"{path}: {setting}.{unknown[0]} is not a setting; expected {', '.join(KEYS)}.")
    return SqlSource(
        source=name,
        url=_url(path, setting, values, env),
        query=_query(path, setting, values.get("query")),
        watermark=_watermark(path, setting, values.get("watermark")),
        batch_rows=_batch_rows(path, setting, values.get("batch_rows", DEFAULT_BATCH_ROWS)),
        setting=setting,
    )


def _url(path: Path, setting: str, values: dict[str, object], env: Mapping[str, str]) -> str:
    """The URL from ``url`` (no password allowed) or from the environment variable named by ``url_env``."""
    if ("url" in values) == ("url_env" in values):
        raise SettingsError(
            f"{path}: {setting} needs exactly one of url_env (the name of an environment variable holding "
            "the URL) or url (a URL without a password)."
        )
    if "url_env" in values:
        variable = values["url_env"]
        if not isinstance(variable, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", variable):
            raise SettingsError(
                f"{path}: {setting}.url_env = {variable!r}; expected the name of an environment variable, "
                "e.g. 'LAYOFFWATCH_SI_DB_URL'."
            )
        url = env.get(variable, "")
        if not url:
            raise SettingsError(
                f"{path}: {setting}.url_env names {variable}, which is not set in the environment; "
                "expected it to hold the SQLAlchemy URL of the source database."
            )
        where = f"{setting}.url_env ({variable})"
    else:
        url = values["url"]  # type: ignore[assignment]
        if not isinstance(url, str) or not url:
            raise SettingsError(f"{path}: {setting}.url = {url!r}; expected a SQLAlchemy URL.")
        where = f"{setting}.url"
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise SettingsError(
            f"{path}: {where} is not a SQLAlchemy URL; expected e.g. 'postgresql://reader@db.example:5432/si'."
        ) from None
    if "url" in values and parsed.password:
        raise SettingsError(
            f"{path}: {setting}.url = {masked_url(url)!r} contains a password, which must not be written in "
            "the file; put the whole URL in an environment variable and name it with url_env instead."
        )
    if parsed.drivername in ("postgresql", "postgres"):
        # psycopg 3 is the driver we ship; a plain URL would make SQLAlchemy look for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _query(path: Path, setting: str, query: object) -> str:
    """One SELECT (or WITH ... SELECT) statement, without a trailing semicolon."""
    if not isinstance(query, str) or not query.strip():
        raise SettingsError(
            f"{path}: {setting}.query is missing; expected a SELECT of the source's columns, "
            "e.g. from a view in the source database."
        )
    statement = query.strip().rstrip(";").rstrip()
    first_word = _LEADING_COMMENTS.sub("", statement).split(None, 1)[0].lower() if statement else ""
    if first_word not in ("select", "with") or ";" in statement:
        raise SettingsError(
            f"{path}: {setting}.query = {_short(query)!r}; expected one SELECT statement (no ';' inside)."
        )
    return statement


def _watermark(path: Path, setting: str, column: object) -> str:
    if not isinstance(column, str) or not column.isidentifier():
        raise SettingsError(
            f"{path}: {setting}.watermark = {column!r}; expected the name of a column the query selects that "
            "only grows, e.g. 'updated_at' or an id."
        )
    return column


def _batch_rows(path: Path, setting: str, rows: object) -> int:
    if isinstance(rows, bool) or not isinstance(rows, int) or not 1 <= rows <= MAX_BATCH_ROWS:
        raise SettingsError(
            f"{path}: {setting}.batch_rows = {rows!r}; expected a whole number of rows from 1 to {MAX_BATCH_ROWS}."
        )
    return rows


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
