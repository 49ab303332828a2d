"""Cell text -> typed values in every form the contract allows; anything else parses to null."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from sources.parse import parse_expr
from sources.schema import Column, Kind

TZ = ZoneInfo("Asia/Shanghai")


def parse(kind: Kind, cells: list[str | None], **column: object) -> list[object]:
    col = Column("c", kind, ("列",), **column)  # type: ignore[arg-type]
    return pl.DataFrame({"c": cells}, schema={"c": pl.String}).select(parse_expr(col)).to_series().to_list()


@pytest.mark.parametrize("cell", ["2025-12-03", "2025/12/3", "20251203", "2025年12月3日", " 2025-12-03 ", "２０２５-１２-０３", "2025-12-03 00:00:00"])
def test_every_contract_date_form_parses(cell: str) -> None:
    assert parse(Kind.DATE, [cell]) == [date(2025, 12, 3)]


@pytest.mark.parametrize("cell", ["2025-12", "202512", "2025年12月", "2025/12", "2025-12-01"])
def test_every_contract_month_form_parses_to_the_first_day(cell: str) -> None:
    assert parse(Kind.MONTH, [cell]) == [date(2025, 12, 1)]


@pytest.mark.parametrize("cell", ["2025-13-01", "2025-02-30", "昨天", "12/03/2025", "2025-13"])
def test_impossible_dates_parse_to_null(cell: str) -> None:
    assert parse(Kind.DATE, [cell]) == [None]


@pytest.mark.parametrize(("cell", "value"), [("1,234", 1234), ("１２３", 123), ("  42 ", 42), ("7.0", 7), ("-3", -3), ("12人", 12)])
def test_integers_accept_separators_full_width_digits_and_spaces(cell: str, value: int) -> None:
    assert parse(Kind.INT, [cell]) == [value]


@pytest.mark.parametrize("cell", ["1.5", "三", "1e3", "=1+1", "12,34a"])
def test_non_integers_parse_to_null(cell: str) -> None:
    assert parse(Kind.INT, [cell]) == [None]


def test_money_keeps_decimals_and_drops_separators() -> None:
    assert parse(Kind.MONEY, ["１２,３４５.５", "2,000", "0.5元", "abc"]) == [12345.5, 2000.0, 0.5, None]


def test_empty_and_blank_cells_are_null() -> None:
    assert parse(Kind.TEXT, ["", "   ", "\u3000", None]) == [None, None, None, None]


def test_naive_datetimes_are_asia_shanghai_and_offsets_are_honoured() -> None:
    got = parse(Kind.DATETIME, ["2025-12-03 14:05:00", "2025/12/3 9:05", "2025-12-03T06:05:00+00:00", "2025年12月3日 14:05", "2025-12-03T06:05:00Z"])
    assert got == [
        datetime(2025, 12, 3, 14, 5, tzinfo=TZ),
        datetime(2025, 12, 3, 9, 5, tzinfo=TZ),
        datetime(2025, 12, 3, 14, 5, tzinfo=TZ),
        datetime(2025, 12, 3, 14, 5, tzinfo=TZ),
        datetime(2025, 12, 3, 14, 5, tzinfo=TZ),
    ]


def test_an_aware_parquet_datetime_read_as_text_keeps_its_instant() -> None:
    """Parquet datetimes with a zone reach the parser as '2025-12-03 18:00:00.000000+08:00'."""
    text = pl.Series([datetime(2025, 12, 3, 10, 0, tzinfo=UTC)]).dt.convert_time_zone("Asia/Shanghai").cast(pl.String)
    assert parse(Kind.DATETIME, text.to_list()) == [datetime(2025, 12, 3, 18, 0, tzinfo=TZ)]


def test_enums_take_english_or_chinese_labels() -> None:
    values = {"state": "state", "国有": "state", "private": "private", "民营": "private"}
    assert parse(Kind.ENUM, ["国有", "PRIVATE", " 民营 ", "国营"], values=values) == ["state", "private", "private", None]


def test_alias_lists_split_on_pipes_and_drop_blanks() -> None:
    assert parse(Kind.TEXT_LIST, ["晋南钢铁|晋钢| ", None]) == [["晋南钢铁", "晋钢"], None]


def test_uscc_is_upper_cased_and_stripped_of_spaces() -> None:
    assert parse(Kind.USCC, [" 91350100m000100y43 "]) == ["91350100M000100Y43"]
