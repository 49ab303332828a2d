"""Sign-in and sign-out. The sign-in form is protected by a double-submit token (a cookie and the
same value in the form) because there is no session yet; every later form uses the session's."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from review.accounts import authenticate, record_event
from review.app import DB, LOGIN_CSRF_COOKIE, SESSION_COOKIE, Posted, Who, console_of, page, static_file
from review.sessions import ABSOLUTE_HOURS, end_session, start_session

router = APIRouter()


def home_of(role: str) -> str:
    return "/engineering/models" if role in ("data_engineer", "admin") else "/alerts"


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (never another host: ``//x``, ``/\\x``, ``http:``)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\n" in target:
        return None
    return target


@router.get("/")
def root(who: Who) -> Response:
    return RedirectResponse(home_of(who.role), status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    token = secrets.token_urlsafe(32)
    response = page(
        request, "login.html", None, csrf_token=token, next=safe_next(next) or "", problem=None, username=""
    )
    _set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.post("/login")
def login(
    request: Request,
    session: DB,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    console = console_of(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf_token or not cookie or not hmac.compare_digest(csrf_token, cookie):
        return _again(request, "登录表单已过期或来源不明，请重新登录。", next, status_code=403)
    now = console.now()
    result = authenticate(session, username, password, now=now)
    if result.user is None:
        session.commit()
        return _again(request, result.problem or "", next, status_code=401, username=username)
    token = start_session(session, result.user, now=now)
    record_event(session, username=result.user.username, action="sign_in", now=now)
    session.commit()
    response = RedirectResponse(safe_next(next) or home_of(result.user.role), status_code=303)
    # The session's pages start on a new connection. Officers who sign in at the same moment open
    # their connections in one burst, which lands on whichever server process wakes first, and
    # keep-alive would keep them all there; a new connection goes to a process that is waiting.
    response.headers["Connection"] = "close"
    _set_cookie(request, response, SESSION_COOKIE, token, max_age=ABSOLUTE_HOURS * 3600)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, session: DB, who: Posted) -> Response:
    now = console_of(request).now()
    end_session(session, request.cookies.get(SESSION_COOKIE, ""), now=now)
    record_event(session, username=who.username, action="sign_out", now=now)
    session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/static/console.css")
def stylesheet() -> Response:
    return Response(
        static_file("console.css"), media_type="text/css", headers={"Cache-Control": "max-age=3600"}
    )


def _again(request: Request, problem: str, next: str, *, status_code: int, username: str = "") -> Response:
    token = secrets.token_urlsafe(32)
    response = page(
        request, "login.html", None, status_code=status_code, csrf_token=token, next=safe_next(next) or "",
        problem=problem, username=username,
    )  # fmt: skip
    _set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


def _set_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or console_of(request).secure_cookies,
    )
