"""XLSX and Parquet files: sheets, title rows, formulas, dates and numbers as text; corrupt files."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from layoffwatch.errors import FileRejected
from sources.read import read_file

HEADER = ["统一社会信用代码", "变动日期", "增员人数", "减员人数", "参保人数"]


def changes_path(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "社保增减员"
    folder.mkdir(exist_ok=True)
    return folder / name


def workbook(
    tmp_path: Path, rows: list[list[object]], *, title: str | None = None, sheets: tuple[str, ...] = ()
) -> Path:
    """An XLSX file: optional merged title row in A1, then ``rows`` (header first)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "明细"
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
        sheet.append([])
    for row in rows:
        sheet.append(row)
    for name in sheets:
        book.create_sheet(name).append(["统一社会信用代码", "变动日期", "增员人数", "减员人数", "参保人数"])
    path = changes_path(tmp_path, "changes.xlsx")
    book.save(path)
    return path


def test_xlsx_first_sheet_is_read_with_excel_row_numbers(tmp_path: Path) -> None:
    raw = read_file(
        workbook(tmp_path, [HEADER, ["91141081MA0K000001", "2025-12-03", 1, 25, 180]], sheets=("二",))
    )
    assert raw.format == "xlsx" and raw.encoding is None and raw.header_row == 1
    assert raw.frame.row(0) == ("91141081MA0K000001", "2025-12-03", "1", "25", "180", 2, None)
    assert any("读取了“明细”" in note for note in raw.notes)


def test_title_row_above_header_in_xlsx_is_skipped(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        [HEADER, ["91141081MA0K000001", "2025-12-03", 1, 25, 180]],
        title="侯马市2025年3月社保缴费明细表",
    )
    raw = read_file(path)
    assert raw.header_row == 3
    assert raw.frame["_row"].to_list() == [4]
    assert "表头位于第3行" in raw.notes


def test_xlsx_not_starting_in_a1_keeps_excel_row_numbers(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    for offset, value in enumerate(HEADER):
        sheet.cell(row=3, column=2 + offset, value=value)
        sheet.cell(row=5, column=2 + offset, value=f"v{offset}")
    sheet.cell(row=5, column=6).value = '=HYPERLINK("http://x","y")'
    path = changes_path(tmp_path, "offset.xlsx")
    book.save(path)
    raw = read_file(path)
    assert raw.header_row == 3
    assert raw.frame.row(0) == ("v0", "v1", "v2", "v3", '=HYPERLINK("http://x","y")', 5, None)


def test_formula_cell_is_read_as_literal_text(tmp_path: Path) -> None:
    rows = [
        HEADER,
        ["91141081MA0K000001", "2025-12-03", "=1+1", 25, 180],
        ["91141081MA0K000002", "2025-12-03", 0, 1, 5],
    ]
    path = workbook(tmp_path, rows)
    book = openpyxl.load_workbook(path)
    book.active["A3"] = '=HYPERLINK("http://x.cn/?a=1&b=2","点我")'
    book.save(path)
    raw = read_file(path)
    assert raw.frame["added"].to_list() == ["=1+1", "0"]
    assert raw.frame["uscc"].to_list()[1] == '=HYPERLINK("http://x.cn/?a=1&b=2","点我")'


def test_dates_and_numbers_in_xlsx_come_out_as_plain_text(tmp_path: Path) -> None:
    rows = [HEADER, ["91141081MA0K000001", date(2025, 12, 3), 12.0, 3, 1234567]]
    raw = read_file(workbook(tmp_path, rows))
    uscc, day, added, removed, total = raw.frame.row(0)[:5]
    assert day in ("2025-12-03", "2025-12-03 00:00:00")
    assert (added, removed, total) == ("12", "3", "1234567")


def test_named_sheet_is_read(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["x"]], sheets=("社保",))
    book = openpyxl.load_workbook(path)
    book["社保"].append(["91141081MA0K000001", "2025-12-03", 1, 2, 3])
    book.save(path)
    assert read_file(path, sheet="社保").frame["uscc"].to_list() == ["91141081MA0K000001"]


def test_missing_sheet_rejects_file_listing_the_sheets(tmp_path: Path) -> None:
    path = workbook(tmp_path, [HEADER, ["a", "b", 1, 2, 3]], sheets=("二",))
    with pytest.raises(FileRejected, match="没有名为“三”的工作表；文件中的工作表：“明细”、“二”"):
        read_file(path, sheet="三")


def test_corrupt_or_truncated_xlsx_is_rejected(tmp_path: Path) -> None:
    path = workbook(tmp_path, [HEADER, ["a", "b", 1, 2, 3]])
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(FileRejected, match="Excel文件已损坏"):
        read_file(path)


def test_xlsx_named_csv_is_read_as_xlsx_with_a_note(tmp_path: Path) -> None:
    path = workbook(tmp_path, [HEADER, ["a", "b", 1, 2, 3]])
    misnamed = path.rename(path.with_suffix(".csv"))
    raw = read_file(misnamed)
    assert raw.format == "xlsx"
    assert any("扩展名" in note for note in raw.notes)


def test_parquet_columns_are_cast_to_text(tmp_path: Path) -> None:
    table = pa.table(
        {
            "uscc": ["91141081MA0K000001", "91141081MA0K000002"],
            "变动日期": pa.array([date(2025, 12, 3), None], pa.date32()),
            "added": pa.array([1, 2], pa.int64()),
            "removed": pa.array([12.0, 2.5]),
            "insured_total": pa.array([datetime(2025, 12, 3, 8, 30), None], pa.timestamp("us")),
        }
    )
    path = changes_path(tmp_path, "c.parquet")
    pq.write_table(table, path)
    raw = read_file(path)
    assert raw.format == "parquet" and raw.header_row == 0
    assert raw.frame["date"].to_list() == ["2025-12-03", None]
    assert raw.frame["added"].to_list() == ["1", "2"]
    assert raw.frame["removed"].to_list() == ["12", "2.5"]
    assert raw.frame["insured_total"][0].startswith("2025-12-03 08:30:00")
    assert raw.frame["_row"].to_list() == [1, 2]


def test_corrupt_parquet_is_rejected(tmp_path: Path) -> None:
    path = changes_path(tmp_path, "c.parquet")
    pq.write_table(pa.table({"uscc": ["x"] * 100}), path)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(FileRejected, match="Parquet文件已损坏"):
        read_file(path)
