"""The sender: delivers due outbox rows with Apprise and records each outcome on its row.

One round of ``deliver`` claims a few due rows at a time — ``pending`` rows whose
``next_attempt_at`` has come, and ``sending`` rows whose lease has expired because the sender
holding them died — by setting ``status='sending'``, ``claimed_by`` and ``lease_until`` in one short
transaction (PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED``; SQLite: ``BEGIN IMMEDIATE``, which
takes the write lock before reading), so two senders never claim the same row. Each claimed row is
then sent and at once marked in its own transaction: ``sent`` with ``sent_at``, or back to
``pending`` with ``attempts + 1``, ``last_error`` and ``next_attempt_at = now + backoff``. A
message is retried until it is delivered; there is no dead state. ``held`` and ``digested`` rows
are never touched here.

The crash window. A sender killed after the receiver took a message but before the ``sent`` mark
committed leaves that row ``sending``; once its lease expires another sender sends it again. The
window is kept to one message per sender: rows are marked one by one right after their send
(never at the end of a batch), a row whose lease ran out while earlier rows were being sent is not
sent by the late sender, and rows claimed but not yet sent by a killed sender are sent once, by
whoever claims them after the lease. The duplicate that can remain carries the same idempotency key
(``X-Idempotency-Key`` header on webhooks, the same file name for ``lwoutbox://``), so a receiver
that keeps keys drops it; chat robots and mail have no such field and may show it twice.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import apprise
import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from alerts import channels
from alerts.config import AlertingConfig
from alerts.outbox import TABLE, Message, add
from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from store.db import SQLITE_BEGIN_IMMEDIATE
from store.tables import NOTIFICATION_STATUSES, Notification
from store.uow import unit_of_work

Clock = Callable[[], datetime]

DEFAULT_LEASE = timedelta(minutes=2)
# A killed sender strands at most this many rows until its lease expires (they are then sent once,
# by whoever claims them); each claim is a write transaction, so claiming one row at a time would
# cost as much as sending it.
CLAIM_BATCH = 20
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
ERROR_LIMIT = 500
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
LIST_STATUSES = (*NOTIFICATION_STATUSES, "retrying")


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one outbox row (one target of one office) in one delivery attempt."""

    id: int
    kind: str
    office: str
    target: str
    title: str
    sent: bool
    error: str | None
    attempts: int
    next_attempt_at: datetime | None  # when it is tried again; None once sent


@dataclass(frozen=True)
class DeliveryReport:
    """One ``deliver`` call: a result per row attempted, in the order they were sent."""

    results: tuple[DeliveryResult, ...]

    @property
    def sent(self) -> int:
        return sum(r.sent for r in self.results)

    @property
    def failed(self) -> int:
        return sum(not r.sent for r in self.results)


def backoff(attempts: int) -> timedelta:
    """How long a row waits after its ``attempts``-th failed try: 30 s, doubling, at most 1 h."""
    if attempts < 1:
        return timedelta(0)
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 20), MAX_RETRY)


def default_worker() -> str:
    """This process's name on the rows it claims: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Pacer:
    """Leaves at least a destination's pause between two messages to it (``pause_seconds``)."""

    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    _last: dict[str, float] = field(default_factory=dict)

    def wait(self, destination: str, pause: float) -> None:
        last = self._last.get(destination)
        if last is not None and pause > 0:
            remaining = pause - (self.monotonic() - last)
            if remaining > 0:
                self.sleep(remaining)
        self._last[destination] = self.monotonic()


def pause_seconds(plugin: Any) -> float:
    """Seconds to leave between two messages to the same destination.

    Apprise throttles each plugin instance (``request_rate_per_sec``, 5.5 s unless the plugin says
    otherwise) to respect public APIs; DingTalk and WeCom robots, for one, drop messages beyond
    20 a minute. That pause is kept for every remote destination. A loopback destination (the
    ``lwoutbox://`` folder, a receiver on this machine, a test double) is ours: pausing there would
    only make the outbox and its tests slow, so it gets none. The pause is applied by ``Pacer`` per
    destination, across rows, because every row needs its own Apprise object (the idempotency key
    is part of its URL) and Apprise's own throttle never delays an instance's first message.
    """
    notify_url = getattr(type(plugin), "notify_url", None)
    host = urlsplit(notify_url).hostname if isinstance(notify_url, str) and "://" in notify_url else None
    host = host or getattr(plugin, "smtp_host", None) or getattr(plugin, "host", None)
    if isinstance(host, str) and host.strip("[]").lower() in LOOPBACK_HOSTS:
        return 0.0
    return float(getattr(plugin, "request_rate_per_sec", 0.0) or 0.0)


@dataclass
class Channels:
    """Sends outbox rows with Apprise. Keep one per process (the pacing lives here) and pass it to
    every ``deliver`` call of a sending loop."""

    pacer: Pacer = field(default_factory=Pacer)

    def send(
        self,
        row: Notification,
        config: AlertingConfig,
        settings: Settings,
        env: Mapping[str, str] | None = None,
    ) -> str | None:
        """Send one row to every URL of its target; returns None when all took it, else the reason
        (the per-URL Apprise outcome, short, secrets left out)."""
        try:
            bases = channels.resolved_urls(row, config, settings, env)
        except UserError as exc:  # a missing variable or secret, a target gone from the configuration
            return str(exc)
        key = channels.idempotency_key(row)
        errors = []
        for base in bases:
            try:
                error = self._send_one(base, channels.with_idempotency_key(base, key), row)
            except Exception as exc:  # a plugin's bug must not stop the other rows
                error = f"{channels.scheme_of(base)}: {type(exc).__name__}: {exc}"
            if error is not None:
                errors.append(error)
        return "; ".join(errors)[:ERROR_LIMIT] if errors else None

    def _send_one(self, base: str, url: str, row: Notification) -> str | None:
        scheme = channels.scheme_of(base)
        sender = apprise.Apprise()
        if not sender.add(url):
            return f"{scheme}: target {row.target!r} does not resolve to a valid Apprise URL."
        self.pacer.wait(base, pause_seconds(sender[0]))
        with sender.notify(body=row.body, title=row.title, body_format=row.body_format) as result:
            if result:
                return None
            reasons = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR", "CRITICAL")]
            status = result.status.name.lower()
            return f"{scheme}: {' '.join(dict.fromkeys(reasons)) or status}"


def deliver(
    engine: Engine,
    settings: Settings,
    config: AlertingConfig,
    *,
    clock: Clock,
    worker: str | None = None,
    lease: timedelta = DEFAULT_LEASE,
    limit: int | None = None,
    only: Collection[int] | None = None,
    sender: Channels | None = None,
    env: Mapping[str, str] | None = None,
) -> DeliveryReport:
    """Send every due row (at most ``limit``; only the ids in ``only`` when given) and record each
    outcome at once; returns one result per row attempted. Rows that fail wait for their backoff,
    so a call ends once nothing is due."""
    worker = worker or default_worker()
    sender = sender or Channels()
    results: list[DeliveryResult] = []
    while limit is None or len(results) < limit:
        size = CLAIM_BATCH if limit is None else min(CLAIM_BATCH, limit - len(results))
        claimed = claim(engine, worker=worker, now=clock(), lease=lease, size=size, only=only)
        if not claimed:
            break
        for row in claimed:
            assert row.lease_until is not None
            if clock() >= row.lease_until:
                continue  # our lease ran out on earlier rows: another sender may own this one now
            error = sender.send(row, config, settings, env)
            if error is None:
                results.append(mark_sent(engine, row, now=clock()))
            else:
                results.append(mark_failed(engine, row, error, now=clock(), worker=worker))
    return DeliveryReport(tuple(results))


def claim(
    engine: Engine,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    size: int,
    only: Collection[int] | None = None,
) -> list[Notification]:
    """Up to ``size`` due rows, oldest due first, now ``sending`` under ``worker``'s lease until
    ``now + lease``; no other sender can claim them until then."""
    c = TABLE.c
    waiting = sa.and_(c.status == "pending", c.next_attempt_at <= now)
    abandoned = sa.and_(c.status == "sending", c.lease_until < now)
    with _write(engine) as connection:
        # One query per kind of due row, each read in its index's order and stopped at ``size``,
        # then the first ``size`` of both: the same rows as one query with OR, which made SQLite
        # sort every due row at every claim (6 ms a claim with 26,000 rows due, against 0.1 ms).
        candidates: list[tuple[datetime, int]] = []
        for due in (waiting, abandoned):
            query = (
                sa.select(c.id, c.next_attempt_at).where(due).order_by(c.next_attempt_at, c.id).limit(size)
            )
            if only is not None:
                query = query.where(c.id.in_(list(only)))
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            candidates += [(row.next_attempt_at, row.id) for row in connection.execute(query)]
        ids = [row_id for _, row_id in sorted(candidates)[:size]]
        if not ids:
            return []
        connection.execute(
            sa.update(TABLE)
            .where(c.id.in_(ids))
            .values(status="sending", claimed_by=worker, lease_until=now + lease)
        )
        rows = connection.execute(sa.select(TABLE).where(c.id.in_(ids)).order_by(c.next_attempt_at, c.id))
        return [Notification(**row._mapping) for row in rows]


def mark_sent(engine: Engine, row: Notification, *, now: datetime) -> DeliveryResult:
    """Record that ``row`` was delivered (whoever holds it now: it was sent)."""
    c = TABLE.c
    with _write(engine) as connection:
        connection.execute(
            sa.update(TABLE)
            .where(c.id == row.id, c.status != "sent")
            .values(status="sent", sent_at=now, attempts=c.attempts + 1, lease_until=None, last_error=None)
        )
    return _result(row, sent=True, error=None, attempts=row.attempts + 1, next_attempt_at=None)


def mark_failed(
    engine: Engine, row: Notification, error: str, *, now: datetime, worker: str
) -> DeliveryResult:
    """Put ``row`` back to wait for its backoff, with the reason; left alone if another sender has
    taken it over meanwhile."""
    c = TABLE.c
    attempts = row.attempts + 1
    retry_at = now + backoff(attempts)
    with _write(engine) as connection:
        connection.execute(
            sa.update(TABLE)
            .where(c.id == row.id, c.status == "sending", c.claimed_by == worker)
            .values(
                status="pending",
                attempts=attempts,
                last_error=error[:ERROR_LIMIT],
                next_attempt_at=retry_at,
                lease_until=None,
            )
        )
    return _result(row, sent=False, error=error, attempts=attempts, next_attempt_at=retry_at)


def retry_now(engine: Engine, ids: Collection[int], *, all_waiting: bool = False, now: datetime) -> int:
    """Make waiting rows due at ``now``: the given ids, or every ``pending`` row not yet due when
    ``all_waiting``; returns how many changed. An unknown id or a row not waiting is a ``UserError``."""
    c = TABLE.c
    with _write(engine) as connection:
        if all_waiting:
            where = sa.and_(c.status == "pending", c.next_attempt_at > now)
        else:
            query = sa.select(c.id, c.status).where(c.id.in_(list(ids)))
            found: dict[int, str] = {row.id: row.status for row in connection.execute(query)}
            for wanted in ids:
                if wanted not in found:
                    raise UserError(
                        f"outbox retry: there is no notification {wanted}; see `layoffwatch outbox list`."
                    )
                if found[wanted] != "pending":
                    raise UserError(
                        f"outbox retry: notification {wanted} is {found[wanted]}; only pending ones can be retried."
                    )
            where = c.id.in_(list(ids))
        result = connection.execute(sa.update(TABLE).where(where).values(next_attempt_at=now))
        return int(result.rowcount or 0)


def outbox_rows(
    engine: Engine, *, status: str | None = None, office: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Outbox rows newest first, one dict per row (no body); ``status`` may also be ``retrying``
    (pending after a failed try). An unknown status is a ``UserError``."""
    c = TABLE.c
    query = sa.select(TABLE).order_by(c.id.desc()).limit(limit)
    if status == "retrying":
        query = query.where(c.status == "pending", c.attempts > 0)
    elif status is not None:
        if status not in LIST_STATUSES:
            raise UserError(
                f"--status {status!r} is not a status; expected one of {', '.join(LIST_STATUSES)}."
            )
        query = query.where(c.status == status)
    if office is not None:
        query = query.where(c.office == office)
    columns = (
        "id", "key", "kind", "alert_id", "office", "target", "reason", "tier", "title", "status", "attempts",
        "next_attempt_at", "last_error", "claimed_by", "created_at", "sent_at",
    )  # fmt: skip
    with engine.connect() as connection:
        return [{k: row._mapping[k] for k in columns} for row in connection.execute(query)]


def check_messages(config: AlertingConfig, office_key: str, *, now: datetime) -> list[Message]:
    """One test message per target of the office, keyed by ``now`` so every test is a new message.
    An unknown office is a ``UserError`` naming the known ones."""
    office = config.office(office_key)
    stamp = now.isoformat(timespec="seconds")
    return [
        Message(
            kind="test",
            alert_id=None,
            state=f"test:{now.isoformat()}",
            reason="test",
            office=office.key,
            target=target.name,
            title=f"【测试】{office.short}预警通知通道测试",
            body=(
                f"这是规模性失业预警系统发给{office.name}的测试消息（目标：{target.name}，时间：{stamp}）。\n\n"
                "收到本消息说明该通知通道工作正常，无需处理。"
            ),
            routing_version=config.version,
        )
        for target in office.targets
    ]


def add_test_messages(engine: Engine, config: AlertingConfig, office_key: str, *, now: datetime) -> list[int]:
    """Write the office's test messages to the outbox; returns their row ids."""
    messages = check_messages(config, office_key, now=now)
    with unit_of_work(engine) as session:
        add(session, messages, now=now)
        session.commit()
    with engine.connect() as connection:
        query = sa.select(TABLE.c.id).where(TABLE.c.key.in_([m.key for m in messages])).order_by(TABLE.c.id)
        return list(connection.execute(query).scalars())


@contextmanager
def _write(engine: Engine) -> Iterator[Connection]:
    """A write transaction, committed when the block ends without an exception. On SQLite it takes
    the write lock at BEGIN, so what it reads cannot go stale before it writes (the claim's
    guarantee) and a busy database makes it wait instead of failing."""
    with engine.connect().execution_options(**{SQLITE_BEGIN_IMMEDIATE: True}) as connection, connection.begin():
        yield connection


def _result(
    row: Notification, *, sent: bool, error: str | None, attempts: int, next_attempt_at: datetime | None
) -> DeliveryResult:
    assert row.id is not None
    return DeliveryResult(
        id=row.id,
        kind=row.kind,
        office=row.office,
        target=row.target,
        title=row.title,
        sent=sent,
        error=error,
        attempts=attempts,
        next_attempt_at=next_attempt_at,
    )
