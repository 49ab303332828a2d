"""``layoffwatch outbox …`` and ``layoffwatch notify``: the notification outbox and its delivery."""

from __future__ import annotations

import typer

app = typer.Typer(help="Notifications waiting, sent or retrying; delivery.", no_args_is_help=True)
