"""Serving the console on several processes, each accepting on its own socket.

uvicorn's ``--workers`` share one listening socket: whichever process wakes first takes the next
connection, so when a room of officers signs in at the same moment most of their (kept-alive)
connections land on one process while the other idles. Here every worker binds the port itself
with ``SO_REUSEPORT``, and the kernel spreads new connections over the workers' sockets evenly.
The supervisor restarts a worker that dies and stops them all on SIGINT or SIGTERM.

A port already taken is refused up front: ``SO_REUSEPORT`` would otherwise let a second console
(or a stale one) share the port silently, each answering part of the requests.
"""

from __future__ import annotations

import errno
import multiprocessing
import signal
import socket
import time
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from types import FrameType

from layoffwatch.errors import UserError

BACKLOG = 2048
RESTART_PAUSE_SECONDS = 1.0
STOP_GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class ServeOptions:
    app: str
    """the application factory, ``module:function`` (called once in every worker)"""
    host: str
    port: int
    log_level: str = "warning"


def spreads_connections() -> bool:
    """Whether this system can give each worker its own socket on one port."""
    return hasattr(socket, "SO_REUSEPORT")


def refuse_if_taken(host: str, port: int) -> None:
    """A ``UserError`` when something listens on (host, port) already."""
    probe = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closing connection is not "taken"
        probe.bind((host, port))
    except OSError as error:
        if error.errno in (errno.EADDRINUSE, errno.EACCES):
            raise UserError(
                f"端口 {host}:{port} 已被占用（可能已有一个预警处置平台在运行），请换一个 --port。"
            ) from None
        raise UserError(f"无法在 {host}:{port} 上监听：{error.strerror}。") from None
    finally:
        probe.close()


def own_socket(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port) that other workers of this console may bind too."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def run_worker(options: ServeOptions) -> None:
    """One worker: its own socket, then uvicorn serving the factory's application on it."""
    import uvicorn

    sock = own_socket(options.host, options.port)
    config = uvicorn.Config(
        options.app, factory=True, log_level=options.log_level, proxy_headers=False, backlog=BACKLOG
    )
    uvicorn.Server(config).run(sockets=[sock])


class Supervisor:
    """``workers`` processes of ``run_worker``, kept running until a signal asks them to stop."""

    def __init__(self, options: ServeOptions, workers: int) -> None:
        self.options = options
        self.workers = workers
        self.context = multiprocessing.get_context("spawn")  # no inherited threads, engines or locks
        self.processes: list[BaseProcess] = []
        self.stopping = False

    def run(self) -> None:
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.processes = [self._start() for _ in range(self.workers)]
            while not self.stopping:
                time.sleep(RESTART_PAUSE_SECONDS)
                for i, process in enumerate(self.processes):
                    if not process.is_alive() and not self.stopping:
                        self.processes[i] = self._start()  # a crashed worker is replaced
        finally:
            self._terminate()
            for s, handler in previous.items():
                signal.signal(s, handler)

    def _start(self) -> BaseProcess:
        process = self.context.Process(target=run_worker, args=(self.options,), daemon=False)
        process.start()
        return process

    def _stop(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def _terminate(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()  # uvicorn finishes the requests in flight on SIGTERM
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()


def serve(options: ServeOptions, *, workers: int) -> None:
    """Serve on ``workers`` processes (each with its own socket where the system allows it)."""
    refuse_if_taken(options.host, options.port)
    if workers <= 1 or not spreads_connections():
        import uvicorn

        uvicorn.run(
            options.app, factory=True, host=options.host, port=options.port, workers=workers,
            log_level=options.log_level, proxy_headers=False,
        )  # fmt: skip
        return
    Supervisor(options, workers).run()


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
