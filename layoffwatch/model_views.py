"""What the model commands print and export: rich tables for people, plain rows for files."""

from __future__ import annotations

import polars as pl
from rich.table import Table

from models.metrics import Metrics
from models.registry import GateResult
from models.report import metrics_table
from models.text_evaluation import TextEvaluation
from models.tiers import TIER_ZH
from sources.text import spreadsheet_safe
from store.tables import ModelPromotion, ModelVersion

EXPORT_HEADERS = {
    "uscc": "统一社会信用代码",
    "name": "企业名称",
    "township": "所属乡镇",
    "industry": "行业",
    "probability": "90天内规模裁员概率",
    "percentile": "风险百分位",
    "tier_zh": "风险等级",
    "reasons_text": "主要风险因素",
    "as_of": "评估日期",
    "model_version": "模型版本",
}


def metrics_side_by_side(metrics: dict[str, Metrics], title: str) -> Table:
    rows = metrics_table(metrics)
    table = Table(title=title)
    for i, header in enumerate(rows[0]):
        table.add_column(header, justify="left" if i == 0 else "right")
    for row in rows[1:]:
        table.add_row(*row)
    return table


def frame_table(frame: pl.DataFrame, title: str) -> Table:
    table = Table(title=title)
    for name in frame.columns:
        table.add_column(name)
    for row in frame.iter_rows():
        table.add_row(*[f"{v:.4f}" if isinstance(v, float) else str(v) for v in row])
    return table


def gate_table(result: GateResult) -> Table:
    table = Table(title=f"晋级门槛（同一留出窗口 {result.window}）：{'通过' if result.passed else '未通过'}")
    for header in ("指标", "挑战者", "当前模型", "规则", "结果"):
        table.add_column(header)
    for c in result.checks:
        rule = "须更高" if c.rule == "higher" else "不得更差"
        table.add_row(c.metric, f"{c.challenger:.4f}", f"{c.champion:.4f}", rule, "✓" if c.passed else "✗")
    return table


def versions_table(versions: list[ModelVersion]) -> Table:
    table = Table(title="模型版本")
    for header in ("版本", "状态", "训练日期", "数据截至", "留出窗口", "PR-AUC", "前1%召回", "Brier"):
        table.add_column(header)
    for v in versions:
        m = v.metrics.get("model", {})
        table.add_row(
            v.version, v.status, f"{v.trained_at:%Y-%m-%d %H:%M}", str(v.as_of), f"{v.holdout_from}..{v.holdout_to}",
            _number(m.get("pr_auc"), 3), _number(m.get("recall_top1pct"), 3), _number(m.get("brier"), 4),
        )  # fmt: skip
    return table


def _number(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def history_table(rows: list[ModelPromotion]) -> Table:
    table = Table(title="状态变更记录")
    for header in ("时间", "从", "到", "操作人", "原因", "强制"):
        table.add_column(header)
    for r in rows:
        table.add_row(
            f"{r.at:%Y-%m-%d %H:%M}",
            r.from_status or "—",
            r.to_status,
            r.by,
            r.reason,
            "是" if r.forced else "",
        )
    return table


def version_dict(v: ModelVersion, history: list[ModelPromotion]) -> dict[str, object]:
    out = v.model_dump()
    out["history"] = [h.model_dump() for h in history]
    return out


def top_table(scores: pl.DataFrame, *, limit: int = 10) -> Table:
    table = Table(title=f"风险最高的 {limit} 家企业")
    for header in ("企业名称", "乡镇", "概率", "等级", "主要风险因素"):
        table.add_column(header, overflow="fold")
    top = scores.filter(pl.col("probability").is_not_null()).sort("probability", descending=True).head(limit)
    for row in top.iter_rows(named=True):
        reasons = "；".join(r["sentence"] for r in (row["reasons"] or [])[:3])
        table.add_row(
            row["name"], row["township"], f"{row['probability']:.1%}", TIER_ZH[row["tier"]], reasons
        )
    return table


def tier_counts_table(scores: pl.DataFrame) -> Table:
    counts = dict(scores["tier"].value_counts().iter_rows())
    table = Table(title="风险等级分布")
    table.add_column("等级")
    table.add_column("企业数", justify="right")
    for tier, label in TIER_ZH.items():
        table.add_row(label, f"{counts.get(tier, 0):,}")
    return table



def export_frame(scores: pl.DataFrame) -> pl.DataFrame:
    """Scores with Chinese headers, tier names and reasons as one line of text."""
    reasons_text = (
        pl.col("reasons").list.eval(pl.element().struct.field("sentence")).list.join("；").fill_null("")
    )
    return scores.select(
        "uscc",
        spreadsheet_safe(pl.col("name")).alias("name"),
        spreadsheet_safe(pl.col("township")).alias("township"),
        "industry",
        pl.col("probability").round(4),
        pl.col("percentile").round(4),
        pl.col("tier").replace_strict(TIER_ZH).alias("tier_zh"),
        spreadsheet_safe(reasons_text).alias("reasons_text"),
        "as_of",
        "model_version",
    ).rename(EXPORT_HEADERS)


def text_evaluation_table(evaluation: TextEvaluation) -> Table:
    """Per category: precision, recall and F1 of the whole classifier, and its F1 without the second
    reading and of the model alone."""
    s = evaluation.summary
    table = Table(title=f"文本分类留出评估（{s['held_out_file']}，{s['held_out_sentences']} 句，训练时从未见过）")
    for header in ("类别", "精确率", "召回率", "F1", "无第二遍 F1", "仅模型 F1", "样本数"):
        table.add_column(header, justify="left" if header == "类别" else "right")
    frame = evaluation.per_category
    ruled = frame.filter(pl.col("variant") == "model_and_rules")
    single = frame.filter(pl.col("variant") == "without_second_reading")
    alone = frame.filter(pl.col("variant") == "model_alone")
    rows = (part.iter_rows(named=True) for part in (ruled, single, alone))
    for row, once, bare in zip(*rows, strict=True):
        table.add_row(
            f"{row['类别']}（{row['category']}）",
            f"{row['precision']:.3f}",
            f"{row['recall']:.3f}",
            f"{row['f1']:.3f}",
            f"{once['f1']:.3f}",
            f"{bare['f1']:.3f}",
            str(row["support"]),
        )
    variants = ("model_and_rules", "without_second_reading", "model_alone")
    table.add_row("宏平均 F1（macro-F1）", "", "", *(f"{s[f'{v}_macro_f1']:.3f}" for v in variants), "")
    table.add_row(
        f"否定与辟谣句完全正确率（{s['negation_sentences']} 句）",
        "",
        "",
        *(f"{s[f'{v}_negation_accuracy']:.3f}" for v in variants),
        "",
    )
    return table
