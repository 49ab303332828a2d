"""Which URL an outbox row goes to, resolved at send time, with its idempotency key attached."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.channels import (
    outbox_file_name,
    target_urls,
    targets_for,
    with_idempotency_key,
    write_outbox_file,
)
from alerts.config import AlertingConfig, parse_alerting
from alerts.sender import Channels
from layoffwatch.errors import SettingsError
from layoffwatch.settings import Settings
from store.tables import Notification

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

HR = """
offices:
  hr:
    name: 人社局
    lead: true
    receives: [all]
    sees: [all]
    targets:
      - {name: folder, url: "lwoutbox://localhost{home}/outbox/hr"}
      - {name: robot, url: "dingtalk://${LW_DING}"}
      - {name: hook, url: "json://10.1.2.3:8080/in?format=markdown"}
      - {name: whole, url_env: LW_WHOLE_URL}
    escalation:
      - {name: lead, url: "xml://10.1.2.3/lead"}
"""
OTHERS = "".join(
    f"  {k}:\n    name: {k}\n    receives: [all]\n    sees: [all]\n"
    f"    targets:\n      - {{name: folder, url: 'lwoutbox://localhost{{home}}/outbox/{k}'}}\n"
    for k in ("public_security", "petitions", "cyberspace")
)
ENGINEERING = """
data_engineering:
  targets:
    - {name: ops, url: "json://10.1.2.3/pipeline"}
"""


@pytest.fixture
def config() -> AlertingConfig:
    return parse_alerting(HR + OTHERS + ENGINEERING, source="alerting.yaml")


@pytest.fixture
def cfg(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", database_url="sqlite://")


def row(target: str, *, kind: str = "alert", office: str = "hr") -> Notification:
    return Notification(
        id=7, key=f"{kind}|42|first:red:2026-12-01|{office}|{target}", kind=kind, alert_id=42,
        state="first:red:2026-12-01", reason="first", office=office, target=target, title="标题", body="正文",
        status="sending", next_attempt_at=T0, created_at=T0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "office", "target", "url"),
    [
        ("alert", "hr", "hook", "json://10.1.2.3:8080/in?format=markdown"),
        ("digest", "hr", "hook", "json://10.1.2.3:8080/in?format=markdown"),
        ("test", "hr", "hook", "json://10.1.2.3:8080/in?format=markdown"),
        ("overdue", "hr", "lead", "xml://10.1.2.3/lead"),
        ("pipeline", "-", "ops", "json://10.1.2.3/pipeline"),
    ],
)
def test_each_kind_goes_to_its_list_of_targets(config, kind, office, target, url) -> None:
    [chosen] = targets_for(row(target, kind=kind, office=office), config)
    assert chosen.url == url


def test_webhooks_carry_the_key_as_a_header_and_the_folder_as_its_file_name(config, cfg) -> None:
    env = {"LW_DING": "tok123"}
    key = "alert|42|first:red:2026-12-01|hr"
    assert target_urls(row("hook"), config, cfg, env) == [
        f"json://10.1.2.3:8080/in?format=markdown&+X-Idempotency-Key={key.replace('|', '%7C').replace(':', '%3A')}%7Chook"
    ]
    assert target_urls(row("folder"), config, cfg, env) == [
        f"lwoutbox://localhost{cfg.home}/outbox/hr?key=alert%7C42%7Cfirst%3Ared%3A2026-12-01%7Chr%7Cfolder"
    ]
    assert target_urls(row("robot"), config, cfg, env) == ["dingtalk://tok123"]  # nowhere to put a key
    assert target_urls(row("whole"), config, cfg, {"LW_WHOLE_URL": "forms://10.0.0.1/x"}) == [
        "forms://10.0.0.1/x?+X-Idempotency-Key=alert%7C42%7Cfirst%3Ared%3A2026-12-01%7Chr%7Cwhole"
    ]


@pytest.mark.parametrize(("target", "variable"), [("robot", "LW_DING"), ("whole", "LW_WHOLE_URL")])
def test_a_missing_variable_is_one_sentence_naming_it(config, cfg, target, variable) -> None:
    with pytest.raises(SettingsError, match=f"environment variable {variable} is not set"):
        target_urls(row(target), config, cfg, {})


def test_a_missing_variable_fails_the_message_instead_of_the_sender(config, cfg) -> None:
    error = Channels().send(row("robot"), config, cfg, env={})
    assert error is not None and "LW_DING is not set" in error


def test_a_target_gone_from_the_configuration_is_named(config, cfg) -> None:
    with pytest.raises(SettingsError, match="offices.hr.targets has no target 'sms'"):
        targets_for(row("sms"), config)
    error = Channels().send(row("lead", kind="overdue", office="cyberspace"), config, cfg, env={})
    assert error is not None and "offices.cyberspace.escalation has no target 'lead'" in error


def test_key_is_appended_to_an_existing_query() -> None:
    assert with_idempotency_key("json://h/p", "k") == "json://h/p?+X-Idempotency-Key=k"
    assert with_idempotency_key("json://h/p?a=1", "k") == "json://h/p?a=1&+X-Idempotency-Key=k"
    assert with_idempotency_key("mailtos://u:p@h", "k") == "mailtos://u:p@h"


def test_file_names_are_safe_and_distinct() -> None:
    a, b = outbox_file_name("alert|1|s|hr|x"), outbox_file_name("alert:1:s:hr:x")
    assert a != b and a.startswith("alert_1_s_hr_x-") and a.endswith(".md")
    assert "/" not in outbox_file_name("../../etc/passwd")


def test_writing_the_same_key_twice_keeps_one_file(tmp_path: Path) -> None:
    first = write_outbox_file(tmp_path / "hr", "k1", "标题", "正文一")
    second = write_outbox_file(tmp_path / "hr", "k1", "标题", "正文二")
    assert first == second and [p.name for p in (tmp_path / "hr").iterdir()] == [first.name]
    assert first.read_text(encoding="utf-8") == "# 标题\n\n正文二\n"
