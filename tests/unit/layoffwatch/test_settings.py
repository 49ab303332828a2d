"""Settings: the home, the database URL and the timezone, with one clear sentence when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from layoffwatch.errors import SettingsError
from layoffwatch.settings import load_settings


def test_defaults_put_sqlite_inside_the_home(tmp_path: Path) -> None:
    settings = load_settings({"LAYOFFWATCH_HOME": str(tmp_path / "home")})
    assert settings.home == (tmp_path / "home").resolve()
    assert settings.database_url == f"sqlite:///{(tmp_path / 'home' / 'layoffwatch.db').resolve()}"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.lake == settings.home / "lake"
    assert settings.quarantine == settings.home / "quarantine"


def test_database_url_from_the_environment_switches_to_postgresql(tmp_path: Path) -> None:
    settings = load_settings(
        {"LAYOFFWATCH_HOME": str(tmp_path), "LAYOFFWATCH_DATABASE_URL": "postgresql://u@db:5432/lw"}
    )
    assert settings.database_url == "postgresql+psycopg://u@db:5432/lw"
    assert not settings.is_sqlite


def test_toml_in_the_home_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "layoffwatch.toml").write_text(
        'database_url = "postgresql://from-file/lw"\ntimezone = "Asia/Urumqi"\n', encoding="utf-8"
    )
    from_file = load_settings({"LAYOFFWATCH_HOME": str(tmp_path)})
    assert from_file.database_url == "postgresql+psycopg://from-file/lw"
    assert from_file.timezone == "Asia/Urumqi"
    from_env = load_settings({"LAYOFFWATCH_HOME": str(tmp_path), "LAYOFFWATCH_DATABASE_URL": "sqlite:///x.db"})
    assert from_env.database_url == "sqlite:///x.db"


@pytest.mark.parametrize(
    ("toml", "env", "mentions"),
    [
        ("", {"LAYOFFWATCH_DATABASE_URL": "mysql://root@localhost/x"}, "LAYOFFWATCH_DATABASE_URL"),
        ("", {"LAYOFFWATCH_DATABASE_URL": "not a url"}, "LAYOFFWATCH_DATABASE_URL"),
        ('timezone = "Mars/Olympus"\n', {}, "timezone"),
        ("database_url = \n", {}, "not valid TOML"),
        ('databse_url = "sqlite:///x"\n', {}, "unknown setting 'databse_url'"),
    ],
    ids=["unsupported-database", "not-a-url", "unknown-timezone", "broken-toml", "misspelt-key"],
)
def test_a_wrong_setting_is_one_sentence_naming_it(tmp_path: Path, toml: str, env: dict[str, str], mentions: str) -> None:
    if toml:
        (tmp_path / "layoffwatch.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(SettingsError, match=mentions) as raised:
        load_settings({"LAYOFFWATCH_HOME": str(tmp_path), **env})
    assert "\n" not in str(raised.value)


def test_a_home_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(SettingsError, match="LAYOFFWATCH_HOME"):
        load_settings({"LAYOFFWATCH_HOME": str(tmp_path / "file")})


def test_tier_thresholds_come_from_the_toml_and_are_checked(tmp_path: Path) -> None:
    from layoffwatch.settings import DEFAULT_TIERS

    home = tmp_path / "home"
    home.mkdir()
    assert dict(load_settings({"LAYOFFWATCH_HOME": str(home)}).tiers) == DEFAULT_TIERS
    (home / "layoffwatch.toml").write_text("[tiers]\nred = 0.5\norange = 0.2\nyellow = 0.1\nblue = 0.02\n", encoding="utf-8")
    assert dict(load_settings({"LAYOFFWATCH_HOME": str(home)}).tiers)["red"] == 0.5
    for bad in ("red = 0.1\norange = 0.2\nyellow = 0.05\nblue = 0.01", "red = 0.5\norange = 0.2", "red = 1.5\norange = 0.2\nyellow = 0.1\nblue = 0.02"):
        (home / "layoffwatch.toml").write_text(f"[tiers]\n{bad}\n", encoding="utf-8")
        with pytest.raises(SettingsError, match="tiers"):
            load_settings({"LAYOFFWATCH_HOME": str(home)})
