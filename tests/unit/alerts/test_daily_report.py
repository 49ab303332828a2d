"""The daily report (日报) as a bureau head reads it: headline figures, trend, distributions, the day's
alerts and watchlist changes, data quality; HTML that works offline and XLSX with native charts."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
import sqlalchemy as sa
from sqlmodel import select

from alerts.actions import act
from alerts.report import DailyReport, write_daily_report
from alerts.report.figures import TOP_AREAS, tier_distribution
from alerts.report.workbook import SHEETS
from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from store.tables import Alert, Enterprise, IngestionBatch, RiskScore
from tests.unit.alerts.builders import at, code, day, model_version, register, run_day, session_for
from tests.unit.watchlist.builders import score

SCRIPT_NAME = "<script>alert(1)</script>制造厂"
FORMULA_NAME = "=1+2贸易公司"
DAY0 = {1: "red", 2: "orange", 3: "yellow", 4: "blue", 5: "none", 6: "none", 7: "none"}
DAY1 = {1: "red", 2: "red", 3: "yellow", 4: "yellow", 5: "none", 6: "insufficient_data", 7: "orange"}
DAY3 = {**DAY1, 3: "none", 6: "none"}


class _Text(HTMLParser):
    """The page's visible text (scripts would be tags, so none is expected) and the tags seen."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(path: Path) -> _Text:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def sheet_rows(path: Path, name: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in openpyxl.load_workbook(path)[name].iter_rows(values_only=True)]


def run(settings: Settings, n: int, tiers: dict[int, str]) -> None:
    """Day ``n``'s scores and alerting step, sharing one ``now`` as in the daily flow (the builders'
    score rows carry a fixed ``scored_at``, and the report finds a day's run by it)."""
    run_day(settings, n, tiers)
    with session_for(settings) as session:
        session.execute(sa.update(RiskScore).where(RiskScore.as_of == day(n)).values(scored_at=at(n)))


@pytest.fixture
def city(db_settings: Settings) -> Settings:
    """Seven enterprises in three townships over four days: day 1 raises 2 to red, opens 4, 7 and the
    上马街道 area warning; day 2 repeats day 1 (no alert changes); day 3 resolves 3. Enterprise 1's
    alert is acknowledged on day 1; two files arrive on day 1, one of them refused."""
    s = db_settings
    with session_for(s) as session:
        register(session, 1, 7, township="上马街道")
        register(session, 2, township="上马街道", name=FORMULA_NAME)
        register(session, 3, township="下马镇", name=SCRIPT_NAME)
        register(session, 4, 5, 6, township="城关镇")
        session.execute(
            sa.update(Enterprise).where(Enterprise.uscc.in_([code(1), code(2)])).values(chain="精深铜加工")
        )
        model_version(session)
    run(s, 0, DAY0)
    run(s, 1, DAY1)
    with session_for(s) as session:
        first = session.exec(select(Alert).where(Alert.subject == code(1))).one()
        for source, name, status, read, valid, quarantined, reason in (
            ("payroll", "工资-3月.xlsx", "ingested", 100, 95, 5, None),
            ("payroll", "工资-补报.csv", "rejected", 0, 0, 0, "缺少必填列「工资总额」"),
            ("si_changes", "增减员.csv", "ingested", 50, 50, 0, None),
        ):
            session.add(
                IngestionBatch(
                    id=f"{name:0<64}"[:64], source=source, file_name=name, file_path=f"/landing/{name}",
                    format="csv", status=status, reason=reason, rows_read=read, rows_valid=valid,
                    rows_quarantined=quarantined, received_at=at(1, -1),
                )
            )  # fmt: skip
    act(s, first.id or 0, "acknowledge", by="张三", reason="已收到，联系企业", now=at(1, 2))
    run(s, 2, DAY1)
    run(s, 3, DAY3)
    return s


def report(settings: Settings, n: int) -> DailyReport:
    return write_daily_report(settings, as_of=day(n), now=at(n, 3))


def test_headline_counts_and_their_change_since_the_previous_scored_day(city: Settings) -> None:
    result = report(city, 1)
    assert result.html == city.reports / "daily" / day(1).isoformat() / f"日报-{day(1)}.html"
    assert result.xlsx.name == f"日报-{day(1)}.xlsx" and result.xlsx.exists()
    s = result.summary
    assert s["scored"] == 7
    assert s["tiers"] == {"red": 2, "orange": 1, "yellow": 2, "blue": 0, "none": 1, "insufficient_data": 1}
    assert s["tier_change"] == {"red": 1, "orange": 0, "yellow": 1, "blue": -1}
    assert s["open_alerts"]["acknowledged"] == 1 and s["open_alerts"]["open"] == 5  # 2, 3, 4, 7 and the area
    assert s["area_warnings"] == 1
    assert (s["new_alerts"], s["escalated_alerts"], s["closed_alerts"]) == (3, 1, 0)
    assert (s["watchlist_entered"], s["watchlist_left"]) == (2, 0)
    assert (s["files"], s["rows_read"], s["rows_quarantined"], s["rejected_files"]) == (3, 150, 5, 1)

    page = parsed(result.html)
    text = "".join(page.text)
    assert "规模性失业风险监测日报" in text and f"报告日期：{day(1)}" in text
    assert "较上一评分日 +1" in text and "较上一评分日 -1" in text
    assert "缺少必填列「工资总额」" in text and "工资发放" in text
    assert "风险等级由橙色变为红色" in text  # enterprise 2's escalation
    assert page.tags.count("svg") == 3 and "script" not in page.tags and "link" not in page.tags
    for svg in re.findall(r"<svg.*?</svg>", result.html.read_text(encoding="utf-8"), flags=re.S):
        chart = ElementTree.fromstring(svg)  # well-formed, so the browser draws it inline
        assert chart.findall(".//{http://www.w3.org/2000/svg}polyline") or chart.findall(
            ".//{http://www.w3.org/2000/svg}rect"
        )
    assert "模型版本：m1" in text


def test_a_report_written_later_shows_that_day_as_it_was(city: Settings) -> None:
    # Enterprise 1 was acknowledged after day 1's run: the day-0 report, written after day 3, still
    # shows it open, and lists only day 0's new alerts and files.
    summary = write_daily_report(city, as_of=day(0), now=at(4)).summary
    assert (summary["new_alerts"], summary["escalated_alerts"], summary["files"]) == (3, 0, 0)
    assert summary["open_alerts"] == {
        "open": 3, "acknowledged": 0, "verifying": 0, "confirmed": 0, "false_alarm": 0,
    }  # fmt: skip
    assert summary["area_warnings"] == 0


def test_markup_in_a_name_is_shown_as_text_and_formulas_are_inert(city: Settings) -> None:
    result = report(city, 0)
    raw = result.html.read_text(encoding="utf-8")
    assert "<script>" not in raw and "&lt;script&gt;alert(1)&lt;/script&gt;制造厂" in raw
    assert SCRIPT_NAME in "".join(parsed(result.html).text)
    names = [row[1] for row in sheet_rows(result.xlsx, "预警")]
    assert SCRIPT_NAME in names and "'" + FORMULA_NAME in names


def test_workbook_has_a_sheet_per_section_with_chinese_headers_and_charts(city: Settings) -> None:
    path = report(city, 1).xlsx
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == list(SHEETS)
    overview = sheet_rows(path, "总览")
    assert overview[1] == ("指标", "数值", "变化")
    assert ("红色风险企业", 2, "较上一评分日 +1") in overview
    assert all(len(book[name]._charts) >= 1 for name in ("总览", "趋势", "分布"))  # type: ignore[attr-defined]
    alerts = sheet_rows(path, "预警")
    assert alerts[1] == ("编号", "企业/区域", "类型", "等级", "乡镇", "主要原因", "通知单位", "当日变化")
    area = next(r for r in alerts if r[2] == "区域")
    assert area[1] == "上马街道" and area[3] == "橙色" and "3家企业" in str(area[5])
    quality = sheet_rows(path, "数据质量")
    assert ("合计", 3, 150, 145, 5, 0, 1) in quality
    distribution = sheet_rows(path, "分布")
    assert ("上马街道", 2, 1, 0, 3) in distribution and ("精深铜加工", 2, 0, 0, 2) in distribution
    assert ("未归属产业链", 0, 1, 2, 3) in distribution


def test_trend_covers_the_scored_days_oldest_first(city: Settings) -> None:
    path = report(city, 3).xlsx
    trend = sheet_rows(path, "趋势")
    assert trend[1] == ("评分日", "红色", "橙色", "黄色", "蓝色", "蓝色及以上合计")
    assert [r[:5] for r in trend[2:6]] == [
        (day(0).isoformat(), 1, 1, 1, 1),
        (day(1).isoformat(), 2, 1, 2, 0),
        (day(2).isoformat(), 2, 1, 2, 0),
        (day(3).isoformat(), 2, 1, 1, 0),
    ]
    s = report(city, 3).summary
    assert s["closed_alerts"] == 1 and s["watchlist_left"] == 0
    assert "风险解除" not in s  # English keys only
    text = "".join(parsed(report(city, 3).html).text)
    assert "风险等级已降至无，低于预警线" in text


def test_a_day_with_no_alert_changes_says_so(city: Settings) -> None:
    result = report(city, 2)
    assert (
        result.summary["new_alerts"],
        result.summary["escalated_alerts"],
        result.summary["closed_alerts"],
    ) == (0, 0, 0)
    text = "".join(parsed(result.html).text)
    assert "当日没有新增预警。" in text and "当日清单无变动。" in text and "当日没有收到数据文件。" in text
    assert "较上一评分日持平" in text


def test_a_day_without_scores_uses_the_latest_scored_day(city: Settings) -> None:
    result = write_daily_report(city, as_of=date(2026, 3, 20), now=at(18))
    assert result.summary["data_as_of"] == day(3).isoformat()
    assert "数据截至：" + day(3).isoformat() in "".join(parsed(result.html).text)


def test_top_areas_then_the_rest_as_others(db_settings: Settings) -> None:
    with session_for(db_settings) as session:
        model_version(session)
        for n in range(1, TOP_AREAS + 4):
            register(session, n, township=f"乡镇{n:02d}")
            score(session, n, "yellow", as_of=day(0))
        groups = tier_distribution(
            session, Enterprise.__table__.c.township, "?", model_version="m1", as_of=day(0)
        )  # type: ignore[attr-defined]
    assert len(groups) == TOP_AREAS + 1
    assert groups[-1] == ("其他", {"red": 0, "orange": 0, "yellow": 3})


def test_a_home_without_scores_gets_one_sentence(db_settings: Settings) -> None:
    with pytest.raises(UserError, match="还没有启用的模型"):
        write_daily_report(db_settings, as_of=day(0), now=at(0))
    with session_for(db_settings) as session:
        model_version(session)
    with pytest.raises(UserError, match=r"模型 m1 在 \S+ 及以前还没有任何评分"):
        write_daily_report(db_settings, as_of=day(0), now=at(0))
