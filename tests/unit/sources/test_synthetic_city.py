"""The synthetic city keeps the contract: valid codes, consistent headcounts, art. 41 events, honest traps."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from sources.schema import OWNERSHIP_ZH, SOURCES, STATUS_ZH, Kind
from sources.synthetic import GenerationSummary, generate_city
from sources.synthetic.city import TOWNSHIPS
from sources.uscc import valid_expr
from tests.unit.sources.synthetic_readback import clean, raw_cells, read_source

END = date(2025, 3, 20)
CHAINS = {"高端装备制造", "新材料", "新型建材", "现代医药", "精深铜加工"}


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    out = tmp_path_factory.mktemp("city")
    return out, generate_city(out, enterprises=500, months=24, seed=3, end=END, error_rate=0.01)


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same city without planted errors."""
    out = tmp_path_factory.mktemp("twin")
    generate_city(out, enterprises=500, months=24, seed=3, end=END, error_rate=0.0)
    return out


def need(headcount: pl.Expr) -> pl.Expr:
    return (
        pl.when(headcount >= 200).then(20).otherwise(pl.max_horizontal(pl.lit(5), (0.1 * headcount).ceil()))
    )


def test_all_usccs_valid(city: tuple[Path, GenerationSummary], twin: Path) -> None:
    out, _ = city
    register = read_source(twin, "enterprises")
    assert register.height > 490
    assert register.select(valid_expr("uscc").all()).item()
    assert register["uscc"].str.slice(2, 6).unique().to_list() == ["141081"]
    assert register["uscc"].n_unique() == register.height
    for name in ("si_changes", "si_contributions", "payroll", "sentiment"):
        rows = clean(read_source(out, name), out).drop_nulls("uscc")
        assert rows.select(valid_expr("uscc").all()).item(), name
        assert rows["uscc"].is_in(register["uscc"].implode()).all(), name


def test_register_looks_like_houma(city: tuple[Path, GenerationSummary]) -> None:
    out, _ = city
    register = clean(read_source(out, "enterprises"), out)
    assert set(register["township"].unique()) == set(TOWNSHIPS)
    assert set(register["chain"].drop_nulls().unique()) <= CHAINS
    assert register["chain"].drop_nulls().n_unique() >= 4
    assert register["industry"].str.contains(r"^[A-T]\d{2}$").all()
    assert {"C32", "E47", "F52"} <= set(register["industry"])
    assert set(register["status"]) <= set(STATUS_ZH) and "active" in set(register["status"])
    assert set(register["ownership"]) <= set(OWNERSHIP_ZH)
    assert (register["founded_on"] <= END).all()
    assert (register["founded_on"] < date(2023, 4, 1)).mean() > 0.9  # mostly before the window
    assert register["name"].str.ends_with("公司").mean() > 0.9
    aliases = register["aliases"].drop_nulls().explode()
    assert aliases.len() > 200 and aliases.is_duplicated().any()  # short names are shared


def test_sizes_are_heavy_tailed(twin: Path) -> None:
    changes = read_source(twin, "si_changes")
    peak = changes.group_by("uscc").agg(pl.col("insured_total").max())["insured_total"]
    payroll = read_source(twin, "payroll").group_by("uscc").agg(pl.col("workers_paid").max())["workers_paid"]
    assert (payroll < 20).mean() > 0.7
    assert peak.max() > 300


def test_insured_total_is_consistent_with_daily_changes(twin: Path) -> None:
    changes = read_source(twin, "si_changes").sort("uscc", "date")
    assert changes.select("uscc", "date").is_duplicated().sum() == 0
    assert (
        (changes["added"] >= 0).all()
        and (changes["removed"] >= 0).all()
        and (changes["insured_total"] >= 0).all()
    )
    assert ((changes["added"] > 0) | (changes["removed"] > 0)).all()
    step = changes.with_columns(prev=pl.col("insured_total").shift(1).over("uscc")).drop_nulls("prev")
    broken = step.filter(pl.col("prev") + pl.col("added") - pl.col("removed") != pl.col("insured_total"))
    assert broken.height == 0, broken.head()


def _removals_from(changes: pl.DataFrame, points: pl.DataFrame) -> pl.DataFrame:
    """For (uscc, start_date): removals in the 30 days from start and the insured total on the day before."""
    windowed = points.join(changes, on="uscc").filter(
        (pl.col("date") >= pl.col("start_date"))
        & (pl.col("date") < pl.col("start_date") + timedelta(days=30))
    )
    removed = windowed.group_by("uscc", "start_date").agg(pl.col("removed").sum().alias("removed_30d"))
    before = (
        points.join(changes, on="uscc")
        .filter(pl.col("date") < pl.col("start_date"))
        .sort("date")
        .group_by("uscc", "start_date")
        .agg(pl.col("insured_total").last().alias("insured_before"))
    )
    return points.join(removed, on=["uscc", "start_date"], how="left").join(
        before, on=["uscc", "start_date"], how="left"
    )


def test_every_mass_layoff_event_meets_article_41_in_the_data(twin: Path) -> None:
    events = pl.read_parquet(twin / "truth" / "events.parquet")
    assert events.height >= 8
    assert set(events["mechanism"]) == {"distress_layoff", "closure", "sudden_closure"}
    changes = read_source(twin, "si_changes")
    checked = _removals_from(changes, events.select("uscc", "start_date", "headcount_before"))
    base = pl.coalesce("insured_before", "headcount_before")
    assert (
        checked.filter(
            pl.col("insured_before").is_not_null() & (pl.col("insured_before") != pl.col("headcount_before"))
        ).height
        == 0
    )
    failing = checked.filter(pl.col("removed_30d").fill_null(0) < need(base))
    assert failing.height == 0, failing


def test_events_happen_at_a_plausible_base_rate(city: tuple[Path, GenerationSummary]) -> None:
    _, summary = city
    per_year = summary.events / summary.enterprises / 2
    assert 0.008 <= per_year <= 0.04


def test_spring_festival_exits_are_not_recorded_as_events(twin: Path) -> None:
    traps = pl.read_parquet(twin / "truth" / "traps.parquet")
    exits = traps.filter(pl.col("type") == "spring_festival_exit")
    assert exits.height > 10
    assert (
        exits["date"].is_between(date(2025, 1, 1), date(2025, 1, 29)).all()
        or exits["date"].dt.month().is_in([1, 2]).all()
    )
    events = pl.read_parquet(twin / "truth" / "events.parquet")
    overlap = exits.join(events, on="uscc").filter(
        (pl.col("start_date") >= pl.col("date") - timedelta(days=30))
        & (pl.col("start_date") <= pl.col("date") + timedelta(days=60))
    )
    assert overlap.height == 0
    # The traps come close: some exits alone cross the art. 41 line, and most are followed by returns.
    assert exits.filter(pl.col("size") >= need(pl.col("headcount_before"))).height > 0
    assert (exits["returned"] > 0).mean() > 0.8
    changes = read_source(twin, "si_changes")
    after = exits.join(changes, on="uscc").filter(pl.col("date_right") > pl.col("date") + timedelta(days=25))
    assert after.group_by("uscc").agg(pl.col("added").sum())["added"].sum() > 0


def test_transfers_are_matched_by_additions_at_the_counterpart(twin: Path) -> None:
    traps = pl.read_parquet(twin / "truth" / "traps.parquet")
    out_ = traps.filter(pl.col("type") == "transfer_out")
    in_ = traps.filter(pl.col("type") == "transfer_in")
    assert out_.height >= 1
    pairs = out_.join(
        in_, left_on=["uscc", "counterpart_uscc"], right_on=["counterpart_uscc", "uscc"], suffix="_in"
    )
    assert pairs.height == out_.height
    lag = (pairs["date_in"] - pairs["date"]).dt.total_days()
    assert lag.is_between(0, 5).all()
    changes = read_source(twin, "si_changes")
    removed = pairs.join(changes, left_on=["uscc", "date"], right_on=["uscc", "date"])
    assert (removed["removed"] >= removed["size"]).all()
    added = pairs.join(changes, left_on=["counterpart_uscc", "date_in"], right_on=["uscc", "date"])
    assert added.height == pairs.height and (added["added"] >= added["size_in"]).all()
    register = read_source(twin, "enterprises")
    assert pairs["counterpart_uscc"].is_in(register["uscc"].implode()).all()


def test_no_date_after_end(city: tuple[Path, GenerationSummary]) -> None:
    out, _ = city
    last = datetime(END.year, END.month, END.day, 23, 59, 59)
    for name in ("enterprises", "si_changes", "si_contributions", "payroll", "sentiment"):
        rows = clean(read_source(out, name), out)
        for col in SOURCES[name].columns:
            if col.kind in (Kind.DATE, Kind.MONTH) and col.name in rows.columns:
                assert (rows[col.name].drop_nulls() <= END).all(), (name, col.name)
            if col.kind == Kind.DATETIME:
                assert (rows[col.name].dt.replace_time_zone(None).drop_nulls() <= last).all()
    for file in ("events", "traps"):
        truth = pl.read_parquet(out / "truth" / f"{file}.parquet")
        for col, dtype in truth.schema.items():
            if dtype == pl.Date:
                assert (truth[col].drop_nulls() <= END).all(), (file, col)


def test_monthly_sources_hold_only_reported_complete_months(twin: Path) -> None:
    for name in ("si_contributions", "payroll"):
        rows = read_source(twin, name)
        assert rows.height > 0
        known = rows.with_columns(
            by=pl.coalesce("reported_on", pl.col("period").dt.offset_by("1mo").dt.offset_by("14d"))
        )
        assert (known["by"] <= END).all()
        assert (rows["period"].dt.offset_by("1mo") <= END).all()
    payroll = read_source(twin, "payroll")
    assert payroll["paid_on"].null_count() > 0  # some wages not paid by the time they were reported


def test_distress_leads_signals(twin: Path) -> None:
    distress = pl.read_parquet(twin / "truth" / "distress_monthly.parquet")
    assert distress["distress"].is_between(0, 1).all()
    contributions = read_source(twin, "si_contributions").join(
        distress, left_on=["uscc", "period"], right_on=["uscc", "month"]
    )
    arrears = contributions["due"] - contributions["paid"]
    high = contributions["distress"] > 0.6
    assert (arrears.filter(high) > 0).mean() > 2 * (arrears.filter(~high) > 0).mean()
    events = pl.read_parquet(twin / "truth" / "events.parquet").filter(
        pl.col("mechanism") != "sudden_closure"
    )
    before = events.join(distress, on="uscc").filter(
        pl.col("month").is_between(pl.col("start_date").dt.offset_by("-2mo"), pl.col("start_date"))
    )
    assert before["distress"].mean() > distress["distress"].mean() + 0.2


def test_sentiment_reads_like_real_records(city: tuple[Path, GenerationSummary]) -> None:
    out, summary = city
    rows = clean(read_source(out, "sentiment"), out)
    assert set(rows["channel"]) == {"online", "petition", "hotline", "police"}
    text = rows["text"]
    for marker in ("没有裁员", "辟谣", "<p", "http", "拖欠"):
        assert text.str.contains(marker, literal=True).any(), marker
    labels = pl.read_parquet(out / "truth" / "sentiment_labels.parquet").select(
        "channel", "record_id", pl.col("uscc").alias("about"), "intent"
    )
    about = rows.join(labels, on=["channel", "record_id"]).filter(pl.col("about").is_not_null())
    online = about.filter(pl.col("channel") == "online")
    assert online["uscc"].null_count() / online.height > 0.9  # posts name the enterprise in the text
    police = about.filter(pl.col("channel") == "police")
    assert police["uscc"].null_count() / police.height < 0.6  # police records often carry the code
    assert rows.join(labels, on=["channel", "record_id"])["about"].null_count() > 0  # plenty of city noise
    petitions = rows.filter(pl.col("channel") == "petition")
    assert (petitions["participants"] >= 5).any() and (petitions["participants"] < 5).any()
    aliases = read_source(out, "enterprises")["aliases"].drop_nulls().explode().unique()
    named = online.filter(pl.col("text").str.contains_any(aliases.to_list()))
    assert named.height > 0
    assert sum(summary.sentiment_by_channel.values()) == summary.rows["sentiment"] - _copies(out, "sentiment")


def _copies(out: Path, source: str) -> int:
    errors = pl.read_parquet(out / "truth" / "injected_errors.parquet")
    return errors.filter(
        pl.col("file").str.starts_with(source + "/") & (pl.col("error_type") == "duplicate_key")
    ).height


def test_record_ids_are_unique_per_channel(twin: Path) -> None:
    rows = read_source(twin, "sentiment")
    assert rows.select("channel", "record_id").is_duplicated().sum() == 0


def test_wage_arrears_peak_before_spring_festival(twin: Path) -> None:
    labels = pl.read_parquet(twin / "truth" / "sentiment_labels.parquet")
    sentiment = read_source(twin, "sentiment").join(labels, on=["channel", "record_id"])
    arrears = sentiment.filter(pl.col("intent") == "wage_arrears")
    month = arrears["published_at"].dt.month()
    per_month = {m: (month == m).sum() / 2 for m in range(1, 13)}
    assert per_month[12] + per_month[1] > 2 * (per_month[3] + per_month[4])


def test_planted_errors_touch_only_the_recorded_rows(
    city: tuple[Path, GenerationSummary], twin: Path
) -> None:
    out, summary = city
    errors = pl.read_parquet(out / "truth" / "injected_errors.parquet")
    assert summary.injected_errors == errors.height > 0
    assert set(errors["error_type"]) == {
        "invalid_uscc_check",
        "unknown_uscc",
        "negative_count",
        "future_date",
        "unparseable_date",
        "empty_required",
        "duplicate_key",
    }
    for name in ("si_changes", "payroll", "sentiment", "enterprises"):
        damaged = clean(read_source(out, name), out).drop("_row")
        pristine = read_source(twin, name).drop("_row")
        cols = [c for c in damaged.columns if c != "aliases"]
        assert (
            damaged.select(cols).join(pristine.select(cols), on=cols, how="anti", nulls_equal=True).height
            == 0
        ), name


def test_planted_errors_are_at_the_rows_a_person_sees(city: tuple[Path, GenerationSummary]) -> None:
    out, _ = city
    errors = pl.read_parquet(out / "truth" / "injected_errors.parquet")
    register = set(read_source(out, "enterprises")["uscc"])
    for file, rows in errors.group_by("file"):
        source = SOURCES[str(file[0]).split("/")[0]]
        data = read_source(out, source.name).filter(pl.col("_file") == file[0])
        raw, header_row = raw_cells(out / "landing" / str(file[0]))
        for row, column, kind in rows.select("row", "column", "error_type").iter_rows():
            value = data.filter(pl.col("_row") == row)[column].item()
            match kind:
                case "invalid_uscc_check":
                    assert not pl.select(valid_expr(pl.lit(value))).item()
                case "unknown_uscc":
                    assert value not in register and pl.select(valid_expr(pl.lit(value))).item()
                case "negative_count":
                    assert value < 0
                case "future_date":
                    assert (
                        value is not None and (value.date() if isinstance(value, datetime) else value) > END
                    )
                case "unparseable_date" | "empty_required":
                    assert value is None
                case "duplicate_key":
                    key = data.filter(pl.col("_row") == row).select(source.key)
                    assert data.join(key, on=list(source.key)).height >= 2
        assert raw.height + header_row + 1 > rows["row"].max()


def test_summary_counts_match_the_files(city: tuple[Path, GenerationSummary]) -> None:
    out, summary = city
    for name, files in summary.files.items():
        for rel in files:
            assert (out / "landing" / rel).exists()
        assert sum(files.values()) == read_source(out, name).height
    assert (out / "truth" / "summary.json").exists()
