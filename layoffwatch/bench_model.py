"""``layoffwatch bench features`` and ``bench train``: the model's work at province scale, timed.

Both run on a lake that ``bench ingest`` already filled (the newest ``<data>/home-*`` holding
the city, or ``--home``). ``features`` builds the feature table for one as_of with Polars and
with a straightforward pandas implementation of the same features in the same process, checks
that both agree, and prints the times and their ratio. ``train`` builds labelled monthly
snapshots and fits the model, timing each stage.
"""

from __future__ import annotations

import resource
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
from rich.console import Console
from rich.table import Table

from features.inputs import from_lake, latest_day
from features.labels import layoff_episodes
from features.linked_sentiment import matcher
from features.sentiment import LOOKBACK_DAYS
from features.table import FEATURE_ENGINE, feature_table
from features.text_model import default_classifier
from layoffwatch import pandas_features
from layoffwatch.errors import UserError
from layoffwatch.settings import Settings
from models.dataset import labelled_snapshots
from models.estimator import LayoffRiskModel
from models.windows import add_months
from sources.schema import SOURCES, Source
from store import lake

FEATURES_TARGET_SECONDS = 60.0
FEATURES_TARGET_RATIO = 5.0
TRAIN_TARGET_SECONDS = 600.0


def find_home(data: Path, home: Path | None) -> Settings:
    candidates = [home] if home else sorted(data.glob("home-*"), reverse=True)
    for candidate in candidates:
        if candidate and (candidate / "lake" / "si_changes").is_dir():
            return Settings(
                home=candidate.resolve(), database_url=f"sqlite:///{candidate.resolve() / 'layoffwatch.db'}"
            )
    raise UserError(
        f"{home or data}: no ingested lake found; run `layoffwatch bench ingest` first (or pass --home)."
    )


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def _typed(frame: pd.DataFrame, source: Source) -> pd.DataFrame:
    for col, dtype in source.polars_schema.items():
        if dtype == pl.Date() and col in frame:
            frame[col] = pd.to_datetime(frame[col])
        elif col not in frame:
            frame[col] = pd.NaT if dtype == pl.Date() else np.nan
    return frame


def _pandas_frames(settings: Settings, day: date) -> dict[str, pd.DataFrame]:
    frames = {}
    for name in ("enterprises", "si_changes", "si_contributions", "payroll"):
        source = SOURCES[name]
        files = lake.files(settings, source)
        frame = _typed(pd.concat([pd.read_parquet(f) for f in files], ignore_index=True), source)
        repeated = _typed(lake.repeated_keys(settings, source, files).to_pandas(), source)
        frames[name] = pandas_features.latest_versions(frame, list(source.key), repeated)
    # Which enterprise a record is about is the linker's answer (features.linking), not a feature:
    # both implementations count the same linked records of the look-back, and both link them.
    since = day - timedelta(days=LOOKBACK_DAYS)
    frames["sentiment"] = from_lake(settings).sentiment.since(since).collect().to_pandas()
    return frames


def compare(polars_table: pl.DataFrame, pandas_table: pd.DataFrame) -> list[str]:
    """Columns where the two implementations disagree (beyond float32 rounding)."""
    left = polars_table.sort("uscc")
    right = pl.from_pandas(pandas_table.drop(columns=["as_of"])).sort("uscc")
    if left.height != right.height:
        return [f"rows: polars {left.height}, pandas {right.height}"]
    bad = []
    for name in right.columns:
        a, b = left[name], right[name]
        if a.dtype.is_numeric() or a.dtype == pl.Boolean:
            x = a.cast(pl.Float64).fill_nan(None).to_numpy()
            y = b.cast(pl.Float64).fill_nan(None).to_numpy()
            same = np.isclose(x, y, rtol=1e-4, atol=1e-5, equal_nan=True)
            if not same.all():
                bad.append(f"{name} ({(~same).sum()} rows)")
        elif not a.cast(pl.String).equals(b.cast(pl.String), null_equal=True):
            bad.append(name)
    return bad


def features(
    console: Console, *, data: Path, home: Path | None, as_of: date | None, pandas: bool = True
) -> dict[str, object]:
    settings = find_home(data, home)
    inputs = from_lake(settings)
    day = as_of or latest_day(inputs)
    # Shared by both implementations and paid once per register and process, not per as_of: the
    # register's matcher (built, or read from the home's cache) and the text model's fit.
    started = time.perf_counter()
    matcher(inputs.register, inputs.sentiment.cache)
    default_classifier()
    setup_seconds = time.perf_counter() - started
    console.print(f"一次性准备（企业名称匹配器、文本模型，两种实现共用）：{setup_seconds:.1f} 秒")
    started = time.perf_counter()
    table = feature_table(from_lake(settings), as_of=day).collect(engine=FEATURE_ENGINE)
    polars_seconds = time.perf_counter() - started
    polars_peak = _peak_gb()
    console.print(f"Polars：{table.height:,} 家企业 × {table.width} 列，{polars_seconds:.1f} 秒")
    figures: dict[str, object] = {
        "home": str(settings.home),
        "as_of": str(day),
        "shared_setup_seconds": setup_seconds,
        "enterprises": table.height,
        "columns": table.width,
        "polars_seconds": polars_seconds,
        "polars_peak_rss_gb": polars_peak,
    }
    if pandas:
        started = time.perf_counter()
        pandas_table = pandas_features.feature_table(_pandas_frames(settings, day), day)
        pandas_seconds = time.perf_counter() - started
        mismatches = compare(table, pandas_table)
        figures |= {
            "pandas_seconds": pandas_seconds,
            "speedup": pandas_seconds / polars_seconds,
            "peak_rss_gb": _peak_gb(),
            "columns_differing": mismatches,
        }
    figures["targets"] = {
        "polars_at_most_seconds": FEATURES_TARGET_SECONDS,
        "polars_met": polars_seconds <= FEATURES_TARGET_SECONDS,
        "speedup_at_least": FEATURES_TARGET_RATIO,
        "speedup_met": bool(pandas) and float(figures.get("speedup", 0)) >= FEATURES_TARGET_RATIO,  # type: ignore[arg-type]
    }
    table_out = Table(title=f"特征构建基准（{day}）")
    for col in ("实现", "秒", "相对 pandas"):
        table_out.add_column(col)
    table_out.add_row(
        "Polars（lazy）", f"{polars_seconds:.1f}", f"{figures.get('speedup', float('nan')):.1f}×"
    )
    if pandas:
        table_out.add_row("pandas（同一进程，同样的特征）", f"{figures['pandas_seconds']:.1f}", "1.0×")
    console.print(table_out)
    if pandas:
        console.print(
            "两种实现结果一致"
            if not figures["columns_differing"]
            else f"不一致的列：{figures['columns_differing']}"
        )
    return figures


def train(
    console: Console, *, data: Path, home: Path | None, snapshots: int, negative_fraction: float
) -> dict[str, object]:
    """Labels, features for ``snapshots`` month ends, and the fit -- each stage timed."""
    settings = find_home(data, home)
    stages: dict[str, float] = {}
    started = time.perf_counter()
    inputs = from_lake(settings).collected()
    stages["read"] = time.perf_counter() - started
    last = latest_day(inputs)
    t = time.perf_counter()
    episodes = layoff_episodes(inputs.changes, inputs.register, inputs.outcomes, until=last)
    stages["labels"] = time.perf_counter() - t
    newest = add_months(last, -4)  # labels of the newest snapshot have matured
    dates = [add_months(newest, -k) for k in range(snapshots - 1, -1, -1)]
    t = time.perf_counter()
    rows = labelled_snapshots(
        inputs, episodes, dates, negative_fraction=negative_fraction,
        progress=lambda d: console.print(f"  快照 {d} 完成（{time.perf_counter() - t:.0f} 秒）"),
    )  # fmt: skip
    stages["features"] = time.perf_counter() - t
    t = time.perf_counter()
    LayoffRiskModel().fit(rows, rows["label"].to_numpy(), sample_weight=rows["weight"].to_numpy())
    stages["fit"] = time.perf_counter() - t
    total = time.perf_counter() - started
    represented = float(rows["weight"].sum())
    figures: dict[str, object] = {
        "home": str(settings.home),
        "snapshots": [str(d) for d in dates],
        "snapshot_rows_represented": represented,
        "rows_fitted": rows.height,
        "positives": int(rows["label"].sum()),
        "negative_fraction": negative_fraction,
        "stage_seconds": stages,
        "total_seconds": total,
        "peak_rss_gb": _peak_gb(),
        "targets": {
            "total_at_most_seconds": TRAIN_TARGET_SECONDS,
            "total_met": total <= TRAIN_TARGET_SECONDS,
        },
    }
    out = Table(
        title=f"训练基准：{snapshots} 个月度快照，约 {represented:,.0f} 行（拟合 {rows.height:,} 行）"
    )
    out.add_column("阶段")
    out.add_column("秒", justify="right")
    for stage, seconds in stages.items():
        out.add_row(stage, f"{seconds:.1f}")
    out.add_row("合计", f"{total:.1f}")
    console.print(out)
    console.print(f"峰值内存 {figures['peak_rss_gb']:.2f} GB")
    return figures
