"""The lake: Parquet by source and month, append-only by batch, latest row per key on read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from layoffwatch.settings import Settings
from sources.schema import ENTERPRISES, PAYROLL, SENTIMENT, SI_CHANGES, Source
from store import lake

MONDAY = datetime(2025, 12, 1, 2, 0, tzinfo=UTC)
TUESDAY = MONDAY + timedelta(days=1)
ACME, BOLT = "A" * 18, "B" * 18


def changes(*rows: tuple[str, date, int]) -> pl.DataFrame:
    """si_changes rows from (uscc, date, removed)."""
    return pl.DataFrame(
        [{"uscc": u, "date": d, "added": 0, "removed": r, "insured_total": 100 - r} for u, d, r in rows],
        schema=SI_CHANGES.polars_schema,
    )


def payroll(*rows: tuple[str, date]) -> pl.DataFrame:
    """payroll rows from (uscc, period)."""
    return pl.DataFrame(
        [
            {
                "uscc": u,
                "period": p,
                "workers_paid": 10,
                "gross_pay": 50_000.0,
                "paid_on": None,
                "arrears_workers": 0,
                "arrears_amount": 0.0,
                "reported_on": None,
            }
            for u, p in rows
        ],
        schema=PAYROLL.polars_schema,
    )


def relative(settings: Settings, paths: list[Path]) -> list[str]:
    return [p.relative_to(settings.lake).as_posix() for p in paths]


def test_rows_are_partitioned_by_source_and_month(settings: Settings) -> None:
    frame = changes(
        (ACME, date(2025, 10, 31), 1), (ACME, date(2025, 11, 1), 2), (BOLT, date(2025, 11, 30), 3)
    )

    paths = lake.append(settings, SI_CHANGES, frame, batch_id="batch1", received_at=MONDAY)

    assert relative(settings, paths) == [
        "si_changes/month=2025-10/batch1.parquet",
        "si_changes/month=2025-11/batch1.parquet",
    ]
    assert pl.read_parquet(paths[1]).get_column("removed").to_list() == [2, 3]


def test_rows_carry_their_batch_receipt_time_and_row_number(settings: Settings) -> None:
    frame = changes((ACME, date(2025, 11, 1), 1), (BOLT, date(2025, 11, 2), 2))

    (path,) = lake.append(settings, SI_CHANGES, frame, batch_id="batch1", received_at=MONDAY)

    rows = lake.scan(settings, SI_CHANGES, history=True).sort(lake.ROW).collect()
    assert pl.read_parquet_schema(path) == lake.schema(SI_CHANGES)
    assert rows.select(lake.BATCH, lake.RECEIVED_AT, lake.ROW).rows() == [
        ("batch1", MONDAY, 1),
        ("batch1", MONDAY, 2),
    ]


def test_row_numbers_from_the_reader_are_kept(settings: Settings) -> None:
    frame = changes((ACME, date(2025, 11, 1), 1), (BOLT, date(2025, 11, 2), 2)).with_columns(
        pl.Series(lake.ROW, [2, 5])
    )

    lake.append(settings, SI_CHANGES, frame, batch_id="batch1", received_at=MONDAY)

    assert sorted(lake.scan(settings, SI_CHANGES).collect().get_column(lake.ROW).to_list()) == [2, 5]


def test_appending_the_same_batch_twice_adds_nothing(settings: Settings) -> None:
    frame = changes((ACME, date(2025, 10, 31), 1), (ACME, date(2025, 11, 1), 2))
    first = lake.append(settings, SI_CHANGES, frame, batch_id="batch1", received_at=MONDAY)
    written = {p: p.stat().st_mtime_ns for p in first}

    second = lake.append(settings, SI_CHANGES, frame, batch_id="batch1", received_at=TUESDAY)

    assert second == first
    assert {p: p.stat().st_mtime_ns for p in lake.files(settings, SI_CHANGES)} == written
    assert lake.scan(settings, SI_CHANGES, history=True).collect().height == 2
    assert not list(settings.lake.rglob("*.tmp"))


def test_a_later_batch_supersedes_a_row_and_history_keeps_both(settings: Settings) -> None:
    lake.append(
        settings,
        SI_CHANGES,
        changes((ACME, date(2025, 11, 3), 30), (BOLT, date(2025, 11, 3), 1)),
        batch_id="batch1",
        received_at=MONDAY,
    )
    lake.append(
        settings, SI_CHANGES, changes((ACME, date(2025, 11, 3), 3)), batch_id="batch2", received_at=TUESDAY
    )

    latest = lake.scan(settings, SI_CHANGES).collect().sort("uscc")
    history = lake.scan(settings, SI_CHANGES, history=True).collect().sort("uscc", lake.RECEIVED_AT)

    assert latest.select("uscc", "removed", lake.BATCH).rows() == [(ACME, 3, "batch2"), (BOLT, 1, "batch1")]
    assert history.select("uscc", "removed", lake.BATCH).rows() == [
        (ACME, 30, "batch1"),
        (ACME, 3, "batch2"),
        (BOLT, 1, "batch1"),
    ]


def test_ties_in_receipt_time_go_to_the_later_batch_then_the_later_row(settings: Settings) -> None:
    same_day = date(2025, 11, 3)
    lake.append(settings, SI_CHANGES, changes((ACME, same_day, 7)), batch_id="bbbb", received_at=MONDAY)
    lake.append(
        settings,
        SI_CHANGES,
        changes((ACME, same_day, 1), (ACME, same_day, 2)),
        batch_id="aaaa",
        received_at=MONDAY,
    )
    lake.append(
        settings,
        SI_CHANGES,
        changes((BOLT, same_day, 1), (BOLT, same_day, 2)),
        batch_id="cccc",
        received_at=MONDAY,
    )

    latest = lake.scan(settings, SI_CHANGES).collect().sort("uscc")

    assert latest.select("uscc", "removed").rows() == [(ACME, 7), (BOLT, 2)]


def test_a_correction_that_arrives_after_a_read_is_seen_by_the_next_read(settings: Settings) -> None:
    day = date(2025, 11, 3)
    lake.append(
        settings, SI_CHANGES, changes((ACME, day, 30), (BOLT, day, 1)), batch_id="b1", received_at=MONDAY
    )
    assert lake.scan(settings, SI_CHANGES).collect().sort("uscc")["removed"].to_list() == [30, 1]

    lake.append(settings, SI_CHANGES, changes((ACME, day, 3)), batch_id="b2", received_at=TUESDAY)

    assert lake.repeated_keys(settings, SI_CHANGES).rows() == [(ACME, day)]
    assert lake.scan(settings, SI_CHANGES).collect().sort("uscc").select("uscc", "removed").rows() == [
        (ACME, 3),
        (BOLT, 1),
    ]


def test_the_repeated_keys_are_kept_by_month_and_read_back(settings: Settings) -> None:
    lake.append(
        settings,
        SI_CHANGES,
        changes((ACME, date(2025, 10, 31), 1), (ACME, date(2025, 11, 3), 2)),
        batch_id="b1",
        received_at=MONDAY,
    )
    assert lake.repeated_keys(settings, SI_CHANGES).is_empty()
    kept = sorted((settings.home / "cache" / "lake-keys" / "si_changes").glob("*.parquet"))
    assert [p.name.split(".")[0] for p in kept] == ["month=2025-10", "month=2025-11"]
    # What is kept is what is read: a planted answer comes back, so nothing was computed again.
    planted = pl.DataFrame(
        {"uscc": [BOLT], "date": [date(2025, 11, 3)]}, schema={"uscc": pl.String, "date": pl.Date}
    )
    planted.write_parquet(kept[1])
    assert lake.repeated_keys(settings, SI_CHANGES).rows() == [(BOLT, date(2025, 11, 3))]

    # A new batch in November makes a new answer for November only, and the old one goes.
    lake.append(
        settings, SI_CHANGES, changes((ACME, date(2025, 11, 3), 5)), batch_id="b2", received_at=TUESDAY
    )
    assert lake.repeated_keys(settings, SI_CHANGES).rows() == [(ACME, date(2025, 11, 3))]
    now_kept = sorted((settings.home / "cache" / "lake-keys" / "si_changes").glob("*.parquet"))
    assert now_kept[0] == kept[0] and now_kept[1] != kept[1] and len(now_kept) == 2


def test_a_register_correction_that_moves_month_still_supersedes(settings: Settings) -> None:
    # The register is filed by founding month, which a correction may change: its key (uscc) can
    # then be in two months' folders, so its repeated keys are looked for across all of them.
    def register(founded: date, name: str) -> pl.DataFrame:
        row = {"uscc": ACME, "name": name, "founded_on": founded}
        return pl.DataFrame([row]).select(
            (pl.col(c) if c in row else pl.lit(None)).cast(t).alias(c)
            for c, t in ENTERPRISES.polars_schema.items()
        )

    lake.append(
        settings, ENTERPRISES, register(date(2019, 5, 1), "甲公司"), batch_id="b1", received_at=MONDAY
    )
    lake.append(
        settings, ENTERPRISES, register(date(2019, 6, 1), "甲有限公司"), batch_id="b2", received_at=TUESDAY
    )

    latest = lake.scan(settings, ENTERPRISES).collect()

    assert latest.select("name", "founded_on").rows() == [("甲有限公司", date(2019, 6, 1))]


def test_a_damaged_kept_answer_is_computed_again(settings: Settings) -> None:
    day = date(2025, 11, 3)
    lake.append(settings, SI_CHANGES, changes((ACME, day, 30)), batch_id="b1", received_at=MONDAY)
    lake.append(settings, SI_CHANGES, changes((ACME, day, 3)), batch_id="b2", received_at=TUESDAY)
    lake.repeated_keys(settings, SI_CHANGES)
    for kept in (settings.home / "cache" / "lake-keys").rglob("*.parquet"):
        kept.write_bytes(b"PAR1 cut short")

    assert lake.scan(settings, SI_CHANGES).collect().select("uscc", "removed").rows() == [(ACME, 3)]


def test_a_home_that_cannot_keep_the_answer_still_reads_right(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(frame: pl.DataFrame, path: Path) -> Path:
        raise PermissionError(13, "read-only", str(path))

    day = date(2025, 11, 3)
    lake.append(settings, SI_CHANGES, changes((ACME, day, 30)), batch_id="b1", received_at=MONDAY)
    lake.append(settings, SI_CHANGES, changes((ACME, day, 3)), batch_id="b2", received_at=TUESDAY)
    for kept in (settings.home / "cache").rglob("*.parquet"):
        kept.unlink()
    monkeypatch.setattr(lake, "write_atomically", refuse)

    assert lake.scan(settings, SI_CHANGES).collect().select("uscc", "removed").rows() == [(ACME, 3)]
    assert not list((settings.home / "cache").rglob("*.parquet"))


@pytest.mark.parametrize("source", [SI_CHANGES, PAYROLL, SENTIMENT])
def test_an_empty_lake_scans_to_an_empty_typed_frame(settings: Settings, source: Source) -> None:
    for history in (False, True):
        rows = lake.scan(settings, source, history=history).collect()
        assert rows.is_empty()
        assert rows.schema == lake.schema(source)


def test_an_empty_frame_writes_no_file(settings: Settings) -> None:
    assert lake.append(settings, SI_CHANGES, changes(), batch_id="batch1", received_at=MONDAY) == []
    assert lake.files(settings, SI_CHANGES) == []


def test_datetimes_are_partitioned_by_their_local_month(settings: Settings) -> None:
    # 2025-11-30 17:30 UTC is already December in Shanghai.
    shanghai_december = datetime(2025, 11, 30, 17, 30, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "record_id": ["r1"],
            "published_at": [shanghai_december],
            "channel": ["petition"],
            "text": ["讨薪"],
            "uscc": [ACME],
            "participants": [12],
            "location": [None],
        },
    ).with_columns(pl.col("published_at").dt.convert_time_zone("Asia/Shanghai"))

    paths = lake.append(settings, SENTIMENT, frame, batch_id="batch1", received_at=MONDAY)

    assert relative(settings, paths) == ["sentiment/month=2025-12/batch1.parquet"]
    assert lake.scan(settings, SENTIMENT).collect().item(0, "published_at") == shanghai_december


def test_last_periods_is_the_latest_month_per_enterprise(settings: Settings) -> None:
    lake.append(
        settings,
        PAYROLL,
        payroll((ACME, date(2025, 9, 1)), (ACME, date(2025, 10, 1)), (BOLT, date(2025, 8, 1))),
        batch_id="batch1",
        received_at=MONDAY,
    )

    periods = lake.last_periods(settings, PAYROLL).sort("uscc")

    assert periods.rows() == [(ACME, date(2025, 10, 1)), (BOLT, date(2025, 8, 1))]
    assert lake.last_periods(settings, PAYROLL).columns == ["uscc", "last_period"]


def test_last_periods_of_an_empty_lake_is_empty(settings: Settings) -> None:
    periods = lake.last_periods(settings, PAYROLL)

    assert periods.is_empty()
    assert periods.schema == pl.Schema({"uscc": pl.String(), "last_period": pl.Date()})


def test_last_periods_is_only_for_monthly_sources(settings: Settings) -> None:
    with pytest.raises(ValueError, match="not a monthly source"):
        lake.last_periods(settings, SI_CHANGES)


def test_files_written_before_a_column_was_declared_read_it_as_null(settings: Settings) -> None:
    older = payroll((ACME, date(2025, 9, 1))).drop("reported_on")
    path = settings.lake / "payroll" / "month=2025-09" / "old.parquet"
    path.parent.mkdir(parents=True)
    older.with_columns(
        pl.lit("old", pl.String).alias(lake.BATCH),
        pl.lit(MONDAY).dt.convert_time_zone("UTC").alias(lake.RECEIVED_AT),
        pl.lit(1, pl.Int64).alias(lake.ROW),
    ).write_parquet(path)

    rows = lake.scan(settings, PAYROLL).collect()

    assert rows.schema == lake.schema(PAYROLL)
    assert rows.get_column("reported_on").to_list() == [None]


def test_the_receipt_time_is_kept_as_the_same_instant_in_utc(settings: Settings) -> None:
    in_shanghai = MONDAY.astimezone(ZoneInfo("Asia/Shanghai"))

    lake.append(
        settings, SI_CHANGES, changes((ACME, date(2025, 11, 1), 1)), batch_id="b", received_at=in_shanghai
    )

    assert lake.scan(settings, SI_CHANGES).collect().item(0, lake.RECEIVED_AT) == MONDAY


def test_a_naive_receipt_time_is_refused(settings: Settings) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        lake.append(
            settings,
            SI_CHANGES,
            changes((ACME, date(2025, 11, 1), 1)),
            batch_id="b",
            received_at=datetime(2025, 12, 1, 8, 0),
        )
