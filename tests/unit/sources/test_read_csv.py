"""CSV and TSV files as the contract accepts them, and the damaged ones it quarantines or rejects."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from layoffwatch.errors import FileRejected
from sources.read import read_file

HEADER = "统一社会信用代码,变动日期,增员人数,减员人数,参保人数"
ROWS = [
    "91141081MA0K000001,2025-12-03,1,25,180",
    "91141081MA0K000002,2025/12/4,0,3,40",
    "91141081MA0K000003,20251205,2,0,12",
]


def changes_file(tmp_path: Path, content: bytes, name: str = "changes.csv") -> Path:
    """A file in a folder named after the si_changes source (so the source is known)."""
    folder = tmp_path / "社保增减员"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return path


def csv_text(*lines: str) -> str:
    return "".join(line + "\n" for line in lines)


def test_utf8_csv_with_chinese_headers_is_read(tmp_path: Path) -> None:
    content = csv_text(HEADER, *ROWS).encode("utf-8")
    raw = read_file(changes_file(tmp_path, content))
    assert raw.source.name == "si_changes"
    assert raw.format == "csv" and raw.encoding == "utf-8"
    assert raw.frame.columns == ["uscc", "date", "added", "removed", "insured_total", "_row", "_problem"]
    assert raw.frame["date"].to_list() == ["2025-12-03", "2025/12/4", "20251205"]
    assert raw.frame["_row"].to_list() == [2, 3, 4]
    assert raw.frame["_problem"].null_count() == 3
    assert raw.header_row == 1
    assert raw.content_hash == hashlib.sha256(content).hexdigest()


def test_utf8_csv_with_bom_is_read(tmp_path: Path) -> None:
    raw = read_file(changes_file(tmp_path, b"\xef\xbb\xbf" + csv_text(HEADER, *ROWS).encode("utf-8")))
    assert raw.encoding == "utf-8-sig"
    assert raw.frame["uscc"].to_list()[0] == "91141081MA0K000001"


def test_gbk_csv_with_chinese_headers_is_read(tmp_path: Path) -> None:
    lines = [
        "统一社会信用代码,企业名称,行业代码,乡镇街道,经济类型,成立日期,经营状态",
        "91141081MA0K000001,侯马市金星铜业有限公司,C32,新田乡,民营,2010-05-01,存续",
    ]
    folder = tmp_path / "企业名录"
    folder.mkdir()
    (folder / "e.csv").write_bytes(csv_text(*lines).encode("gbk"))
    raw = read_file(folder / "e.csv")
    assert raw.encoding == "gb18030"
    assert raw.frame["name"].to_list() == ["侯马市金星铜业有限公司"]
    assert raw.frame["township"].to_list() == ["新田乡"]


def test_tab_separated_txt_file_is_sniffed_as_tsv(tmp_path: Path) -> None:
    content = csv_text(*(line.replace(",", "\t") for line in (HEADER, *ROWS))).encode("gb18030")
    raw = read_file(changes_file(tmp_path, content, "changes.txt"))
    assert raw.format == "tsv"
    assert raw.frame["removed"].to_list() == ["25", "3", "0"]


def test_cells_arrive_exactly_as_written(tmp_path: Path) -> None:
    content = csv_text(HEADER, '９１１４１０８１MA0K000001 , 2025-12-03,１," 1,234 ",180').encode("utf-8")
    raw = read_file(changes_file(tmp_path, content))
    assert raw.frame.row(0)[:5] == ("９１１４１０８１MA0K000001 ", " 2025-12-03", "１", " 1,234 ", "180")


def test_canonical_english_headers_and_required_marks_are_mapped(tmp_path: Path) -> None:
    content = csv_text("* USCC ,Date,增员 人数,＊减员人数,insured_total", ROWS[0]).encode("utf-8")
    raw = read_file(changes_file(tmp_path, content))
    assert raw.frame.columns[:5] == ["uscc", "date", "added", "removed", "insured_total"]


def test_title_lines_above_csv_header_are_skipped(tmp_path: Path) -> None:
    content = csv_text("侯马市2025年12月社保增减员明细,,,,", "制表单位：侯马市人社局,,,,", HEADER, *ROWS)
    raw = read_file(changes_file(tmp_path, content.encode("gbk")))
    assert raw.header_row == 3
    assert raw.frame["_row"].to_list() == [4, 5, 6]
    assert "表头位于第3行" in raw.notes


def test_mixed_encoding_marks_the_undecodable_rows_and_keeps_the_rest(tmp_path: Path) -> None:
    gbk_row = "91141081MA0K000009,2025-12-09,1,2,侯马".encode("gbk")
    content = csv_text(HEADER, *ROWS).encode("utf-8") + gbk_row + b"\n"
    raw = read_file(changes_file(tmp_path, content))
    assert raw.encoding == "utf-8"
    assert raw.frame.height == 4
    assert raw.frame["_problem"].to_list()[:3] == [None, None, None]
    assert "UTF-8" in raw.frame["_problem"][3] and raw.frame["_row"][3] == 5


def test_mixed_encoding_with_gbk_majority_marks_the_utf8_rows(tmp_path: Path) -> None:
    named = [f"{row},侯马市金星铜业有限公司" for row in ROWS]
    gbk = csv_text(HEADER + ",企业名称", *named).encode("gbk")
    utf8_row = csv_text("91141081MA0K000009,2025-12-09,1,2,3,平阳医药科技").encode("utf-8")
    raw = read_file(changes_file(tmp_path, gbk + utf8_row))
    assert raw.encoding == "gb18030"
    problems = raw.frame["_problem"].to_list()
    assert problems[:3] == [None, None, None]
    assert "UTF-8" in problems[3]


def test_binary_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="二进制"):
        read_file(changes_file(tmp_path, bytes(range(256)) * 40))


def test_garbage_bytes_are_rejected(tmp_path: Path) -> None:
    garbage = bytes((7 * i * i + 129) % 127 + 129 for i in range(4000)).replace(b"\x00", b"")
    with pytest.raises(FileRejected):
        read_file(changes_file(tmp_path, garbage.replace(b"\xff", b"\n")))


def test_utf16_file_is_rejected_with_the_way_out(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="UTF-16"):
        read_file(changes_file(tmp_path, csv_text(HEADER, *ROWS).encode("utf-16")))


@pytest.mark.parametrize("content", [b"", b"  \r\n\n\t", b"\xef\xbb\xbf"])
def test_empty_file_is_rejected(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(FileRejected, match="文件为空"):
        read_file(changes_file(tmp_path, content))


def test_header_only_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="文件只有表头，没有数据行"):
        read_file(changes_file(tmp_path, csv_text(HEADER, ",,,,", "").encode("utf-8")))


def test_truncated_last_record_is_marked_and_complete_records_arrive(tmp_path: Path) -> None:
    content = (csv_text(HEADER, *ROWS) + "91141081MA0K000004,2025-12").encode("utf-8")
    raw = read_file(changes_file(tmp_path, content))
    assert raw.frame["_problem"].to_list()[:3] == [None, None, None]
    assert raw.frame["_problem"][3] == "该行有2个字段，表头有5个字段（文件可能被截断）"
    assert raw.frame["_row"][3] == 5


def test_unterminated_quote_marks_the_damaged_record(tmp_path: Path) -> None:
    content = (csv_text(HEADER, *ROWS) + '91141081MA0K000004,2025-12-06,1,"2').encode("utf-8")
    raw = read_file(changes_file(tmp_path, content))
    assert raw.frame.height == 4
    assert raw.frame["_problem"].to_list() == [None, None, None, "该行的引号没有闭合（文件可能被截断）"]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("91141081MA0K000004,2025-12-06,1,2,3,4", "该行有6个字段，表头有5个字段"),
        ("91141081MA0K000004,2025-12-06,1", "该行有3个字段，表头有5个字段"),
    ],
)
def test_rows_with_too_many_or_too_few_fields_are_marked(tmp_path: Path, row: str, problem: str) -> None:
    raw = read_file(changes_file(tmp_path, csv_text(HEADER, ROWS[0], row, ROWS[1]).encode("utf-8")))
    assert raw.frame["_problem"].to_list() == [None, problem, None]
    assert raw.frame["_row"].to_list() == [2, 3, 4]


def test_blank_lines_are_skipped_and_row_numbers_stay_true(tmp_path: Path) -> None:
    content = csv_text(HEADER, ROWS[0], "", "   ", ",,,,", ROWS[1]).replace("\n", "\r\n")
    raw = read_file(changes_file(tmp_path, content.encode("utf-8")))
    assert raw.frame["_row"].to_list() == [2, 6]
    assert raw.frame["_problem"].null_count() == 2
    assert raw.frame["insured_total"].to_list() == ["180", "40"]


def test_quoted_fields_with_newlines_commas_quotes_and_emoji_are_read(tmp_path: Path) -> None:
    header = "编号,发布时间,渠道,内容"
    post = '"工资拖欠\n三个月了，""老板""跑路😡, 求助 <a href=x>链接</a>"'
    content = csv_text(header, f"A1,2025-12-03 14:30,网络,{post}", "A2,2025-12-04,信访,正常")
    folder = tmp_path / "舆情"
    folder.mkdir()
    (folder / "s.csv").write_text(content, encoding="utf-8")
    raw = read_file(folder / "s.csv")
    assert raw.frame["text"].to_list() == [
        '工资拖欠\n三个月了，"老板"跑路😡, 求助 <a href=x>链接</a>',
        "正常",
    ]
    assert raw.frame["_row"].to_list() == [2, 4]


def test_one_megabyte_cell_is_read(tmp_path: Path) -> None:
    long_post = "欠薪" * 300_000
    content = csv_text(
        "编号,发布时间,渠道,内容", f'A1,2025-12-03,网络,"{long_post}"', "A2,2025-12-03,网络,短"
    )
    folder = tmp_path / "舆情"
    folder.mkdir()
    (folder / "s.csv").write_text(content, encoding="utf-8")
    raw = read_file(folder / "s.csv")
    assert raw.frame["text"][0] == long_post


def test_stray_quote_inside_a_field_is_read_by_the_exact_path(tmp_path: Path) -> None:
    rows = ['91141081MA0K000004,2025-12-06,1,2"3,4', ROWS[0], ROWS[1] + ",9"]
    raw = read_file(changes_file(tmp_path, csv_text(HEADER, *rows).encode("utf-8")))
    assert raw.frame["removed"].to_list() == ['2"3', "25", "3"]
    assert raw.frame["_problem"].to_list() == [None, None, "该行有6个字段，表头有5个字段"]
    assert raw.frame["_row"].to_list() == [2, 3, 4]


def test_csv_without_any_known_header_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="找不到表头"):
        read_file(changes_file(tmp_path, b"a,b,c\n1,2,3\n"))
