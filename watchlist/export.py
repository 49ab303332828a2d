"""The watchlist in the officers' form: Chinese headers for CSV/XLSX, English keys for JSON.

CSV is UTF-8 with a byte-order mark so that Excel opens the Chinese correctly; every text cell that
a spreadsheet would run as a formula is prefixed with an apostrophe.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import polars as pl

from sources.text import spreadsheet_safe

SHEET_NAME = "重点关注企业清单"
EXPORT_HEADERS = {
    "no": "序号",
    "name": "企业名称",
    "uscc": "统一社会信用代码",
    "township": "所属乡镇",
    "industry": "行业",
    "headcount": "参保人数",
    "tier_zh": "风险等级",
    "risk_factors": "主要风险因素",
    "entered_on": "纳入时间",
    "reason": "纳入原因",
    "offices": "责任单位",
}
HISTORY_HEADERS = {**EXPORT_HEADERS, "left_on": "移出时间", "leave_reason": "移出原因"}
ExportFormat = Literal["csv", "xlsx"]


def export_frame(listing: pl.DataFrame) -> pl.DataFrame:
    """``listing`` (from ``watchlist_frame``) with the officers' Chinese headers in their order, one row
    per listing row; the history's 移出时间 and 移出原因 when ``listing`` has them."""
    headers = HISTORY_HEADERS if "left_on" in listing.columns else EXPORT_HEADERS
    # A column left out of ``listing`` (one an office may not see) is left out of the export.
    headers = {name: header for name, header in headers.items() if name in listing.columns}
    return listing.select(
        spreadsheet_safe(pl.col(name)).alias(name) if listing.schema[name] == pl.String else pl.col(name)
        for name in headers
    ).rename(headers)


def write_export(listing: pl.DataFrame, path: Path, *, format: ExportFormat) -> Path:
    """Write the export of ``listing`` to ``path`` as CSV (UTF-8 with BOM) or XLSX (one sheet,
    重点关注企业清单); returns ``path``."""
    frame = export_frame(listing)
    path.parent.mkdir(parents=True, exist_ok=True)
    if format == "csv":
        frame.write_csv(path, include_bom=True)
    elif format == "xlsx":
        frame.write_excel(path, worksheet=SHEET_NAME, autofit=True, dtype_formats={pl.Date: "yyyy-mm-dd"})
    else:
        raise ValueError(f"format {format!r}: expected csv or xlsx")
    return path


def json_rows(listing: pl.DataFrame) -> list[dict[str, Any]]:
    """One dict per listing row with English keys (dates as ISO text), as ``--json`` prints them."""
    return listing.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d")).to_dicts()

