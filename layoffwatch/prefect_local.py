"""Prefect settings for running flows from this machine's commands (``run``, ``demo``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

# A temporary Prefect server starts in ~17 s on a 2-core machine; Prefect's default of 20 s to wait
# for it fails when the machine is busy.
STARTUP_TIMEOUT_SECONDS = 120


@contextmanager
def prefect_for_commands() -> Iterator[None]:
    """A longer wait for a temporary server, unless one is configured longer still; no telemetry
    (a bureau's network is offline, and the temporary server would log a failure to reach it)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS as TIMEOUT
    from prefect.settings import temporary_settings

    with temporary_settings({TIMEOUT: max(TIMEOUT.value(), STARTUP_TIMEOUT_SECONDS)}):
        yield
