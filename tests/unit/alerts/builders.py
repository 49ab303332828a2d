"""Builders for alert tests: a register, a champion, one day's scores with evidence, and the day's run."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from alerts.config import AlertingConfig, load_alerting
from alerts.daily import AlertDay, alert_day
from layoffwatch.settings import Settings
from store.tables import RiskScore
from tests.unit.watchlist.builders import code, model_version, register, session_for

__all__ = ["code", "model_version", "register", "session_for", "day", "at", "scores", "run_day", "setup_city"]

DAY0 = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
RED = {"code": "R01", "title": "近期集中减员", "sentence": "近30天减员46人，占参保人数18%，高于同行业95%的企业", "impact": 0.2}
ARREARS = {"code": "R10", "title": "拖欠工资", "sentence": "报告欠薪30人，欠薪金额12.0万元，近6个月有2个月欠薪", "impact": 0.1}
PETITION = {"code": "R12", "title": "信访增多", "sentence": "近90天涉及该企业的信访4件，其中5人以上集体访1件", "impact": 0.05}
ONLINE = {"code": "R15", "title": "网络舆情", "sentence": "近90天涉及该企业的网络舆情6条", "impact": 0.04}


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


def at(n: int, hours: float = 0) -> datetime:
    return NOW + timedelta(days=n, hours=hours)


def scores(session: Session, as_of: date, by_number: dict[int, str], **evidence: dict[int, dict[str, Any]]) -> None:
    """Score rows of ``as_of`` for the champion ``m1``; ``evidence[name][n]`` sets a figure of enterprise n."""
    for n, tier in by_number.items():
        figures: dict[str, Any] = {"headcount": 120, "removed_30d": 46, "removed_share_30d": 0.18}
        figures |= evidence.get("figures", {}).get(n, {})
        reasons = [RED, ARREARS, PETITION, ONLINE] if tier != "none" else []
        session.add(
            RiskScore(
                as_of=as_of, uscc=code(n), model_version="m1",
                probability={"red": 0.4, "orange": 0.2, "yellow": 0.1, "blue": 0.04}.get(tier, 0.01),
                percentile=0.99, tier=tier, reasons=reasons,
                evidence=figures if tier != "none" else {}, scored_at=NOW,
            )
        )  # fmt: skip
    session.flush()


def setup_city(settings: Settings, count: int = 6, **values: Any) -> None:
    with session_for(settings) as session:
        register(session, *range(1, count + 1), **values)
        model_version(session)


def run_day(settings: Settings, n: int, by_number: dict[int, str], *, config: AlertingConfig | None = None,
            hours: float = 0, **figures: dict[int, dict[str, Any]]) -> AlertDay:  # fmt: skip
    """Store day ``n``'s scores and run the day's alerting step at ``at(n, hours)``."""
    with session_for(settings) as session:
        scores(session, day(n), by_number, figures=figures.get("figures", {}))
    return alert_day(settings, as_of=day(n), now=at(n, hours), config=config or load_alerting(settings))
