"""bench web's pure parts: percentiles, the per-page summary and verdict, the accounts, the inbox
filter mix, the charted series and the sign-in form's token."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import numpy as np
import pytest

from layoffwatch.bench_web import (
    FILTER_STATUSES,
    FILTER_TIERS,
    Sample,
    accounts_for,
    csrf_token,
    inbox_params,
    latency_summary,
    percentile,
    target_met,
    trend_series,
)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 95, None),
        ([7.0], 50, 7.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.0),
        ([1.0, 2.0, 3.0], 50, 2.0),  # rank 1.5 rounds up
        (list(range(1, 11)), 95, 10),  # of 10 requests, p95 is the slowest
        (list(range(1, 101)), 95, 95),
        (list(range(100, 0, -1)), 95, 95),  # order of arrival does not matter
        (list(range(1, 101)), 99, 99),
        ([1.0] * 94 + [500.0] * 6, 95, 500.0),  # 6% slow requests put p95 among the slow ones
        ([1.0] * 95 + [500.0] * 5, 95, 1.0),
        ([3.0, 1.0, 2.0], 100, 3.0),
    ],
)
def test_percentile_is_the_nearest_rank(values: list[float], q: float, expected: float | None) -> None:
    assert percentile(values, q) == expected


def test_summary_counts_every_status_but_200_as_an_error_and_keeps_pages_apart() -> None:
    samples = [Sample("inbox", 200, float(ms)) for ms in range(1, 101)]
    samples += [Sample("inbox", 500, 2.0), Sample("inbox", 0, 30_000.0), Sample("alert", 404, 5.0)]
    samples += [Sample("alert", 200, 10.0)] * 9
    inbox = latency_summary(samples, kind="inbox", elapsed=10.0)
    assert inbox["requests"] == 102
    assert inbox["errors"] == 2
    assert inbox["error_statuses"] == {"500": 1, "0": 1}
    assert inbox["max_ms"] == 30_000.0
    assert inbox["p50_ms"] == 50.0  # errors are timed too: the fast 500 moves the median down
    assert inbox["throughput_rps"] == pytest.approx(10.2)
    alert = latency_summary(samples, kind="alert", elapsed=10.0)
    assert (alert["requests"], alert["errors"], alert["p95_ms"]) == (10, 1, 10.0)


def test_summary_of_no_requests_has_no_figures() -> None:
    empty = latency_summary([], kind="alert", elapsed=0.0)
    assert empty["requests"] == 0
    assert empty["p95_ms"] is None and empty["throughput_rps"] is None


@pytest.mark.parametrize(
    ("inbox", "alert", "met"),
    [
        ((100, 0, 120.0), (100, 0, 80.0), True),
        ((100, 0, 300.0), (100, 0, 80.0), False),  # "under 300 ms": 300 is not under
        ((100, 0, 120.0), (100, 0, 301.0), False),
        ((100, 1, 120.0), (100, 0, 80.0), False),  # an error is not an answer
        ((100, 0, 120.0), (0, 0, None), False),  # a page never asked for is not measured
    ],
)
def test_target_is_met_only_when_both_pages_answer_without_error_under_300_ms(
    inbox: tuple[int, int, float | None], alert: tuple[int, int, float | None], met: bool
) -> None:
    figures = {
        kind: {"requests": r, "errors": e, "p95_ms": p}
        for kind, (r, e, p) in (("inbox", inbox), ("alert", alert))
    }
    assert target_met(figures) is met


def test_accounts_cover_every_office_with_hr_the_most() -> None:
    twenty = accounts_for(20)
    assert Counter(a.role for a in twenty) == {"hr": 8, "public_security": 4, "petitions": 4, "cyberspace": 4}
    assert len({a.username for a in twenty}) == 20
    assert {a.role for a in accounts_for(5)} == {"hr", "public_security", "petitions", "cyberspace"}
    assert accounts_for(20)[:7] == accounts_for(7)  # more users add accounts, never rename them


def test_inbox_filter_mix_is_mostly_unfiltered_and_every_value_is_one_the_inbox_takes() -> None:
    rng = random.Random(3)
    drawn = [inbox_params(rng, townships=["第1镇", "第2镇"]) for _ in range(5_000)]
    kinds = Counter(next(iter(p), "none") for p in drawn)
    assert 0.55 < kinds["none"] / len(drawn) < 0.65
    assert set(kinds) == {"none", "tier", "status", "township", "page"}
    assert all(len(p) <= 1 for p in drawn)
    assert {p["tier"] for p in drawn if "tier" in p} == set(FILTER_TIERS)
    assert {p["status"] for p in drawn if "status" in p} == set(FILTER_STATUSES)
    assert {p["township"] for p in drawn if "township" in p} == {"第1镇", "第2镇"}
    assert {p["page"] for p in drawn if "page" in p} == {"2", "3", "4", "5"}


def test_inbox_filter_mix_repeats_for_the_same_seed() -> None:
    first = [inbox_params(random.Random(11)) for _ in range(3)]
    assert first == [inbox_params(random.Random(11)) for _ in range(3)]


def test_trend_series_has_24_known_months_and_26_mondays_ending_in_todays_headcount() -> None:
    series = trend_series(np.random.default_rng(0), headcount=240, as_of=date(2026, 12, 1))
    # On 1 December the latest reported month is October (November's payroll arrives from the 15th).
    assert series["months"][0] == "2024-11" and series["months"][-1] == "2026-10"
    assert len(series["months"]) == 24 == len(set(series["months"]))
    assert len(series["weeks"]) == 26 and series["weeks"][-1] == "2026-11-30"
    assert all(date.fromisoformat(w).weekday() == 0 for w in series["weeks"])
    assert series["headcount"][-1] == 240
    assert max(series["headcount"]) > 240  # the enterprise shrank into its alert
    for key in ("workers_paid", "gross_pay", "arrears_workers", "contributions_due", "contributions_paid"):
        assert len(series[key]) == 24 and all(isinstance(v, int) and v >= 0 for v in series[key])
    assert all(
        p + a == h
        for p, a, h in zip(
            series["workers_paid"], series["arrears_workers"], series["headcount"], strict=True
        )
    )
    assert all(p <= d for p, d in zip(series["contributions_paid"], series["contributions_due"], strict=True))
    assert set(series["sentiment"]) == {"online", "petition", "hotline", "police"}
    assert all(len(v) == 26 for v in series["sentiment"].values())


def test_trend_series_after_the_15th_includes_last_month() -> None:
    series = trend_series(np.random.default_rng(0), headcount=50, as_of=date(2026, 1, 20))
    assert series["months"][-1] == "2025-12" and series["months"][0] == "2024-01"


@pytest.mark.parametrize(
    ("html", "token"),
    [
        ('<form><input type="hidden" name="csrf_token" value="abc-123_x"></form>', "abc-123_x"),
        ("<input value='t0k' name='csrf_token' type=hidden>", "t0k"),
        ('<input name="username" value="u"><input name="csrf_token" value="right">', "right"),
        ('<input name="username" value="u">', None),
    ],
)
def test_csrf_token_is_read_from_the_hidden_input(html: str, token: str | None) -> None:
    assert csrf_token(html) == token
