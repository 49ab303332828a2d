"""One round of the outbox: escalate overdue alerts (in batches when there are many), build the
digests that are due, deliver.

``outbox send`` runs a round (or loops over them); the daily run ends with one. Escalations and
digests are written in one transaction before anything is sent, so a round that dies half way
leaves rows that the next round sends, never a decision made twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from alerts.config import AlertingConfig
from alerts.digests import batch_bursts, build_digests
from alerts.escalation import escalate_overdue
from alerts.sender import DEFAULT_LEASE, Channels, Clock, DeliveryReport, deliver
from layoffwatch.settings import Settings
from store.db import engine_for
from store.uow import unit_of_work


@dataclass(frozen=True)
class Round:
    escalated: tuple[int, ...]
    digests: int
    delivery: DeliveryReport


def dispatch(
    settings: Settings,
    config: AlertingConfig,
    *,
    clock: Clock,
    worker: str | None = None,
    lease: timedelta = DEFAULT_LEASE,
    sender: Channels | None = None,
) -> Round:
    engine = engine_for(settings)
    with unit_of_work(engine) as session:
        now = clock()
        escalated = escalate_overdue(session, config, now=now, tz=settings.tz)
        batch_bursts(session, config, now=now, tz=settings.tz)
        digests = build_digests(session, config, now=now, tz=settings.tz)
        session.commit()
    delivery = deliver(engine, settings, config, clock=clock, worker=worker, lease=lease, sender=sender)
    return Round(tuple(escalated), digests, delivery)
