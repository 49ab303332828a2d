"""Small builders for watchlist tests: a register, a model version, score rows and a day's tiers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
from sqlmodel import Session, select

from layoffwatch.settings import Settings
from store.db import engine_for
from store.tables import Enterprise, ModelVersion, RiskScore, WatchlistEntry
from store.uow import unit_of_work

DAY0 = date(2026, 3, 1)
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
REASON = pl.Struct({"code": pl.String, "title": pl.String, "sentence": pl.String, "impact": pl.Float64})


def code(i: int) -> str:
    """An 18-character uscc for enterprise number ``i``."""
    return f"91140000MA{i:08d}"


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


def at(n: int) -> datetime:
    return NOW + timedelta(days=n)


@contextmanager
def session_for(settings: Settings) -> Iterator[Session]:
    """A committed-on-exit session on ``settings``' database."""
    with unit_of_work(engine_for(settings)) as session:
        yield session
        session.commit()


def register(session: Session, *numbers: int, status: str = "active", **values: Any) -> None:
    """Enterprises ``code(n)`` in the register; ``values`` override name, township, industry."""
    for n in numbers:
        session.add(
            Enterprise(
                uscc=code(n),
                name=values.get("name", f"测试企业{n}有限公司"),
                industry=values.get("industry", "C32"),
                township=values.get("township", "上马街道"),
                ownership="private",
                founded_on=date(2010, 1, 1),
                status=status,
                batch_id="test",
                updated_at=NOW,
            )
        )
    session.flush()


def model_version(session: Session, version: str = "m1", status: str = "champion") -> str:
    session.add(
        ModelVersion(
            version=version, status=status, trained_at=NOW, trained_by="test", as_of=DAY0,
            trees_from=DAY0, trees_to=DAY0, calibration_from=DAY0, calibration_to=DAY0,
            holdout_from=DAY0, holdout_to=DAY0, artifact_path="x", artifact_sha256="0" * 64,
        )
    )  # fmt: skip
    session.flush()
    return version


def reason(title: str, sentence: str = "", impact: float = 0.1) -> dict[str, Any]:
    return {"code": title, "title": title, "sentence": sentence or f"{title}的说明", "impact": impact}


def score(
    session: Session, n: int, tier: str, *, as_of: date = DAY0, version: str = "m1", headcount: int = 100,
    reasons: list[dict[str, Any]] | None = None,
) -> None:  # fmt: skip
    session.add(
        RiskScore(
            as_of=as_of, uscc=code(n), model_version=version, probability=0.2, percentile=0.99, tier=tier,
            reasons=reasons or [], evidence={"headcount": headcount}, scored_at=NOW,
        )
    )  # fmt: skip
    session.flush()


def tiers(by_number: dict[int, str], reasons: dict[int, list[dict[str, Any]]] | None = None) -> pl.DataFrame:
    """A day's tiers frame: one row per enterprise number given."""
    reasons = reasons or {}
    return pl.DataFrame(
        {
            "uscc": [code(n) for n in by_number],
            "tier": list(by_number.values()),
            "reasons": [reasons.get(n, []) for n in by_number],
        },
        schema={"uscc": pl.String, "tier": pl.String, "reasons": pl.List(REASON)},
    )


def entries(session: Session, n: int | None = None) -> list[WatchlistEntry]:
    """Every watchlist row (of enterprise ``n``), oldest first."""
    query = select(WatchlistEntry)
    if n is not None:
        query = query.where(WatchlistEntry.uscc == code(n))
    return list(session.exec(query.order_by(WatchlistEntry.entered_on, WatchlistEntry.kind)).all())


def alert(session: Session, n: int, offices: list[str], *, status: str = "open") -> None:
    """An enterprise alert of ``code(n)`` routed to ``offices``."""
    from store.tables import Alert, RoutingConfig

    if session.get(RoutingConfig, "r1") is None:
        session.add(RoutingConfig(version="r1", content={}, source="test", first_used_at=NOW))
        session.flush()
    session.add(
        Alert(
            kind="enterprise", subject=code(n), subject_name=f"测试企业{n}", episode_start=DAY0, status=status,
            tier="red", peak_tier="red", as_of=DAY0, offices=offices, routing_version="r1", opened_at=NOW,
            updated_at=NOW,
        )
    )  # fmt: skip
    session.flush()
