"""``layoffwatch watchlist …``: the key-enterprise watchlist (重点关注企业清单)."""

from __future__ import annotations

import typer

app = typer.Typer(help="The key-enterprise watchlist (重点关注企业清单).", no_args_is_help=True)
