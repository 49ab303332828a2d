"""Header mapping and source detection, whatever the file format."""

from __future__ import annotations

from pathlib import Path

import pytest

from layoffwatch.errors import FileRejected, UserError
from sources.read import detect_source, input_files, read_file

CHANGES = "统一社会信用代码,变动日期,增员人数,减员人数,参保人数\n91141081MA0K000001,2025-12-03,1,25,180\n"


def file_in(tmp_path: Path, folder: str, content: str, name: str = "f.csv") -> Path:
    (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    path = tmp_path / folder / name
    path.write_text(content, encoding="utf-8")
    return path


def test_missing_required_column_rejects_file_naming_the_column(tmp_path: Path) -> None:
    path = file_in(tmp_path, "社保增减员", "统一社会信用代码,变动日期,增员人数,参保人数\nX,2025-12-03,1,2\n")
    with pytest.raises(FileRejected) as rejected:
        read_file(path)
    assert rejected.value.column == "removed"
    assert "“减员人数”（removed）" in rejected.value.reason
    assert "统一社会信用代码、变动日期、增员人数、参保人数" in rejected.value.reason


def test_duplicate_headers_for_one_column_reject_file_naming_both(tmp_path: Path) -> None:
    path = file_in(
        tmp_path,
        "企业名录",
        "统一社会信用代码,企业名称,单位名称,行业代码,乡镇街道,经济类型,成立日期,经营状态\nX,a,b,C32,t,民营,2010-01-01,存续\n",
    )
    with pytest.raises(FileRejected, match="“企业名称”和列“单位名称”") as rejected:
        read_file(path)
    assert rejected.value.column == "name"


def test_extra_columns_are_ignored_and_reported(tmp_path: Path) -> None:
    path = file_in(
        tmp_path, "社保增减员", CHANGES.replace("参保人数\n", "参保人数,备注2\n").replace("180\n", "180,x\n")
    )
    raw = read_file(path)
    assert raw.extra_columns == ("备注2",)
    assert "已忽略多余的列：备注2" in raw.notes
    assert "备注2" not in raw.frame.columns


def test_missing_optional_column_is_simply_absent(tmp_path: Path) -> None:
    path = file_in(tmp_path, "舆情", "编号,发布时间,渠道,内容\nA1,2025-12-03,网络,欠薪\n")
    raw = read_file(path)
    assert "uscc" not in raw.frame.columns and "participants" not in raw.frame.columns


def test_source_is_taken_from_the_folder_alias(tmp_path: Path) -> None:
    assert read_file(file_in(tmp_path, "增减员", CHANGES)).source.name == "si_changes"
    assert read_file(file_in(tmp_path, "si_changes", CHANGES)).source.name == "si_changes"


def test_source_is_recognised_from_the_headers_elsewhere(tmp_path: Path) -> None:
    assert read_file(file_in(tmp_path, "inbox", CHANGES)).source.name == "si_changes"


def test_given_source_overrides_the_folder(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="缺少「企业名录」必需的列"):
        read_file(file_in(tmp_path, "社保增减员", CHANGES), source="enterprises")


def test_unknown_source_name_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="未知的数据类别"):
        read_file(file_in(tmp_path, "x", CHANGES), source="nope")


def test_unrecognisable_headers_reject_file_naming_the_closest_source(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="无法判断文件属于哪类数据"):
        detect_source(tmp_path / "inbox" / "f.csv", ["统一社会信用代码", "变动日期"])


def test_input_files_expand_folders_skip_hidden_and_sort(tmp_path: Path) -> None:
    for name in [
        "b/2.CSV",
        "b/1.xlsx",
        "a.parquet",
        "notes.md",
        ".hidden.csv",
        ".git/x.csv",
        "b/~$lock.xlsx",
        "c.tsv",
        "d.txt",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    found = input_files([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a.parquet",
        "b/1.xlsx",
        "b/2.CSV",
        "c.tsv",
        "d.txt",
    ]
    assert input_files([tmp_path / "c.tsv", tmp_path]) == found


def test_missing_input_path_is_a_user_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="nowhere"):
        input_files([tmp_path / "nowhere"])
