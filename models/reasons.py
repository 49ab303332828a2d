"""Reason codes: which signals raise an enterprise's score, in sentences a risk officer reads.

Reason codes are data: one entry per feature group of ``features.catalog`` with a code, a short
title and a Chinese sentence filled from the enterprise's own figures (context groups, which say
what kind of enterprise it is, are model inputs but never reasons). Which reasons an
enterprise gets is decided by the model, not by the template: each group's features are set to
their neutral values (the median of enterprises without a layoff, learned in ``fit``) and the
drop in the calibrated probability is the reason's impact. Only groups whose neutralisation
lowers the score are reasons, so the top reason is faithful by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from features.catalog import CONTEXT_GROUPS, GROUPS, by_group
from models.estimator import LayoffRiskModel

REASON_GROUPS: tuple[str, ...] = tuple(g for g in GROUPS if g not in CONTEXT_GROUPS)
MAX_REASONS = 5
IMPACT_CHUNK_ROWS = 50_000  # rows explained together: each tree's output for them is kept (~160 MB)
PEER_CAP = 0.99  # "higher than 100% of peers" reads as an error; the top is 99%


def _num(col: str) -> pl.Expr:
    return pl.col(col).fill_null(0).round(0).cast(pl.Int64).cast(pl.String)


def _pct(col: str, *, signed: bool = False, cap: float | None = None) -> pl.Expr:
    share = pl.col(col).fill_null(0)
    value = ((share.clip(upper_bound=cap) if cap is not None else share) * 100).round(0).cast(pl.Int64)
    text = value.cast(pl.String) + "%"
    return pl.when(value > 0).then("+" + text).otherwise(text) if signed else text


def _money(col: str) -> pl.Expr:
    return (pl.col(col).fill_null(0) / 10_000).round(1).cast(pl.String) + "万"


@dataclass(frozen=True)
class ReasonCode:
    """``sentence`` renders the reason from the row's own figures (a Polars expression, so a whole
    city's reasons are rendered at once)."""

    code: str
    title: str
    sentence: pl.Expr


def _late() -> pl.Expr:
    return (
        pl.when(pl.col("unpaid_latest").fill_null(False))
        .then(pl.lit("尚未发放"))
        .otherwise(pl.format("推迟{}天发放", _num("days_late_latest")))
    )


# What the text model read in the records, per category: code, title, what the records report.
_TEXT_REASONS = {
    "wage_arrears": ("R20", "舆情反映欠薪", "欠薪讨薪"),
    "layoffs": ("R21", "舆情反映裁员", "裁员辞退"),
    "shutdown": ("R22", "舆情反映停产", "停产、关停或负责人失联"),
    "social_insurance": ("R23", "舆情反映社保断缴", "社保断缴"),
    "collective_action": ("R24", "舆情反映聚集", "职工聚集、拉横幅或集体上访"),
}

REASON_CODES: dict[str, ReasonCode] = {
    "removals_30d": ReasonCode(
        "R01", "近期集中减员",
        pl.format("近30天减员{}人，占参保人数{}，高于同行业{}的企业",
                  _num("removed_30d"), _pct("removed_share_30d"), _pct("removed_share_30d_peer_pct", cap=PEER_CAP)),
    ),
    "removals_90d": ReasonCode(
        "R02", "持续减员",
        pl.format("近90天减员{}人，占参保人数{}，高于同行业{}的企业",
                  _num("removed_90d"), _pct("removed_share_90d"), _pct("removed_share_90d_peer_pct", cap=PEER_CAP)),
    ),
    "shrinking": ReasonCode(
        "R03", "参保人数下降",
        pl.format("近一年累计减员占参保人数{}，参保人数净变化{}，目前参保{}人",
                  _pct("removed_share_365d"), _pct("net_change_share_365d", signed=True), _num("headcount")),
    ),
    "hiring": ReasonCode(
        "R04", "停止招工", pl.format("近90天仅增员{}人，明显少于过去一年的季度平均水平", _num("added_90d"))
    ),
    "seasonal": ReasonCode(
        "R05", "减员不符合季节规律",
        pl.format("近30天减员占参保人数{}，去年同期约{}，不像春节返乡等季节性流动",
                  _pct("removed_share_30d"), _pct("removed_share_30d_last_year")),
    ),
    "contribution_arrears": ReasonCode(
        "R06", "社保欠费",
        pl.format("近6个月有{}个月社保费未足额缴纳（目前连续{}个月），近一年累计欠缴{}元",
                  _num("arrears_months_6m"), _num("arrears_streak"), _money("contribution_arrears")),
    ),
    "contribution_ratio": ReasonCode(
        "R07", "社保缴费不足", pl.format("近3个月社保实缴金额仅为应缴的{}", _pct("paid_ratio_3m"))
    ),
    "contribution_base": ReasonCode(
        "R08", "缴费基数下降", pl.format("社保缴费基数较3个月前变化{}", _pct("base_change_3m", signed=True))
    ),
    "payroll_late": ReasonCode("R09", "工资延迟发放", pl.format("最近一期工资{}", _late())),
    "wage_arrears": ReasonCode(
        "R10", "拖欠工资",
        pl.format("报告欠薪{}人，欠薪金额{}元，近6个月有{}个月欠薪",
                  _num("wage_arrears_workers"), _money("wage_arrears_amount"), _num("wage_arrears_months_6m")),
    ),
    "payroll_shrinking": ReasonCode(
        "R11", "发薪人数减少", pl.format("发放工资人数较前3个月变化{}", _pct("workers_paid_change", signed=True))
    ),
    "petitions": ReasonCode(
        "R12", "信访增多",
        pl.format("近90天涉及该企业的信访{}件，其中5人以上集体访{}件",
                  _num("petition_90d"), _num("collective_petitions_90d")),
    ),
    "police": ReasonCode("R13", "涉企警情", pl.format("近90天涉及该企业的警情{}起", _num("police_90d"))),
    "hotline": ReasonCode("R14", "12345热线投诉", pl.format("近90天12345热线涉及该企业的诉求{}件", _num("hotline_90d"))),
    "online": ReasonCode("R15", "网络舆情", pl.format("近90天涉及该企业的网络舆情{}条", _num("online_90d"))),
    "sentiment_volume": ReasonCode(
        "R19", "舆情信访总量上升",
        pl.format("近30天涉及该企业的舆情、信访、热线和警情共{}条，多于同行业{}的企业",
                  _num("records_30d"), _pct("records_30d_peer_pct", cap=PEER_CAP)),
    ),
    "gatherings": ReasonCode(
        "R16", "聚集人数多", pl.format("近90天涉及该企业的聚集、上访最多{}人", _num("max_participants_90d"))
    ),
    **{
        f"text_{category}": ReasonCode(
            code, title,
            pl.format(f"近30天有{{}}条舆情、信访、热线或警情反映该企业{what}（近90天{{}}条）",
                      _num(f"cat_{category}_30d"), _num(f"cat_{category}_90d")),
        )
        for category, (code, title, what) in _TEXT_REASONS.items()
    },
    "reporting_gap": ReasonCode(
        "R17", "数据报送中断",
        pl.format("社保缴费或工资数据已{}个月未报送",
                  pl.max_horizontal("contribution_months_since_report", "payroll_months_since_report").fill_null(0).cast(pl.String)),
    ),
}  # fmt: skip


def group_impacts(model: LayoffRiskModel, frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(probability per row, impact per row and group): how much neutralising each group lowers it."""
    matrix = model._matrix(frame)
    groups = [
        [model.feature_names_.index(f.name) for f in by_group(group) if f.name in model.feature_names_]
        for group in REASON_GROUPS
    ]
    base = np.empty(len(matrix))
    impacts = np.zeros((len(matrix), len(REASON_GROUPS)))
    for start in range(0, len(matrix), IMPACT_CHUNK_ROWS):
        part = slice(start, start + IMPACT_CHUNK_ROWS)
        own, neutral = model.neutralised(matrix[part], groups)
        base[part] = own
        impacts[part] = own[:, None] - neutral
    return base, impacts


def explain(model: LayoffRiskModel, frame: pl.DataFrame) -> pl.Series:
    """For each row, up to 5 reasons strongest first: list of {code, title, sentence, impact}.

    Every signal group whose neutralisation lowers the probability is a candidate; an enterprise
    gets fewer than 3 reasons only when fewer than 3 of its signals raise its score (padding the
    list with signals that do not would not be honest).
    """
    reason = pl.Struct({"code": pl.String, "title": pl.String, "sentence": pl.String, "impact": pl.Float64})
    if frame.is_empty():
        return pl.Series("reasons", [], dtype=pl.List(reason))
    _, impacts = group_impacts(model, frame)
    order = np.argsort(-impacts, axis=1, kind="stable")[:, :MAX_REASONS]
    top = np.take_along_axis(impacts, order, axis=1)
    ranked = frame.with_columns(
        *(pl.Series(f"_g{k}", order[:, k]) for k in range(order.shape[1])),
        *(pl.Series(f"_i{k}", top[:, k]) for k in range(order.shape[1])),
    )

    def choice(k: int) -> pl.Expr:
        expr: Any = pl.when(pl.lit(False)).then(None)
        for g, group in enumerate(REASON_GROUPS):
            code = REASON_CODES[group]
            expr = expr.when(pl.col(f"_g{k}") == g).then(
                pl.struct(
                    pl.lit(code.code).alias("code"),
                    pl.lit(code.title).alias("title"),
                    code.sentence.alias("sentence"),
                    pl.col(f"_i{k}").round(4).alias("impact"),
                )
            )
        return pl.when(pl.col(f"_i{k}") > 0).then(expr).alias(f"_r{k}")

    picked = ranked.select(choice(k) for k in range(order.shape[1]))
    return picked.select(
        pl.concat_list(pl.all()).list.drop_nulls().cast(pl.List(reason)).alias("reasons")
    ).to_series()
