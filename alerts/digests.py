"""Grouped messages: several alert messages to one target sent as one.

Two kinds, both folded the same way:

- the daily digest: an office that asked for one (``delivery: digest``) gets a single message a
  day with every alert message held for it (``status='held'``);
- the batch: when one alerting step decides more than ``alerting.batch_over`` messages for one
  target of an immediate office, they go out together, riskiest first. A province's first day opens
  tens of thousands of alerts; one message each would take a chat robot (20 messages a minute,
  Apprise's pace of 5.5 s a message) more than a day to deliver, past every acknowledgement
  deadline, and bury the red alerts in a stream no officer reads.

Either is cut into parts of at most ``alerting.batch_size`` alerts, so that no message outgrows
what a chat channel shows. Folding is one transaction: the grouped row is added (its key names the
rows it carries, so it is made once) and the rows it carries become ``digested`` with its id, so
each alert message is delivered exactly once, inside one grouped message, and the alert's own rows
still say what each office was told (``alerts.episodes.last_told``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from alerts import outbox
from alerts.config import AlertingConfig
from alerts.render import Rendered, render_batch, render_digest
from models.tiers import tier_rank
from store.tables import Notification

NOTIFICATION: sa.Table = Notification.__table__  # type: ignore[attr-defined]
# The kinds a batch folds, and the kind of the batch: alert messages go to the office's targets
# (as a digest does), overdue escalations to its lead contacts.
BATCHED = {"alert": "digest", "overdue": "overdue"}
# The reason a grouped row carries, whatever its kind: it says the row holds others.
DIGEST, BATCH = "digest", "batch"
GROUPED_REASONS = (DIGEST, BATCH)
_Row = sa.Row[tuple[int, str, str, str | None, bool]]
_FOLDED = (NOTIFICATION.c.id, NOTIFICATION.c.title, NOTIFICATION.c.body, NOTIFICATION.c.tier, NOTIFICATION.c.firing)


def build_digests(session: Session, config: AlertingConfig, *, now: datetime, tz: ZoneInfo) -> int:
    """Digests due at ``now`` (the office's ``digest_at`` has passed today); returns how many
    messages were made (a digest of more than ``batch_size`` alerts is several parts)."""
    local = now.astimezone(tz)
    folds: list[Fold] = []
    for office in config.offices:
        if office.delivery != "digest" or office.digest_at is None or local.time() < office.digest_at:
            continue
        for target in office.targets:
            held = session.execute(
                sa.select(*_FOLDED)
                .where(NOTIFICATION.c.status == "held", NOTIFICATION.c.office == office.key,
                       NOTIFICATION.c.target == target.name, NOTIFICATION.c.created_at <= now)
                .order_by(NOTIFICATION.c.id)
            ).all()  # fmt: skip
            parts = _parts(held, config.batch_size)
            folds += [
                Fold("digest", office.key, target.name, part,
                     render_digest(office, _items(part), day=local.date(), part=number, parts=len(parts)))
                for number, part in enumerate(parts, 1)
            ]  # fmt: skip
    return _fold(session, config, folds, state=DIGEST, now=now, day=local.date())


def batch_bursts(session: Session, config: AlertingConfig, *, now: datetime, tz: ZoneInfo) -> int:
    """Fold the messages a step wrote at ``now`` (the day's alert messages, or a round's overdue
    escalations to lead contacts) into batches wherever one target got more than ``batch_over``
    of one kind; returns how many batch messages were made. Held rows (digest offices) are left for
    their digest."""
    c = NOTIFICATION.c
    # A new row is due at once (next_attempt_at = created_at): naming both lets the (status,
    # next_attempt_at) index find the step's rows without reading the whole outbox.
    step = sa.and_(c.status == "pending", c.next_attempt_at == now, c.created_at == now, c.kind.in_(BATCHED))
    crowded = session.execute(
        sa.select(c.kind, c.office, c.target)
        .where(step)
        .group_by(c.kind, c.office, c.target)
        .having(sa.func.count() > config.batch_over)
    ).all()
    day = now.astimezone(tz).date()
    folds: list[Fold] = []
    for kind, office_key, target in crowded:
        office = config.office(office_key)
        rows = sorted(
            session.execute(sa.select(*_FOLDED).where(step, c.kind == kind, c.office == office_key, c.target == target)).all(),
            # Riskiest first: red before orange, a risk still on before one announced resolved.
            key=lambda r: (not r.firing, -tier_rank(r.tier or "none"), r.id),
        )
        parts = _parts(rows, config.batch_size)
        folds += [
            Fold(BATCHED[kind], office_key, target, part,
                 render_batch(office, _items(part), day=day, part=number, parts=len(parts), overdue=kind == "overdue"))
            for number, part in enumerate(parts, 1)
        ]  # fmt: skip
    return _fold(session, config, folds, state=BATCH, now=now, day=day)


@dataclass(frozen=True)
class Fold:
    """One grouped message to be made: its ``kind`` (which decides its destination:
    ``alerts.channels``), office, target, the rows it carries and its text."""

    kind: str
    office: str
    target: str
    rows: Sequence[_Row]
    rendered: Rendered


def _parts(rows: Sequence[_Row], size: int) -> list[Sequence[_Row]]:
    return [rows[start : start + size] for start in range(0, len(rows), size)]


def _items(rows: Sequence[_Row]) -> list[Rendered]:
    return [Rendered(r.title, r.body) for r in rows]


def _fold(session: Session, config: AlertingConfig, folds: Sequence[Fold], *, state: str, now: datetime, day: date) -> int:
    """Add the grouped messages and mark the rows each carries ``digested`` into it, in a few
    statements whatever their number; returns how many messages were new (a key names the rows a
    message carries, so the same fold is never made twice)."""
    if not folds:
        return 0
    messages = [
        outbox.Message(
            kind=f.kind, alert_id=None, state=f"{state}:{day.isoformat()}:{f.rows[0].id}-{f.rows[-1].id}",
            reason=state, office=f.office, target=f.target, title=f.rendered.title, body=f.rendered.body,
            routing_version=config.version,
        )  # fmt: skip
        for f in folds
    ]
    made = outbox.add(session, messages, now=now)
    keys = [m.key for m in messages]
    ids: dict[str, int] = {}
    for start in range(0, len(keys), outbox.CHUNK):
        query = sa.select(NOTIFICATION.c.key, NOTIFICATION.c.id).where(NOTIFICATION.c.key.in_(keys[start : start + outbox.CHUNK]))
        ids.update((key, row_id) for key, row_id in session.execute(query))
    session.execute(
        NOTIFICATION.update().where(NOTIFICATION.c.id == sa.bindparam("row")).values(status="digested", digest_id=sa.bindparam("fold")),
        [{"row": r.id, "fold": ids[m.key]} for f, m in zip(folds, messages, strict=True) for r in f.rows],
    )  # fmt: skip
    return made
