"""The daily report as an XLSX workbook: one sheet per section with Chinese headers, and native
Excel charts (Excel draws the Chinese text with its own fonts).

Every text cell is written as text (never a formula) and, like the watchlist export, a value a
spreadsheet would take for a formula gets a leading apostrophe, so a copy into another sheet or a
CSV stays inert too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from alerts.report import rows as r
from alerts.report.figures import DISTRIBUTION_TIERS, REPORT_TIERS, DailyFigures
from alerts.report.svg import TIER_COLOURS
from sources.text import FORMULA_START

SHEETS = ("总览", "趋势", "分布", "预警", "清单变动", "数据质量")
_FORMULA = re.compile(FORMULA_START)
WIDE = 48  # characters: reasons and names wrap beyond this


def safe_text(value: str) -> str:
    """``value`` with a leading ' when a spreadsheet would run it as a formula (``sources.text``' rule)."""
    return "'" + value if _FORMULA.search(value) else value


def write_workbook(f: DailyFigures, path: Path) -> Path:
    """Write the workbook for ``f`` to ``path`` (sheets ``SHEETS``); returns ``path``."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    styles = _Styles(book)
    _overview(book, styles, f)
    _trend(book, styles, f)
    _distribution(book, styles, f)
    _alerts(book, styles, f)
    _table(book.add_worksheet("清单变动"), styles, r.WATCH_HEADERS, r.watch_rows(f), title="重点关注企业清单变动",
           empty="当日清单无变动。")  # fmt: skip
    _quality(book, styles, f)
    book.close()
    return path


class _Styles:
    def __init__(self, book: Workbook) -> None:
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.header = book.add_format({"bold": True, "bg_color": "#F0F0F0", "border": 1, "text_wrap": True})
        self.cell = book.add_format({"border": 1, "text_wrap": True, "valign": "top"})
        self.number = book.add_format({"border": 1, "num_format": "#,##0", "valign": "top"})
        self.note = book.add_format({"italic": True, "font_color": "#666666"})
        self.widths: dict[tuple[str, int], int] = {}  # a column is as wide as the widest table in it


def _write(sheet: Worksheet, row: int, col: int, value: Any, styles: _Styles) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        sheet.write_string(row, col, safe_text("" if value is None else str(value)), styles.cell)
    else:
        sheet.write_number(row, col, value, styles.number)


def _table(
    sheet: Worksheet,
    styles: _Styles,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    title: str,
    empty: str,
    first_row: int = 0,
) -> int:
    """Write a titled table from ``first_row``; returns the row after it. Columns sized to content."""
    sheet.write_string(first_row, 0, title, styles.title)
    for c, header in enumerate(headers):
        sheet.write_string(first_row + 1, c, header, styles.header)
    for i, row in enumerate(rows):
        for c, value in enumerate(row):
            _write(sheet, first_row + 2 + i, c, value, styles)
    if not rows:
        sheet.write_string(first_row + 2, 0, empty, styles.note)
    for c, header in enumerate(headers):
        longest = max(
            [_width(header), *(_width(row[c]) for row in rows), styles.widths.get((sheet.name, c), 0)]
        )
        styles.widths[(sheet.name, c)] = longest
        sheet.set_column(c, c, min(max(longest + 2, 8), WIDE))
    return first_row + 3 + max(len(rows), 1)


def _width(value: Any) -> int:
    # CJK characters take two columns in Excel's default font.
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _overview(book: Workbook, styles: _Styles, f: DailyFigures) -> None:
    sheet = book.add_worksheet("总览")
    rows = r.overview_rows(f)
    end = _table(sheet, styles, ("指标", "数值", "变化"), rows, title=f"{r.TITLE}（{f.as_of}）", empty="")
    sheet.write_string(end, 0, f"模型版本：{f.model_version}", styles.note)
    sheet.write_string(end + 1, 0, f"生成时间：{f.generated_at:%Y-%m-%d %H:%M}", styles.note)
    # The four tier rows follow the three date/scored rows; the chart reads them in place.
    chart = book.add_chart({"type": "column"})
    chart.add_series({
        "name": "企业数", "categories": ["总览", 5, 0, 8, 0], "values": ["总览", 5, 1, 8, 1],
        "points": [{"fill": {"color": TIER_COLOURS[t]}} for t in REPORT_TIERS],
        "data_labels": {"value": True},
    })  # fmt: skip
    chart.set_title({"name": f"{f.data_as_of} 各等级风险企业数"})
    chart.set_legend({"none": True})
    sheet.insert_chart(1, 4, chart)


def _trend(book: Workbook, styles: _Styles, f: DailyFigures) -> None:
    sheet = book.add_worksheet("趋势")
    rows = r.trend_rows(f)
    _table(
        sheet,
        styles,
        ("评分日", *r.TREND_HEADERS),
        rows,
        title=f"近{len(rows)}个评分日风险等级趋势",
        empty="",
    )
    chart = book.add_chart({"type": "line"})
    last = 1 + len(rows)
    for c, tier in enumerate(REPORT_TIERS, start=1):
        chart.add_series({
            "name": ["趋势", 1, c], "categories": ["趋势", 2, 0, last, 0], "values": ["趋势", 2, c, last, c],
            "line": {"color": TIER_COLOURS[tier], "width": 2}, "marker": {"type": "circle", "size": 4},
        })  # fmt: skip
    chart.set_title({"name": "各等级风险企业数趋势"})
    chart.set_y_axis({"name": "企业数", "min": 0})
    chart.set_size({"width": 720, "height": 360})
    sheet.insert_chart(1, len(r.TREND_HEADERS) + 2, chart)


def _distribution(book: Workbook, styles: _Styles, f: DailyFigures) -> None:
    sheet = book.add_worksheet("分布")
    start = 0
    tiers = [r.tier_label(t) for t in DISTRIBUTION_TIERS]
    for attr, title, header in r.DISTRIBUTIONS:
        rows = r.distribution_rows(getattr(f, attr))
        end = _table(sheet, styles, (header, *tiers, "合计"), rows, title=f"黄色及以上风险企业{title}",
                     empty="当日没有黄色及以上风险企业。", first_row=start)  # fmt: skip
        if rows:
            height = max(260, 22 * len(rows) + 90)
            chart = book.add_chart({"type": "bar", "subtype": "stacked"})
            first, last = start + 2, start + 1 + len(rows)
            for c, tier in enumerate(DISTRIBUTION_TIERS, start=1):
                chart.add_series({
                    "name": ["分布", start + 1, c], "categories": ["分布", first, 0, last, 0],
                    "values": ["分布", first, c, last, c], "fill": {"color": TIER_COLOURS[tier]},
                })  # fmt: skip
            chart.set_title({"name": f"黄色及以上风险企业{title}"})
            chart.set_y_axis({"reverse": True})  # biggest first, as in the table
            chart.set_size({"width": 640, "height": height})
            sheet.insert_chart(start + 1, len(tiers) + 3, chart)
            # The next table starts below this chart (about 20 pixels a row), not over it.
            end = max(end, start + 2 + height // 20)
        start = end + 1


def _alerts(book: Workbook, styles: _Styles, f: DailyFigures) -> None:
    sheet = book.add_worksheet("预警")
    start = 0
    for attr, title, empty in r.ALERT_TABLES:
        rows = r.alert_rows(getattr(f, attr))
        start = _table(sheet, styles, r.ALERT_HEADERS, rows, title=f"{title}（{len(rows)} 条）", empty=empty,
                       first_row=start) + 1  # fmt: skip


def _quality(book: Workbook, styles: _Styles, f: DailyFigures) -> None:
    sheet = book.add_worksheet("数据质量")
    end = _table(sheet, styles, r.QUALITY_HEADERS, r.quality_rows(f), title=f"{f.as_of} 收到的数据文件",
                 empty="当日没有收到数据文件。")  # fmt: skip
    rejected = r.rejected_rows(f)
    if rejected:
        _table(sheet, styles, ("数据源", "文件", "拒收原因"), rejected, title="整份拒收的文件", empty="",
               first_row=end + 1)  # fmt: skip
