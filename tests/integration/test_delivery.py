"""Delivery of the outbox through real receivers on 127.0.0.1: SMTP, DingTalk- and WeCom-shaped
robots (the real Apprise plugins, pointed at the local HTTP server), a JSON webhook and the
lwoutbox folder; retries while an endpoint is down; no second send; two senders at once."""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import sqlalchemy as sa
import typer
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.wecombot import NotifyWeComBot
from typer.testing import CliRunner

from alerts import channels
from alerts.config import AlertingConfig, parse_alerting
from alerts.outbox import TABLE, Message, add
from alerts.sender import Channels, backoff, deliver
from layoffwatch import cli_outbox
from layoffwatch.settings import Settings
from store import db
from store.tables import Notification
from store.uow import unit_of_work
from tests.integration.receivers import (  # noqa: F401  (fixtures)
    HttpReceiver,
    SmtpReceiver,
    http_receiver_fixture,
    smtp_receiver_fixture,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ENV = {"LW_TEST_DINGTALK_TOKEN": "dingtoken123", "LW_TEST_WECOM_KEY": "wecom-key-456"}


@dataclass
class StepClock:
    now: datetime = T0
    calls: list[datetime] = field(default_factory=list)

    def __call__(self) -> datetime:
        self.calls.append(self.now)
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def alerting_yaml(http: HttpReceiver, smtp: SmtpReceiver | None, home: Path) -> str:
    """Every office on lwoutbox, hr also on mail, DingTalk, WeCom and a JSON webhook."""
    mail = f'      - {{name: mail, url: "{smtp.url("officer@hrss.example.test")}"}}\n' if smtp else ""
    office = """  {key}:
    name: {name}
    {lead}
    receives: [all]
    sees: [all]
    targets:
      - {{name: folder, url: "lwoutbox://localhost{{home}}/outbox/{key}"}}
{extra}    escalation:
      - {{name: lead, url: "json://127.0.0.1:{port}/lead/{key}"}}
"""
    hr_extra = (
        mail + "      - {name: dingtalk, url: 'dingtalk://${LW_TEST_DINGTALK_TOKEN}'}\n"
        "      - {name: wecom, url: 'wecombot://${LW_TEST_WECOM_KEY}'}\n"
        f"      - {{name: webhook, url: 'json://127.0.0.1:{http.port}/hook'}}\n"
    )
    offices = "".join(
        office.format(
            key=key, name=name, lead="lead: true" if key == "hr" else "", extra=hr_extra if key == "hr" else "",
            port=http.port,
        )
        for key, name in (("hr", "人社局"), ("public_security", "公安局"), ("petitions", "信访局"), ("cyberspace", "网信办"))
    )  # fmt: skip
    return (
        f"offices:\n{offices}"
        f"data_engineering:\n  targets:\n    - {{name: ops, url: 'json://127.0.0.1:{http.port}/pipeline'}}\n"
    )


def message(
    target: str, n: int = 1, *, kind: str = "alert", office: str = "hr", held: bool = False
) -> Message:
    return Message(
        kind=kind,
        alert_id=None,
        state=f"test-state-{n}",
        reason="first" if kind == "alert" else kind,
        office=office,
        target=target,
        title=f"【红色预警】测试企业{n}号 近30天减员",
        body=f"测试企业{n}号近30天减员 **{20 + n}** 人，占参保人数18%。\n\n请在2小时内确认收到。",
        held=held,
    )


def put(engine: sa.Engine, messages: list[Message], *, now: datetime = T0) -> None:
    with unit_of_work(engine) as session:
        add(session, messages, now=now)
        session.commit()


def rows(engine: sa.Engine) -> dict[str, Notification]:
    with engine.connect() as connection:
        return {r.key: Notification(**r._mapping) for r in connection.execute(sa.select(TABLE))}


@pytest.fixture
def robots(http_receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch) -> HttpReceiver:
    """The real DingTalk and WeCom plugins, posting to the local HTTP receiver instead of the cloud."""
    monkeypatch.setattr(
        NotifyDingTalk, "notify_url", f"{http_receiver.base}/robot/send?access_token={{token}}"
    )
    monkeypatch.setattr(
        NotifyWeComBot, "notify_url", f"{http_receiver.base}/cgi-bin/webhook/send?key={{key}}"
    )
    return http_receiver


@pytest.fixture
def setup(
    db_settings: Settings, robots: HttpReceiver, smtp_receiver: SmtpReceiver
) -> tuple[sa.Engine, AlertingConfig]:
    config = parse_alerting(
        alerting_yaml(robots, smtp_receiver, db_settings.home), source="test-alerting.yaml"
    )
    return db.engine_for(db_settings), config


def test_mail_arrives_through_smtp_with_title_and_body(setup, db_settings, smtp_receiver) -> None:
    engine, config = setup
    put(engine, [message("mail")])
    report = deliver(engine, db_settings, config, clock=StepClock(), env=ENV)
    assert (report.sent, report.failed) == (1, 0), report
    [mail] = smtp_receiver.received()
    assert mail.subject == "【红色预警】测试企业1号 近30天减员"
    assert mail.rcpt_to == ("officer@hrss.example.test",)
    assert mail.mail_from == "layoffwatch@example.test"
    assert "测试企业1号近30天减员" in mail.body and "21" in mail.body and "请在2小时内确认收到" in mail.body
    row = rows(engine)[message("mail").key]
    assert (row.status, row.sent_at, row.attempts, row.last_error) == ("sent", T0, 1, None)


def test_dingtalk_robot_gets_its_markdown_payload(setup, db_settings, robots) -> None:
    engine, config = setup
    put(engine, [message("dingtalk")])
    assert deliver(engine, db_settings, config, clock=StepClock(), env=ENV).sent == 1
    [post] = robots.received("/robot/send")
    assert parse_qs(urlsplit(post.path).query) == {"access_token": ["dingtoken123"]}
    assert post.json["msgtype"] == "markdown"
    assert post.json["markdown"]["title"] == "【红色预警】测试企业1号 近30天减员"
    assert post.json["markdown"]["text"] == (
        "# 【红色预警】测试企业1号 近30天减员\n测试企业1号近30天减员 **21** 人，占参保人数18%。\n\n请在2小时内确认收到。"
    )


def test_wecom_robot_gets_title_and_body_as_text(setup, db_settings, robots) -> None:
    engine, config = setup
    put(engine, [message("wecom")])
    assert deliver(engine, db_settings, config, clock=StepClock(), env=ENV).sent == 1
    [post] = robots.received("/cgi-bin/webhook/send")
    assert parse_qs(urlsplit(post.path).query) == {"key": ["wecom-key-456"]}
    assert post.json["msgtype"] == "text"
    content = post.json["text"]["content"]
    assert content.startswith("【红色预警】测试企业1号 近30天减员")
    assert "测试企业1号近30天减员 **21** 人" in content and "请在2小时内确认收到" in content


def test_json_webhook_gets_title_body_and_idempotency_key(setup, db_settings, robots) -> None:
    engine, config = setup
    put(engine, [message("webhook")])
    assert deliver(engine, db_settings, config, clock=StepClock(), env=ENV).sent == 1
    [post] = robots.received("/hook")
    assert post.json["title"] == "【红色预警】测试企业1号 近30天减员"
    assert post.json["message"] == "测试企业1号近30天减员 **21** 人，占参保人数18%。\n\n请在2小时内确认收到。"
    assert post.header("X-Idempotency-Key") == quote(message("webhook").key, safe="|:-_.@")
    assert post.header("X-Idempotency-Key") == "alert|-|test-state-1|hr|webhook"


def test_folder_channel_writes_one_markdown_file_per_key(setup, db_settings) -> None:
    engine, config = setup
    put(engine, [message("folder", 1), message("folder", 2)])
    assert deliver(engine, db_settings, config, clock=StepClock(), env=ENV).sent == 2
    folder = db_settings.home / "outbox" / "hr"
    files = sorted(folder.iterdir())
    assert len(files) == 2
    first = folder / channels.outbox_file_name(
        channels.idempotency_key(rows(engine)[message("folder", 1).key])
    )
    assert first.read_text(encoding="utf-8") == (
        "# 【红色预警】测试企业1号 近30天减员\n\n测试企业1号近30天减员 **21** 人，占参保人数18%。\n\n请在2小时内确认收到。\n"
    )
    # The same notification sent again (a sender killed before its mark) overwrites its file.
    row = rows(engine)[message("folder", 1).key]
    assert Channels().send(row, config, db_settings, ENV) is None
    assert sorted(folder.iterdir()) == files


def test_kinds_go_to_their_targets_and_held_rows_wait(setup, db_settings, robots) -> None:
    engine, config = setup
    put(
        engine,
        [
            message("lead", kind="overdue", office="petitions"),
            message("ops", kind="pipeline", office="-"),
            message("webhook", 7, held=True),
        ],
    )
    report = deliver(engine, db_settings, config, clock=StepClock(), env=ENV)
    assert report.sent == 2 and report.failed == 0
    assert sorted(p.path for p in robots.received()) == ["/lead/petitions", "/pipeline"]
    assert rows(engine)[message("webhook", 7).key].status == "held"


def test_missing_secret_waits_with_a_clear_error_and_the_rest_goes_out(setup, db_settings, robots) -> None:
    engine, config = setup
    put(engine, [message("dingtalk"), message("webhook")])
    report = deliver(engine, db_settings, config, clock=StepClock(), env={})  # no LW_TEST_DINGTALK_TOKEN
    assert (report.sent, report.failed) == (1, 1)
    row = rows(engine)[message("dingtalk").key]
    assert row.status == "pending" and row.attempts == 1
    assert "LW_TEST_DINGTALK_TOKEN is not set" in (row.last_error or "")
    assert row.next_attempt_at == T0 + backoff(1) == T0 + timedelta(seconds=30)
    assert robots.received("/robot/send") == []


@pytest.mark.parametrize("outage", ["refused", "503"])
def test_endpoint_down_waits_then_is_delivered_exactly_once(setup, db_settings, robots, outage) -> None:
    engine, config = setup
    put(engine, [message("webhook", n) for n in range(3)])
    clock = StepClock()
    if outage == "refused":
        robots.stop()
    else:
        robots.status = 503
    for attempt, wait in ((1, 30), (2, 60)):
        report = deliver(engine, db_settings, config, clock=clock, env=ENV)
        assert (report.sent, report.failed) == (0, 3)
        for row in rows(engine).values():
            assert (row.status, row.attempts, row.sent_at) == ("pending", attempt, None)
            assert row.next_attempt_at == clock.now + timedelta(seconds=wait)
            expected = "Connection error" if outage == "refused" else "error=503"
            assert (
                row.last_error is not None
                and row.last_error.startswith("json: ")
                and expected in row.last_error
            )
        assert deliver(engine, db_settings, config, clock=clock, env=ENV).results == ()  # not due yet
        clock.advance(seconds=wait + 1)
    tried = len(robots.received("/hook"))
    if outage == "refused":
        robots.start()
    else:
        robots.status = 200
    report = deliver(engine, db_settings, config, clock=clock, env=ENV)
    assert (report.sent, report.failed) == (3, 0)
    arrived = Counter(p.json["title"] for p in robots.received("/hook")[tried:])
    assert arrived == Counter(message("webhook", n).title for n in range(3))
    assert all(r.status == "sent" and r.sent_at == clock.now for r in rows(engine).values())
    clock.advance(hours=2)
    assert deliver(engine, db_settings, config, clock=clock, env=ENV).results == ()
    assert len(robots.received("/hook")) == tried + 3


def test_delivering_again_after_everything_is_sent_sends_nothing(
    setup, db_settings, robots, smtp_receiver
) -> None:
    engine, config = setup
    put(engine, [message(t) for t in ("mail", "dingtalk", "wecom", "webhook", "folder")])
    clock = StepClock()
    assert deliver(engine, db_settings, config, clock=clock, env=ENV).sent == 5
    posts, mails = len(robots.received()), len(smtp_receiver.received())
    clock.advance(days=1)
    assert deliver(engine, db_settings, config, clock=clock, env=ENV).results == ()
    put(engine, [message(t) for t in ("mail", "webhook")], now=clock.now)  # the same keys decided again
    assert deliver(engine, db_settings, config, clock=clock, env=ENV).results == ()
    assert (len(robots.received()), len(smtp_receiver.received())) == (posts, mails) == (3, 1)


def test_two_senders_started_together_never_send_the_same_row(db_settings, monkeypatch) -> None:
    receiver = HttpReceiver(delay=0.01)
    receiver.start()
    try:
        config = parse_alerting(alerting_yaml(receiver, None, db_settings.home), source="test-alerting.yaml")
        engine = db.engine_for(db_settings)
        put(engine, [message("webhook", n) for n in range(40)])
        start = threading.Barrier(2)
        reports = {}

        def run(worker: str) -> None:
            start.wait()
            reports[worker] = deliver(engine, db_settings, config, clock=lambda: T0, worker=worker, env=ENV)

        threads = [threading.Thread(target=run, args=(w,)) for w in ("sender-a", "sender-b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        receiver.stop()
    keys = Counter(p.header("X-Idempotency-Key") for p in receiver.received("/hook"))
    assert len(keys) == 40 and set(keys.values()) == {1}
    ids_a = {r.id for r in reports["sender-a"].results}
    ids_b = {r.id for r in reports["sender-b"].results}
    assert not ids_a & ids_b and len(ids_a | ids_b) == 40
    assert ids_a and ids_b, "both senders should have taken part"
    assert all(r.status == "sent" for r in rows(engine).values())


# ---------------------------------------------------------------------------------------------
# the commands


@pytest.fixture
def cli(db_settings: Settings, robots: HttpReceiver, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    """``outbox`` and ``notify`` as the lead registers them, on a home with the test alerting.yaml."""
    db_settings.home.mkdir(parents=True, exist_ok=True)
    db_settings.alerting.write_text(alerting_yaml(robots, None, db_settings.home), encoding="utf-8")
    monkeypatch.setenv("LAYOFFWATCH_HOME", str(db_settings.home))
    monkeypatch.setenv("COLUMNS", "250")  # rich reads the width here: keep table cells on one line
    monkeypatch.setenv("LAYOFFWATCH_DATABASE_URL", db_settings.database_url)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    app = typer.Typer()
    app.add_typer(cli_outbox.app, name="outbox")
    app.command("notify")(cli_outbox.notify)
    return app


def test_notify_test_sends_one_chinese_message_per_target(cli, db_settings, robots) -> None:
    result = CliRunner().invoke(cli, ["notify", "--test", "hr"])
    assert result.exit_code == 0, result.output
    assert result.output.count("成功") == 4  # folder, dingtalk, wecom, webhook
    [hook] = robots.received("/hook")
    assert hook.json["title"] == "【测试】人社局预警通知通道测试"
    assert "测试消息" in hook.json["message"] and "无需处理" in hook.json["message"]
    assert len(robots.received("/robot/send")) == len(robots.received("/cgi-bin/webhook/send")) == 1
    assert len(list((db_settings.home / "outbox" / "hr").glob("*.md"))) == 1
    engine = db.engine_for(db_settings)
    assert sorted((r.kind, r.target, r.status) for r in rows(engine).values()) == [
        ("test", t, "sent") for t in ("dingtalk", "folder", "webhook", "wecom")
    ]
    again = CliRunner().invoke(cli, ["notify", "--test", "hr"])  # a later test is a new message
    assert again.exit_code == 0 and len(robots.received("/hook")) == 2


def test_notify_test_of_an_unknown_office_is_one_sentence(cli) -> None:
    result = CliRunner().invoke(cli, ["notify", "--test", "police"])
    assert result.exit_code == 2
    assert "no office 'police'" in result.output and "Traceback" not in result.output


def test_outbox_list_retry_and_send(cli, db_settings, robots) -> None:
    engine = db.engine_for(db_settings)
    now = datetime.now(UTC)
    put(engine, [message("webhook", 1), message("webhook", 2), message("folder", 3, held=True)], now=now)
    robots.stop()
    runner = CliRunner()
    sent = runner.invoke(cli, ["outbox", "send"])
    assert sent.exit_code == 0 and "已发送 0 条，失败 2 条" in sent.output
    listing = runner.invoke(cli, ["outbox", "list"])
    assert listing.exit_code == 0
    assert "重试中" in listing.output and "等待汇总" in listing.output and "尝试次数" in listing.output
    as_json = runner.invoke(cli, ["outbox", "list", "--status", "retrying", "--json"])
    waiting = json.loads(as_json.output)
    assert len(waiting) == 2 and {w["status_zh"] for w in waiting} == {"重试中"}
    assert all("Connection error" in w["last_error"] for w in waiting)
    robots.start()
    assert "已发送 0 条" in runner.invoke(cli, ["outbox", "send"]).output  # still in backoff
    bad = runner.invoke(cli, ["outbox", "retry", "999"])
    assert bad.exit_code == 2 and "no notification 999" in bad.output
    held_id = next(r.id for r in rows(engine).values() if r.status == "held")
    assert runner.invoke(cli, ["outbox", "retry", str(held_id)]).exit_code == 2
    assert "已将 1 条" in runner.invoke(cli, ["outbox", "retry", str(waiting[0]["id"])]).output
    assert "已将 1 条" in runner.invoke(cli, ["outbox", "retry", "--all"]).output
    looped = runner.invoke(cli, ["outbox", "send", "--loop", "--interval", "0.1", "--max-seconds", "0.5"])
    assert looped.exit_code == 0 and "已发送 2 条，失败 0 条" in looped.output
    assert len(robots.received("/hook")) == 2
    assert "已发送" in runner.invoke(cli, ["outbox", "list", "--status", "sent"]).output
    assert runner.invoke(cli, ["outbox", "list", "--status", "lost"]).exit_code == 2
