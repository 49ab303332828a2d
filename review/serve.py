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

from layoffwatch.errors import UserError


def refuse_if_taken(host: str, port: int) -> None:
    """A ``UserError`` when something listens on (host, port) already."""
    probe = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closing connection is not "taken"
        probe.bind((host, port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise UserError(
                f"端口 {host}:{port} 已被占用（可能已有一个预警处置平台在运行），请换一个 --port。"
            ) from None
        raise UserError(f"无法在 {host}:{port} 上监听：{error.strerror}。") from None
    finally:
        probe.close()


def serve(app: str, *, host: str, port: int, workers: int) -> None:
    """Serve the application factory ``app`` (``module:function``, called in every worker)."""
    import uvicorn

    uvicorn.run(
        app, factory=True, host=host, port=port, workers=workers, log_level="warning", proxy_headers=False
    )
