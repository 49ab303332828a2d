"""The review console's web application: ``create_app(settings, clock=...)``.

Pages are rendered on the server from ``review/templates`` with autoescaping on, so any text that
came from outside (sentiment records, names, reasons) is shown as text. Every page needs a signed-in
person; every form carries the session's CSRF token; every response forbids framing and inline
scripts (a Content-Security-Policy with no script source at all: the console has no JavaScript).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import anyio.to_thread
import jinja2
from fastapi import Depends, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alerts.config import AlertingConfig, load_alerting
from alerts.lifecycle import ACTION_ZH, STATUS_ZH
from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from models.tiers import TIER_ZH
from review.roles import Principal, principal_for
from review.sessions import resolve_session
from store.db import engine_for

HERE = Path(__file__).parent
SESSION_COOKIE = "lw_session"
LOGIN_CSRF_COOKIE = "lw_csrf"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PAGE_THREADS = 4
NOT_FOUND_MESSAGE = "没有找到这个页面，或您无权查看。"
# The daily report and model reports are self-contained HTML files with their own inline styles.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"


class NotSignedIn(Exception):
    pass


class Forbidden(Exception):
    def __init__(self, message: str = "您的账号无权查看此页面。") -> None:
        super().__init__(message)


class NotFound(Exception):
    pass


@dataclass
class Console:
    settings: Settings
    clock: Callable[[], datetime]
    secure_cookies: bool = False
    """Mark cookies Secure whatever the request's scheme: behind an HTTPS gateway that talks plain
    HTTP to the console."""

    @cached_property
    def engine(self) -> Engine:
        return engine_for(self.settings)

    @cached_property
    def alerting(self) -> AlertingConfig:
        return load_alerting(self.settings)

    @cached_property
    def templates(self) -> jinja2.Environment:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            auto_reload=False,
        )
        env.globals.update(tier_zh=TIER_ZH, status_zh=STATUS_ZH, action_zh=ACTION_ZH)
        return env

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.clock().astimezone(self.settings.tz).date()


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


async def database(request: Request) -> AsyncIterator[Session]:
    """A session for the request. Opening one does no I/O, so it is opened on the event loop;
    closing it returns its connection to the pool (a rollback), so that runs on a worker thread.
    FastAPI runs a plain ``def`` dependency on a worker thread on the way in and again on the way
    out, and each hop costs about as much CPU as a small query."""
    session = Session(console_of(request).engine)
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


DB = Annotated[Session, Depends(database)]


def signed_in(request: Request, session: DB) -> Principal:
    console = console_of(request)
    resolved = resolve_session(session, request.cookies.get(SESSION_COOKIE, ""), now=console.now())
    if resolved is None:
        raise NotSignedIn
    row, user = resolved
    return principal_for(user.username, user.display_name, user.role, row.csrf_token, console.alerting)


Who = Annotated[Principal, Depends(signed_in)]


def require_officer(who: Principal) -> Principal:
    if not who.sees_alerts:
        raise Forbidden("您的账号不是四个部门的预警处理账号，无权查看预警。")
    return who


async def officer(who: Who) -> Principal:
    return require_officer(who)


async def engineer(who: Who) -> Principal:
    if not who.sees_engineering:
        raise Forbidden("只有数据工程师和系统管理员可以查看此页面。")
    return who


async def administrator(who: Who) -> Principal:
    if not who.manages_accounts:
        raise Forbidden("只有系统管理员可以查看此页面。")
    return who


Officer = Annotated[Principal, Depends(officer)]
Engineer = Annotated[Principal, Depends(engineer)]
Administrator = Annotated[Principal, Depends(administrator)]


async def checked_form(who: Who, csrf_token: Annotated[str, Form()] = "") -> Principal:
    """The signed-in person, once the form's CSRF token is theirs; refuses the post otherwise.
    (This and the role checks above are ``async``: they do no I/O, so they need no worker thread.)"""
    if not csrf_token or not hmac.compare_digest(csrf_token, who.csrf_token):
        raise Forbidden("表单已过期或来源不明，操作未执行。请刷新页面后重试。")
    return who


Posted = Annotated[Principal, Depends(checked_form)]


def page(
    request: Request, template: str, who: Principal | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    body = (
        console_of(request)
        .templates.get_template(template)
        .render(who=who, request_path=request.url.path, **context)
    )
    return HTMLResponse(body, status_code=status_code)


def create_app(settings: Settings, *, clock: Callable[[], datetime], secure_cookies: bool = False) -> FastAPI:
    from review import pages_alerts, pages_auth, pages_more

    app = FastAPI(
        title="layoffwatch 预警处置平台",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=_few_threads,
    )
    app.state.console = Console(settings, clock, secure_cookies)
    for module in (pages_auth, pages_alerts, pages_more):
        app.include_router(module.router)

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if request.url.path.startswith("/api/") or request.method != "GET":
            return JSONResponse({"error": "请先登录。"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _error(request, 403, str(exc))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, _exc: NotFound) -> Response:
        return _error(request, 404, NOT_FOUND_MESSAGE)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = NOT_FOUND_MESSAGE if exc.status_code == 404 else "请求无法处理。"
        return _error(request, exc.status_code, message)

    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        fields = "、".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors())
        return _error(request, 400, f"提交的内容有误（{fields}），请检查后重试。")

    return app


@asynccontextmanager
async def _few_threads(_app: FastAPI) -> AsyncIterator[None]:
    """Pages run on at most ``PAGE_THREADS`` worker threads per process (anyio's default is 40).
    A page is mostly Python work under one GIL: more threads only take turns at it, so every page
    in flight finishes late instead of most finishing early, and the switching costs CPU; a few
    still overlap the waits on the database. Measured at 1M enterprises under 20 users on two
    processes: alert page p95 about 290 ms with 40 threads, 200 ms with 4 (2 was slower again)."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = PAGE_THREADS
    yield


class SecurityHeaders:
    """No framing, no sniffing, no referrer to other sites, no caching of signed-in pages, and the
    Content-Security-Policy (a route may set its own). Plain ASGI: Starlette's ``BaseHTTPMiddleware``
    costs more per request than a whole inbox page's query."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


def _error(request: Request, status_code: int, message: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status_code)
    back = re.match(r"^/alerts/\d+", request.url.path) if status_code == 400 else None
    return page(
        request, "error.html", None, status_code=status_code, message=message, code=status_code,
        back=back.group(0) if back else "/",
    )  # fmt: skip


def static_file(name: str) -> bytes:
    return (HERE / "static" / name).read_bytes()
