"""``layoffwatch web`` as a process: a port already taken is refused in one sentence, a worker
that dies is replaced, and SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from layoffwatch.settings import Settings
from review.serve import refuse_if_taken
from tests.e2e.browser import START_SECONDS, ConsoleServer, free_port


def test_a_port_already_taken_is_refused_in_plain_words() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(Exception, match="已被占用"):
            refuse_if_taken("127.0.0.1", port)


@pytest.fixture
def console(settings: Settings, tmp_path: Path) -> Iterator[ConsoleServer]:
    """``layoffwatch web --workers 2`` on an empty home, once both workers run; stopped afterwards."""
    server = ConsoleServer(settings, free_port(), tmp_path / "web.log", workers=2)
    server.start()
    assert server.process is not None
    try:
        deadline = time.monotonic() + START_SECONDS
        while len(_workers(server.process.pid)) < 2:
            assert time.monotonic() < deadline, f"a worker did not start:\n{server.output()}"
            time.sleep(0.2)
        yield server
    finally:
        server.stop()


def test_two_workers_serve_and_a_second_console_on_the_same_port_is_refused(
    console: ConsoleServer, settings: Settings
) -> None:
    env = {
        **os.environ,
        "LAYOFFWATCH_HOME": str(settings.home),
        "LAYOFFWATCH_DATABASE_URL": settings.database_url,
    }
    second = subprocess.run(
        [sys.executable, "-m", "layoffwatch", "web", "--port", str(console.port), "--workers", "2"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert second.returncode == 2
    output = second.stdout + second.stderr
    assert "已被占用" in output and "Traceback" not in output
    assert httpx.get(f"{console.url}/login", timeout=5).status_code == 200


def test_a_worker_that_dies_is_replaced_and_sigterm_stops_every_process(console: ConsoleServer) -> None:
    assert console.process is not None
    pid = console.process.pid
    before = _workers(pid)
    os.kill(before[0], signal.SIGKILL)
    deadline = time.monotonic() + START_SECONDS
    while True:
        now = _workers(pid)
        if len(now) == 2 and before[0] not in now:
            break
        assert time.monotonic() < deadline, f"worker not replaced: {now}\n{console.output()}"
        time.sleep(0.2)
    for _ in range(10):  # answered throughout, whichever worker takes the connection
        assert httpx.get(f"{console.url}/login", timeout=30).status_code == 200
    os.kill(pid, signal.SIGTERM)
    assert console.process.wait(30) == 0
    assert all(not _alive(pid) for pid in now)


def _workers(parent: int) -> list[int]:
    """The console's worker processes: children of ``parent`` started by multiprocessing's spawn
    (not its resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == parent and state != "Z" and b"spawn_main" in command:
            found.append(int(entry.name))
    return sorted(found)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
