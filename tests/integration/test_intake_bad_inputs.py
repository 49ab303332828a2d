"""Bad inputs, end to end through the intake, on SQLite and PostgreSQL.

Each case is a file a source system could plausibly send. It is either rejected whole with a
sentence naming what is wrong, or its bad rows are quarantined with the rule they failed while
every valid row of the same file still reaches the lake.
"""

from __future__ import annotations

import io
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from expectations.intake import FileReport, ingest_paths
from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from sources.schema import SI_CHANGES, SOURCES
from sources.uscc import build_codes
from store import lake, quarantine

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 1, 20, 9, 0, tzinfo=TZ)
CODES = build_codes(np.random.default_rng(3), 6)
KNOWN, UNKNOWN = CODES[:5], CODES[5]
BAD_CHECK = KNOWN[0][:17] + ("0" if KNOWN[0][17] != "0" else "1")

REGISTER_ZH = "统一社会信用代码,企业名称,简称,行业代码,产业链,乡镇街道,经济类型,成立日期,经营状态\n" + "".join(
    f"{code},侯马市第{i}机械有限公司,第{i}机械,C3{i},高端装备制造,路东街道,民营,2015-0{i + 1}-01,存续\n"
    for i, code in enumerate(KNOWN)
)
SI_HEADER = "uscc,date,added,removed,insured_total\n"


def si_rows(*overrides: tuple[int, str]) -> str:
    """Five good si_changes rows (one per known enterprise); ``(i, line)`` replaces row i."""
    lines = [f"{code},2025-12-0{i + 1},1,0,{10 + i}" for i, code in enumerate(KNOWN)]
    for i, line in overrides:
        lines[i] = line
    return SI_HEADER + "\n".join(lines) + "\n"


def xlsx_bytes(rows: list[list[object]], *, title: str | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class Case:
    """One bad input: the file's bytes and what must happen to it."""

    name: str
    folder: str
    file_name: str
    content: Callable[[], bytes]
    status: str  # ingested | rejected
    valid: int = 0
    quarantined_rules: dict[int, str] = field(default_factory=dict)  # file row number -> rule check
    rejection_mentions: tuple[str, ...] = ()


def text(s: str, encoding: str = "utf-8") -> Callable[[], bytes]:
    return lambda: s.encode(encoding)


SI_EN = [list(SI_HEADER.strip().split(","))]
ROW = 2  # the first data row of a CSV with its header on line 1

CASES = [
    Case("empty file", "si_changes", "empty.csv", text(""), "rejected", rejection_mentions=("空",)),
    Case("only whitespace", "si_changes", "blank.csv", text("\n  \n"), "rejected", rejection_mentions=("空",)),
    Case("header only", "si_changes", "header.csv", text(SI_HEADER), "rejected", rejection_mentions=("表头",)),
    Case(
        "missing required column", "si_changes", "no_removed.csv",
        text("uscc,date,added,insured_total\n" + f"{KNOWN[0]},2025-12-01,1,10\n"), "rejected",
        rejection_mentions=("减员人数",),
    ),
    Case(
        "binary garbage named csv", "si_changes", "photo.csv",
        lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "rejected",
    ),
    Case(
        "utf-16 is not an accepted encoding", "si_changes", "utf16.csv", text(si_rows(), "utf-16"), "rejected",
    ),
    Case("truncated xlsx", "si_changes", "cut.xlsx", lambda: xlsx_bytes(SI_EN)[:300], "rejected"),
    Case("corrupt parquet", "si_changes", "cut.parquet", lambda: b"PAR1" + b"\x00" * 64, "rejected"),
    Case(
        "two headers for one column", "si_changes", "twice.csv",
        text("uscc,统一社会信用代码,date,added,removed,insured_total\n" + f"{KNOWN[0]},{KNOWN[0]},2025-12-01,1,0,10\n"),
        "rejected", rejection_mentions=("统一社会信用代码",),
    ),
    Case(
        "unrecognisable source", "misc", "whatever.csv", text("a,b,c\n1,2,3\n"), "rejected",
    ),
    # Row-level problems: the bad row is quarantined, the other four arrive.
    Case("negative removals", "si_changes", "neg.csv", text(si_rows((1, f"{KNOWN[1]},2025-12-02,0,-3,11"))),
         "ingested", valid=4, quarantined_rules={ROW + 1: "min"}),
    Case("invalid uscc check character", "si_changes", "check.csv",
         text(si_rows((2, f"{BAD_CHECK},2025-12-03,1,0,12"))), "ingested", valid=4,
         quarantined_rules={ROW + 2: "uscc_check_character"}),
    Case("uscc of wrong length", "si_changes", "short.csv", text(si_rows((0, "91141081MA0K,2025-12-01,1,0,10"))),
         "ingested", valid=4, quarantined_rules={ROW: "uscc_check_character"}),
    Case("unknown enterprise", "si_changes", "unknown.csv", text(si_rows((3, f"{UNKNOWN},2025-12-04,1,0,13"))),
         "ingested", valid=4, quarantined_rules={ROW + 3: "known_enterprise"}),
    Case("future date", "si_changes", "future.csv", text(si_rows((4, f"{KNOWN[4]},2026-03-01,1,0,14"))),
         "ingested", valid=4, quarantined_rules={ROW + 4: "not_in_future"}),
    Case("impossible date", "si_changes", "baddate.csv", text(si_rows((4, f"{KNOWN[4]},2025-13-45,1,0,14"))),
         "ingested", valid=4, quarantined_rules={ROW + 4: "type"}),
    Case("text in a count", "si_changes", "word.csv", text(si_rows((0, f"{KNOWN[0]},2025-12-01,三,0,10"))),
         "ingested", valid=4, quarantined_rules={ROW: "type"}),
    Case("fraction in a count", "si_changes", "frac.csv", text(si_rows((0, f"{KNOWN[0]},2025-12-01,1.5,0,10"))),
         "ingested", valid=4, quarantined_rules={ROW: "type"}),
    Case("empty required cell", "si_changes", "emptycell.csv", text(si_rows((0, f"{KNOWN[0]},2025-12-01,,0,10"))),
         "ingested", valid=4, quarantined_rules={ROW: "required"}),
    Case("duplicated natural key", "si_changes", "dup.csv",
         text(si_rows((1, f"{KNOWN[0]},2025-12-01,2,0,11"))), "ingested", valid=3,
         quarantined_rules={ROW: "unique_key", ROW + 1: "unique_key"}),
    Case("row with too many fields", "si_changes", "wide.csv",
         text(si_rows((1, f"{KNOWN[1]},2025-12-02,0,1,11,extra"))), "ingested", valid=4,
         quarantined_rules={ROW + 1: "read"}),
    Case("truncated csv", "si_changes", "truncated.csv", text(si_rows()[:-9]), "ingested", valid=4,
         quarantined_rules={ROW + 4: "read"}),
    # Three posts exported in UTF-8, then one appended by another tool in GB18030.
    Case("mixed encoding", "sentiment", "mixed.csv",
         lambda: ("编号,发布时间,渠道,内容\n" + "".join(f"M{i},2025-12-0{i} 10:00,网络,第{i}机械今天发工资了\n" for i in (1, 2, 3))).encode("utf-8")
         + "M4,2025-12-04 10:00,网络,第4机械拖欠工资三个月\n".encode("gb18030"),
         "ingested", valid=3, quarantined_rules={ROW + 3: "read"}),
    Case("extra columns are ignored", "si_changes", "extra.csv",
         text(SI_HEADER.replace("\n", ",经办人\n") + "".join(f"{line},张三\n" for line in si_rows().splitlines()[1:])),
         "ingested", valid=5),
    Case("gbk with chinese headers", "si_changes", "gbk.csv",
         text("统一社会信用代码,变动日期,增员人数,减员人数,参保人数\n" + si_rows().split("\n", 1)[1], "gb18030"),
         "ingested", valid=5),
    Case("xlsx with a title row", "si_changes", "title.xlsx",
         lambda: xlsx_bytes([["统一社会信用代码", "变动日期", "增员人数", "减员人数", "参保人数"]]
                            + [[c, f"2025/12/{i + 1}", 1, 0, 10 + i] for i, c in enumerate(KNOWN)],
                            title="侯马市2025年12月社保增减员明细表"),
         "ingested", valid=5),
    Case("formula in a numeric cell", "si_changes", "formula.xlsx",
         lambda: xlsx_bytes([["uscc", "date", "added", "removed", "insured_total"]]
                            + [[c, f"2025-12-0{i + 1}", 1, "=1+1" if i == 2 else 0, 10 + i] for i, c in enumerate(KNOWN)]),
         "ingested", valid=4, quarantined_rules={4: "type"}),
    Case("full-width digits and thousands separators", "si_contributions", "fw.csv",
         text("统一社会信用代码,费款所属期,缴费基数总额,应缴金额,实缴金额\n" + "".join(
             f"{c},2025年11月,\"１２,３４５.５\",\"2,000\",1９99\n" for c in KNOWN)),
         "ingested", valid=5),
    Case("negative money", "si_contributions", "negmoney.csv",
         text("uscc,period,base_total,due,paid\n" + "".join(
             f"{c},202511,1000,200,{-5 if i == 1 else 200}\n" for i, c in enumerate(KNOWN))),
         "ingested", valid=4, quarantined_rules={ROW + 1: "min"}),
    Case("impossible month", "payroll", "month.csv",
         text("uscc,period,workers_paid,gross_pay,paid_on,arrears_workers,arrears_amount\n" + "".join(
             f"{c},{'2025-13' if i == 0 else '2025-11'},10,50000,,0,0\n" for i, c in enumerate(KNOWN))),
         "ingested", valid=4, quarantined_rules={ROW: "type"}),
]

REGISTER_CASES = [
    Case("formula-looking enterprise name", "enterprises", "formula_name.csv",
         text(REGISTER_ZH.replace("侯马市第1机械有限公司", '"=HYPERLINK(""http://x"",""点我"")"')),
         "ingested", valid=4, quarantined_rules={ROW + 1: "no_formula"}),
    Case("1 MB enterprise name", "enterprises", "long_name.csv",
         text(REGISTER_ZH.replace("侯马市第2机械有限公司", "很" * 1_000_000)),
         "ingested", valid=4, quarantined_rules={ROW + 2: "max_length"}),
    Case("ownership outside the list", "enterprises", "ownership.csv",
         text(REGISTER_ZH.replace("民营", "国营", 1)), "ingested", valid=4,
         quarantined_rules={ROW: "allowed_values"}),
    Case("industry code malformed", "enterprises", "industry.csv",
         text(REGISTER_ZH.replace(",C33,", ",33C,", 1)), "ingested", valid=4,
         quarantined_rules={ROW + 3: "pattern"}),
    Case("founded in the future", "enterprises", "founded.csv",
         text(REGISTER_ZH.replace("2015-01-01", "2027-01-01", 1)), "ingested", valid=4,
         quarantined_rules={ROW: "not_in_future"}),
]

SENTIMENT_HEADER = "编号,发布时间,渠道,内容,统一社会信用代码,人数,地点\n"
SENTIMENT_CASES = [
    Case("1 MB post is accepted", "sentiment", "long_post.csv",
         text(SENTIMENT_HEADER + f"W1,2025-12-01 10:00,网络,{'欠薪' * 500_000},,,\n"
              + f"W2,2025/12/2 8:30,12345,第1机械拖欠工资,{KNOWN[1]},,\n"), "ingested", valid=2),
    Case("script in a post is kept as text", "sentiment", "script.csv",
         text(SENTIMENT_HEADER + "W3,2025-12-01 10:00,网络,<script>alert(1)</script>第2机械要裁员？,,,\n"),
         "ingested", valid=1),
    Case("unknown channel and zero participants", "sentiment", "channel.csv",
         text(SENTIMENT_HEADER + "P1,2025-12-01 10:00,微博,有人聚集,,,\n"
              + f"P2,2025-12-01 11:00,信访,集体上访,{KNOWN[2]},0,市政府\n"
              + f"P3,2025-12-01 12:00,信访,集体上访讨薪,{KNOWN[2]},12,市政府\n"),
         "ingested", valid=1, quarantined_rules={ROW: "allowed_values", ROW + 1: "min"}),
]

OUTCOME_CASES = [
    Case("verification outcome outside the list", "核查结果", "outcomes.csv",
         text("统一社会信用代码,核查日期,核查结果,涉及人数,备注\n"
              + f"{KNOWN[0]},2025年12月5日,规模裁员,35,现场核实\n"
              + f"{KNOWN[1]},2025-12-06,待定,,\n"
              + f"{KNOWN[2]},20251207,未裁员,0,季节性返乡\n"),
         "ingested", valid=2, quarantined_rules={ROW + 1: "allowed_values"}),
]

ALL_CASES = CASES + REGISTER_CASES + SENTIMENT_CASES + OUTCOME_CASES


@pytest.fixture
def home_with_register(db_settings: Settings, tmp_path: Path) -> Settings:
    register = tmp_path / "register" / "enterprises" / "register.csv"
    register.parent.mkdir(parents=True)
    register.write_text(REGISTER_ZH, encoding="utf-8-sig")
    (report,) = ingest_paths(db_settings, [register], now=NOW)
    assert report.status == "ingested" and report.rows_valid == len(KNOWN), report
    return db_settings


def _write(case: Case, root: Path) -> Path:
    path = root / case.folder / case.file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(case.content())
    return path


def test_there_are_at_least_thirty_distinct_bad_inputs() -> None:
    assert len({c.name for c in ALL_CASES}) >= 30


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
def test_bad_input_is_rejected_or_quarantined_and_valid_rows_arrive(
    case: Case, home_with_register: Settings, tmp_path: Path
) -> None:
    settings = home_with_register
    path = _write(case, tmp_path / "in")
    (report,) = ingest_paths(settings, [path], now=NOW)

    assert report.status == case.status, report.as_dict()
    if case.status == "rejected":
        assert report.reasons and all(m in report.reasons[0] for m in case.rejection_mentions), report.reasons
        assert report.rows_valid == 0
        return
    assert report.rows_valid == case.valid, report.as_dict()
    assert report.rows_quarantined == len(case.quarantined_rules), report.as_dict()
    source = SOURCES[report.source or ""]
    in_lake = lake.scan(settings, source, history=True).filter(pl.col("_batch") == report.batch_id).collect()
    assert in_lake.height == case.valid
    if case.quarantined_rules:
        held = quarantine.read(settings, report.batch_id or "")
        got = {row: rules for row, rules in zip(held["_row"].to_list(), held["_rules"].to_list(), strict=True)}
        for row, check in case.quarantined_rules.items():
            assert row in got, (row, got)
            assert any(rule.endswith("." + check) or rule.split(".")[-1] == check for rule in got[row]), got[row]
        assert held["_reason"].str.len_chars().min() > 0


def test_reingesting_a_file_adds_nothing(home_with_register: Settings, tmp_path: Path) -> None:
    path = _write(CASES[10], tmp_path / "in")
    first = ingest_paths(home_with_register, [path], now=NOW)
    copy = tmp_path / "again" / "si_changes" / "renamed_copy.csv"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(path.read_bytes())
    second = ingest_paths(home_with_register, [path, copy], now=NOW)
    assert [r.status for r in first] == ["ingested"]
    assert [r.status for r in second] == ["duplicate", "duplicate"]
    rows = lake.scan(home_with_register, SI_CHANGES, history=True).collect()
    assert rows.height == first[0].rows_valid


def test_a_later_file_corrects_a_row_and_both_stay_in_history(home_with_register: Settings, tmp_path: Path) -> None:
    first = _write(Case("v1", "si_changes", "v1.csv", text(si_rows()), "ingested"), tmp_path / "a")
    second = _write(
        Case("v2", "si_changes", "v2.csv", text(SI_HEADER + f"{KNOWN[0]},2025-12-01,1,3,8\n"), "ingested"),
        tmp_path / "b",
    )
    ingest_paths(home_with_register, [first], now=NOW)
    ingest_paths(home_with_register, [second], now=NOW.replace(hour=10))
    latest = lake.scan(home_with_register, SI_CHANGES).collect()
    history = lake.scan(home_with_register, SI_CHANGES, history=True).collect()
    corrected = latest.filter((pl.col("uscc") == KNOWN[0]) & (pl.col("date") == date(2025, 12, 1)))
    assert corrected["removed"].to_list() == [3]
    assert latest.height == 5 and history.height == 6


def test_dry_run_writes_nothing(home_with_register: Settings, tmp_path: Path) -> None:
    path = _write(CASES[10], tmp_path / "in")
    (report,) = ingest_paths(home_with_register, [path], now=NOW, dry_run=True)
    assert report.status == "checked" and report.rows_quarantined == 1
    assert lake.scan(home_with_register, SI_CHANGES, history=True).collect().height == 0


def test_a_missing_path_is_one_clear_error(home_with_register: Settings, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="nothing-here"):
        ingest_paths(home_with_register, [tmp_path / "nothing-here"], now=NOW)


def test_per_file_reports_name_the_reason(home_with_register: Settings, tmp_path: Path) -> None:
    path = _write(CASES[10], tmp_path / "in")
    (report,) = ingest_paths(home_with_register, [path], now=NOW)
    assert isinstance(report, FileReport)
    assert any("减员人数" in reason for reason in report.reasons), report.reasons


def _contributions(root: Path, name: str, period: str) -> Path:
    body = "uscc,period,base_total,due,paid\n" + "".join(f"{c},{period},1000,200,200\n" for c in KNOWN)
    return _write(Case(name, "si_contributions", name, text(body), "ingested"), root)


@pytest.mark.parametrize("one_run", [True, False], ids=["same-run", "later-run"])
def test_a_missing_month_is_a_warning_across_files_and_the_rows_are_kept(
    home_with_register: Settings, tmp_path: Path, one_run: bool
) -> None:
    november = _contributions(tmp_path / "a", "2025-11.csv", "2025-11")
    january = _contributions(tmp_path / "b", "2026-01.csv", "2026-01")
    if one_run:
        reports = ingest_paths(home_with_register, [november, january], now=NOW)
    else:
        reports = ingest_paths(home_with_register, [november], now=NOW) + ingest_paths(
            home_with_register, [january], now=NOW
        )
    assert [r.rows_valid for r in reports] == [5, 5]
    assert reports[0].warnings == {}
    assert reports[1].warnings == {"si_contributions.period.monthly_continuity": 5}
