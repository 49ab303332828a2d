"""The sender's pure decisions: how long a failed message waits, and how messages are paced."""

from __future__ import annotations

from datetime import timedelta

import apprise
import pytest
from apprise.plugins.dingtalk import NotifyDingTalk

import alerts.channels  # noqa: F401  (registers lwoutbox://)
from alerts.sender import Pacer, backoff, pause_seconds


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [
        (0, timedelta(0)),
        (1, timedelta(seconds=30)),
        (2, timedelta(seconds=60)),
        (3, timedelta(minutes=2)),
        (7, timedelta(minutes=32)),
        (8, timedelta(hours=1)),  # 64 min, capped
        (500, timedelta(hours=1)),
    ],
)
def test_backoff_doubles_from_30_seconds_up_to_an_hour(attempts: int, wait: timedelta) -> None:
    assert backoff(attempts) == wait


def plugin(url: str) -> object:
    sender = apprise.Apprise()
    assert sender.add(url), url
    return sender[0]


@pytest.mark.parametrize(
    ("url", "pause"),
    [
        ("lwoutbox://localhost/srv/outbox/hr", 0.0),
        ("json://127.0.0.1:8080/hook", 0.0),
        ("mailto://127.0.0.1:2525?mode=insecure&from=a@example.test", 0.0),
        ("dingtalk://abc123", NotifyDingTalk.request_rate_per_sec),  # the real robot: Apprise's pause
        ("wecombot://key-1", 5.5),
    ],
)
def test_only_remote_destinations_are_paused(url: str, pause: float) -> None:
    assert pause_seconds(plugin(url)) == pause


def test_a_robot_pointed_at_this_machine_is_not_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(NotifyDingTalk, "notify_url", "http://127.0.0.1:9/robot/send?access_token={token}")
    assert pause_seconds(plugin("dingtalk://abc123")) == 0.0


def test_pacer_waits_only_between_messages_to_the_same_destination() -> None:
    clock = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    pacer = Pacer(sleep=sleep, monotonic=lambda: clock[0])
    pacer.wait("dingtalk://a", 5.5)
    clock[0] += 1.5
    pacer.wait("dingtalk://b", 5.5)  # another robot: no wait
    pacer.wait("dingtalk://a", 5.5)
    pacer.wait("json://127.0.0.1/x", 0.0)
    pacer.wait("json://127.0.0.1/x", 0.0)
    assert slept == [pytest.approx(4.0)]
