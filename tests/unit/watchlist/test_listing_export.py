"""The list as officers read and export it: their columns in their order, one row per enterprise, safe cells."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl

from layoffwatch.settings import Settings
from tests.unit.watchlist.builders import (
    alert,
    at,
    code,
    day,
    model_version,
    reason,
    register,
    score,
    session_for,
    tiers,
)  # fmt: skip
from watchlist.daily import update_watchlist
from watchlist.export import EXPORT_HEADERS, SHEET_NAME, export_frame, json_rows, write_export
from watchlist.industries import SECTIONS_ZH, industry_label
from watchlist.listing import watchlist_frame
from watchlist.manual import add_manual, remove_manual

HEADERS = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所属乡镇",
    "行业",
    "参保人数",
    "风险等级",
    "主要风险因素",
    "纳入时间",
    "纳入原因",
    "责任单位",
]
RED_REASONS = [reason("近期集中减员", "近30天减员占参保人数18%"), reason("拖欠工资", "2个月工资未发")]


def city(settings: Settings) -> None:
    """1: red, automatic and by hand, with an alert; 2: by hand, office 公安局; 3: orange with an
    alert to hr and petitions, later removed nothing; 4: formula-like name, by hand, not scored;
    5: blue (not on the list)."""
    with session_for(settings) as session:
        register(session, 1, 2, 3, 5)
        register(session, 4, name='=HYPERLINK("http://x")', industry="F51")
        model_version(session)
        score(session, 1, "red", as_of=day(0), headcount=250, reasons=RED_REASONS)
        score(session, 2, "none", as_of=day(0), headcount=30)
        score(session, 3, "orange", as_of=day(0), headcount=80, reasons=[reason("社保欠费", "欠缴3个月")])
        score(session, 5, "blue", as_of=day(0))
        frame = tiers({1: "red", 2: "none", 3: "orange", 5: "blue"}, {1: RED_REASONS})
        update_watchlist(session, frame, as_of=day(0), now=at(0), entry_tier="yellow", exit_after_days=14)
        alert(session, 3, ["hr", "petitions"])
        alert(session, 1, ["public_security"], status="closed")
        add_manual(session, code(1), reason="群众反映欠薪", by="张三", now=at(1), as_of=day(1))
        add_manual(
            session,
            code(2),
            reason="重点税源企业",
            by="张三",
            now=at(1),
            as_of=day(1),
            office="public_security",
        )
        add_manual(session, code(4), reason="网传停产", by="张三", now=at(1), as_of=day(1))


def listing(settings: Settings, *, include_history: bool = False) -> pl.DataFrame:
    with session_for(settings) as session:
        return watchlist_frame(session, include_history=include_history)


def test_the_list_has_one_row_per_enterprise_riskiest_first(db_settings: Settings) -> None:
    city(db_settings)
    rows = {r["uscc"]: r for r in listing(db_settings).to_dicts()}
    assert list(rows) == [code(1), code(3), code(2), code(4)]
    first = rows[code(1)]
    assert (first["no"], first["tier_zh"], first["headcount"], first["industry"]) == (
        1,
        "红色",
        250,
        "C32 制造业",
    )
    assert first["risk_factors"] == "近30天减员占参保人数18%；2个月工资未发"
    assert first["reason"] == "风险等级升至红色：近期集中减员、拖欠工资；人工纳入：群众反映欠薪"
    assert first["entered_on"] == day(0) and first["kinds"] == ["auto", "manual"]
    assert first["offices"] == "人社局"  # its only alert is closed
    assert rows[code(3)]["offices"] == "人社局、信访局"
    assert (rows[code(2)]["offices"], rows[code(2)]["tier_zh"]) == ("公安局", "无")
    assert (rows[code(4)]["tier_zh"], rows[code(4)]["headcount"], rows[code(4)]["industry"]) == (
        "未评分",
        None,
        "F51 批发和零售业",
    )


def test_the_history_has_every_stay_with_how_it_ended(db_settings: Settings) -> None:
    city(db_settings)
    with session_for(db_settings) as session:
        remove_manual(session, code(2), reason="已核实", by="李四", now=at(2), as_of=day(2))
    current = listing(db_settings)
    history = listing(db_settings, include_history=True)
    assert code(2) not in current["uscc"].to_list()
    assert history.height == 5  # auto 1, auto 3, manual 1, 2, 4
    gone = history.filter(pl.col("uscc") == code(2)).row(0, named=True)
    assert (gone["left_on"], gone["leave_reason"]) == (day(2), "已核实")


def test_the_export_has_the_officers_headers_in_order(db_settings: Settings, tmp_path: Path) -> None:
    city(db_settings)
    frame = export_frame(listing(db_settings))
    assert frame.columns == HEADERS == list(EXPORT_HEADERS.values())
    history = export_frame(listing(db_settings, include_history=True))
    assert history.columns == [*HEADERS, "移出时间", "移出原因"]


def test_the_xlsx_reads_back_with_a_formula_like_name_neutralised(
    db_settings: Settings, tmp_path: Path
) -> None:
    city(db_settings)
    path = write_export(listing(db_settings), tmp_path / "out" / "清单.xlsx", format="xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET_NAME]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert len(rows) == 5
    names = [r[1] for r in rows[1:]]
    assert '\'=HYPERLINK("http://x")' in names
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    first = dict(zip(HEADERS, rows[1], strict=True))
    assert (first["统一社会信用代码"], first["风险等级"], first["参保人数"]) == (code(1), "红色", 250)


def test_the_csv_opens_in_excel_with_chinese_intact(db_settings: Settings, tmp_path: Path) -> None:
    city(db_settings)
    path = write_export(listing(db_settings), tmp_path / "清单.csv", format="csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pl.read_csv(raw[3:])
    assert back.columns == HEADERS
    assert back["企业名称"].to_list()[-1] == '\'=HYPERLINK("http://x")'
    assert back["纳入时间"].to_list()[0] == "2026-03-01"


def test_json_rows_have_english_keys_and_iso_dates(db_settings: Settings) -> None:
    city(db_settings)
    (first, *_) = json_rows(listing(db_settings))
    assert first["uscc"] == code(1) and first["tier"] == "red" and first["entered_on"] == "2026-03-01"


def test_an_empty_list_exports_headers_only(db_settings: Settings, tmp_path: Path) -> None:
    frame = listing(db_settings)
    assert frame.is_empty()
    path = write_export(frame, tmp_path / "empty.xlsx", format="xlsx")
    assert list(next(openpyxl.load_workbook(path)[SHEET_NAME].iter_rows(values_only=True))) == HEADERS


def test_industry_shows_the_code_with_its_gbt_4754_section() -> None:
    assert "".join(SECTIONS_ZH) == "ABCDEFGHIJKLMNOPQRST"
    codes = pl.DataFrame({"industry": ["C32", "e47", "S90", "Z99", None]})
    labels = codes.select(industry_label(pl.col("industry"))).to_series().to_list()
    assert labels == ["C32 制造业", "e47 建筑业", "S90 公共管理、社会保障和社会组织", "Z99", None]
