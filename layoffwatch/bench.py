"""``layoffwatch bench ingest``: the whole history of a large city ingested and validated, timed.

The city is generated once in a child process (so its memory does not count) and reused; each
run ingests it into a fresh home. Reported per stage: seconds, rows/s, share of the total, the
share spent inside Great Expectations, and the peak resident memory of this process.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from expectations.intake import STAGES, ingest_paths
from layoffwatch.demo import file_progress, progress_bar
from layoffwatch.settings import Settings

TARGET_SECONDS = 15 * 60
TARGET_RSS_GB = 8.0


def city_folder(data: Path, *, enterprises: int, months: int, seed: int) -> Path:
    return data / f"city-{enterprises}x{months}-seed{seed}"


def ensure_city(
    data: Path, console: Console, *, enterprises: int, months: int, seed: int, end_day: str
) -> tuple[Path, float | None]:
    """The generated city, made now in a child process unless a complete one is already there."""
    city = city_folder(data, enterprises=enterprises, months=months, seed=seed)
    if (city / "truth" / "summary.json").exists():
        console.print(f"复用已生成的数据：{city}")
        return city, None
    console.print(f"生成 {enterprises:,} 家企业 × {months} 个月的数据到 {city} …")
    started = time.perf_counter()
    # Output captured: stdout is for the figures (--json); a failure here is a bug, with its traceback.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "layoffwatch",
            "generate",
            "--out",
            str(city),
            "--enterprises",
            str(enterprises),
            "--months",
            str(months),
            "--seed",
            str(seed),
            "--end",
            end_day,
        ],
        check=True,
        capture_output=True,
    )
    return city, time.perf_counter() - started


def ingest(
    settings: Settings,
    console: Console,
    *,
    enterprises: int,
    months: int,
    seed: int,
    data: Path,
    now: datetime,
) -> dict[str, object]:
    """Run the benchmark and print its table; returns the figures."""
    city, generate_seconds = ensure_city(
        data,
        console,
        enterprises=enterprises,
        months=months,
        seed=seed,
        end_day=(now.date() - timedelta(days=1)).isoformat(),
    )
    home = data / f"home-{now.strftime('%Y%m%dT%H%M%S')}"
    bench_settings = Settings(
        home=home.resolve(),
        database_url=settings.database_url
        if not settings.is_sqlite
        else f"sqlite:///{(home / 'layoffwatch.db').resolve()}",
        timezone=settings.timezone,
    )
    started = time.perf_counter()
    with progress_bar(console) as bar:
        reports = ingest_paths(
            bench_settings, [city / "landing"], now=now, progress=file_progress(bar), render_docs=False
        )
    from expectations import suite

    docs_started = time.perf_counter()
    suite.render_data_docs(bench_settings)
    docs_seconds = time.perf_counter() - docs_started
    from features.inputs import prepare_linking

    linking_started = time.perf_counter()
    prepare_linking(bench_settings)  # as the ingest command does once the register has arrived
    linking_seconds = time.perf_counter() - linking_started
    total = time.perf_counter() - started

    rows = sum(r.rows_read for r in reports)
    stage_seconds = {s: sum(r.seconds.get(s, 0.0) for r in reports) for s in STAGES}
    stage_seconds["data_docs"] = docs_seconds
    stage_seconds["linking index"] = linking_seconds
    validate_seconds = stage_seconds["check"] + stage_seconds["gx"]
    peak_rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    figures: dict[str, object] = {
        "enterprises": enterprises,
        "months": months,
        "seed": seed,
        "city": str(city),
        "files": len(reports),
        "rows": rows,
        "rows_valid": sum(r.rows_valid for r in reports),
        "rows_quarantined": sum(r.rows_quarantined for r in reports),
        "files_rejected": sum(r.status == "rejected" for r in reports),
        "generate_seconds": generate_seconds,
        "total_seconds": total,
        "stage_seconds": stage_seconds,
        "validate_seconds": validate_seconds,
        "validate_share": validate_seconds / total,
        "gx_share": stage_seconds["gx"] / total,
        "peak_rss_gb": peak_rss_gb,
        "targets": {
            "total_at_most_seconds": TARGET_SECONDS,
            "total_met": total <= TARGET_SECONDS,
            "peak_rss_at_most_gb": TARGET_RSS_GB,
            "peak_rss_met": peak_rss_gb <= TARGET_RSS_GB,
            "validate_share_at_most": 0.5,
            "validate_share_met": validate_seconds <= total / 2,
        },
        "home": str(home),
    }
    console.print(_table(figures, stage_seconds, rows, total))
    (home / "bench-ingest.json").write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")
    return figures


def _table(figures: dict[str, object], stage_seconds: dict[str, float], rows: int, total: float) -> Table:
    table = Table(
        title=f"bench ingest: {figures['enterprises']:,} enterprises × {figures['months']} months, {rows:,} rows in {figures['files']} files"
    )
    for header in ("stage", "seconds", "rows/s", "share of total"):
        table.add_column(header, justify="right" if header != "stage" else "left")
    for stage, seconds in stage_seconds.items():
        rate = f"{rows / seconds:,.0f}" if seconds and stage in STAGES else "-"
        table.add_row(stage, f"{seconds:,.1f}", rate, f"{seconds / total:.0%}")
    table.add_row("total", f"{total:,.1f}", f"{rows / total:,.0f}", "100%", style="bold")
    targets = figures["targets"]
    assert isinstance(targets, dict)

    def verdict(key: str) -> str:
        return "met" if targets[key] else "NOT met"

    table.caption = (
        f"total {total:,.0f} s (target ≤ {TARGET_SECONDS} s: {verdict('total_met')}); "
        f"validation (check + gx) {figures['validate_seconds']:,.1f} s = {figures['validate_share']:.0%} of total "
        f"(target ≤ 50%: {verdict('validate_share_met')}); Great Expectations {figures['gx_share']:.0%} of total; "
        f"parse (text -> typed values and rule evidence) {stage_seconds['parse'] / total:.0%}; "
        f"peak RSS {figures['peak_rss_gb']:.2f} GB (target ≤ {TARGET_RSS_GB:g} GB: {verdict('peak_rss_met')})"
    )
    return table
