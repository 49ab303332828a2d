"""The day's alerts, from stored scores to what each office receives through real channels on
127.0.0.1: hr by e-mail (SMTP) and a DingTalk robot, public security by a WeCom robot, petitions and
cyberspace by JSON webhooks. Checked field by field per office, including that what an office may
not see is absent, and that running the same day twice sends nothing new."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.wecombot import NotifyWeComBot

from alerts.config import AlertingConfig, parse_alerting
from alerts.daily import alert_day
from alerts.dispatch import dispatch
from layoffwatch.settings import Settings
from tests.integration.receivers import (  # noqa: F401  (fixtures)
    HttpReceiver,
    SmtpReceiver,
    http_receiver_fixture,
    smtp_receiver_fixture,
)
from tests.unit.alerts.builders import at, code, day, scores, session_for, setup_city

IDENTITY_NUMBER = re.compile(r"\d{17}[\dXx]")
ASKS = {
    "hr": "请在时限内确认收到，联系企业核实用工和裁员计划",
    "public_security": "请关注涉企聚集和警情动态",
    "petitions": "请关注相关信访和欠薪诉求",
    "cyberspace": "请关注涉企网络舆情",
}


def routing(http: HttpReceiver, smtp: SmtpReceiver) -> str:
    """The default offices' rules and views, each office on a different real channel."""
    base = Path(__file__).resolve().parents[2] / "alerts" / "default_alerting.yaml"
    text = base.read_text(encoding="utf-8")
    targets = {
        "hr": f'      - {{name: mail, url: "{smtp.url("duty@hrss.example.test")}"}}\n'
        "      - {name: dingtalk, url: 'dingtalk://${LW_E2E_DINGTALK_TOKEN}'}\n",
        "public_security": "      - {name: wecom, url: 'wecombot://${LW_E2E_WECOM_KEY}'}\n",
        "petitions": f"      - {{name: webhook, url: 'json://127.0.0.1:{http.port}/petitions'}}\n",
        "cyberspace": f"      - {{name: webhook, url: 'json://127.0.0.1:{http.port}/cyberspace'}}\n",
    }
    for office, lines in targets.items():
        folder = f'        url: "lwoutbox://localhost{{home}}/outbox/{office}"\n'
        text = text.replace(f"      - name: outbox\n{folder}", lines, 1)
    return text.replace("delivery: digest", "delivery: immediate")


@pytest.fixture
def channels(
    db_settings: Settings, http_receiver: HttpReceiver, smtp_receiver: SmtpReceiver, monkeypatch: pytest.MonkeyPatch
) -> AlertingConfig:
    monkeypatch.setattr(NotifyDingTalk, "notify_url", f"{http_receiver.base}/robot/send?access_token={{token}}")
    monkeypatch.setattr(NotifyWeComBot, "notify_url", f"{http_receiver.base}/cgi-bin/webhook/send?key={{key}}")
    monkeypatch.setenv("LW_E2E_DINGTALK_TOKEN", "dinge2e123")
    monkeypatch.setenv("LW_E2E_WECOM_KEY", "wecom-e2e")
    config = parse_alerting(routing(http_receiver, smtp_receiver), source="e2e-alerting.yaml")
    assert {t.name for o in config.offices for t in o.targets} == {"mail", "dingtalk", "wecom", "webhook"}
    return config


def run_the_day(settings: Settings, config: AlertingConfig) -> None:
    alert_day(settings, as_of=day(0), now=at(0), config=config)
    dispatch(settings, config, clock=lambda: at(0, hours=0.1))


def build_city(settings: Settings) -> None:
    """1 red with every kind of signal; 2 yellow with petitions only; 3 orange with online posts only."""
    setup_city(settings, count=4)
    figures = {
        1: {"petition_90d": 4, "collective_petitions_90d": 1, "police_90d": 2, "online_90d": 6,
            "wage_arrears_workers": 30, "wage_arrears_amount": 120_000, "contribution_arrears": 50_000,
            "max_participants_90d": 45},
        2: {"petition_90d": 3},
        3: {"online_90d": 9},
    }  # fmt: skip
    with session_for(settings) as session:
        scores(session, day(0), {1: "red", 2: "yellow", 3: "orange", 4: "blue"}, figures=figures)


def test_each_office_receives_its_alerts_through_its_channel_with_only_what_it_may_see(
    db_settings: Settings, channels: AlertingConfig, http_receiver: HttpReceiver, smtp_receiver: SmtpReceiver
) -> None:
    build_city(db_settings)
    run_the_day(db_settings, channels)

    # hr: every alert (enterprises 1-3, not the blue one), all evidence, by mail and DingTalk.
    mails = sorted(smtp_receiver.received(), key=lambda m: m.subject)
    assert len(mails) == 3
    assert [m.rcpt_to for m in mails] == [("duty@hrss.example.test",)] * 3
    red = next(m for m in mails if "测试企业1有限公司" in m.subject)
    assert red.subject == "【红色预警】测试企业1有限公司：规模性失业风险（首次通知）"
    for text in (code(1), "上马街道", "C32 制造业", "参保人数", "120人", "概率约40%", "近30天减员46人",
                 "报告欠薪30人", "欠薪人数：30", "社保欠缴金额（元）：5.0万元", "近90天涉企警情：2",
                 ASKS["hr"], "请于2026年03月02日 10:30前确认收到", "http://127.0.0.1:8000/alerts/"):  # fmt: skip
        assert text in red.body, text
    dingtalk = http_receiver.received("/robot/send")
    assert len(dingtalk) == 3
    assert all(p.json["msgtype"] == "markdown" for p in dingtalk)
    assert {p.json["markdown"]["title"] for p in dingtalk} == {m.subject for m in mails}

    # public security: only the enterprise with police records and a gathering; no money, no probability.
    [wecom] = http_receiver.received("/cgi-bin/webhook/send")
    content = wecom.json["text"]["content"]
    assert content.startswith("【红色预警】测试企业1有限公司")
    for text in ("近90天涉企警情：2", "近90天单次聚集最多人数：45", "近90天集体访件数：1", "参保人数", ASKS["public_security"]):
        assert text in content, text
    for absent in ("概率", "欠薪", "社保欠缴", "网络舆情", "近30天减员", "C32"):
        assert absent not in content, absent

    # petitions: enterprises 1 and 2 (petitions; wage arrears of 1 shown), no online posts, no probability.
    petitions = {p.json["title"]: p.json["message"] for p in http_receiver.received("/petitions")}
    assert sorted(petitions) == sorted(m.subject for m in mails if "测试企业3" not in m.subject)
    first = next(body for title, body in petitions.items() if "测试企业1" in title)
    for text in ("近90天信访件数：4", "欠薪人数：30", ASKS["petitions"]):
        assert text in first, text
    for absent in ("概率", "网络舆情", "近90天涉企警情", "社保欠缴", "C32"):
        assert absent not in first, absent

    # cyberspace: enterprises 1 and 3 (online posts), only online figures and the township.
    cyberspace = {p.json["title"]: p.json["message"] for p in http_receiver.received("/cyberspace")}
    assert len(cyberspace) == 2 and all("测试企业2" not in t for t in cyberspace)
    for body in cyberspace.values():
        assert "近90天网络舆情" in body and "上马街道" in body and ASKS["cyberspace"] in body
        for absent in ("概率", "欠薪", "信访", "警情", "参保人数", "社保", "近30天减员"):
            assert absent not in body, absent

    everything = [m.body for m in mails] + [p.body.decode() for p in http_receiver.received()]
    assert not any(IDENTITY_NUMBER.search(text.replace(code(1), "").replace(code(2), "").replace(code(3), "")) for text in everything)


def test_running_the_same_day_twice_sends_nothing_new(
    db_settings: Settings, channels: AlertingConfig, http_receiver: HttpReceiver, smtp_receiver: SmtpReceiver
) -> None:
    build_city(db_settings)
    run_the_day(db_settings, channels)
    first = (len(smtp_receiver.received()), len(http_receiver.received()))
    assert first == (3, 3 + 1 + 2 + 2)

    run_the_day(db_settings, channels)

    assert (len(smtp_receiver.received()), len(http_receiver.received())) == first
