"""``layoffwatch bench text``: sentiment records linked to a large register and classified, timed.

Reads an ingested home (``bench ingest``): its register (every enterprise's name and aliases are
patterns) and its sentiment records, repeated with fresh ids if the lake holds fewer than asked.
Times separately the one-off costs (the register's matcher, the text model's fit) and the work
per record (linking, classifying), and reports records per minute for both; and, in the same
process, the classification without the text model's second reading, so that its cost is shown.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.table import Table

from features.linking import LINKED, EnterpriseMatcher
from features.text_model import TRAIN_FILES, fit, read_corpus
from layoffwatch.bench_model import _peak_gb, find_home
from layoffwatch.errors import UserError
from sources.schema import ENTERPRISES, SENTIMENT
from store import lake

TARGET_RECORDS_PER_MINUTE = 1_000_000


def records_to_read(lake_records: pl.DataFrame, count: int) -> pl.DataFrame:
    """``count`` records: the lake's, cycled with new ids when it holds fewer."""
    copies = -(-count // lake_records.height)
    return (
        pl.concat([lake_records] * copies)
        .head(count)
        .with_columns(pl.int_range(pl.len()).cast(pl.String).alias("record_id"))
    )


def run(console: Console, *, data: Path, home: Path | None, records: int) -> dict[str, object]:
    settings = find_home(data, home)
    register = lake.scan(settings, ENTERPRISES).collect()
    in_lake = lake.scan(settings, SENTIMENT).collect()
    if in_lake.is_empty():
        raise UserError(
            f"{settings.home}: the lake holds no sentiment records; run `layoffwatch bench ingest` first."
        )
    texts = records_to_read(in_lake, records)
    console.print(f"bench text：{register.height:,} 家企业的名称与简称，{texts.height:,} 条舆情信访记录")

    started = time.perf_counter()
    matcher = EnterpriseMatcher.from_register(register)
    build_seconds = time.perf_counter() - started
    started = time.perf_counter()
    classifier = fit(read_corpus(*TRAIN_FILES))
    fit_seconds = time.perf_counter() - started

    started = time.perf_counter()
    links = matcher.links(texts)
    link_seconds = time.perf_counter() - started
    started = time.perf_counter()
    categories = classifier.categorise(texts["text"])
    classify_seconds = time.perf_counter() - started
    # The same classification without the second reading (features.text_scope): what it costs.
    started = time.perf_counter()
    replace(classifier, scopes=()).categorise(texts["text"])
    first_reading_seconds = time.perf_counter() - started

    per_record = link_seconds + classify_seconds
    rate = texts.height / per_record * 60
    rate_with_setup = texts.height / (per_record + build_seconds + fit_seconds) * 60
    figures: dict[str, object] = {
        "home": str(settings.home),
        "enterprises": register.height,
        "patterns": matcher.patterns.height,
        "records": texts.height,
        "matcher_build_seconds": build_seconds,
        "text_model_fit_seconds": fit_seconds,
        "link_seconds": link_seconds,
        "classify_seconds": classify_seconds,
        "classify_without_second_reading_seconds": first_reading_seconds,
        "records_per_minute": rate,
        "records_per_minute_with_setup": rate_with_setup,
        "linked_rows": int((links["status"] == LINKED).sum()),
        "review_rows": int((links["status"] != LINKED).sum()),
        "records_with_a_category": int(categories.select(pl.any_horizontal(pl.all())).to_series().sum()),
        "peak_rss_gb": _peak_gb(),
        "target_records_per_minute": TARGET_RECORDS_PER_MINUTE,
        "target_met": rate >= TARGET_RECORDS_PER_MINUTE,
    }
    table = Table(title="文本基准：关联企业与分类")
    for header in ("阶段", "秒", "每分钟记录数"):
        table.add_column(header, justify="left" if header == "阶段" else "right")
    table.add_row(
        f"匹配器构建（{matcher.patterns.height:,} 个名称与简称，一次性）", f"{build_seconds:.1f}", ""
    )
    table.add_row("文本模型训练（一次性）", f"{fit_seconds:.1f}", "")
    table.add_row("关联企业", f"{link_seconds:.1f}", f"{texts.height / link_seconds * 60:,.0f}")
    table.add_row(
        "分类（模型与规则）", f"{classify_seconds:.1f}", f"{texts.height / classify_seconds * 60:,.0f}"
    )
    table.add_row(
        f"  其中第二遍阅读（分类用时的 {1 - first_reading_seconds / classify_seconds:.0%}）",
        f"{classify_seconds - first_reading_seconds:.1f}",
        "",
    )
    table.add_row("关联 + 分类", f"{per_record:.1f}", f"{rate:,.0f}")
    table.add_row(
        "含一次性构建", f"{per_record + build_seconds + fit_seconds:.1f}", f"{rate_with_setup:,.0f}"
    )
    console.print(table)
    met = "达标" if rate >= TARGET_RECORDS_PER_MINUTE else "未达标"
    console.print(
        f"关联与分类每分钟 {rate:,.0f} 条（目标 ≥ {TARGET_RECORDS_PER_MINUTE:,}）：{met}；"
        f"峰值内存 {figures['peak_rss_gb']:.2f} GB"
    )
    return figures
