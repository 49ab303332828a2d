"""``layoffwatch alerts …``: alerts, their lifecycle and silences."""

from __future__ import annotations

import typer

app = typer.Typer(help="Alerts: list, show, and the officers' actions.", no_args_is_help=True)
