"""A small home for the console's tests: six enterprises, one day's alerts routed to different
offices, sentiment records in the lake (one carrying HTML, script and a spreadsheet formula), and
one account per role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import polars as pl
from fastapi.testclient import TestClient

from layoffwatch.settings import Settings
from review.accounts import add_user
from review.app import create_app
from sources.schema import ENTERPRISES, SENTIMENT, Source
from store import lake
from store.tables import ROLES
from tests.unit.alerts.builders import at, code, day, run_day, session_for, setup_city

PASSWORD = "console-test-2026"
HOSTILE_TEXT = (
    '<script>alert("x")</script><img src=x onerror=alert(1)> =HYPERLINK("http://evil") 工资拖欠三个月了'
)
# Enterprise n -> the day's tier and the figures that route it (alerts/default_alerting.yaml):
# 1 police records (public security), 2 petitions (petitions), 3 online posts (cyberspace), 4 hr only.
TIERS = {1: "red", 2: "orange", 3: "yellow", 4: "yellow", 5: "none", 6: "none"}
FIGURES = {
    1: {"police_90d": 2, "max_participants_90d": 40, "headcount": 150},
    2: {"petition_90d": 3, "wage_arrears_workers": 12},
    3: {"online_90d": 4},
    4: {},
}


@dataclass(frozen=True)
class ConsoleHome:
    settings: Settings
    now: datetime

    def client(self, role: str | None = None, *, clock: Callable[[], datetime] | None = None) -> TestClient:
        """A client of a fresh app, signed in as the account of ``role`` (or not signed in); the app
        reads the time from ``clock`` (default: always ``now``)."""
        app = create_app(self.settings, clock=clock or (lambda: self.now))
        client = TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False)
        if role is not None:
            sign_in(client, role, PASSWORD)
        return client


def sign_in(client: TestClient, username: str, password: str, next: str = "") -> object:
    form = client.get("/login")
    token = form.cookies.get("lw_csrf") or client.cookies.get("lw_csrf")
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token, "next": next}
    )
    return response


def build(settings: Settings, *, link: str | None = None) -> ConsoleHome:
    """The home; ``link`` (with ``{id}``) is where the day's notifications point, e.g. a test server."""
    if link is not None:
        _alerting_with_link(settings, link)
    setup_city(settings, count=6)
    _lake(settings)
    run_day(settings, 0, TIERS, figures=FIGURES)
    with session_for(settings) as session:
        for role in ROLES:
            add_user(session, role, role=role, display_name=f"{role}测试员", password=PASSWORD, now=at(0))
    return ConsoleHome(settings, at(0, hours=1))


def _alerting_with_link(settings: Settings, link: str) -> None:
    from importlib import resources

    import yaml

    content = yaml.safe_load(
        (resources.files("alerts") / "default_alerting.yaml").read_text(encoding="utf-8")
    )
    content["alerting"]["link"] = link
    settings.alerting.parent.mkdir(parents=True, exist_ok=True)
    settings.alerting.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")


def _lake(settings: Settings) -> None:
    """The register and a few sentiment records of the day before, as the intake would store them."""
    from sqlmodel import select

    from store.tables import Enterprise

    with session_for(settings) as session:
        rows = [e.model_dump() for e in session.exec(select(Enterprise))]
    register = pl.DataFrame(
        [{k: r.get(k) for k in ENTERPRISES.names} | {"aliases": None} for r in rows]
    ).cast({"founded_on": pl.Date}, strict=False)
    _append(settings, ENTERPRISES, register, batch_id="reg")
    published = datetime.combine(day(-1), datetime.min.time(), tzinfo=UTC) + timedelta(hours=2)
    records = [
        ("r1", "police", code(1), "测试企业1有限公司门口有四十多名工人聚集，拉横幅讨要工资。", 40),
        ("r2", "petition", code(2), "反映测试企业2有限公司拖欠工资，联系电话13812345678。", 12),
        ("r3", "online", code(3), HOSTILE_TEXT, None),
        ("r4", "online", code(1), "测试企业1有限公司要裁员了，大家都在传。", None),
    ]
    sentiment = pl.DataFrame(
        [
            {
                "record_id": r,
                "published_at": published,
                "channel": ch,
                "text": text,
                "uscc": u,
                "participants": n,
                "location": None,
            }
            for r, ch, u, text, n in records
        ],  # fmt: skip
    )
    _append(settings, SENTIMENT, sentiment, batch_id="sent")


def _append(settings: Settings, source: Source, frame: pl.DataFrame, *, batch_id: str) -> None:
    """``frame`` into the lake as one batch of ``source``, in the source's columns and types."""
    typed = frame.select(source.names).cast(source.polars_schema)  # type: ignore[arg-type]
    lake.append(settings, source, typed, batch_id=batch_id, received_at=at(-1))


def today() -> date:
    return day(0)
