"""Builders for raw frames as the reader gives them: schema columns as strings, ``_row``, ``_problem``.

``good(source, i)`` is a valid row with a key of its own; ``violation(rule)`` the cell values that
make a good row fail exactly that rule.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl

from expectations.rules import Rule
from sources.schema import SOURCES, Source
from sources.uscc import build_codes

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 1, 20, 9, 0, tzinfo=TZ)
CODES = build_codes(np.random.default_rng(7), 41)
KNOWN, UNKNOWN = CODES[:40], CODES[40]
BAD_CHECK = KNOWN[0][:17] + ("0" if KNOWN[0][17] != "0" else "1")
ENTERPRISES_PER_FILE = 5  # rows i and i + 5 belong to the same enterprise (monthly sources)
Row = dict[str, Any]


def good(source: Source, i: int) -> Row:
    """Row ``i`` of a valid file of ``source``; keys differ between rows, months run without gaps."""
    code = KNOWN[i % ENTERPRISES_PER_FILE]
    month = f"2023-{i // ENTERPRISES_PER_FILE + 1:02d}"
    day = f"2025-11-{i + 1:02d}"
    rows: dict[str, Row] = {
        "enterprises": {
            "uscc": KNOWN[i], "name": f"侯马市第{i}机械有限公司", "aliases": f"第{i}机械|{i}机", "industry": "C32",
            "chain": "高端装备制造", "township": "路东街道", "ownership": "民营", "founded_on": "2015-03-01",
            "status": "存续",
        },
        "si_changes": {"uscc": code, "date": day, "added": "1", "removed": "0", "insured_total": "10"},
        "si_contributions": {
            "uscc": code, "period": month, "base_total": "12,345.5", "due": "2000", "paid": "1999",
            "reported_on": "2023-12-15",
        },
        "payroll": {
            "uscc": code, "period": month, "workers_paid": "10", "gross_pay": "50000", "paid_on": "2023-12-05",
            "arrears_workers": "0", "arrears_amount": "0", "reported_on": "",
        },
        "sentiment": {
            "record_id": f"W{i}", "published_at": "2025-12-01 10:00:00", "channel": "网络",
            "text": "第1机械拖欠工资", "uscc": code, "participants": "3", "location": "市政府",
        },
        "outcomes": {
            "uscc": code, "verified_on": day, "outcome": "未裁员", "affected_workers": "0", "note": "核查无异常",
        },
    }
    return rows[source.name]


BAD_TEXT = {"int": "三", "money": "一千元整", "date": "2025-13-45", "month": "2025-13", "datetime": "昨天下午"}
FUTURE = {"date": "2026-01-21", "month": "2026-02", "datetime": "2026-01-20 09:00:01"}


def violation(rule: Rule) -> Row:
    """Cell values that make a good row (number ``ENTERPRISES_PER_FILE``) fail ``rule`` and nothing else."""
    source = SOURCES[rule.source]
    if rule.check == "read":
        return {"_problem": "第7行有8个字段，表头只有5个"}
    if rule.check == "unique_key":
        first = good(source, 0)
        return {k: first[k] for k in source.key}
    assert rule.column is not None
    col = source.column(rule.column)
    match rule.check:
        case "required":
            return {col.name: "  "}
        case "type":
            return {col.name: BAD_TEXT[col.kind.value]}
        case "min":
            return {col.name: str(int(col.min or 0) - 1)}
        case "max_length":
            return {col.name: "很" * ((col.max_length or 0) + 1)}
        case "pattern":
            return {col.name: "33C"}
        case "allowed_values":
            return {col.name: "国营"}
        case "uscc_check_character":
            return {col.name: BAD_CHECK}
        case "not_in_future":
            return {col.name: FUTURE[col.kind.value]}
        case "no_formula":
            return {col.name: '=HYPERLINK("http://x","点我")'}
        case "known_enterprise":
            return {col.name: UNKNOWN}
        case "monthly_continuity":
            return {col.name: "2023-04"}  # the enterprise's latest earlier month is 2023-01
    raise AssertionError(f"no violation for {rule.id}")


def raw_frame(source: Source, rows: list[Row], *, drop: tuple[str, ...] = ()) -> pl.DataFrame:
    """The reader's frame for ``rows``: every schema column (but ``drop``) as strings, then _row, _problem.

    ``_row`` numbers rows as a CSV with a header line would (first data row is 2).
    """
    names = [n for n in source.names if n not in drop]
    data: dict[str, Any] = {n: [row.get(n) for row in rows] for n in names}
    frame = pl.DataFrame(data, schema={n: pl.String for n in names})
    return frame.with_columns(
        pl.int_range(2, len(rows) + 2, dtype=pl.UInt32).alias("_row"),
        pl.Series("_problem", [row.get("_problem") for row in rows], dtype=pl.String),
    )


def file_with(source: Source, *overrides: Row, good_rows: int = ENTERPRISES_PER_FILE) -> pl.DataFrame:
    """``good_rows`` valid rows, then one row per override (a good row with those cells replaced)."""
    rows = [good(source, i) for i in range(good_rows)]
    rows += [good(source, good_rows + j) | override for j, override in enumerate(overrides)]
    return raw_frame(source, rows)
