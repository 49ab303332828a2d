"""Real receivers on 127.0.0.1 for delivery tests: an SMTP server and an HTTP webhook server.

Both record everything they receive. Use them as fixtures from any test module::

    from tests.integration.receivers import http_receiver_fixture, smtp_receiver_fixture  # noqa: F401

and ask for ``http_receiver`` / ``smtp_receiver`` (the fixtures' names).

``HttpReceiver`` can go down for real (its socket is closed, so connections are refused) or answer
503, and come back on the same port; it can also answer each POST after a delay.
"""

from __future__ import annotations

import email
import email.policy
import json
import random
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------------------------
# SMTP


@dataclass(frozen=True)
class Mail:
    mail_from: str
    rcpt_to: tuple[str, ...]
    subject: str
    body: str  # the text/plain part (else the first part), decoded
    headers: dict[str, str]


class _MailHandler:
    def __init__(self, sink: list[Mail], lock: threading.Lock) -> None:
        self.sink = sink
        self.lock = lock

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        part = message.get_body(preferencelist=("plain", "html"))
        body = part.get_content() if part is not None else ""
        mail = Mail(
            mail_from=envelope.mail_from,
            rcpt_to=tuple(envelope.rcpt_tos),
            subject=str(message["subject"] or ""),
            body=body,
            headers={k: str(v) for k, v in message.items()},
        )
        with self.lock:
            self.sink.append(mail)
        return "250 OK"


class SmtpReceiver:
    """An aiosmtpd server on 127.0.0.1 recording every message; ``url(to)`` is its Apprise URL."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Mail] = []
        self._lock = threading.Lock()
        self._controller = Controller(
            _MailHandler(self.messages, self._lock), hostname="127.0.0.1", port=self.port
        )

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def url(self, to: str, sender: str = "layoffwatch@example.test") -> str:
        # mailto:// would upgrade to STARTTLS by default; mode=insecure is plain SMTP (email/base.py).
        return f"mailto://127.0.0.1:{self.port}?mode=insecure&from={sender}&to={to}"

    def received(self) -> list[Mail]:
        with self._lock:
            return list(self.messages)


@pytest.fixture(name="smtp_receiver")
def smtp_receiver_fixture() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


# ---------------------------------------------------------------------------------------------
# HTTP


@dataclass(frozen=True)
class Post:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when the request had been read

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True  # come back up on the same port right after going down
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a killed client is expected here
            super().handle_error(request, client_address)


class HttpReceiver:
    """A threaded HTTP server on 127.0.0.1 that records every POST, then answers with ``status``
    (200 unless ``failing``) after ``delay`` seconds (a number or a (low, high) range)."""

    def __init__(self, delay: float | tuple[float, float] = 0.0) -> None:
        self.port = free_port()
        self.delay = delay
        self.status = 200
        self.posts: list[Post] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        """Listen (again) on the same port."""
        assert self._server is None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                post = Post(self.path, dict(self.headers.items()), body, time.monotonic())
                with receiver._lock:
                    receiver.posts.append(post)
                    status = receiver.status
                pause = (
                    receiver.delay
                    if isinstance(receiver.delay, int | float)
                    else random.uniform(*receiver.delay)
                )
                if pause:
                    time.sleep(pause)
                answer = b'{"errcode":0,"errmsg":"ok"}' if status == 200 else b'{"errmsg":"unavailable"}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client was killed while waiting: what the kill tests do on purpose

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

        server = _Server(("127.0.0.1", self.port), Handler)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop listening: connections are refused until ``start``."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join(timeout=5)
        self._server = None

    def received(self, path: str | None = None) -> list[Post]:
        with self._lock:
            return [p for p in self.posts if path is None or p.path.split("?")[0] == path]


@pytest.fixture(name="http_receiver")
def http_receiver_fixture() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()
