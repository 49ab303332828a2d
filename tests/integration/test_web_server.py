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
from tests.e2e.browser import free_port

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60.0


def test_a_port_already_taken_is_refused_in_plain_words() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(Exception, match="已被占用"):
            refuse_if_taken("127.0.0.1", port)


@pytest.fixture
def console(settings: Settings, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, Path]]:
    """``layoffwatch web --workers 2`` on an empty home; stopped (its whole group) afterwards."""
    port, log = free_port(), tmp_path / "web.log"
    server = _start(settings, port, log)
    try:
        _wait_until_serving(server, port, log)
        yield server, port, log
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)


def test_two_workers_serve_and_a_second_console_on_the_same_port_is_refused(
    console: tuple[subprocess.Popen[bytes], int, Path], settings: Settings, tmp_path: Path
) -> None:
    server, port, _ = console
    assert len(_workers(server.pid)) == 2
    second = _start(settings, port, tmp_path / "second.log")
    assert second.wait(60) == 2
    output = (tmp_path / "second.log").read_text(encoding="utf-8")
    assert "已被占用" in output and "Traceback" not in output
    assert httpx.get(f"http://127.0.0.1:{port}/login", timeout=5).status_code == 200


def test_a_worker_that_dies_is_replaced_and_sigterm_stops_every_process(
    console: tuple[subprocess.Popen[bytes], int, Path],
) -> None:
    server, port, log = console
    before = _workers(server.pid)
    os.kill(before[0], signal.SIGKILL)
    deadline = time.monotonic() + START_SECONDS
    while True:
        now = _workers(server.pid)
        if len(now) == 2 and before[0] not in now:
            break
        assert time.monotonic() < deadline, f"worker not replaced: {now}\n{log.read_text()}"
        time.sleep(0.2)
    for _ in range(10):  # answered throughout, whichever worker takes the connection
        assert httpx.get(f"http://127.0.0.1:{port}/login", timeout=30).status_code == 200
    os.kill(server.pid, signal.SIGTERM)
    assert server.wait(30) == 0
    assert all(not _alive(pid) for pid in now)


def _start(settings: Settings, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LAYOFFWATCH_HOME": str(settings.home),
        "LAYOFFWATCH_DATABASE_URL": settings.database_url,
    }
    command = [sys.executable, "-m", "layoffwatch", "web", "--port", str(port), "--workers", "2"]
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _wait_until_serving(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while len(_workers(server.pid)) < 2 or not _answers(port):
        assert server.poll() is None, f"layoffwatch web exited with {server.returncode}:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"layoffwatch web not serving:\n{log.read_text()}"
        time.sleep(0.2)


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


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
