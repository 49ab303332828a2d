"""What every ``layoffwatch`` command shares: the consoles, settings, the clock, JSON output, and
turning a user's mistake into one sentence.

The command modules (``cli``, ``cli_alerts``, ``cli_watchlist``, ``cli_outbox``) import from here;
this is, with flows/, the only place that reads the clock.
"""

from __future__ import annotations

import functools
import getpass
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from layoffwatch.errors import UserError
from layoffwatch.settings import Settings, load_settings

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AsOfOption = Annotated[str, typer.Option("--as-of", help="As-of date, YYYY-MM-DD.")]
ByOption = Annotated[str | None, typer.Option("--by", help="Who is acting (default: the login name).")]


def for_people(fn: F) -> F:
    """Run a command, turning a user's mistake into one sentence and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            err_console.print(f"[bold red]错误[/]: {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def settings() -> Settings:
    return load_settings()


def now(cfg: Settings) -> datetime:
    return datetime.now(cfg.tz)


def print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option} {text!r} is not a date; expected YYYY-MM-DD, e.g. 2025-12-31.") from None


def who(by: str | None) -> str:
    return by or getpass.getuser()
