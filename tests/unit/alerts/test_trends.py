"""The series an alert page charts: months and weeks as known on as_of, stored one row per enterprise."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa

from alerts import trends
from alerts.trends import MONTHS, WEEKS, month_axis, series_from, store_trends, trend_frames, week_axis
from features.inputs import Inputs
from layoffwatch.settings import Settings
from sources.schema import ENTERPRISES, SENTIMENT, SI_CHANGES, SI_CONTRIBUTIONS
from store import lake
from store.db import engine_for
from store.uow import unit_of_work
from tests.unit.alerts.builders import code, day, run_day, setup_city

A, B = "91141081MA0000001A", "91141081MA0000002B"
SUNDAY = date(2026, 6, 14)
MONDAY = date(2026, 6, 15)
NOW = datetime(2026, 6, 15, 0, 30, tzinfo=UTC)
REGISTER = pl.DataFrame(
    {"uscc": [A, B], "name": ["鑫达铜业有限公司", "华兴建材有限公司"], "township": ["上马街道"] * 2}
)


def contribution(uscc: str, period: date, due: float, reported_on: date | None = None) -> dict[str, Any]:
    return {"uscc": uscc, "period": period, "base_total": due * 5, "due": due, "paid": due - 100,
            "reported_on": reported_on}  # fmt: skip


def change(uscc: str, on: date, total: int) -> dict[str, Any]:
    return {"uscc": uscc, "date": on, "added": 0, "removed": 0, "insured_total": total}


def record(uscc: str, channel: str, published_at: datetime, n: int) -> dict[str, Any]:
    return {"record_id": f"r{n}", "published_at": published_at, "channel": channel,
            "text": "工人反映企业拖欠工资", "uscc": uscc}  # fmt: skip


def series_of(as_of: date, usccs: tuple[str, ...] = (A,), **frames: list[dict[str, Any]]) -> dict[str, Any]:
    """uscc -> series for hand-made rows of each source (``changes=[...]``, ``contributions=[...]``, …)."""
    inputs = Inputs.from_frames(register=REGISTER, **{k: pl.DataFrame(v) for k, v in frames.items()})
    monthly, weekly = trend_frames(inputs, as_of=as_of, usccs=usccs)
    return series_from(monthly, weekly, as_of=as_of)


def test_the_months_end_with_the_last_complete_month_and_the_weeks_with_as_ofs_week() -> None:
    months = month_axis(SUNDAY)
    assert len(months) == MONTHS and months[0] == date(2024, 6, 1) and months[-1] == date(2026, 5, 1)
    assert month_axis(date(2026, 1, 5))[-1] == date(2025, 12, 1)
    assert month_axis(date(2026, 1, 5))[-2] == date(2025, 11, 1)
    weeks = week_axis(SUNDAY)
    assert len(weeks) == WEEKS and weeks[-1] == date(2026, 6, 8) and weeks[0] == date(2025, 12, 15)
    assert all(w.weekday() == 0 for w in weeks)
    assert all(b - a == timedelta(weeks=1) for a, b in zip(weeks, weeks[1:], strict=False))
    assert week_axis(MONDAY)[-1] == MONDAY


def test_the_series_has_the_documented_shape_and_is_json() -> None:
    charted = series_of(SUNDAY, (A, B), changes=[change(A, date(2026, 1, 5), 80)])
    assert set(charted) == {A, B}
    series = charted[B]  # an enterprise without a single row still gets both axes
    assert list(series) == [
        "months", "headcount", "workers_paid", "gross_pay", "arrears_workers",
        "contributions_due", "contributions_paid", "weeks", "sentiment",
    ]  # fmt: skip
    assert series["months"][0] == "2024-06" and series["months"][-1] == "2026-05"
    assert series["weeks"][0] == "2025-12-15" and series["weeks"][-1] == "2026-06-08"
    for name in trends.MONTHLY_SERIES:
        assert series[name] == [None] * MONTHS
    assert series["sentiment"] == {ch: [0] * WEEKS for ch in ("online", "petition", "hotline", "police")}
    assert json.loads(json.dumps(charted)) == charted
    assert charted[A]["headcount"][-5:] == [80] * 5


@pytest.mark.parametrize(
    ("as_of", "reported_on", "known"),
    [
        (date(2026, 6, 14), None, False),  # the contract's day 15 has not come
        (date(2026, 6, 15), None, True),
        (date(2026, 6, 7), date(2026, 6, 8), False),  # reported early, but not yet
        (date(2026, 6, 8), date(2026, 6, 8), True),
        (date(2026, 6, 30), date(2026, 7, 2), False),  # reported late: the rule's day 15 does not apply
    ],
)
def test_a_month_is_charted_only_from_the_day_it_was_known(
    as_of: date, reported_on: date | None, known: bool
) -> None:
    may, april = date(2026, 5, 1), date(2026, 4, 1)
    series = series_of(
        as_of,
        contributions=[contribution(A, april, 1000.0, date(2026, 5, 15)), contribution(A, may, 2000.0, reported_on)],
        payroll=[{"uscc": A, "period": may, "workers_paid": 40, "gross_pay": 200_000.0, "paid_on": date(2026, 6, 5),
                  "arrears_workers": 3, "arrears_amount": 9000.0, "reported_on": reported_on}],
    )[A]  # fmt: skip
    assert series["months"][-2:] == ["2026-04", "2026-05"]
    assert series["contributions_due"][-2:] == [1000.0, 2000.0 if known else None]
    assert series["contributions_paid"][-2:] == [900.0, 1900.0 if known else None]
    assert series["workers_paid"][-1] == (40 if known else None)
    assert series["gross_pay"][-1] == (200_000.0 if known else None)
    assert series["arrears_workers"][-1] == (3 if known else None)


def test_headcount_is_the_last_change_on_or_before_each_month_end_carried_forward() -> None:
    series = series_of(
        SUNDAY,
        (A, B),
        changes=[
            change(A, date(2024, 1, 10), 50),  # before the first month: carried into it
            change(A, date(2025, 3, 31), 60),  # on March's last day: March's
            change(A, date(2025, 4, 1), 70),
            change(A, date(2026, 6, 10), 5),  # June is not a month of the chart yet
            change(B, date(2025, 1, 15), 30),
        ],
    )
    months = series[A]["months"]
    headcount = dict(zip(months, series[A]["headcount"], strict=True))
    assert [headcount[m] for m in ("2024-06", "2025-02", "2025-03", "2025-04", "2026-05")] == [
        50,
        50,
        60,
        70,
        70,
    ]
    assert series[A]["headcount"] == [50] * 9 + [60] + [70] * 14
    assert series[B]["headcount"] == [None] * 7 + [30] * 17  # nothing known before January 2025


def test_sentiment_is_counted_by_the_monday_of_its_beijing_day_and_by_channel_up_to_as_of() -> None:
    wednesday, beijing = date(2026, 6, 10), timedelta(hours=8)
    at = [
        ("online", datetime(2026, 6, 10, 23, 30)),  # as_of's evening in Beijing: counted
        ("online", datetime(2026, 6, 11, 0, 10)),  # the next day in Beijing (as_of still, in UTC): not yet
        ("petition", datetime(2026, 6, 8, 0, 5)),  # Monday in Beijing, still Sunday in UTC: this week
        ("hotline", datetime(2026, 6, 7, 23, 59)),  # the week before
        ("police", datetime(2026, 6, 1, 9, 0)),
        ("police", datetime(2026, 6, 2, 9, 0)),
        ("online", datetime(2025, 12, 14, 23, 0)),  # the day before the first week
        ("online", datetime(2025, 12, 15, 1, 0)),  # the first week (14 December in UTC)
    ]
    rows = [record(A, ch, (t - beijing).replace(tzinfo=UTC), n) for n, (ch, t) in enumerate(at)]
    rows.append(record(B, "online", datetime(2026, 6, 9, tzinfo=UTC), 99))
    counts = series_of(wednesday, sentiment=rows)[A]["sentiment"]
    assert counts["online"][-1] == 1 and counts["online"][0] == 1 and sum(counts["online"]) == 2
    assert counts["petition"][-1] == 1 and sum(counts["petition"]) == 1
    assert counts["hotline"][-2] == 1 and sum(counts["hotline"]) == 1
    assert counts["police"][-2] == 2 and sum(counts["police"]) == 2
    later = series_of(MONDAY, sentiment=rows)[A]["sentiment"]
    assert later["online"][-2:] == [2, 0]  # both 10 and 11 June known now, in the week of 8 June
    assert later["online"][0] == 0  # the axis moved on: 15 December is no longer charted


@dataclass(frozen=True)
class Row:
    uscc: str
    as_of: date
    series: dict[str, Any]
    updated_at: datetime


def trend_rows(settings: Settings) -> list[Row]:
    """Every stored ``EnterpriseTrend`` row, by uscc."""
    with unit_of_work(engine_for(settings)) as session:
        rows = session.execute(sa.select(trends.TABLE).order_by(trends.TABLE.c.uscc)).all()
    return [Row(**row._mapping) for row in rows]


def test_storing_again_replaces_each_enterprises_row_and_an_earlier_day_is_ignored(
    db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trends, "WRITE_CHUNK", 2)  # several statements for five rows
    first = {code(n): {"months": ["2026-05"], "headcount": [n]} for n in range(1, 6)}
    engine = engine_for(db_settings)
    with unit_of_work(engine) as session:
        assert store_trends(session, first, as_of=date(2026, 6, 14), now=NOW) == 5
        session.commit()
    second = {code(1): {"months": ["2026-05"], "headcount": [100]}}
    with unit_of_work(engine) as session:
        assert store_trends(session, second, as_of=date(2026, 6, 15), now=NOW + timedelta(days=1)) == 1
        session.commit()
    rows = trend_rows(db_settings)
    assert [r.uscc for r in rows] == [code(n) for n in range(1, 6)]
    assert (rows[0].as_of, rows[0].series["headcount"], rows[0].updated_at) == (
        date(2026, 6, 15), [100], NOW + timedelta(days=1)
    )  # fmt: skip
    assert rows[1].series == first[code(2)] and rows[1].as_of == date(2026, 6, 14)
    redo = {uscc: {"months": ["2026-05"], "headcount": [n * 10]} for n, uscc in enumerate(first, start=1)}
    with unit_of_work(engine) as session:  # the first day again (a backfill): 1 already shows a later day
        assert store_trends(session, redo, as_of=date(2026, 6, 14), now=NOW + timedelta(days=2)) == 4
        session.commit()
    again = {r.uscc: (r.as_of, r.series["headcount"]) for r in trend_rows(db_settings)}
    assert again == {code(1): (date(2026, 6, 15), [100])} | {
        code(n): (date(2026, 6, 14), [n * 10]) for n in range(2, 6)
    }


def test_the_daily_step_writes_the_series_of_the_enterprises_it_alerts_on(settings: Settings) -> None:
    setup_city(settings, 3)
    received = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)

    def append(source: Any, rows: list[dict[str, Any]]) -> None:
        frame = pl.DataFrame(rows).select(
            (pl.col(n) if n in rows[0] else pl.lit(None)).cast(t).alias(n)
            for n, t in source.polars_schema.items()
        )
        lake.append(settings, source, frame, batch_id=f"{source.name}-1", received_at=received)

    register = [{"uscc": code(n), "name": f"测试企业{n}有限公司", "industry": "C32", "township": "上马街道",
                 "ownership": "private", "founded_on": date(2010, 1, 1), "status": "active"} for n in (1, 2, 3)]  # fmt: skip
    append(ENTERPRISES, register)
    append(SI_CHANGES, [change(code(1), date(2025, 6, 3), 120), change(code(3), date(2025, 6, 3), 40)])
    append(SI_CONTRIBUTIONS, [contribution(code(1), date(2026, 1, 1), 5000.0)])  # known from 15 February
    append(SENTIMENT, [record(code(1), "petition", datetime(2026, 3, 1, 2, 0, tzinfo=UTC), 1)])

    run_day(settings, 0, {1: "red", 2: "yellow", 3: "none"})
    rows = {r.uscc: r for r in trend_rows(settings)}
    assert set(rows) == {code(1), code(2)}  # 3 is not alerted
    one = rows[code(1)]
    assert one.as_of == day(0) and one.updated_at.tzinfo is not None
    assert one.series["months"][-1] == "2026-02"
    assert one.series["headcount"][-9:] == [120] * 9
    assert one.series["contributions_due"][-2:] == [5000.0, None]
    assert one.series["weeks"][-1] == day(0).isoformat()
    assert one.series["sentiment"]["petition"][-2:] == [1, 0]
    assert rows[code(2)].series["headcount"] == [None] * MONTHS

    run_day(settings, 1, {1: "red", 2: "none", 3: "none"})
    rows = {r.uscc: r for r in trend_rows(settings)}
    assert set(rows) == {code(1), code(2)}  # 2's page keeps the series of the day it was alerted
    assert (rows[code(1)].as_of, rows[code(2)].as_of) == (day(1), day(0))
    assert len(trend_rows(settings)) == 2
