"""Serving the console: uvicorn, on one process or ``workers`` that share the listening socket
(uvicorn's supervisor restarts a worker that dies and stops them all on SIGINT or SIGTERM).

A new connection goes to whichever worker is waiting for one. (Giving each worker its own
``SO_REUSEPORT`` socket was tried: the kernel then spreads connections at random, which with 20
kept-alive officers was measured slower than the shared socket's idle-first choice.) A port already
taken is refused up front in one sentence, rather than as a server log line.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

from layoffwatch.errors import UserError


@dataclass(frozen=True)
class ServeOptions:
    app: str
    """the application factory, ``module:function`` (called once in every worker)"""
    host: str
    port: int
    log_level: str = "warning"


def refuse_if_taken(host: str, port: int) -> None:
    """A ``UserError`` when something listens on (host, port) already."""
    probe = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
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


def serve(options: ServeOptions, *, workers: int) -> None:
    import uvicorn

    refuse_if_taken(options.host, options.port)
    uvicorn.run(
        options.app, factory=True, host=options.host, port=options.port, workers=workers,
        log_level=options.log_level, proxy_headers=False,
    )  # fmt: skip
