"""The alerts an officer may see, as the inbox lists them: filtered in SQL, riskiest first, a page
at a time, with counts per status. An office sees an alert only when the alert was routed to it
(``Alert.offices``); the filter is part of every query, never applied after reading.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col

from alerts.lifecycle import STATUS_ZH
from alerts.queries import OPEN_STATUSES
from layoffwatch.errors import UserError
from models.tiers import TIER_RANK
from store.tables import Alert

PAGE_SIZE = 50
ALERT_TIERS = ("red", "orange", "yellow", "blue")
_ALERT: sa.Table = Alert.__table__  # type: ignore[attr-defined]
OPTIONS_SECONDS = 120.0
_OPTIONS: dict[tuple[str, str], tuple[float, tuple[tuple[str, ...], tuple[str, ...]]]] = {}


@dataclass(frozen=True)
class InboxFilter:
    """What the officer asked for; every value has been checked (``from_query``)."""

    tier: str | None = None
    status: str | None = None
    township: str | None = None
    chain: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    @classmethod
    def from_query(cls, params: dict[str, str]) -> InboxFilter:
        """From a page's query string; a bad value is a ``UserError`` naming the field."""
        tier = params.get("tier") or None
        if tier is not None and tier not in ALERT_TIERS:
            raise UserError(f"风险等级 {tier!r} 无效，可选：{'、'.join(ALERT_TIERS)}。")
        status = params.get("status") or None
        if status is not None and status not in STATUS_ZH:
            raise UserError(f"状态 {status!r} 无效，可选：{'、'.join(STATUS_ZH)}。")
        try:
            page = int(params.get("page") or 1)
        except ValueError:
            raise UserError(f"页码 {params.get('page')!r} 不是数字。") from None
        return cls(
            tier=tier, status=status,
            township=(params.get("township") or "").strip() or None,
            chain=(params.get("chain") or "").strip() or None,
            date_from=_day(params.get("date_from"), "起始日期"), date_to=_day(params.get("date_to"), "截止日期"),
            page=max(page, 1),
        )  # fmt: skip

    def query_string(self, **changes: Any) -> str:
        """This filter as a query string, with ``changes`` applied (for links to other pages)."""
        values = {
            "tier": self.tier, "status": self.status, "township": self.township, "chain": self.chain,
            "date_from": self.date_from, "date_to": self.date_to, "page": self.page,
        } | changes  # fmt: skip
        return urlencode(
            {k: v for k, v in values.items() if v not in (None, "") and not (k == "page" and v == 1)}
        )


@dataclass
class InboxPage:
    rows: list[dict[str, Any]]
    total: int
    counts: dict[str, int]
    townships: list[str]
    chains: list[str]
    filter: InboxFilter
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, -(-self.total // PAGE_SIZE))


def routed_to(office: str, dialect: str) -> sa.ColumnElement[bool]:
    """Alerts routed to ``office``. On PostgreSQL a JSONB key test; on SQLite the stored JSON text
    (office keys are plain identifiers, so ``"hr"`` cannot match inside another key)."""
    offices = _ALERT.c.offices
    if dialect == "postgresql":
        return sa.type_coerce(offices, postgresql.JSONB).has_key(office)
    return sa.cast(offices, sa.String).like(f'%"{office}"%')


def inbox_page(session: Session, *, office: str, wanted: InboxFilter, limit: int = PAGE_SIZE) -> InboxPage:
    """The page of alerts ``wanted`` asks for, of those routed to ``office``.

    Township and chain are read from the alert's own details (what it was raised with), so no query
    here touches the register: at a province's million enterprises a join would cost more than the
    whole page."""
    dialect = session.get_bind().dialect.name
    township, chain = _detail("township"), _detail("chain")
    scope = [routed_to(office, dialect)]
    if wanted.tier:
        scope.append(_ALERT.c.tier == wanted.tier)
    if wanted.township:
        scope.append(township == wanted.township)
    if wanted.chain:
        scope.append(chain == wanted.chain)
    if wanted.date_from:
        scope.append(_ALERT.c.episode_start >= wanted.date_from)
    if wanted.date_to:
        scope.append(_ALERT.c.episode_start <= wanted.date_to)
    # Counts per status under the other filters: the tabs show what each status would list.
    counts = dict.fromkeys(STATUS_ZH, 0) | {
        status: n
        for status, n in session.execute(
            sa.select(_ALERT.c.status, sa.func.count()).where(*scope).group_by(_ALERT.c.status)
        )
    }
    statuses = [wanted.status] if wanted.status else list(OPEN_STATUSES)
    total = sum(counts[s] for s in statuses)
    rank = sa.case(TIER_RANK, value=_ALERT.c.tier, else_=0)
    columns = (
        _ALERT.c.id, _ALERT.c.kind, _ALERT.c.subject, _ALERT.c.subject_name, _ALERT.c.tier, _ALERT.c.status,
        _ALERT.c.firing, _ALERT.c.probability, _ALERT.c.episode_start, _ALERT.c.as_of, _ALERT.c.assigned_to,
        _ALERT.c.verify_due, _ALERT.c.ack_deadline, township.label("township"), chain.label("chain"),
    )  # fmt: skip
    query = (
        sa.select(*columns).where(*scope, _ALERT.c.status.in_(statuses))
        .order_by(rank.desc(), col(Alert.probability).desc().nulls_last(), _ALERT.c.id)
        .limit(limit).offset((wanted.page - 1) * limit)
    )  # fmt: skip
    rows = [dict(r._mapping) for r in session.execute(query)]
    townships, chains = filter_options(session, office=office, dialect=dialect)
    return InboxPage(rows, total, counts, list(townships), list(chains), wanted)


def filter_options(session: Session, *, office: str, dialect: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The townships and chains of the office's alerts not closed, for the filter lists; kept for
    ``OPTIONS_SECONDS`` per office (they change when the daily run does, not from page to page)."""
    key = (session.get_bind().engine.url.render_as_string(hide_password=True), office)
    cached = _OPTIONS.get(key)
    if cached is not None and time.monotonic() - cached[0] < OPTIONS_SECONDS:
        return cached[1]
    visible = [routed_to(office, dialect), _ALERT.c.status.in_(OPEN_STATUSES), _ALERT.c.kind == "enterprise"]
    options = tuple(
        tuple(sorted(v for (v,) in session.execute(sa.select(column).where(*visible).distinct()) if v))
        for column in (_detail("township"), _detail("chain"))
    )
    _OPTIONS[key] = (time.monotonic(), (options[0], options[1]))
    return options[0], options[1]


def _detail(key: str) -> sa.ColumnElement[str]:
    return _ALERT.c.details[key].as_string()


def visible_alert(session: Session, alert_id: int, *, office: str) -> Alert | None:
    """The alert, if it was routed to ``office``; None otherwise, exactly as if it did not exist."""
    alert = session.get(Alert, alert_id)
    if alert is None or office not in (alert.offices or []):
        return None
    return alert


def _day(value: str | None, what: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{what} {value!r} 无效，应为 YYYY-MM-DD 格式的日期。") from None
