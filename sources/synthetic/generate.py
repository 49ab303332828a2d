"""``generate_city``: simulate a city month by month and write the landing files and the truth.

Grain of the output: ``out/landing/<source>/`` holds what the offices would send (one register
file per township; one file per month, in parts when large, for every other source) and
``out/truth/`` what really happened. Memory is bounded by one month of sparse rows plus state
arrays of length N; every file is written once, in the month it belongs to.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from sources.schema import ENTERPRISES, PAYROLL, SENTIMENT, SI_CHANGES, SI_CONTRIBUTIONS, Source
from sources.synthetic import errors as planted
from sources.synthetic import truth
from sources.synthetic.calendar import Window, default_report_date
from sources.synthetic.city import TOWNSHIPS, City, build_city
from sources.synthetic.dynamics import MonthOutput, Simulation
from sources.synthetic.formats import PART_ROWS, FileFormat, render, rotation, write_rendered
from sources.synthetic.sentiment import CHANNELS, SentimentWriter

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class GenerationSummary:
    """What was written: counts per source and file, truth counts, and where everything is."""

    out: Path
    landing: Path
    truth: Path
    seed: int
    start: date
    end: date
    months: int
    enterprises: int  # entries in the register (the simulated N plus successors that were used)
    files: dict[str, dict[str, int]]  # source -> {relative path: data rows}
    formats: dict[str, dict[str, object]]  # relative path -> the variant used
    rows: dict[str, int]  # source -> data rows
    events: int
    events_by_mechanism: dict[str, int]
    traps: dict[str, int]
    sentiment_by_channel: dict[str, int]
    injected_errors: int

    def to_json(self) -> str:
        """The summary as written to truth/summary.json: paths relative to ``out`` (so the same
        seed gives the same bytes wherever the city is written)."""
        data = asdict(self)
        data["out"] = "."
        for key in ("landing", "truth"):
            data[key] = Path(data[key]).relative_to(self.out).as_posix()
        for key in ("start", "end"):
            data[key] = str(data[key])
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)


@dataclass
class _Writer:
    """Writes one source's files (rotating variants, planting errors) and records what it wrote."""

    landing: Path
    end: date
    rng: np.random.Generator
    error_rate: float
    seed: int
    unknown: list[str]
    files: dict[str, dict[str, int]] = field(default_factory=dict)
    formats: dict[str, dict[str, object]] = field(default_factory=dict)
    errors: list[pl.DataFrame] = field(default_factory=list)
    counters: Counter[str] = field(default_factory=Counter)

    def write(self, frame: pl.DataFrame, source: Source, stem: str, title: str | None) -> None:
        if frame.is_empty():
            # Nothing reported yet for this month (e.g. every row's reported_on is after ``end``):
            # source systems send no file rather than a header-only one.
            return
        index = self.counters[source.name]
        self.counters[source.name] += 1
        fmt = rotation(source, index, rows=min(frame.height, PART_ROWS), seed=self.seed, title=title)
        parts = max(1, -(-frame.height // PART_ROWS))
        for p in range(parts):
            chunk = frame.slice(p * PART_ROWS, PART_ROWS)
            name = stem if parts == 1 else f"{stem}_{p + 1:02d}"
            path = (self.landing / source.name / name).with_suffix(fmt.suffix)
            self._write_file(chunk, source, fmt, path)

    def _write_file(self, chunk: pl.DataFrame, source: Source, fmt: FileFormat, path: Path) -> None:
        cells = render(chunk, source, fmt)
        # The register is left undamaged: a spoiled register row would make every later row of that
        # enterprise "unknown", and the pipeline is held to quarantining exactly the planted rows.
        rate = 0.0 if source.name == ENTERPRISES.name else self.error_rate
        cells, record = planted.plant(
            cells, source, fmt, rate=rate, end=self.end, unknown_codes=self.unknown, rng=self.rng
        )
        write_rendered(cells, path, fmt)
        rel = path.relative_to(self.landing).as_posix()
        self.files.setdefault(source.name, {})[rel] = cells.height
        self.formats[rel] = {k: v for k, v in asdict(fmt).items() if k != "seed"}
        if record.height:
            self.errors.append(record.select(pl.lit(rel).alias("file"), "row", "column", "error_type"))


def _uscc(city: City, firm: pl.Series | np.ndarray) -> np.ndarray:
    return city.uscc[np.asarray(firm)].astype(str)


def _dates(window: Window, ordinals: pl.Series | np.ndarray) -> pl.Series:
    return pl.Series(window.dates(np.asarray(ordinals, dtype=np.int64))).cast(pl.Date)


def _changes_frame(out: MonthOutput, city: City, window: Window) -> pl.DataFrame:
    c = out.changes.sort("day", "firm")
    return pl.DataFrame(
        {
            "uscc": _uscc(city, c["firm"]),
            "date": _dates(window, c["day"]),
            "added": c["added"].cast(pl.Int64),
            "removed": c["removed"].cast(pl.Int64),
            "insured_total": c["insured_total"].cast(pl.Int64),
        }
    )


def _monthly_frames(
    out: MonthOutput, city: City, window: Window, *, with_reported_on: bool
) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """Contributions and payroll for a complete month, holding only what was reported by ``end``.

    Without a ``reported_on`` column the month counts as reported on the 15th of the next month,
    so it is emitted only when that day is not after ``end`` and a wage paid later is not yet known.
    """
    if not window.is_complete(out.index):
        return None
    period = window.months[out.index]
    default = window.ordinal(default_report_date(period))
    last = window.last_ordinal
    if not with_reported_on and default > last:
        return None
    frames = []
    for monthly in (out.contributions, out.payroll):
        f = monthly
        if with_reported_on:
            f = f.filter(pl.col("report_day") <= last)
        else:
            f = f.with_columns(report_day=pl.lit(default, pl.Int32))
        if "paid_day" in f.columns:
            f = f.with_columns(
                pl.when(pl.col("paid_day") <= pl.col("report_day")).then(pl.col("paid_day")).alias("paid_day")
            )
        f = f.sort("firm")
        base = {"uscc": _uscc(city, f["firm"]), "period": pl.Series([period] * f.height, dtype=pl.Date)}
        cols = {k: f[k] for k in f.columns if k not in ("firm", "report_day", "paid_day")}
        frame = pl.DataFrame(base | cols)
        if "paid_day" in f.columns:
            paid = f["paid_day"]
            frame = frame.with_columns(
                paid_on=pl.Series(window.dates(paid.fill_null(0).to_numpy().astype(np.int64))).cast(pl.Date)
            ).with_columns(pl.when(paid.is_not_null()).then(pl.col("paid_on")).alias("paid_on"))
        if with_reported_on:
            frame = frame.with_columns(reported_on=_dates(window, f["report_day"]))
        frames.append(frame)
    contributions, payroll = frames
    payroll = payroll.select(
        PAYROLL.names if with_reported_on else [n for n in PAYROLL.names if n != "reported_on"]
    )
    contributions = contributions.with_columns(
        pl.col(c).cast(pl.Float64) for c in ("base_total", "due", "paid")
    )
    payroll = payroll.with_columns(
        pl.col("workers_paid").cast(pl.Int64),
        pl.col("arrears_workers").cast(pl.Int64),
        pl.col("gross_pay").cast(pl.Float64),
        pl.col("arrears_amount").cast(pl.Float64),
    )
    return contributions, payroll


def generate_city(
    out: Path,
    *,
    enterprises: int,
    months: int,
    seed: int,
    end: date,
    error_rate: float = 0.0005,
    progress: Progress | None = None,
) -> GenerationSummary:
    """Simulate ``enterprises`` enterprises over the ``months`` months ending at ``end`` and write
    ``out/landing`` (what the pipeline ingests) and ``out/truth`` (what it must never read).

    Deterministic in ``seed``: the same arguments give byte-identical files.
    """
    if enterprises < 10:
        raise ValueError("a city needs at least 10 enterprises")
    out = Path(out)
    landing, truth_dir = out / "landing", out / "truth"
    report = progress or (lambda stage, done, total: None)
    seq = np.random.SeedSequence(seed)
    rng_city, rng_dyn, rng_sent, rng_err = (np.random.default_rng(s) for s in seq.spawn(4))
    window = Window.ending(end, months)
    city = build_city(
        rng_city, enterprises, window_days=window.last_ordinal + 1, reserve=max(10, enterprises // 100)
    )
    known = set(city.uscc.tolist())
    writer = _Writer(
        landing=landing,
        end=end,
        rng=rng_err,
        error_rate=error_rate,
        seed=seed,
        unknown=planted.unknown_codes(rng_err, known),
    )
    sim = Simulation(city, window, rng_dyn)
    sentiment = SentimentWriter(city, window, rng_sent)
    distress = truth.ParquetStream(truth_dir / "distress_monthly.parquet")
    labels = truth.ParquetStream(truth_dir / "sentiment_labels.parquet")
    channels: Counter[str] = Counter()

    for m in range(months):
        report("simulate", m, months)
        result = sim.month(m)
        period = window.months[m]
        ym, zh = period.strftime("%Y%m"), f"{period.year}年{period.month}月"
        writer.write(
            _changes_frame(result, city, window),
            SI_CHANGES,
            f"社保增减员_{ym}",
            f"侯马市{zh}社保增减员明细表",
        )

        records = sentiment.month(result)
        channels.update(records["channel"].to_list())
        writer.write(
            records.select(SENTIMENT.names), SENTIMENT, f"舆情信访_{ym}", f"侯马市{zh}舆情信访汇总表"
        )
        labels.write(
            records.select(
                "record_id",
                "channel",
                pl.when(pl.col("firm") >= 0).then(pl.col("firm")).alias("firm"),
                "intent",
            )
            .with_columns(
                uscc=pl.col("firm").map_batches(
                    lambda f: pl.Series(city.uscc[f.fill_null(0).to_numpy()].astype(str)).zip_with(
                        f.is_not_null(), pl.Series([None] * len(f), dtype=pl.String)
                    ),
                    return_dtype=pl.String,
                )
            )
            .drop("firm")
        )

        monthly = _monthly_frames(result, city, window, with_reported_on=m % 3 == 1)
        if monthly is not None:
            contributions, payroll = monthly
            writer.write(contributions, SI_CONTRIBUTIONS, f"社保缴费_{ym}", f"侯马市{zh}社保缴费明细表")
            writer.write(payroll, PAYROLL, f"工资发放_{ym}", f"侯马市{zh}工资发放情况表")

        active = np.flatnonzero(result.active)
        distress.write(
            pl.DataFrame(
                {
                    "uscc": city.uscc[active].astype(str),
                    "month": pl.Series([period] * len(active), dtype=pl.Date),
                    "distress": np.round(result.distress[active], 4),
                }
            )
        )
    report("simulate", months, months)
    distress.close()
    labels.close()

    # The register as of ``end``: every enterprise that ever existed, successors once used.
    status = sim.status_at_end()
    include = ~city.reserved | (city.founded <= window.last_ordinal)
    register = city.frame(window_start=window.start, status=status, include=include)
    for t, township in enumerate(TOWNSHIPS):
        report("register", t, len(TOWNSHIPS))
        part = register.filter(pl.col("township") == township)
        writer.write(part, ENTERPRISES, f"企业名录_{township}", f"侯马市企业名录（{township}）")

    report("truth", 0, 1)
    found, short = truth.events(sim, city, window)
    traps = truth.traps(sim, city, window, short)
    truth_dir.mkdir(parents=True, exist_ok=True)
    found.drop("firm").write_parquet(truth_dir / "events.parquet")
    traps.write_parquet(truth_dir / "traps.parquet")
    schema = {"file": pl.String, "row": pl.Int64, "column": pl.String, "error_type": pl.String}
    injected = pl.concat(writer.errors) if writer.errors else pl.DataFrame(schema=schema)
    injected.sort("file", "row").write_parquet(truth_dir / "injected_errors.parquet")

    rows = {s: sum(f.values()) for s, f in writer.files.items()}
    summary = GenerationSummary(
        out=out,
        landing=landing,
        truth=truth_dir,
        seed=seed,
        start=window.start,
        end=end,
        months=months,
        enterprises=register.height,
        files=writer.files,
        formats=writer.formats,
        rows=rows,
        events=found.height,
        events_by_mechanism=dict(Counter(found["mechanism"].to_list())),
        traps=dict(Counter(traps["type"].to_list())),
        sentiment_by_channel={c: channels[c] for c in CHANNELS},
        injected_errors=injected.height,
    )
    (truth_dir / "summary.json").write_text(summary.to_json(), encoding="utf-8")
    report("truth", 1, 1)
    return summary
