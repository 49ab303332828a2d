"""The daily update of the watchlist: automatic entries from the day's tiers, then manual expiry."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import polars as pl
from sqlmodel import Session

from watchlist.automatic import WatchlistChanges, update_automatic
from watchlist.manual import expire_manual


def update_watchlist(
    session: Session,
    tiers: pl.DataFrame,
    *,
    as_of: date,
    now: datetime,
    entry_tier: str,
    exit_after_days: int,
) -> WatchlistChanges:
    """``update_automatic`` for ``as_of``, then ``expire_manual``; returns both in one
    ``WatchlistChanges``. Writes in ``session``'s transaction; the caller commits."""
    changes = update_automatic(
        session, tiers, as_of=as_of, now=now, entry_tier=entry_tier, exit_after_days=exit_after_days
    )
    return dataclasses.replace(changes, expired=expire_manual(session, as_of=as_of, now=now))
