"""Every export variant written by ``write_table`` reads back to the same canonical values."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from sources.schema import PAYROLL, SENTIMENT, SI_CHANGES, SOURCES
from sources.synthetic import FileFormat, GenerationSummary, generate_city, write_table
from sources.synthetic.formats import CONTAINERS, DATE_STYLES, ENCODINGS
from tests.unit.sources.synthetic_readback import decode, raw_cells, read_file

PAYROLL_ROWS = pl.DataFrame(
    {
        "uscc": ["911410819027292129", "91141081090959695X"],
        "period": [date(2025, 1, 1), date(2025, 2, 1)],
        "workers_paid": [1234, 0],
        "gross_pay": [6_543_210.5, 0.0],
        "paid_on": [date(2025, 2, 10), None],
        "arrears_workers": [0, 12],
        "arrears_amount": [0.0, 45_600.0],
    }
)
SENTIMENT_ROWS = pl.DataFrame(
    {
        "record_id": ["XF202501010000001", "YQ202501020000001"],
        "published_at": [datetime(2025, 1, 1, 9, 30, 5), datetime(2025, 1, 2, 23, 59, 0)],
        "channel": ["petition", "online"],
        "text": ["信访人12人反映鑫达铜业拖欠工资", '<p class="x">鑫达没有裁员 😡 https://t.cn/A6x</p>'],
        "uscc": ["911410819027292129", None],
        "participants": [12, None],
        "location": ["市信访局接待大厅", None],
    }
)

VARIANTS = [
    FileFormat(
        container=c,
        encoding=e,
        chinese_headers=h,
        date_style=s,
        full_width=w,
        thousands=t,
        chinese_enums=h,
        title=title,
        seed=7,
    )
    for c, e, s, h, w, t, title in [
        ("csv", "utf-8", "iso", False, 0.0, False, None),
        ("csv", "utf-8-sig", "slash", True, 1.0, True, None),
        ("csv", "gb18030", "chinese", True, 0.5, True, None),
        ("tsv", "gb18030", "compact", True, 0.0, False, None),
        ("tsv", "utf-8", "mixed", False, 0.5, True, None),
        ("xlsx", "utf-8", "native", True, 0.0, False, "侯马市2025年3月工资发放情况表"),
        ("xlsx", "utf-8", "chinese", False, 1.0, True, None),
        ("parquet", "utf-8", "native", True, 0.0, False, None),
        ("parquet", "utf-8", "mixed", False, 0.5, True, None),
    ]
]


@pytest.mark.parametrize("fmt", VARIANTS, ids=lambda f: f"{f.container}-{f.encoding}-{f.date_style}")
@pytest.mark.parametrize(
    ("source", "frame"), [(PAYROLL, PAYROLL_ROWS), (SENTIMENT, SENTIMENT_ROWS)], ids=["payroll", "sentiment"]
)
def test_every_variant_reads_back_to_the_canonical_values(
    tmp_path: Path, fmt: FileFormat, source, frame
) -> None:
    path = write_table(frame, tmp_path / "file", source, fmt)
    back = read_file(path, source, tmp_path).select(frame.columns)
    expected = (
        frame.with_columns(pl.col("published_at").dt.replace_time_zone("Asia/Shanghai"))
        if "published_at" in frame.columns
        else frame
    )
    if fmt.date_style in ("slash", "chinese", "mixed") and "published_at" in frame.columns:
        # Minute-precision spellings drop the seconds.
        back = back.with_columns(pl.col("published_at").dt.truncate("1m"))
        expected = expected.with_columns(pl.col("published_at").dt.truncate("1m"))
    assert back.equals(expected.select(back.columns)), (back, expected)


def test_headers_enums_digits_and_title_are_what_an_office_writes(tmp_path: Path) -> None:
    fmt = FileFormat(
        container="csv",
        encoding="gb18030",
        chinese_headers=True,
        date_style="chinese",
        full_width=1.0,
        thousands=True,
        chinese_enums=True,
    )
    path = write_table(SENTIMENT_ROWS, tmp_path / "舆情", SENTIMENT, fmt)
    data = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = decode(data)
    assert text.splitlines()[0].startswith("编号,发布时间,渠道,内容")
    assert "信访" in text and ",１２," in text and "2025年01月01日 09:30" in text
    pay = write_table(PAYROLL_ROWS, tmp_path / "pay", PAYROLL, FileFormat(thousands=True))
    assert '"6,543,210.50"' in pay.read_text(encoding="utf-8")
    titled = FileFormat(container="xlsx", title="侯马市2025年3月社保增减员明细表", date_style="iso")
    frame = pl.DataFrame(
        {
            "uscc": ["911410819027292129"],
            "date": [date(2025, 3, 3)],
            "added": [1],
            "removed": [0],
            "insured_total": [9],
        }
    )
    cells, header_row = raw_cells(write_table(frame, tmp_path / "x", SI_CHANGES, titled))
    assert header_row == 2 and titled.data_row_number(0) == 3 and cells.height == 1


def test_text_cells_pass_through_for_hand_made_bad_inputs(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "uscc": ["911410819027292129"],
            "date": ["2025-02-30"],
            "added": ["-3"],
            "removed": ["0"],
            "insured_total": ["x"],
        }
    )
    path = write_table(frame, tmp_path / "bad", SI_CHANGES, FileFormat(date_style="chinese", full_width=1.0))
    assert path.read_text(encoding="utf-8").splitlines()[1] == "911410819027292129,2025-02-30,-3,0,x"


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    out = tmp_path_factory.mktemp("formats")
    return out, generate_city(out, enterprises=300, months=24, seed=5, end=date(2026, 1, 10), error_rate=0.0)


def test_every_format_variant_appears(city: tuple[Path, GenerationSummary]) -> None:
    _, summary = city
    seen = list(summary.formats.values())
    assert {f["container"] for f in seen} == set(CONTAINERS)
    assert {f["encoding"] for f in seen if f["container"] in ("csv", "tsv")} == set(ENCODINGS)
    assert {f["date_style"] for f in seen} == set(DATE_STYLES)
    for flag in ("chinese_headers", "thousands", "chinese_enums"):
        assert {f[flag] for f in seen} == {True, False}, flag
    assert {f["full_width"] > 0 for f in seen} == {True, False}
    assert any(f["title"] for f in seen if f["container"] == "xlsx")
    assert any(not f["title"] for f in seen if f["container"] == "xlsx")
    # Some monthly files say when they were reported; the others are known from the 15th.
    has_column = {
        PAYROLL.column("reported_on").label in raw_cells(city[0] / "landing" / p)[0].columns
        or "reported_on" in raw_cells(city[0] / "landing" / p)[0].columns
        for p in summary.files["payroll"]
    }
    assert has_column == {True, False}
    for name in SOURCES:
        if name != "outcomes":
            assert name in summary.files


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    def files(out: Path) -> dict[str, bytes]:
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}

    a, b, c = (tmp_path / n for n in "abc")
    for out, seed in ((a, 1), (b, 1), (c, 2)):
        generate_city(out, enterprises=200, months=6, seed=seed, end=date(2025, 6, 30), error_rate=0.01)
    assert files(a) == files(b)
    assert files(a).keys() == files(c).keys() and files(a) != files(c)
