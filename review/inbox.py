"""The alerts an officer may see, as the inbox lists them: filtered, riskiest first, a page at a
time, with counts per status. An office sees an alert only when the alert was routed to it
(``Alert.offices``); that condition is part of the query that reads the alerts, never applied after.

Each server process keeps, per office, the narrow columns the inbox filters and sorts on for every
alert routed to the office (``OfficeAlerts``), and checks on every request that no alert changed
since (``alert_version``: three index lookups). A page is then a filter and a sort in memory, so an
inbox of tens of thousands of alerts answers in milliseconds whatever the filter; any change (the
daily run, an officer's action in any process) reloads the office's alerts on the next request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

import polars as pl
import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from alerts.lifecycle import STATUS_ZH
from alerts.queries import OPEN_STATUSES
from layoffwatch.errors import UserError
from models.tiers import tier_rank_expr
from store.tables import Alert, AlertTransition

PAGE_SIZE = 50
ALERT_TIERS = ("red", "orange", "yellow", "blue")
_ALERT: sa.Table = Alert.__table__  # type: ignore[attr-defined]
_TRANSITION: sa.Table = AlertTransition.__table__  # type: ignore[attr-defined]
_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "id": pl.Int64, "kind": pl.String, "subject": pl.String, "subject_name": pl.String, "tier": pl.String,
    "status": pl.String, "firing": pl.Boolean, "probability": pl.Float64, "episode_start": pl.Date,
    "as_of": pl.Date, "assigned_to": pl.String, "verify_due": pl.Date, "ack_deadline": pl.Datetime("us", "UTC"),
    "township": pl.String, "chain": pl.String,
}  # fmt: skip


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
            date_from=day_from_form(params.get("date_from"), "起始日期"),
            date_to=day_from_form(params.get("date_to"), "截止日期"),
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


@dataclass(frozen=True)
class OfficeAlerts:
    """Every alert routed to one office, as of ``version``: the columns the inbox shows and sorts on."""

    version: tuple[Any, ...]
    frame: pl.DataFrame
    """riskiest first: tier, then probability, then id"""
    counts: dict[str, int]
    townships: list[str]
    chains: list[str]
    township_options: Markup = field(init=False)
    chain_options: Markup = field(init=False)

    def __post_init__(self) -> None:
        # The filter lists, escaped once per load rather than on every page (a province has hundreds
        # of townships; rendering them was most of an inbox page's time).
        object.__setattr__(self, "township_options", _options(self.townships))
        object.__setattr__(self, "chain_options", _options(self.chains))


def _options(values: list[str]) -> Markup:
    return Markup("".join(f"<option>{escape(v)}</option>" for v in values))


def with_selected(options: Markup, value: str | None) -> Markup:
    """``options`` with ``value`` (if among them) selected."""
    if not value:
        return options
    plain = f"<option>{escape(value)}</option>"
    return Markup(options.replace(plain, f"<option selected>{escape(value)}</option>", 1))


@dataclass
class InboxPage:
    rows: list[dict[str, Any]]
    total: int
    counts: dict[str, int]
    alerts: OfficeAlerts
    filter: InboxFilter
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, -(-self.total // PAGE_SIZE))

    def township_options(self) -> Markup:
        return with_selected(self.alerts.township_options, self.filter.township)

    def chain_options(self) -> Markup:
        return with_selected(self.alerts.chain_options, self.filter.chain)


_LOADED: dict[tuple[str, str], OfficeAlerts] = {}
_LOADING = threading.Lock()


def routed_to(office: str, dialect: str) -> sa.ColumnElement[bool]:
    """Alerts routed to ``office``. On PostgreSQL a JSONB key test; on SQLite the stored JSON text
    (office keys are plain identifiers, so ``"hr"`` cannot match inside another key)."""
    offices = _ALERT.c.offices
    if dialect == "postgresql":
        return sa.type_coerce(offices, postgresql.JSONB).has_key(office)
    return sa.cast(offices, sa.String).like(f'%"{office}"%')


def alert_version(session: Session) -> tuple[Any, ...]:
    """Changes whenever an alert is added or changed: a new alert has a new id, the daily run sets
    ``updated_at`` to its own time, and every officer's action adds a transition."""
    return tuple(
        session.execute(
            sa.select(
                sa.select(sa.func.max(_ALERT.c.id)).scalar_subquery(),
                sa.select(sa.func.max(_ALERT.c.updated_at)).scalar_subquery(),
                sa.select(sa.func.max(_TRANSITION.c.id)).scalar_subquery(),
            )
        ).one()
    )


def office_alerts(session: Session, office: str) -> OfficeAlerts:
    """The office's alerts, read again only when ``alert_version`` moved."""
    key = (session.get_bind().engine.url.render_as_string(hide_password=True), office)
    version = alert_version(session)
    loaded = _LOADED.get(key)
    if loaded is not None and loaded.version == version:
        return loaded
    with _LOADING:  # one reload per change, not one per waiting request
        loaded = _LOADED.get(key)
        if loaded is None or loaded.version != version:
            loaded = _load(session, office, version)
            _LOADED[key] = loaded
    return loaded


def _load(session: Session, office: str, version: tuple[Any, ...]) -> OfficeAlerts:
    a = _ALERT.c
    query = sa.select(
        a.id, a.kind, a.subject, a.subject_name, a.tier, a.status, a.firing, a.probability, a.episode_start,
        a.as_of, a.assigned_to, a.verify_due, a.ack_deadline,
        # What the alert was raised with (its details), so nothing here reads the register.
        a.details["township"].as_string(), a.details["chain"].as_string(),
    ).where(routed_to(office, session.get_bind().dialect.name))  # fmt: skip
    frame = pl.DataFrame([tuple(r) for r in session.execute(query)], schema=_SCHEMA, orient="row")
    # Riskiest first, once: a filter keeps the order, so a page needs no sort of its own.
    frame = frame.sort(
        tier_rank_expr(), "probability", "id",
        descending=[True, True, False], nulls_last=True,
    )  # fmt: skip
    current = frame.filter(pl.col("status").is_in(OPEN_STATUSES) & (pl.col("kind") == "enterprise"))
    options = [current[c].drop_nulls().unique().sort().to_list() for c in ("township", "chain")]
    return OfficeAlerts(
        version, frame, _status_counts(frame), [o for o in options[0] if o], [o for o in options[1] if o]
    )


def _status_counts(frame: pl.DataFrame) -> dict[str, int]:
    return dict.fromkeys(STATUS_ZH, 0) | dict(frame["status"].value_counts().iter_rows())


def inbox_page(session: Session, *, office: str, wanted: InboxFilter, limit: int = PAGE_SIZE) -> InboxPage:
    """The page of alerts ``wanted`` asks for, of those routed to ``office``."""
    alerts = office_alerts(session, office)
    scope = []
    if wanted.tier:
        scope.append(pl.col("tier") == wanted.tier)
    if wanted.township:
        scope.append(pl.col("township") == wanted.township)
    if wanted.chain:
        scope.append(pl.col("chain") == wanted.chain)
    if wanted.date_from:
        scope.append(pl.col("episode_start") >= wanted.date_from)
    if wanted.date_to:
        scope.append(pl.col("episode_start") <= wanted.date_to)
    chosen = alerts.frame.filter(scope) if scope else alerts.frame
    # Counts per status under the other filters: the tabs show what each status would list.
    counts = _status_counts(chosen) if scope else alerts.counts
    statuses = [wanted.status] if wanted.status else list(OPEN_STATUSES)
    listed = chosen.filter(pl.col("status").is_in(statuses)).slice((wanted.page - 1) * limit, limit)
    total = sum(counts[s] for s in statuses)
    return InboxPage(listed.to_dicts(), total, counts, alerts, wanted)


def visible_alert(session: Session, alert_id: int, *, office: str) -> Alert | None:
    """The alert, if it was routed to ``office``; None otherwise, exactly as if it did not exist."""
    alert = session.get(Alert, alert_id)
    if alert is None or office not in (alert.offices or []):
        return None
    return alert


def day_from_form(value: str | None, what: str) -> date | None:
    """A day typed in a form or a query string (YYYY-MM-DD), None when left empty; a ``UserError``
    naming ``what`` otherwise."""
    if not value or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"{what} {value!r} 无效，应为 YYYY-MM-DD 格式的日期。") from None
