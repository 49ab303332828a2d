"""``layoffwatch web`` (the review console) and ``layoffwatch users …`` (its accounts)."""

from __future__ import annotations

import getpass
import os
import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from fastapi import FastAPI
from rich.table import Table

from layoffwatch.cli_support import JsonOption, console, for_people, now, print_json, settings
from layoffwatch.errors import UserError
from store.db import engine_for
from store.tables import ROLES
from store.uow import unit_of_work

SECURE_COOKIES_ENV = "LAYOFFWATCH_WEB_SECURE_COOKIES"
users_app = typer.Typer(help="Accounts of the review console (layoffwatch web).", no_args_is_help=True)
UsernameArg = Annotated[str, typer.Argument(help="The sign-in name: lower-case letters, digits and . _ -")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
]


def create_from_environment() -> FastAPI:
    """The console for the home and database the environment names (uvicorn's factory)."""
    from review.app import create_app

    secure = os.environ.get(SECURE_COOKIES_ENV) == "1"
    return create_app(settings(), clock=lambda: datetime.now(UTC), secure_cookies=secure)


@for_people
def web(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes (one per core is usual).")] = 1,
    behind_https: Annotated[
        bool,
        typer.Option(
            "--behind-https", help="Served to browsers over HTTPS by a gateway: cookies are marked Secure."
        ),
    ] = False,
) -> None:
    """Run the review console: the web pages where risk officers review and act on alerts."""
    from review.serve import refuse_if_taken, serve
    from store.db import upgrade

    refuse_if_taken(host, port)
    upgrade(settings())  # migrations once, before any worker starts
    os.environ[SECURE_COOKIES_ENV] = "1" if behind_https else "0"  # read by each worker's factory
    console.print(f"预警处置平台：http://{host}:{port}/ （按 Ctrl+C 停止）")
    serve("layoffwatch.cli_web:create_from_environment", host=host, port=port, workers=workers)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("密码：")
    if getpass.getpass("再输入一次：") != first:
        raise UserError("两次输入的密码不一致。")
    return first


@users_app.command("add")
@for_people
def users_add(
    username: UsernameArg,
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
    name: Annotated[str, typer.Option("--name", help="The person's name as pages show it.")] = "",
    password_stdin: PasswordStdin = False,
) -> None:
    """Open an account."""
    from review.accounts import add_user

    cfg = settings()
    password = _password(password_stdin)
    with unit_of_work(engine_for(cfg)) as session:
        add_user(session, username, role=role, display_name=name, password=password, now=now(cfg))
        session.commit()
    console.print(f"已开通账号 {username}（{role}）。")


@users_app.command("disable")
@for_people
def users_disable(username: UsernameArg) -> None:
    """Disable an account: it can no longer sign in, and its open sessions end now."""
    from review.accounts import disable_user

    cfg = settings()
    with unit_of_work(engine_for(cfg)) as session:
        disable_user(session, username, now=now(cfg))
        session.commit()
    console.print(f"已停用账号 {username}，其登录已全部失效。")


@users_app.command("reset")
@for_people
def users_reset(username: UsernameArg, password_stdin: PasswordStdin = False) -> None:
    """Set a new password (and enable and unlock the account); its open sessions end now."""
    from review.accounts import reset_password

    cfg = settings()
    password = _password(password_stdin)
    with unit_of_work(engine_for(cfg)) as session:
        reset_password(session, username, password=password, now=now(cfg))
        session.commit()
    console.print(f"已重置账号 {username} 的密码。")


@users_app.command("list")
@for_people
def users_list(as_json: JsonOption = False) -> None:
    """Every account, by role."""
    from review.accounts import list_users
    from review.alert_page import local_time
    from review.roles import ROLE_ZH

    cfg = settings()
    with unit_of_work(engine_for(cfg)) as session:
        rows: list[dict[str, Any]] = [
            {"username": u.username, "name": u.display_name, "role": u.role, "disabled": u.disabled,
             "created_at": local_time(u.created_at, cfg.tz)}
            for u in list_users(session)
        ]  # fmt: skip
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"预警处置平台账号（{len(rows)} 个）")
    for header in ("用户名", "姓名", "角色", "状态", "开通时间"):
        table.add_column(header)
    for r in rows:
        table.add_row(
            r["username"],
            r["name"],
            ROLE_ZH[r["role"]],
            "已停用" if r["disabled"] else "正常",
            r["created_at"],
        )
    console.print(table)
