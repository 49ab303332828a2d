"""Settings: where the home is, which database, which timezone.

Read from the environment (``LAYOFFWATCH_HOME``, ``LAYOFFWATCH_DATABASE_URL``) and an optional
``layoffwatch.toml`` in the home; the environment wins. A value we cannot use raises
``SettingsError`` with one sentence naming the setting and what was expected.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from layoffwatch.errors import SettingsError

DEFAULT_HOME = Path(".layoffwatch")
TOML_NAME = "layoffwatch.toml"
TOML_KEYS = {"database_url", "timezone", "tiers", "watchlist", "sql_sources"}
TIER_NAMES = ("red", "orange", "yellow", "blue")
# Calibrated probability of a mass layoff within 90 days at which each tier begins. At the
# synthetic city's base rate (0.7% per 90 days) these put about 1.5% of enterprises at yellow or
# above (the evaluation report prints the shares on every holdout).
DEFAULT_TIERS = {"red": 0.30, "orange": 0.15, "yellow": 0.07, "blue": 0.03}
SUPPORTED_DATABASES = ("sqlite", "postgresql")
# The watchlist takes an enterprise in at this tier or above and lets it go only after this many
# consecutive days below, so that an enterprise near a threshold does not flap in and out.
DEFAULT_WATCHLIST_ENTRY_TIER = "yellow"
DEFAULT_WATCHLIST_EXIT_DAYS = 14
ALERTING_NAME = "alerting.yaml"


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    timezone: str = "Asia/Shanghai"
    tiers: tuple[tuple[str, float], ...] = tuple(DEFAULT_TIERS.items())
    watchlist_entry_tier: str = DEFAULT_WATCHLIST_ENTRY_TIER
    watchlist_exit_after_days: int = DEFAULT_WATCHLIST_EXIT_DAYS

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def lake(self) -> Path:
        """Validated rows, Parquet by source and month."""
        return self.home / "lake"

    @property
    def quarantine(self) -> Path:
        """Rows that failed a rule, one Parquet file per batch, with the rule and the original row."""
        return self.home / "quarantine"

    @property
    def models(self) -> Path:
        return self.home / "models"

    @property
    def reports(self) -> Path:
        """Validation Data Docs, evaluation and daily reports."""
        return self.home / "reports"

    @property
    def landing(self) -> Path:
        """Where source systems drop files for the daily run."""
        return self.home / "landing"

    @property
    def alerting(self) -> Path:
        """Offices, routing, deadlines and area rules (``alerts.config``); the packaged default when absent."""
        return self.home / ALERTING_NAME

    @property
    def outbox(self) -> Path:
        """Where the local delivery channel (``lwoutbox://``) writes messages: demo, tests, offline sites."""
        return self.home / "outbox"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``env`` (default: the process environment) and the home's layoffwatch.toml."""
    env = os.environ if env is None else env
    home = Path(env.get("LAYOFFWATCH_HOME") or DEFAULT_HOME).expanduser()
    if home.exists() and not home.is_dir():
        raise SettingsError(
            f"LAYOFFWATCH_HOME={home} is a file; expected a folder (it is created if missing)."
        )
    file_values = read_toml(home / TOML_NAME)
    database_url = env.get("LAYOFFWATCH_DATABASE_URL") or file_values.get("database_url")
    if not database_url:
        database_url = f"sqlite:///{(home / 'layoffwatch.db').resolve()}"
    database_url = _check_database_url(str(database_url))
    timezone = str(file_values.get("timezone", "Asia/Shanghai"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"{home / TOML_NAME}: timezone = {timezone!r} is not a known IANA zone; expected e.g. 'Asia/Shanghai'."
        ) from None
    tiers = _check_tiers(file_values.get("tiers", DEFAULT_TIERS), home / TOML_NAME)
    entry_tier, exit_days = _check_watchlist(file_values.get("watchlist", {}), home / TOML_NAME)
    return Settings(
        home=home.resolve(),
        database_url=database_url,
        timezone=timezone,
        tiers=tiers,
        watchlist_entry_tier=entry_tier,
        watchlist_exit_after_days=exit_days,
    )


def _check_watchlist(values: object, path: Path) -> tuple[str, int]:
    """``[watchlist]``: entry_tier one of red/orange/yellow/blue; exit_after_days a whole number >= 1."""
    if not isinstance(values, dict) or set(values) - {"entry_tier", "exit_after_days"}:
        raise SettingsError(f"{path}: [watchlist] takes only entry_tier and exit_after_days.")
    tier = values.get("entry_tier", DEFAULT_WATCHLIST_ENTRY_TIER)
    if tier not in TIER_NAMES:
        raise SettingsError(f"{path}: watchlist.entry_tier = {tier!r}; expected one of {', '.join(TIER_NAMES)}.")
    days = values.get("exit_after_days", DEFAULT_WATCHLIST_EXIT_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise SettingsError(f"{path}: watchlist.exit_after_days = {days!r}; expected a whole number of days, at least 1.")
    return str(tier), days


def _check_tiers(values: object, path: Path) -> tuple[tuple[str, float], ...]:
    """``[tiers]``: red > orange > yellow > blue, each a probability in (0, 1)."""
    if not isinstance(values, dict) or set(values) != set(TIER_NAMES):
        raise SettingsError(
            f"{path}: [tiers] must set exactly {', '.join(TIER_NAMES)} (probabilities in 0-1)."
        )
    levels = []
    for name in TIER_NAMES:
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
            raise SettingsError(f"{path}: tiers.{name} = {value!r}; expected a probability between 0 and 1.")
        levels.append((name, float(value)))
    if any(a[1] <= b[1] for a, b in zip(levels, levels[1:], strict=False)):
        raise SettingsError(f"{path}: [tiers] must decrease from red to blue; got {dict(levels)}.")
    return tuple(levels)


def read_toml(path: Path) -> dict[str, object]:
    """The home's layoffwatch.toml as a dict ({} when absent); an unreadable file or an unknown key is
    a ``SettingsError``."""
    if not path.exists():
        return {}
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path} is not valid TOML ({exc}).") from None
    unknown = sorted(set(values) - TOML_KEYS)
    if unknown:
        raise SettingsError(
            f"{path}: unknown setting {unknown[0]!r}; expected one of {', '.join(sorted(TOML_KEYS))}."
        )
    return values


def _check_database_url(url: str) -> str:
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if "://" not in url or scheme not in SUPPORTED_DATABASES:
        raise SettingsError(
            f"LAYOFFWATCH_DATABASE_URL={url!r} is not a database URL we support; expected "
            "'sqlite:///path/to/file.db' or 'postgresql://user@host:5432/dbname'."
        )
    if scheme == "postgresql" and url.startswith(("postgresql://", "postgres://")):
        # psycopg 3 is the driver we ship; plain URLs would make SQLAlchemy look for psycopg2.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url
