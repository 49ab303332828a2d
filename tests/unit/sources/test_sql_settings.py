"""The [sql_sources.<source>] tables: what a bureau writes, and one sentence naming the key when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from layoffwatch.errors import SettingsError
from layoffwatch.settings import Settings, load_settings
from sources.sql_settings import DEFAULT_BATCH_ROWS, load_sql_sources

QUERY = "SELECT uscc, date, added, removed, insured_total, updated_at FROM si.v_changes"
ENV = {"SI_DB_URL": "postgresql://reader:s3cret@db.example:5432/si"}


def settings_with(tmp_path: Path, toml: str) -> Settings:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "layoffwatch.toml").write_text(toml, encoding="utf-8")
    return Settings(home=home, database_url=f"sqlite:///{home / 'layoffwatch.db'}")


def test_a_source_with_its_url_in_the_environment_is_read(tmp_path: Path) -> None:
    settings = settings_with(
        tmp_path,
        f'[sql_sources.si_changes]\nurl_env = "SI_DB_URL"\nquery = "{QUERY};"\nwatermark = "updated_at"\n'
        '[sql_sources.enterprises]\nurl = "sqlite:////data/register.db"\n'
        'query = "-- the register\\nselect * from v_register"\nwatermark = "id"\nbatch_rows = 500\n',
    )

    register, changes = load_sql_sources(settings, ENV)

    assert (register.source, changes.source) == ("enterprises", "si_changes")  # the register first
    assert changes.url == "postgresql+psycopg://reader:s3cret@db.example:5432/si"
    assert changes.shown_url == "postgresql+psycopg://reader:***@db.example:5432/si"
    assert changes.query == QUERY
    assert (changes.watermark, changes.batch_rows) == ("updated_at", DEFAULT_BATCH_ROWS)
    assert (register.url, register.batch_rows) == ("sqlite:////data/register.db", 500)


def test_no_section_means_no_sql_sources(tmp_path: Path) -> None:
    assert load_sql_sources(settings_with(tmp_path, 'timezone = "Asia/Shanghai"\n'), ENV) == ()
    assert load_sql_sources(Settings(home=tmp_path / "none", database_url="sqlite://"), ENV) == ()


def test_the_main_settings_accept_the_section(tmp_path: Path) -> None:
    settings_with(tmp_path, f'[sql_sources.si_changes]\nurl_env = "SI_DB_URL"\nquery = "{QUERY}"\nwatermark = "id"\n')

    assert load_settings({"LAYOFFWATCH_HOME": str(tmp_path / "home")}).timezone == "Asia/Shanghai"


GOOD = {"url_env": '"SI_DB_URL"', "query": f'"{QUERY}"', "watermark": '"updated_at"'}


@pytest.mark.parametrize(
    ("source", "changes", "mentions"),
    [
        ("si_changes", {"query": None}, r"sql_sources\.si_changes\.query is missing"),
        ("si_changes", {"query": '"  "'}, r"sql_sources\.si_changes\.query is missing"),
        (
            "si_changes",
            {"url_env": None, "url": '"postgresql://reader:s3cret@db/si"'},
            r"sql_sources\.si_changes\.url = 'postgresql://reader:\*\*\*@db/si' contains a password.*url_env",
        ),
        ("si_changes", {"batch_size": "100"}, r"sql_sources\.si_changes\.batch_size is not a setting"),
        ("social_insurance", {}, r"\[sql_sources\.social_insurance\] is not a source; expected one of enterprises"),
        ("si_changes", {"url": '"sqlite:///x.db"'}, r"sql_sources\.si_changes needs exactly one of url_env"),
        ("si_changes", {"url_env": None}, r"sql_sources\.si_changes needs exactly one of url_env"),
        ("si_changes", {"url_env": '"NOT_SET"'}, r"url_env names NOT_SET, which is not set"),
        ("si_changes", {"url_env": '"postgresql://x"'}, r"url_env = 'postgresql://x'; expected the name of an"),
        ("si_changes", {"query": '"DELETE FROM si.changes"'}, r"query = 'DELETE FROM si.changes'; expected one SELECT"),
        ("si_changes", {"query": '"SELECT 1; DROP TABLE x"'}, r"expected one SELECT statement"),
        ("si_changes", {"watermark": None}, r"sql_sources\.si_changes\.watermark = None"),
        ("si_changes", {"watermark": '"updated at"'}, r"watermark = 'updated at'; expected the name of a column"),
        ("si_changes", {"batch_rows": "0"}, r"batch_rows = 0; expected a whole number"),
        ("si_changes", {"batch_rows": "true"}, r"batch_rows = True; expected a whole number"),
    ],
    ids=[
        "missing-query", "blank-query", "password-in-url", "unknown-key", "unknown-source", "url-and-url-env",
        "neither-url", "unset-variable", "url-in-url-env", "not-a-select", "two-statements", "missing-watermark",
        "watermark-not-a-name", "zero-batch-rows", "boolean-batch-rows",
    ],
)
def test_a_wrong_sql_source_is_one_sentence_naming_the_key(
    tmp_path: Path, source: str, changes: dict[str, str | None], mentions: str
) -> None:
    values = {**GOOD, **changes}
    toml = f"[sql_sources.{source}]\n" + "".join(f"{k} = {v}\n" for k, v in values.items() if v is not None)

    with pytest.raises(SettingsError, match=mentions) as raised:
        load_sql_sources(settings_with(tmp_path, toml), ENV)

    message = str(raised.value)
    assert "\n" not in message
    assert "s3cret" not in message
    assert message.startswith(str(tmp_path / "home" / "layoffwatch.toml"))


def test_a_section_that_is_not_tables_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"sql_sources must be tables like \[sql_sources\.si_changes\]"):
        load_sql_sources(settings_with(tmp_path, 'sql_sources = "postgresql://db/si"\n'), ENV)
