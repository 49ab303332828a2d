"""The Polars rules: a bad row is quarantined with the rule it failed, every valid row of the file arrives."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from expectations.rules import CHECKS, Checked, Rule, check, rules_for
from sources.schema import (
    ENTERPRISES,
    PAYROLL,
    SENTIMENT,
    SI_CHANGES,
    SI_CONTRIBUTIONS,
    SOURCES,
    Column,
    Kind,
    Source,
)
from tests.unit.expectations.raw_frames import (
    BAD_CHECK,
    KNOWN,
    NOW,
    UNKNOWN,
    file_with,
    good,
    raw_frame,
    violation,
)

REGISTER = pl.Series(KNOWN)
ALL_RULES = [rule for source in SOURCES.values() for rule in rules_for(source)]


def checked(frame: pl.DataFrame, source: Source, **kwargs: object) -> Checked:
    kwargs.setdefault("known_uscc", REGISTER)
    return check(frame, source, now=NOW, **kwargs)  # type: ignore[arg-type]


def quarantined_rules(result: Checked) -> dict[int, list[str]]:
    """File row number -> rule ids it failed."""
    return dict(zip(result.quarantine["_row"].to_list(), result.quarantine["_rules"].to_list(), strict=True))


# --- the rules are derived from the schema ---------------------------------------------------------


def test_rule_ids_are_unique_and_name_source_column_and_check() -> None:
    ids = [r.id for r in ALL_RULES]
    assert len(ids) == len(set(ids))
    for rule in ALL_RULES:
        assert rule.check in CHECKS and rule.severity in ("error", "warning")
        assert rule.id == ".".join(p for p in (rule.source, rule.column, rule.check) if p)


def test_every_check_but_max_is_used_by_some_source() -> None:
    assert {r.check for r in ALL_RULES} == set(CHECKS) - {"max"}  # no column declares a maximum yet


def test_a_declared_maximum_becomes_a_max_rule() -> None:
    ratio = Source("ratios", "比例", (Column("share", Kind.MONEY, ("占比",), max=1),), key=("share",), time_column="share")
    (max_rule,) = [r for r in rules_for(ratio) if r.check == "max"]
    assert max_rule.message == "占比应为不大于1的金额"
    frame = raw_frame(ratio, [{"share": "0.5"}, {"share": "1"}, {"share": "1.5"}])
    assert check(frame, ratio, now=NOW).counts[max_rule.id] == 1


@pytest.mark.parametrize(
    ("rule_id", "message"),
    [
        ("si_changes.removed.min", "减员人数应为不小于0的整数"),
        ("si_changes.date.not_in_future", "变动日期不能晚于今天"),
        ("sentiment.published_at.not_in_future", "发布时间不能晚于当前时间"),
        ("enterprises.name.max_length", "企业名称不能超过200个字符"),
        ("enterprises.ownership.allowed_values", "经济类型应为以下之一：国有、民营、外资、集体、其他"),
        ("enterprises.industry.pattern", "行业代码应为门类字母加两位数字（如C32）"),
        ("si_contributions.paid.min", "实缴金额应为不小于0的金额"),
        ("si_changes.unique_key", "统一社会信用代码、变动日期在同一文件中重复，无法判断哪一行正确"),
    ],
)
def test_messages_name_the_column_label_and_what_was_expected(rule_id: str, message: str) -> None:
    assert {r.id: r.message for r in ALL_RULES}[rule_id] == message


def test_only_monthly_continuity_is_a_warning() -> None:
    assert {r.check for r in ALL_RULES if r.severity == "warning"} == {"monthly_continuity"}
    assert {r.source for r in ALL_RULES if r.check == "monthly_continuity"} == {"si_contributions", "payroll"}


def test_the_register_itself_has_no_known_enterprise_rule() -> None:
    assert not [r for r in rules_for(ENTERPRISES) if r.check == "known_enterprise"]


# --- one case per rule per source ---------------------------------------------------------------


def test_good_files_are_entirely_valid() -> None:
    for source in SOURCES.values():
        result = checked(file_with(source, good_rows=8), source)
        assert result.quarantine.height == 0, (source.name, result.quarantine.to_dicts())
        assert result.valid.height == 8
        assert not any(result.counts.values()) and not any(result.warnings.values())


@pytest.mark.parametrize("rule", [r for r in ALL_RULES if r.severity == "error"], ids=lambda r: r.id)
def test_a_row_failing_one_rule_is_quarantined_with_that_rule_alone(rule: Rule) -> None:
    source = SOURCES[rule.source]
    result = checked(file_with(source, violation(rule)), source)

    failing_rows = {2, 7} if rule.check == "unique_key" else {7}  # row 0 is line 2, the bad row line 7
    assert quarantined_rules(result) == {row: [rule.id] for row in failing_rows}
    assert result.counts[rule.id] == len(failing_rows)
    assert sum(result.counts.values()) == len(failing_rows)
    assert result.valid.height == 6 - len(failing_rows)
    assert set(result.valid["_row"].to_list()) == set(range(2, 8)) - failing_rows


@pytest.mark.parametrize("rule", [r for r in ALL_RULES if r.severity == "warning"], ids=lambda r: r.id)
def test_a_row_failing_a_warning_rule_is_counted_and_kept(rule: Rule) -> None:
    source = SOURCES[rule.source]
    result = checked(file_with(source, violation(rule)), source)
    assert result.quarantine.height == 0
    assert result.valid.height == 6
    assert result.warnings == {rule.id: 1}


def test_counts_list_every_error_rule_and_warnings_every_warning_rule() -> None:
    for source in SOURCES.values():
        result = checked(file_with(source), source)
        assert set(result.counts) == {r.id for r in rules_for(source) if r.severity == "error"}
        assert set(result.warnings) == {r.id for r in rules_for(source) if r.severity == "warning"}


# --- the cases officers meet ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "text", "rule"),
    [
        ("removed", "-3", "si_changes.removed.min"),
        ("added", "三", "si_changes.added.type"),
        ("added", "1.5", "si_changes.added.type"),
        ("added", "=1+1", "si_changes.added.type"),  # a formula in a number cell is not a number
        ("insured_total", "", "si_changes.insured_total.required"),
        ("date", "2025-13-45", "si_changes.date.type"),
        ("date", "2026-03-01", "si_changes.date.not_in_future"),
        ("uscc", BAD_CHECK, "si_changes.uscc.uscc_check_character"),
        ("uscc", "91141081MA0K", "si_changes.uscc.uscc_check_character"),
        ("uscc", UNKNOWN, "si_changes.uscc.known_enterprise"),
    ],
)
def test_si_changes_bad_cells(column: str, text: str, rule: str) -> None:
    result = checked(file_with(SI_CHANGES, {column: text}), SI_CHANGES)
    assert quarantined_rules(result) == {7: [rule]}
    assert result.valid.height == 5


@pytest.mark.parametrize(
    ("cells", "valid"),
    [
        ({"added": "１２", "removed": " 1,234 ", "date": "2025年12月3日"}, True),  # full-width, separators
        ({"date": "20251203", "uscc": KNOWN[0].lower()}, True),
        ({"insured_total": "10.0"}, True),
    ],
)
def test_contract_spellings_are_valid(cells: dict[str, str], valid: bool) -> None:
    result = checked(file_with(SI_CHANGES, cells), SI_CHANGES)
    assert (result.quarantine.height == 0) is valid, result.quarantine.to_dicts()


def test_the_reason_names_the_column_and_the_offending_value() -> None:
    result = checked(file_with(SI_CHANGES, {"removed": "-3"}, {"added": "三", "date": "2027-01-01"}), SI_CHANGES)
    reasons = dict(zip(result.quarantine["_row"], result.quarantine["_reason"], strict=True))
    assert reasons[7] == "减员人数应为不小于0的整数（实为“-3”）"
    assert reasons[8] == "变动日期不能晚于今天（实为“2027-01-01”）；增员人数应为整数（实为“三”）"


def test_quarantine_keeps_the_original_strings() -> None:
    frame = file_with(SI_CHANGES, {"added": " １２ ", "removed": "-3"})
    result = checked(frame, SI_CHANGES)
    assert result.quarantine.columns == [*SI_CHANGES.names, "_row", "_rules", "_reason"]
    row = result.quarantine.row(0, named=True)
    assert (row["added"], row["removed"], row["uscc"]) == (" １２ ", "-3", frame["uscc"][5])


def test_a_row_the_reader_could_not_read_is_quarantined_with_its_sentence() -> None:
    result = checked(file_with(SI_CHANGES, {"_problem": "第7行无法用GB18030解码"}), SI_CHANGES)
    assert quarantined_rules(result) == {7: ["si_changes.read"]}
    assert result.quarantine["_reason"][0] == "第7行无法用GB18030解码"


def test_valid_rows_are_typed_as_the_lake_expects() -> None:
    for source in SOURCES.values():
        result = checked(file_with(source, {"_problem": "坏行"}), source)
        assert result.valid.schema == pl.Schema({**source.polars_schema, "_row": pl.UInt32})
    typed = checked(file_with(SI_CHANGES, {"added": "１,２34"}), SI_CHANGES).valid.row(5, named=True)
    assert typed["added"] == 1234 and typed["date"] == date(2025, 11, 6)


# --- not in the future: the day is Asia/Shanghai's ------------------------------------------------


@pytest.mark.parametrize(
    ("now", "day", "in_future"),
    [
        (datetime(2026, 1, 20, 9, 0, tzinfo=UTC), "2026-01-20", False),
        (datetime(2026, 1, 20, 9, 0, tzinfo=UTC), "2026-01-21", True),
        (datetime(2026, 1, 20, 16, 30, tzinfo=UTC), "2026-01-21", False),  # already the 21st in Shanghai
        (datetime(2026, 1, 20, 16, 30, tzinfo=UTC), "2026-01-22", True),
    ],
)
def test_a_date_after_today_in_shanghai_is_in_the_future(now: datetime, day: str, in_future: bool) -> None:
    result = check(file_with(SI_CHANGES, {"date": day}), SI_CHANGES, now=now, known_uscc=REGISTER)
    assert result.counts["si_changes.date.not_in_future"] == int(in_future)


@pytest.mark.parametrize(
    ("published_at", "in_future"),
    [("2026-01-20 09:00:00", False), ("2026-01-20 09:00:01", True), ("2026-01-20T01:00:01+00:00", True)],
)
def test_a_datetime_after_now_is_in_the_future(published_at: str, in_future: bool) -> None:
    result = checked(file_with(SENTIMENT, {"published_at": published_at}), SENTIMENT)
    assert result.counts["sentiment.published_at.not_in_future"] == int(in_future)


def test_the_current_month_is_not_in_the_future() -> None:
    result = checked(file_with(PAYROLL, {"period": "2026-01", "paid_on": ""}), PAYROLL)
    assert result.counts["payroll.period.not_in_future"] == 0


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone"):
        check(file_with(SI_CHANGES), SI_CHANGES, now=datetime(2026, 1, 20))


# --- keys --------------------------------------------------------------------------------------


def test_every_row_of_a_duplicated_key_is_quarantined_even_when_spelled_differently() -> None:
    first = good(SI_CHANGES, 0)
    result = checked(file_with(SI_CHANGES, {"uscc": first["uscc"], "date": "2025/11/1"}), SI_CHANGES)
    assert quarantined_rules(result) == {2: ["si_changes.unique_key"], 7: ["si_changes.unique_key"]}
    assert "2025/11/1" in result.quarantine["_reason"][1]


def test_rows_with_an_incomplete_key_are_not_duplicates_of_each_other() -> None:
    result = checked(file_with(SI_CHANGES, {"date": ""}, {"date": ""}), SI_CHANGES)
    assert result.counts["si_changes.unique_key"] == 0
    assert result.counts["si_changes.date.required"] == 2


# --- references to the register --------------------------------------------------------------------


def test_without_a_register_no_row_is_unknown() -> None:
    result = checked(file_with(SI_CHANGES, {"uscc": UNKNOWN}), SI_CHANGES, known_uscc=None)
    assert result.quarantine.height == 0


def test_a_malformed_code_is_reported_once_not_also_as_unknown() -> None:
    result = checked(file_with(SI_CHANGES, {"uscc": "123"}), SI_CHANGES)
    assert quarantined_rules(result) == {7: ["si_changes.uscc.uscc_check_character"]}


def test_sentiment_without_a_code_is_valid_and_an_unknown_code_is_not() -> None:
    result = checked(file_with(SENTIMENT, {"uscc": ""}, {"uscc": UNKNOWN}), SENTIMENT)
    assert quarantined_rules(result) == {8: ["sentiment.uscc.known_enterprise"]}


# --- text content ------------------------------------------------------------------------------


def test_a_one_megabyte_post_is_valid() -> None:
    text = "欠薪" * 500_000
    result = checked(file_with(SENTIMENT, {"text": text}), SENTIMENT)
    assert result.quarantine.height == 0
    assert result.valid["text"][5] == text


def test_sentiment_files_may_lack_the_optional_columns() -> None:
    rows = [good(SENTIMENT, i) for i in range(3)]
    result = checked(raw_frame(SENTIMENT, rows, drop=("uscc", "participants", "location")), SENTIMENT)
    assert result.valid.height == 3
    assert result.valid["uscc"].null_count() == 3


@pytest.mark.parametrize(("length", "valid"), [(200, True), (201, False), (1_000_000, False)])
def test_enterprise_names_up_to_200_characters(length: int, valid: bool) -> None:
    result = checked(file_with(ENTERPRISES, {"name": "很" * length}), ENTERPRISES)
    assert (result.counts["enterprises.name.max_length"] == 0) is valid
    if not valid:
        (reason,) = result.quarantine["_reason"].to_list()
        assert reason.startswith("企业名称不能超过200个字符") and len(reason) <= 80


@pytest.mark.parametrize(
    ("name", "formula"),
    [('=HYPERLINK("http://x","点我")', True), ("+86 公司", True), ("@sum", True), ("-公司", True),
     ("　=cmd", True), ("侯马=公司", False), ("（+）公司", False)],
)
def test_names_that_a_spreadsheet_would_run_as_formulas(name: str, formula: bool) -> None:
    result = checked(file_with(ENTERPRISES, {"name": name}), ENTERPRISES)
    assert result.counts["enterprises.name.no_formula"] == int(formula)


def test_script_in_a_post_is_kept_as_text() -> None:
    result = checked(file_with(SENTIMENT, {"text": "<script>alert(1)</script>要裁员？"}), SENTIMENT)
    assert result.quarantine.height == 0


# --- monthly continuity --------------------------------------------------------------------------


def lake(*pairs: tuple[str, date]) -> pl.DataFrame:
    return pl.DataFrame({"uscc": [p[0] for p in pairs], "last_period": [p[1] for p in pairs]})


@pytest.mark.parametrize(
    ("previous", "period", "warned"),
    [
        (None, "2023-07", False),  # no earlier month known: nothing to compare
        (date(2023, 6, 1), "2023-07", False),
        (date(2023, 5, 1), "2023-07", True),
        (date(2023, 9, 1), "2023-07", False),  # a correction of an earlier month
        (date(2023, 7, 1), "2023-07", False),  # the same month again
    ],
)
def test_a_month_after_a_gap_is_a_warning_and_the_row_is_kept(
    previous: date | None, period: str, warned: bool
) -> None:
    code = KNOWN[30]
    frame = raw_frame(SI_CONTRIBUTIONS, [good(SI_CONTRIBUTIONS, 0) | {"uscc": code, "period": period}])
    history = lake((code, previous)) if previous else lake((KNOWN[0], date(2020, 1, 1)))
    result = checked(frame, SI_CONTRIBUTIONS, previous_periods=history)
    assert result.valid.height == 1
    assert result.warnings == {"si_contributions.period.monthly_continuity": int(warned)}


def test_gaps_within_one_file_are_warnings_too() -> None:
    rows = [good(PAYROLL, 0) | {"period": p} for p in ("2023-01", "2023-02", "2023-05", "2023-06")]
    result = checked(raw_frame(PAYROLL, rows), PAYROLL)
    assert result.warnings == {"payroll.period.monthly_continuity": 1}
    assert result.valid.height == 4
