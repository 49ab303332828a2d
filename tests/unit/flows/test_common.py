"""The flows' shared helpers: days of a backfill, the default day, cache keys."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import OperationalError

from flows import common
from layoffwatch.errors import SettingsError, UserError


def test_backfill_days_are_every_day_in_order_both_ends_included() -> None:
    assert common.days(date(2026, 2, 27), date(2026, 3, 2)) == [
        date(2026, 2, 27),
        date(2026, 2, 28),
        date(2026, 3, 1),
        date(2026, 3, 2),
    ]
    assert common.days(date(2026, 3, 1), date(2026, 3, 1)) == [date(2026, 3, 1)]
    with pytest.raises(ValueError, match="end 2026-02-28 is before start 2026-03-01"):
        common.days(date(2026, 3, 1), date(2026, 2, 28))


def test_the_default_day_is_yesterday_in_the_given_timezone() -> None:
    # 2026-07-01 00:30 in Shanghai is still 2026-06-30 in UTC: the local calendar decides.
    assert common.day_before(datetime(2026, 7, 1, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))) == date(
        2026, 6, 30
    )


def reports(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"batch_id": b, "status": s} for b, s in pairs]


def test_the_batches_digest_covers_the_landing_folder_not_the_order_or_rejections() -> None:
    base = common.batches_digest(reports(("a", "ingested"), ("b", "duplicate")))
    assert common.batches_digest(reports(("b", "duplicate"), ("a", "duplicate"))) == base
    assert common.batches_digest(reports(("a", "ingested"), ("b", "duplicate"), ("c", "rejected"))) == base
    assert common.batches_digest(reports(("a", "ingested"), ("b", "duplicate"), ("d", "ingested"))) != base


def test_cache_keys_are_scoped_to_the_flow_run() -> None:
    key = common.run_scoped("as_of", "batches")
    run = uuid4()
    context: Any = SimpleNamespace(
        task=SimpleNamespace(name="score"), task_run=SimpleNamespace(flow_run_id=run)
    )
    other: Any = SimpleNamespace(
        task=SimpleNamespace(name="score"), task_run=SimpleNamespace(flow_run_id=uuid4())
    )
    parameters = {"as_of": date(2026, 6, 30), "batches": "abc", "now": datetime(2026, 7, 1)}

    assert key(context, parameters) == f"score:{run}:2026-06-30:abc"
    assert key(context, {**parameters, "now": datetime(2026, 7, 2)}) == key(context, parameters)
    assert key(other, parameters) != key(context, parameters)
    assert key(context, {**parameters, "as_of": date(2026, 6, 29)}) != key(context, parameters)


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (UserError("还没有启用的模型，请先运行 `layoffwatch train --as-of 日期`。"), False),
        (SettingsError("alerting.yaml: offices.hr.targets must be a list"), False),
        (OperationalError("UPDATE notification", {}, Exception("database is locked")), True),
        (TimeoutError("read timed out"), True),
    ],
)
def test_a_persons_mistake_is_not_retried_but_trouble_is(error: Exception, retried: bool) -> None:
    state: Any = SimpleNamespace(data=error)
    assert common.retry_unless_user_error(None, None, state) is retried
