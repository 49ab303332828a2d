"""``layoffwatch bench web``: the review console under load, timed per request.

Set-up (timed apart, not measured): a fresh PostgreSQL database and a home; N enterprises in the
register and two days of scores (``layoffwatch.bench_alerts``: about 2% at yellow or above), then
the real alerting step for both days (day 1 opens every alert, day 2 raises, resolves and opens
some), so at 1,000,000 enterprises about 20,000 enterprise alerts are open; the monthly and weekly
series their pages chart (``EnterpriseTrend``, synthetic but shaped like a failing enterprise's); a
few officers' actions (acknowledged, sent for verification) so pages have history; accounts for
the four offices' officers (hr the most).

Then the real server (``layoffwatch web``) is started as a subprocess on 127.0.0.1, and ``users``
virtual users, each signed in with its own account and cookies (one after another, or with
``together`` all at the same instant; sign-in not measured), run a
closed loop with no think time for ``seconds``: the inbox with a random mix of filters (none most
of the time; a tier, a status, a township or a page 2-5), then the page of an alert their office
may see (chosen beforehand from the alerts' routing). Every request is timed from send to the
last byte read; anything but 200 is an error. One unmeasured warm-up round precedes the measure.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

from alerts.actions import apply
from alerts.config import OFFICE_KEYS
from alerts.daily import alert_day
from alerts.lifecycle import transition
from alerts.trends import store_trends
from layoffwatch.bench_alerts import DAY1, TOWNSHIPS, scored_register
from layoffwatch.errors import UserError
from layoffwatch.settings import Settings, load_settings
from store import db
from store.db import engine_for
from store.tables import Alert, AlertTransition, Enterprise
from store.uow import unit_of_work

TARGET_P95_MS = 300.0
TARGET_OPEN_ALERTS = 20_000
"""The acceptance's figure, at 1,000,000 enterprises."""
DEFAULT_DATABASE_URL = "postgresql://root@127.0.0.1:5432/layoffwatch_bench_web"
KINDS = ("inbox", "alert")
# Users are given accounts in this order: of every five, two hr officers and one of each other office.
ROLE_CYCLE = ("hr", "public_security", "hr", "petitions", "cyberspace")
ROLE_ZH = {"hr": "人社", "public_security": "公安", "petitions": "信访", "cyberspace": "网信"}
PASSWORD = "bench-web-2026"
# What an inbox request filters on, and how often: nothing most of the time.
FILTER_MIX: dict[str, float] = {"none": 0.6, "tier": 0.1, "status": 0.1, "township": 0.1, "page": 0.1}
FILTER_TIERS = ("red", "orange", "yellow")
FILTER_STATUSES = ("open", "acknowledged", "verifying")
ACKNOWLEDGED_SHARE = 0.05
"""Share of open alerts an officer acknowledges in the set-up; 40% of those go on to verification."""
DAY2 = DAY1 + timedelta(days=1)
READY_TIMEOUT_SECONDS = 180.0
WRONG_ANSWER_SECONDS = 15.0
REQUEST_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 20.0
ALERT: sa.Table = Alert.__table__  # type: ignore[attr-defined]
TRANSITION: sa.Table = AlertTransition.__table__  # type: ignore[attr-defined]
ENTERPRISE: sa.Table = Enterprise.__table__  # type: ignore[attr-defined]
_CSRF_INPUT = re.compile(r"<input[^>]*\bname=[\"']csrf_token[\"'][^>]*>", re.IGNORECASE)
_VALUE = re.compile(r"\bvalue=[\"']([^\"']*)[\"']", re.IGNORECASE)


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    display_name: str


@dataclass(frozen=True)
class Sample:
    """One measured request: which page, its status (0: no answer), and milliseconds to the last byte."""

    kind: str
    status: int
    ms: float
    url: str = ""
    size: int = 0
    """Bytes of the body."""


@dataclass
class LoadResult:
    samples: list[Sample] = field(default_factory=list)
    elapsed: float = 0.0


def run(
    console: Console,
    *,
    enterprises: int,
    data: Path,
    database_url: str,
    users: int = 20,
    seconds: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    together: bool = False,
) -> dict[str, Any]:
    """Set up a province in PostgreSQL, start ``layoffwatch web`` and load it; the figures, also
    written to ``<data>/web-<enterprises>/bench-web.json``."""
    home = (data / f"web-{enterprises}").resolve()
    settings = load_settings({"LAYOFFWATCH_HOME": str(home), "LAYOFFWATCH_DATABASE_URL": database_url})
    console.print(
        f"[bold]bench web[/]: {enterprises:,} enterprises, {users} users for {seconds:g} s, "
        f"{workers} server workers, database {db.masked_url(settings.database_url)}, home {home}"
    )
    stages: dict[str, float] = {}
    load_at_start = os.getloadavg()[0]
    started = time.perf_counter()
    recreate_database(settings)
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    stages["fresh database"] = time.perf_counter() - started
    counts = _setup(console, settings, enterprises, seed=seed, users=users, stages=stages)
    setup_seconds = time.perf_counter() - started
    console.print(f"set-up (not measured): {setup_seconds:.1f} s")
    accounts = accounts_for(max(users, len(ROLE_CYCLE)))[:users]
    visible = visible_alert_ids(settings)
    db.dispose(settings)  # the bench process holds no connection while the server is measured
    port = _free_port()
    log = home / "web-server.log"
    with _server(settings, port=port, workers=workers, log=log) as base_url:
        console.print(f"server up at {base_url} ({workers} workers, log {log}); loading for {seconds:g} s")
        load_before = os.getloadavg()
        cpu_before = time.process_time()
        result = asyncio.run(
            load(
                base_url,
                accounts,
                visible,
                seconds=seconds,
                seed=seed,
                townships=TOWNSHIPS,
                together=together,
            )
        )
        client_cpu = time.process_time() - cpu_before
        load_after = os.getloadavg()
    figures = {
        "enterprises": enterprises, "users": users, "seconds": seconds, "workers": workers, "seed": seed,
        "signed_in": "together" if together else "one after another",
        "setup_seconds": setup_seconds, "setup_stages": stages, "postgres": counts,
        "accounts": {role: sum(a.role == role for a in accounts) for role in OFFICE_KEYS},
        "visible_alerts": {role: len(ids) for role, ids in visible.items()},
        "measured_seconds": result.elapsed,
        **{kind: latency_summary(result.samples, kind=kind, elapsed=result.elapsed) for kind in KINDS},
        "error_examples": [s.__dict__ for s in result.samples if s.status != 200][:10],
        "target_p95_ms": TARGET_P95_MS,
        # The load generator shares the machine: its own CPU, and how busy the machine was.
        "machine": {
            "cores": os.cpu_count(), "load_average_at_start": load_at_start, "load_average_before": load_before[0], "load_average_after": load_after[0],
            "client_cpu_seconds": client_cpu,
            "client_cpu_share_of_one_core": client_cpu / result.elapsed if result.elapsed else None,
        },
    }  # fmt: skip
    figures["met"] = target_met(figures)
    console.print(_table(figures))
    _print_verdict(console, figures)
    out = home / "bench-web.json"
    out.write_text(json.dumps(figures, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    console.print(f"figures written to {out}")
    return figures


# ---------------------------------------------------------------------------------------------
# Pure parts: accounts, the filter mix, the series, percentiles and the verdict.


def accounts_for(count: int) -> list[Account]:
    """``count`` officers' accounts, roles in ``ROLE_CYCLE`` order (the first five cover every office)."""
    accounts = []
    seen: dict[str, int] = {}
    for i in range(count):
        role = ROLE_CYCLE[i % len(ROLE_CYCLE)]
        seen[role] = seen.get(role, 0) + 1
        accounts.append(Account(f"bench-{role}-{seen[role]:02d}", role, f"{ROLE_ZH[role]}测试员{seen[role]}"))
    return accounts


def inbox_params(rng: random.Random, *, townships: Sequence[str] = TOWNSHIPS) -> dict[str, str]:
    """The query of one inbox request, drawn from ``FILTER_MIX``: {} (no filter) most of the time."""
    kind = rng.choices(list(FILTER_MIX), weights=list(FILTER_MIX.values()))[0]
    if kind == "tier":
        return {"tier": rng.choice(FILTER_TIERS)}
    if kind == "status":
        return {"status": rng.choice(FILTER_STATUSES)}
    if kind == "township":
        return {"township": rng.choice(townships)}
    if kind == "page":
        return {"page": str(rng.randint(2, 5))}
    return {}


def trend_series(rng: np.random.Generator, *, headcount: int, as_of: date) -> dict[str, Any]:
    """One alerted enterprise's charted series as known on ``as_of``: 24 months (to the last month
    whose payroll is reported, from day 15 of the next) of insured headcount, workers paid, gross pay,
    workers in arrears and contributions due and paid, falling into the headcount now; 26 weeks (to the
    Monday of ``as_of``'s week) of linked sentiment records by channel, rising in the last weeks."""
    last = _month_start(as_of.replace(day=1) - timedelta(days=1 if as_of.day >= 15 else 32))
    months = [_add_months(last, -k) for k in range(23, -1, -1)]
    falling = int(rng.integers(2, 7))
    drop = float(rng.uniform(0.05, 0.35))
    level = headcount / (1 - drop)
    ramp = np.concatenate([np.zeros(24 - falling), np.linspace(0, 1, falling + 1)[1:]])
    noise = 1 + rng.normal(0, 0.015, 24)
    spring = np.array([0.96 if m.month == 2 else 1.0 for m in months])
    heads = np.maximum(1, np.rint(level * (1 - drop * ramp) * noise * spring)).astype(int)
    heads[-1] = max(1, headcount)
    arrears = np.zeros(24, dtype=int)
    if rng.random() < 0.35:
        late = int(rng.integers(1, 4))
        arrears[-late:] = np.rint(heads[-late:] * rng.uniform(0.1, 0.4, late)).astype(int)
    paid_workers = heads - arrears
    pay = float(rng.uniform(4_500, 9_000)) * 1.003 ** np.arange(24)
    gross = np.rint(paid_workers * pay * (1 + rng.normal(0, 0.02, 24)))
    due = np.rint(heads * pay * 0.16)
    share_paid = np.ones(24)
    if rng.random() < 0.3:
        short = int(rng.integers(1, 5))
        share_paid[-short:] = rng.uniform(0.3, 0.9, short)
    monday = as_of - timedelta(days=as_of.weekday())
    weeks = [monday - timedelta(weeks=k) for k in range(25, -1, -1)]
    recent = np.concatenate([np.zeros(20), np.linspace(0.5, 3, 6)])
    rates = {"online": 0.4, "petition": 0.1, "hotline": 0.25, "police": 0.05}
    return {
        "months": [m.strftime("%Y-%m") for m in months],
        "headcount": heads.tolist(),
        "workers_paid": paid_workers.tolist(),
        "gross_pay": gross.astype(int).tolist(),
        "arrears_workers": arrears.tolist(),
        "contributions_due": due.astype(int).tolist(),
        "contributions_paid": np.rint(due * share_paid).astype(int).tolist(),
        "weeks": [w.isoformat() for w in weeks],
        "sentiment": {c: rng.poisson(rate * (1 + recent)).tolist() for c, rate in rates.items()},
    }


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q``-th percentile (0 < q <= 100) of ``values``: the smallest value at least
    ``q``% of them do not exceed. None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(samples: Sequence[Sample], *, kind: str, elapsed: float) -> dict[str, Any]:
    """Requests, errors (anything but 200), p50/p95/p99/max in ms over every request of ``kind``
    (errors included), and requests per second over ``elapsed`` seconds."""
    mine = [s for s in samples if s.kind == kind]
    ms = [s.ms for s in mine]
    statuses: dict[str, int] = {}
    for s in mine:
        if s.status != 200:
            statuses[str(s.status)] = statuses.get(str(s.status), 0) + 1
    return {
        "requests": len(mine), "errors": sum(statuses.values()), "error_statuses": statuses,
        "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95), "p99_ms": percentile(ms, 99),
        "max_ms": max(ms) if ms else None,
        "mean_kb": sum(s.size for s in mine) / len(mine) / 1024 if mine else None,
        "throughput_rps": len(mine) / elapsed if elapsed > 0 else None,
    }  # fmt: skip


def target_met(figures: Mapping[str, Any], *, target_ms: float = TARGET_P95_MS) -> bool:
    """Both pages answered, without an error, under ``target_ms`` at the 95th percentile."""
    pages = [figures[kind] for kind in KINDS]
    return all(p["requests"] > 0 and p["errors"] == 0 and p["p95_ms"] < target_ms for p in pages)


def csrf_token(html: str) -> str | None:
    """The value of the sign-in form's hidden ``csrf_token`` input, or None."""
    found = _CSRF_INPUT.search(html)
    value = _VALUE.search(found.group(0)) if found else None
    return value.group(1) if value else None


# ---------------------------------------------------------------------------------------------
# Set-up: the database, the register and scores, the alerting step, series, history, accounts.


def recreate_database(settings: Settings) -> None:
    """Drop and create the benchmark's own PostgreSQL database (its name must contain ``bench``)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "postgresql":
        raise UserError(f"--database-url {db.masked_url(settings.database_url)}: expected a PostgreSQL URL.")
    name = url.database or ""
    if "bench" not in name:
        raise UserError(
            f"--database-url names the database {name!r}; the benchmark drops and recreates it, "
            "so expected a database of its own whose name contains 'bench'."
        )
    db.dispose(settings)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            quoted = admin.dialect.identifier_preparer.quote(name)
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
            connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
    finally:
        admin.dispose()


def _setup(
    console: Console, settings: Settings, n: int, *, seed: int, users: int, stages: dict[str, float]
) -> dict[str, int]:
    t0 = time.perf_counter()
    scored_register(settings, n, np.random.default_rng(seed))
    stages["register and scores"] = time.perf_counter() - t0
    console.print(f"register and two days of scores: {stages['register and scores']:.1f} s")
    for as_of in (DAY1, DAY2):
        t0 = time.perf_counter()
        day = alert_day(settings, as_of=as_of, now=_evening(as_of))
        stages[f"alerting step {as_of.isoformat()}"] = time.perf_counter() - t0
        console.print(
            f"alerting step {as_of}: {len(day.enterprises.opened):,} opened, {len(day.enterprises.raised):,} raised, "
            f"{len(day.enterprises.resolved):,} resolved, {len(day.areas.opened):,} area warnings "
            f"({stages[f'alerting step {as_of.isoformat()}']:.1f} s)"
        )
    rng = np.random.default_rng(seed + 1)
    t0 = time.perf_counter()
    trends = _write_trends(settings, rng)
    stages["trends"] = time.perf_counter() - t0
    accounts = accounts_for(max(users, len(ROLE_CYCLE)))
    t0 = time.perf_counter()
    acted = _write_history(settings, rng, by=[a.username for a in accounts if a.role == "hr"])
    stages["officers' actions"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _add_accounts(settings, accounts)
    stages["accounts"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _vacuum(settings)
    stages["vacuum analyze"] = time.perf_counter() - t0
    counts = _counts(settings)
    counts |= {"trends": trends, "acted_on": acted}
    console.print(
        f"PostgreSQL: {counts['enterprises']:,} enterprises, {counts['open_alerts']:,} open enterprise alerts "
        f"({counts['unclosed_alerts']:,} not closed), {trends:,} trends, {acted:,} alerts acted on, "
        f"{len(accounts)} accounts"
    )
    if n >= 1_000_000 and counts["open_alerts"] < TARGET_OPEN_ALERTS:
        console.print(
            f"[yellow]note[/]: {counts['open_alerts']:,} open alerts, fewer than the acceptance's "
            f"{TARGET_OPEN_ALERTS:,} (the tier shares of bench_alerts gave these); the figures below are for them."
        )
    return counts


def _vacuum(settings: Settings) -> None:
    """VACUUM ANALYZE once the set-up has written everything: the measure is of a database in its
    steady state, not one whose autovacuum may start on the set-up's bulk writes mid-load."""
    engine = sa.create_engine(
        make_url(settings.database_url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def _write_trends(settings: Settings, rng: np.random.Generator) -> int:
    """Synthetic series (``trend_series``) for every enterprise with an alert not closed, written by
    the alerting step's own ``store_trends`` over the rows it computed from the (empty) lake."""
    with unit_of_work(engine_for(settings)) as session:
        rows = session.execute(
            sa.select(ALERT.c.subject, ALERT.c.details)
            .where(ALERT.c.kind == "enterprise", ALERT.c.status != "closed")
            .order_by(ALERT.c.subject)
        ).all()
        trends = {
            uscc: trend_series(rng, headcount=int((details or {}).get("headcount") or 100), as_of=DAY2)
            for uscc, details in rows
        }
        written = store_trends(session, trends, as_of=DAY2, now=_evening(DAY2))
        session.commit()
    return written


def _write_history(settings: Settings, rng: np.random.Generator, *, by: Sequence[str]) -> int:
    """Officers' actions through the lifecycle: ``ACKNOWLEDGED_SHARE`` of the open alerts acknowledged,
    40% of those then sent for field verification. Returns how many alerts were acted on."""
    with unit_of_work(engine_for(settings)) as session:
        ids = (
            session.execute(
                sa.select(ALERT.c.id)
                .where(ALERT.c.kind == "enterprise", ALERT.c.status == "open")
                .order_by(ALERT.c.id)
            )
            .scalars()
            .all()
        )
        chosen = (
            sorted(rng.choice(ids, size=int(len(ids) * ACKNOWLEDGED_SHARE), replace=False).tolist())
            if ids
            else []
        )
        for k, alert_id in enumerate(chosen):
            alert = session.get(Alert, alert_id)
            assert alert is not None
            officer = by[k % len(by)]
            at = _evening(DAY2) + timedelta(minutes=30 + k % 600)
            apply(
                session,
                alert,
                transition(alert, "acknowledge", by=officer, reason="已收到，联系企业了解用工情况", at=at),
            )
            if rng.random() < 0.4:
                change = transition(
                    alert, "verify", by=officer, reason="派员实地核查裁员计划", at=at + timedelta(hours=2),
                    assignee="街道劳动保障所 张伟", due=DAY2 + timedelta(days=7),
                )  # fmt: skip
                apply(session, alert, change)
        session.commit()
    return len(chosen)


def _add_accounts(settings: Settings, accounts: Sequence[Account]) -> None:
    from review.accounts import add_user  # the review console's own module

    with unit_of_work(engine_for(settings)) as session:
        for account in accounts:
            add_user(
                session, account.username, role=account.role, display_name=account.display_name,
                password=PASSWORD, now=_evening(DAY2),
            )  # fmt: skip
        session.commit()


def _counts(settings: Settings) -> dict[str, int]:
    enterprise_alert = ALERT.c.kind == "enterprise"
    with engine_for(settings).connect() as connection:

        def count(table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
            return int(
                connection.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()
            )

        return {
            "enterprises": count(ENTERPRISE),
            "open_alerts": count(ALERT, enterprise_alert, ALERT.c.status == "open"),
            "unclosed_alerts": count(ALERT, enterprise_alert, ALERT.c.status != "closed"),
            "firing_alerts": count(
                ALERT, enterprise_alert, ALERT.c.status != "closed", ALERT.c.firing.is_(True)
            ),
            "area_alerts": count(ALERT, ALERT.c.kind == "area", ALERT.c.status != "closed"),
            "transitions": count(TRANSITION),
        }


def visible_alert_ids(settings: Settings) -> dict[str, list[int]]:
    """Office -> the ids of the enterprise alerts not closed routed to it (its officers may open them)."""
    visible: dict[str, list[int]] = {office: [] for office in OFFICE_KEYS}
    with engine_for(settings).connect() as connection:
        rows = connection.execute(
            sa.select(ALERT.c.id, ALERT.c.offices).where(
                ALERT.c.kind == "enterprise", ALERT.c.status != "closed"
            )
        ).all()
    for alert_id, offices in rows:
        for office in offices or []:
            if office in visible:
                visible[office].append(int(alert_id))
    return visible


def _evening(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 22, 30, tzinfo=UTC)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(month: date, k: int) -> date:
    index = month.year * 12 + month.month - 1 + k
    return date(index // 12, index % 12 + 1, 1)


# ---------------------------------------------------------------------------------------------
# The server and the load.


@contextmanager
def _server(settings: Settings, *, port: int, workers: int, log: Path) -> Iterator[str]:
    """``layoffwatch web`` running on 127.0.0.1:``port`` until the block ends; yields its base URL."""
    command = [_layoffwatch(), "web", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    env = os.environ | {
        "LAYOFFWATCH_HOME": str(settings.home), "LAYOFFWATCH_DATABASE_URL": settings.database_url,
        "PYTHONUNBUFFERED": "1",
    }  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _wait_ready(process, base_url, log)
            yield base_url
        finally:
            _stop(process)


def _layoffwatch() -> str:
    beside = Path(sys.executable).parent / "layoffwatch"
    found = str(beside) if beside.exists() else shutil.which("layoffwatch")
    if found is None:
        raise UserError("the layoffwatch command was not found next to this Python or on PATH.")
    return found


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    """Until GET /login answers 200; fails when the server exits, keeps answering something else for
    ``WRONG_ANSWER_SECONDS``, or does not answer within ``READY_TIMEOUT_SECONDS``."""
    started = time.monotonic()
    wrong_since: float | None = None
    last = "no answer"
    while time.monotonic() - started < READY_TIMEOUT_SECONDS:
        if process.poll() is not None:
            raise UserError(
                f"layoffwatch web exited with code {process.returncode} before answering; see {log}:\n{_tail(log)}"
            )
        try:
            answer = httpx.get(f"{base_url}/login", timeout=5.0)
            if answer.status_code == 200:
                return
            last = f"HTTP {answer.status_code}"
            wrong_since = wrong_since or time.monotonic()
            if time.monotonic() - wrong_since > WRONG_ANSWER_SECONDS:
                raise UserError(f"layoffwatch web answers GET /login with {last}; see {log}:\n{_tail(log)}")
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.5)
    raise UserError(
        f"layoffwatch web did not answer GET /login with 200 within {READY_TIMEOUT_SECONDS:g} s ({last}); see {log}."
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (uvicorn and its workers), then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def load(
    base_url: str,
    accounts: Sequence[Account],
    visible: Mapping[str, Sequence[int]],
    *,
    seconds: float,
    seed: int,
    townships: Sequence[str] = TOWNSHIPS,
    password: str = PASSWORD,
    together: bool = False,
) -> LoadResult:
    """Every account signed in on its own client, one warm-up round, then a closed loop for ``seconds``."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [
        httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS, limits=limits) for _ in accounts
    ]
    result = LoadResult()
    try:
        # One after another by default, as officers arrive; ``together`` opens every connection in
        # one burst, which lands unevenly on the server processes (whichever wakes first takes most),
        # and keep-alive keeps them there.
        if together:
            await asyncio.gather(
                *(sign_in(c, a.username, password) for c, a in zip(clients, accounts, strict=True))
            )
        else:
            for client, account in zip(clients, accounts, strict=True):
                await sign_in(client, account.username, password)
        rngs = [random.Random(seed * 1_000 + i) for i in range(len(accounts))]
        users = list(zip(clients, accounts, rngs, strict=True))
        warm: list[Sample] = []
        await asyncio.gather(*(_round(c, r, visible[a.role], townships, warm) for c, a, r in users))
        started = time.perf_counter()
        deadline = started + seconds

        async def user(client: httpx.AsyncClient, account: Account, rng: random.Random) -> None:
            while time.perf_counter() < deadline:
                await _round(client, rng, visible[account.role], townships, result.samples)

        await asyncio.gather(*(user(c, a, r) for c, a, r in users))
        result.elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return result


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> None:
    """GET /login for the CSRF cookie and token, POST the form; a 303 that sets ``lw_session``."""
    form = await client.get("/login")
    if form.status_code != 200:
        raise UserError(f"GET /login answered {form.status_code} for {username}.")
    token = csrf_token(form.text) or client.cookies.get("lw_csrf")
    if not token:
        raise UserError("GET /login gave no csrf_token input and no lw_csrf cookie.")
    answer = await client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    if answer.status_code != 303 or "lw_session" not in client.cookies:
        raise UserError(
            f"signing in as {username} answered {answer.status_code} without an lw_session cookie."
        )


async def _round(
    client: httpx.AsyncClient,
    rng: random.Random,
    ids: Sequence[int],
    townships: Sequence[str],
    into: list[Sample],
) -> None:
    """One iteration of a user: the inbox, then one alert page of its office."""
    into.append(await _timed(client, "inbox", "/alerts", inbox_params(rng, townships=townships)))
    if ids:
        into.append(await _timed(client, "alert", f"/alerts/{rng.choice(ids)}", {}))


async def _timed(client: httpx.AsyncClient, kind: str, path: str, params: Mapping[str, str]) -> Sample:
    t0 = time.perf_counter()
    try:
        answer = await client.get(path, params=params)
        status, size = answer.status_code, len(answer.content)
    except httpx.HTTPError:
        status, size = 0, 0
    ms = (time.perf_counter() - t0) * 1_000
    url = path + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
    return Sample(kind, status, ms, url, size)


# ---------------------------------------------------------------------------------------------
# Output.


def _table(figures: Mapping[str, Any]) -> Table:
    table = Table(
        title=f"bench web: {figures['users']} users, {figures['measured_seconds']:.0f} s, ms per request"
    )
    for name in ("page", "requests", "errors", "p50", "p95", "p99", "max", "req/s", "KB"):
        table.add_column(name, justify="left" if name == "page" else "right")
    for kind, label in (("inbox", "inbox /alerts"), ("alert", "alert /alerts/{id}")):
        p = figures[kind]
        table.add_row(
            label, f"{p['requests']:,}", f"{p['errors']:,}",
            *(_ms(p[k]) for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")),
            f"{p['throughput_rps']:.1f}" if p["throughput_rps"] is not None else "-",
            f"{p['mean_kb']:.0f}" if p["mean_kb"] is not None else "-",
        )  # fmt: skip
    return table


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _print_verdict(console: Console, figures: Mapping[str, Any]) -> None:
    pg = figures["postgres"]
    console.print(
        f"set-up {figures['setup_seconds']:.1f} s; PostgreSQL {pg['enterprises']:,} enterprises, "
        f"{pg['open_alerts']:,} open enterprise alerts ({pg['unclosed_alerts']:,} not closed)"
    )
    for kind in KINDS:
        p = figures[kind]
        ok = p["requests"] > 0 and p["errors"] == 0 and p["p95_ms"] < figures["target_p95_ms"]
        console.print(
            f"{kind}: p95 {_ms(p['p95_ms'])} ms over {p['requests']:,} requests, {p['errors']:,} errors "
            f"(target p95 < {figures['target_p95_ms']:g} ms: {'met' if ok else 'NOT met'})"
        )
    machine = figures["machine"]
    console.print(
        f"machine: {machine['cores']} cores, load average {machine['load_average_before']:.1f} before the load; "
        f"the load generator itself used {machine['client_cpu_seconds']:.1f} CPU s (sign-in and warm-up included)"
    )
    # Before the set-up, not before the load: the set-up's own work is in the minute before the load.
    if machine["load_average_at_start"] > 0.5 * (machine["cores"] or 1):
        console.print(
            "[yellow]note[/]: the machine was busy before the bench started; these figures are not an idle machine's."
        )
    for example in figures["error_examples"][:3]:
        console.print(f"[red]error[/]: {example['kind']} {example['url']} -> {example['status']}")
    console.print(f"target: {'met' if figures['met'] else 'NOT met'}")
