"""Automatic entries: an enterprise enters at the entry tier and leaves only after days below (hysteresis).

Set-based at province scale: the day's tiers are filtered in Polars, only the rows on the list are
read from the database, and the changes are written with one executemany per statement, never one
ORM object per enterprise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import polars as pl
import sqlalchemy as sa
from sqlalchemy import Connection
from sqlmodel import Session

from layoffwatch.settings import TIER_NAMES
from models.tiers import TIER_RANK, TIER_ZH, tier_rank_expr
from store.tables import Enterprise, WatchlistEntry

SYSTEM = "system"
TOP_TITLES = 3
DEREGISTERED_REASON = "企业已注销"
_ENTRY: sa.Table = WatchlistEntry.__table__  # type: ignore[attr-defined]
_ENTERPRISE: sa.Table = Enterprise.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class WatchlistChanges:
    """What one daily update did: uscc codes that entered and left, and the rows only brought up to date.

    ``skipped`` counts on-list rows already decided for this as_of or a later one (a re-run or a
    backfill); ``expired`` lists manual entries removed because their ``expires_on`` had passed.
    """

    as_of: date
    entered: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    kept: int = 0
    skipped: int = 0
    expired: tuple[str, ...] = ()


def update_automatic(
    session: Session,
    tiers: pl.DataFrame,
    *,
    as_of: date,
    now: datetime,
    entry_tier: str,
    exit_after_days: int,
) -> WatchlistChanges:
    """Bring the ``auto`` entries up to ``as_of`` from that day's tiers; returns what changed.

    ``tiers``: one row per enterprise scored on ``as_of`` with ``uscc``, ``tier`` and ``reasons``
    (list of {code, title, sentence, impact}, strongest first, as in ``risk_score``). An
    enterprise at ``entry_tier`` or above that is not on the list enters; an entry leaves on the
    ``exit_after_days``-th consecutive day below (``none``, ``insufficient_data`` and absence from
    ``tiers`` all count as below), or at once when the register says it is deregistered. Rows
    whose ``last_as_of`` is ``as_of`` or later are left alone, so a re-run changes nothing and a
    backfill never rewinds a row. Writes in ``session``'s transaction; the caller commits.
    """
    if entry_tier not in TIER_NAMES:
        raise ValueError(f"entry_tier {entry_tier!r}: expected one of {', '.join(TIER_NAMES)}")
    if exit_after_days < 1:
        raise ValueError(f"exit_after_days {exit_after_days}: expected at least 1")
    connection = session.connection()
    scored = _ranked(tiers)
    hot = scored.filter(pl.col("rank") >= TIER_RANK[entry_tier])

    on_list = _on_list(connection)
    due = on_list.filter(pl.col("last_as_of").is_null() | (pl.col("last_as_of") < as_of))
    decided = _decide(
        due, scored.filter(pl.col("uscc").is_in(due["uscc"].implode())), as_of=as_of,
        entry_rank=TIER_RANK[entry_tier], exit_after_days=exit_after_days,
    )  # fmt: skip
    leave_reason = f"连续{exit_after_days}天风险等级低于{TIER_ZH[entry_tier]}"
    _write_updates(connection, decided, as_of=as_of, now=now, leave_reason=leave_reason)

    blocked = pl.concat([on_list["uscc"], _left_on_or_after(connection, as_of)])
    entering = hot.filter(~pl.col("uscc").is_in(blocked.implode()))
    _insert_entries(connection, entering, as_of=as_of, now=now)

    leaving = decided.filter(pl.col("leaving"))
    return WatchlistChanges(
        as_of=as_of,
        entered=tuple(entering["uscc"].sort()),
        left=tuple(leaving["uscc"].sort()),
        kept=decided.height - leaving.height,
        skipped=on_list.height - due.height,
    )


def entry_reason(frame: pl.DataFrame) -> pl.Series:
    """The Chinese reason for each row (tier, reasons): ``风险等级升至橙色：近期集中减员、拖欠工资``."""
    tier_zh = pl.col("tier").replace_strict(TIER_ZH, default=pl.col("tier"))
    titles = _titles(frame)
    return frame.select(
        pl.when(titles != "")
        .then(pl.format("风险等级升至{}：{}", tier_zh, titles))
        .otherwise(pl.format("风险等级升至{}", tier_zh))
        .alias("reason")
    ).to_series()


def _titles(frame: pl.DataFrame) -> pl.Expr:
    dtype = frame.schema["reasons"]
    inner = dtype.inner if isinstance(dtype, pl.List) else None
    if dtype == pl.Null or inner == pl.Null:
        return pl.lit("")  # no row has a reason, so there is no struct to read titles from
    if not isinstance(inner, pl.Struct) or "title" not in {f.name for f in inner.fields}:
        raise TypeError(f"tiers.reasons is {dtype}; expected a list of {{code, title, sentence, impact}}")
    return (
        pl.col("reasons")
        .list.eval(pl.element().struct.field("title").drop_nulls())
        .list.unique(maintain_order=True)
        .list.head(TOP_TITLES)
        .list.join("、")
        .fill_null("")
    )


def _ranked(tiers: pl.DataFrame) -> pl.DataFrame:
    """``tiers`` with ``rank``; a uscc listed twice keeps its highest tier."""
    reasons = pl.col("reasons") if "reasons" in tiers.columns else pl.lit([]).alias("reasons")
    ranked = tiers.select(
        "uscc",
        "tier",
        reasons,
        tier_rank_expr().alias("rank"),
    )
    if ranked["uscc"].is_duplicated().any():
        ranked = ranked.sort("rank", descending=True).unique("uscc", keep="first", maintain_order=True)
    return ranked


def _decide(
    due: pl.DataFrame, scored: pl.DataFrame, *, as_of: date, entry_rank: int, exit_after_days: int
) -> pl.DataFrame:
    """One row per on-list entry not yet decided for ``as_of``: its new ``below_since``, ``last_tier``
    and whether it leaves (``leaving``, with ``deregistered`` saying why)."""
    below_since = (
        pl.when(pl.col("rank") >= entry_rank).then(None).otherwise(pl.coalesce("below_since", pl.lit(as_of)))
    )
    return (
        due.join(scored.select("uscc", "tier", "rank"), on="uscc", how="left")
        .with_columns(pl.col("rank").fill_null(0))
        .with_columns(below_since.alias("below_since"), pl.col("tier").alias("last_tier"))
        .with_columns((pl.col("status") == "deregistered").fill_null(False).alias("deregistered"))
        .with_columns(
            (
                pl.col("deregistered")
                | ((pl.lit(as_of) - pl.col("below_since")).dt.total_days() + 1 >= exit_after_days)
            )
            .fill_null(False)
            .alias("leaving")
        )
    )


def _on_list(connection: Connection) -> pl.DataFrame:
    """The ``auto`` rows on the list, with the register's status of their enterprise."""
    e, r = _ENTRY, _ENTERPRISE
    query = (
        sa.select(e.c.id, e.c.uscc, e.c.last_as_of, e.c.below_since, r.c.status)
        .select_from(e.outerjoin(r, r.c.uscc == e.c.uscc))
        .where(e.c.kind == "auto", e.c.left_on.is_(None))
    )
    rows = connection.execute(query).all()
    schema = {
        "id": pl.Int64,
        "uscc": pl.String,
        "last_as_of": pl.Date,
        "below_since": pl.Date,
        "status": pl.String,
    }
    return pl.DataFrame([tuple(row) for row in rows], schema=schema, orient="row")


def _left_on_or_after(connection: Connection, as_of: date) -> pl.Series:
    """Enterprises whose ``auto`` stay ended on ``as_of`` or later: a re-run or a backfill of that
    day must not open a second stay overlapping it."""
    query = sa.select(_ENTRY.c.uscc).where(_ENTRY.c.kind == "auto", _ENTRY.c.left_on >= as_of).distinct()
    return pl.Series("uscc", connection.execute(query).scalars().all(), dtype=pl.String)


def _write_updates(
    connection: Connection, decided: pl.DataFrame, *, as_of: date, now: datetime, leave_reason: str
) -> None:
    if decided.is_empty():
        return
    leaving = pl.col("leaving")
    why = pl.when(pl.col("deregistered")).then(pl.lit(DEREGISTERED_REASON)).otherwise(pl.lit(leave_reason))
    records = decided.select(
        pl.col("id").alias("b_id"),
        pl.lit(as_of).alias("b_last_as_of"),
        pl.col("last_tier").alias("b_last_tier"),
        pl.col("below_since").alias("b_below_since"),
        pl.when(leaving).then(pl.lit(as_of)).alias("b_left_on"),
        pl.when(leaving).then(pl.lit(now)).alias("b_left_at"),
        pl.when(leaving).then(pl.lit(SYSTEM)).alias("b_left_by"),
        pl.when(leaving).then(why).alias("b_leave_reason"),
    ).to_dicts()
    # Bind names differ from the columns': SQLAlchemy reserves a column's own name in UPDATE ... SET.
    statement = (
        sa.update(_ENTRY)
        .where(_ENTRY.c.id == sa.bindparam("b_id"))
        .values(
            last_as_of=sa.bindparam("b_last_as_of"),
            last_tier=sa.bindparam("b_last_tier"),
            below_since=sa.bindparam("b_below_since"),
            left_on=sa.bindparam("b_left_on"),
            left_at=sa.bindparam("b_left_at"),
            left_by=sa.bindparam("b_left_by"),
            leave_reason=sa.bindparam("b_leave_reason"),
        )
    )
    connection.execute(statement, records)


def _insert_entries(connection: Connection, entering: pl.DataFrame, *, as_of: date, now: datetime) -> None:
    if entering.is_empty():
        return
    rows = entering.select(
        "uscc",
        pl.lit("auto").alias("kind"),
        pl.lit(as_of).alias("entered_on"),
        pl.lit(SYSTEM).alias("entered_by"),
        entry_reason(entering).alias("reason"),
        pl.col("tier").alias("tier_at_entry"),
        pl.lit(as_of).alias("last_as_of"),
        pl.col("tier").alias("last_tier"),
        pl.lit(now).alias("entered_at"),
    )
    connection.execute(sa.insert(_ENTRY), rows.to_dicts())
