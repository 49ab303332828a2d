"""A unit of work: one session, one transaction, committed only when asked.

    with unit_of_work(engine) as session:
        batches.record_batch(session, ...)
        batches.record_validation_run(session, ...)
        session.commit()

Leaving the block without ``commit()`` (or by an exception) rolls everything back, so a state
change and its bookkeeping land together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlmodel import Session


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A session whose uncommitted work is rolled back when the block ends."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()
