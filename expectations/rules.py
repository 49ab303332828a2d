"""Each source's validation rules, derived from its schema, and the fast Polars check that applies them.

A ``Rule`` is declared once here (from ``sources.schema``) and compiled twice: to a Polars
expression in ``expectations.evidence`` that marks rows for quarantine at speed (``check``
below), and to a Great Expectations expectation in ``expectations.suite`` whose result is the
validation record and the Data Docs. Both read the same evidence frame, so a rule fails on the
same rows in both.

Grain of ``check``: one input row is either valid (no error-level rule failed) or quarantined
with every error rule it failed; warning rules are counted and the row is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from expectations import evidence
from sources.parse import EXPECTED_ZH
from sources.schema import Column, Kind, Source

CHECKS = (
    "read",
    "required",
    "type",
    "min",
    "max",
    "max_length",
    "pattern",
    "allowed_values",
    "uscc_check_character",
    "not_in_future",
    "no_formula",
    "unique_key",
    "known_enterprise",
    "monthly_continuity",
)
ERROR, WARNING = "error", "warning"

NUMBER_NOUN = {Kind.INT: "整数", Kind.MONEY: "金额"}

# Officers do not read regular expressions: the schema's patterns, in words.
PATTERN_ZH = {r"^[A-T][0-9]{2}$": "门类字母加两位数字（如C32）"}


@dataclass(frozen=True)
class Rule:
    """One check on one source: what it tests, how bad a failure is, and what officers are told.

    ``column`` is None for row- and key-level rules (read, unique_key). ``severity`` is
    "error" (the row is quarantined) or "warning" (counted and reported, the row is kept).
    """

    id: str
    source: str
    column: str | None
    check: str
    severity: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


@dataclass(frozen=True)
class Checked:
    """The outcome of checking one raw frame.

    ``valid``: one row per input row that failed no error rule, typed (``source.polars_schema``)
    plus ``_row``. ``quarantine``: one row per input row that failed at least one error rule, with
    the original strings, ``_row``, ``_rules`` (the failed rule ids) and ``_reason`` (Chinese
    sentences joined with '；'). ``counts``: error rule id -> rows failing it, every error rule
    listed; ``warnings``: the same for warning rules (rows kept).
    """

    valid: pl.DataFrame
    quarantine: pl.DataFrame
    counts: dict[str, int]
    warnings: dict[str, int]
    evidence: pl.DataFrame  # what the rules read; handed to ``suite.run_suite`` so it is built once


def rules_for(source: Source) -> tuple[Rule, ...]:
    """Every rule of ``source``, in a stable order: file read, then column by column, then keys."""
    found = [_rule(source, None, "read", "该行无法读取")]
    for col in source.columns:
        found.extend(_column_rules(source, col))
    key_labels = "、".join(source.column(name).label for name in source.key)
    found.append(_rule(source, None, "unique_key", f"{key_labels}在同一文件中重复，无法判断哪一行正确"))
    if source.monthly:
        time = source.column(source.time_column)
        found.append(
            _rule(source, time.name, "monthly_continuity", f"{time.label}与该企业上一个所属期之间缺少月份", WARNING)
        )
    return tuple(found)


def _column_rules(source: Source, col: Column) -> list[Rule]:
    label = col.label
    found = []
    if not col.nullable:
        found.append(_rule(source, col.name, "required", f"{label}不能为空"))
    # Text never fails to parse; an enum spelling outside the list is an ``allowed_values``
    # failure and a malformed code a ``uscc_check_character`` one.
    if col.kind in evidence.PARSED_KINDS:
        found.append(_rule(source, col.name, "type", f"{label}应为{EXPECTED_ZH[col.kind]}"))
    noun = NUMBER_NOUN.get(col.kind, "数值")
    if col.min is not None:
        found.append(_rule(source, col.name, "min", f"{label}应为不小于{_number(col.min)}的{noun}"))
    if col.max is not None:
        found.append(_rule(source, col.name, "max", f"{label}应为不大于{_number(col.max)}的{noun}"))
    if col.max_length is not None:
        found.append(_rule(source, col.name, "max_length", f"{label}不能超过{col.max_length}个字符"))
    if col.pattern is not None:
        shape = PATTERN_ZH.get(col.pattern, f"符合格式 {col.pattern}")
        found.append(_rule(source, col.name, "pattern", f"{label}应为{shape}"))
    if col.values:
        found.append(_rule(source, col.name, "allowed_values", f"{label}应为以下之一：{'、'.join(_shown(col))}"))
    if col.kind is Kind.USCC:
        found.append(_rule(source, col.name, "uscc_check_character", f"{label}应为18位且校验位正确（GB 32100-2015）"))
    if col.not_in_future:
        when = "当前时间" if col.kind is Kind.DATETIME else "今天"
        found.append(_rule(source, col.name, "not_in_future", f"{label}不能晚于{when}"))
    if col.no_formula:
        found.append(_rule(source, col.name, "no_formula", f"{label}不能以=、+、-、@开头（疑似表格公式）"))
    if col.references_enterprise and source.name != "enterprises":
        found.append(_rule(source, col.name, "known_enterprise", f"{label}不在企业名录中，请先导入该企业"))
    return found


def _rule(source: Source, column: str | None, check: str, message: str, severity: str = ERROR) -> Rule:
    assert check in CHECKS, check
    rule_id = ".".join(part for part in (source.name, column, check) if part)
    return Rule(rule_id, source.name, column, check, severity, message)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _shown(col: Column) -> list[str]:
    """The spellings officers use: the Chinese labels where there are any, else the canonical values."""
    values = col.values or {}
    labels = [spelling for spelling, canonical in values.items() if spelling != canonical]
    return labels or list(col.canonical_values)


def check(
    raw: pl.DataFrame,
    source: Source,
    *,
    now: datetime,
    known_uscc: pl.Series | None = None,
    previous_periods: pl.DataFrame | None = None,
    facts: pl.DataFrame | None = None,
) -> Checked:
    """Split a raw frame (strings as read, plus ``_row`` and ``_problem``) into valid and quarantined rows.

    ``now`` (timezone-aware) bounds the not-in-future rules; ``known_uscc`` (the enterprise
    register) enables the known-enterprise rule; ``previous_periods`` (uscc, last_period in the
    lake) extends the monthly-continuity warning across files. One lazy Polars plan, no row loop.
    ``facts`` is the evidence frame when the caller has already built it (``evidence.evidence``).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    rules = rules_for(source)
    flags = [f"__failed_{i}" for i in range(len(rules))]
    raw_columns = [name for name in source.names if name in raw.columns]
    if facts is None:
        facts = evidence.evidence(
            raw.lazy(), source, known_uscc=known_uscc, previous_periods=previous_periods
        ).collect()
    marked = (
        facts.lazy()
        .with_columns(evidence.failed(rule, source, now=now).alias(flag) for rule, flag in zip(rules, flags, strict=True))
        .with_columns(
            pl.any_horizontal([pl.col(f) for r, f in zip(rules, flags, strict=True) if r.is_error] or [pl.lit(False)])
            .alias("__quarantined")
        )
        .select(
            *source.names,
            *(evidence.col_name(name, "original") for name in source.names),
            "_row",
            "_problem",
            *flags,
            "__quarantined",
        )
        .collect()
    )
    totals = marked.select(pl.col(flags).sum()).row(0)
    counts = {r.id: int(n) for r, n in zip(rules, totals, strict=True) if r.is_error}
    warnings = {r.id: int(n) for r, n in zip(rules, totals, strict=True) if not r.is_error}

    valid = marked.filter(~pl.col("__quarantined")).select(*source.names, "_row")
    failed = marked.filter(pl.col("__quarantined"))
    errors = [(r, f) for r, f in zip(rules, flags, strict=True) if r.is_error]
    quarantine = failed.select(
        *(pl.col(evidence.col_name(name, "original")).alias(name) for name in raw_columns),
        "_row",
        pl.concat_list([pl.when(pl.col(f)).then(pl.lit(r.id)) for r, f in errors]).list.drop_nulls().alias("_rules"),
        pl.concat_str(
            [pl.when(pl.col(f)).then(evidence.reason(r, source)) for r, f in errors],
            separator="；",
            ignore_nulls=True,
        ).alias("_reason"),
    )
    return Checked(valid=valid, quarantine=quarantine, counts=counts, warnings=warnings, evidence=facts)
