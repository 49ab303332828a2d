"""Every source's schema, declared once: columns, types, Chinese aliases and rules.

The reader (header mapping, parsing), the expectation suite (Polars quarantine rules and the
Great Expectations suite) and the synthetic generator are all derived from ``SOURCES`` below;
nothing else in the code base restates a column name, alias, range or allowed value.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import polars as pl


class Kind(enum.StrEnum):
    """How a cell's text is parsed; each kind has one Polars parser in ``sources.parse``."""

    TEXT = "text"  # NFKC-normalised, trimmed; empty -> null
    TEXT_LIST = "text_list"  # '|'-separated list of text
    INT = "int"  # thousands separators and full-width digits allowed
    MONEY = "money"  # yuan, decimals allowed
    DATE = "date"  # 2025-12-03, 2025/12/3, 20251203, 2025年12月3日
    MONTH = "month"  # 2025-12, 202512, 2025年12月 -> first day of month
    DATETIME = "datetime"  # naive means Asia/Shanghai
    USCC = "uscc"  # 18 characters, upper-cased
    ENUM = "enum"  # canonical English or Chinese label -> canonical English


DTYPES: dict[Kind, pl.DataType] = {
    Kind.TEXT: pl.String(),
    Kind.TEXT_LIST: pl.List(pl.String()),
    Kind.INT: pl.Int64(),
    Kind.MONEY: pl.Float64(),
    Kind.DATE: pl.Date(),
    Kind.MONTH: pl.Date(),
    Kind.DATETIME: pl.Datetime("us", "Asia/Shanghai"),
    Kind.USCC: pl.String(),
    Kind.ENUM: pl.String(),
}


@dataclass(frozen=True)
class Column:
    """One column of a source.

    ``aliases`` are the Chinese headers the offices' exports use; the first one is the label
    shown to officers. ``required`` columns must be present in every file; ``nullable``
    columns may have empty cells. ``values`` maps each accepted spelling to the canonical value.
    """

    name: str
    kind: Kind
    aliases: tuple[str, ...]
    required: bool = True
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    pattern: str | None = None
    values: dict[str, str] | None = None
    not_in_future: bool = False
    references_enterprise: bool = False
    no_formula: bool = False

    @property
    def label(self) -> str:
        """Chinese label for messages and exports."""
        return self.aliases[0]

    @property
    def dtype(self) -> pl.DataType:
        return DTYPES[self.kind]

    @property
    def canonical_values(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.values or {}).values()))


@dataclass(frozen=True)
class Source:
    """One input source: its columns, natural key and time column.

    ``key`` is the natural key: unique within a file, and a later file with the same key
    supersedes the earlier row in reads. ``time_column`` partitions the lake by month.
    ``monthly`` sources become known on day 15 of the next month unless ``reported_on`` says
    otherwise, and are checked for monthly continuity.
    """

    name: str
    label: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    time_column: str
    monthly: bool = False
    folder_aliases: tuple[str, ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    @property
    def polars_schema(self) -> pl.Schema:
        """The typed schema of validated rows in the lake (without bookkeeping columns)."""
        return pl.Schema({c.name: c.dtype for c in self.columns})

    def header_map(self) -> dict[str, str]:
        """Every accepted header spelling (NFKC, case-folded) -> canonical column name."""
        from sources.text import header_key

        mapping: dict[str, str] = {}
        for col in self.columns:
            for spelling in (col.name, *col.aliases):
                mapping[header_key(spelling)] = col.name
        return mapping


def _enum(pairs: dict[str, str]) -> dict[str, str]:
    """Accept the canonical English value and its Chinese label."""
    values = {en: en for en in pairs}
    values.update({zh: en for en, zh in pairs.items()})
    return values


OWNERSHIP_ZH = {"state": "国有", "private": "民营", "foreign": "外资", "collective": "集体", "other": "其他"}
STATUS_ZH = {"active": "存续", "suspended": "停业", "deregistered": "注销"}
CHANNEL_ZH = {"online": "网络", "petition": "信访", "hotline": "12345", "police": "公安"}
OUTCOME_ZH = {"mass_layoff": "规模裁员", "partial_layoff": "部分裁员", "no_layoff": "未裁员", "closed": "关停"}

# Where a column has no alias in the contract, the alias is the header the bureau's exports use.
USCC = Column("uscc", Kind.USCC, ("统一社会信用代码", "社会信用代码", "信用代码"), references_enterprise=True)
REPORTED_ON = Column("reported_on", Kind.DATE, ("报送日期",), required=False, nullable=True)

ENTERPRISES = Source(
    name="enterprises",
    label="企业名录",
    key=("uscc",),
    time_column="founded_on",
    folder_aliases=("企业名录", "企业", "enterprise"),
    columns=(
        Column("uscc", Kind.USCC, USCC.aliases),
        Column("name", Kind.TEXT, ("企业名称", "单位名称"), max_length=200, no_formula=True),
        Column("aliases", Kind.TEXT_LIST, ("简称",), required=False, nullable=True, max_length=500, no_formula=True),
        Column("industry", Kind.TEXT, ("行业代码",), pattern=r"^[A-T][0-9]{2}$"),
        Column("chain", Kind.TEXT, ("产业链",), required=False, nullable=True, max_length=50, no_formula=True),
        Column("township", Kind.TEXT, ("乡镇街道", "所属乡镇"), max_length=50, no_formula=True),
        Column("ownership", Kind.ENUM, ("经济类型",), values=_enum(OWNERSHIP_ZH)),
        Column("founded_on", Kind.DATE, ("成立日期",), not_in_future=True),
        Column("status", Kind.ENUM, ("经营状态",), values=_enum(STATUS_ZH)),
    ),
)

SI_CHANGES = Source(
    name="si_changes",
    label="社保增减员",
    key=("uscc", "date"),
    time_column="date",
    folder_aliases=("社保增减员", "增减员"),
    columns=(
        USCC,
        Column("date", Kind.DATE, ("变动日期",), not_in_future=True),
        Column("added", Kind.INT, ("增员人数",), min=0),
        Column("removed", Kind.INT, ("减员人数",), min=0),
        Column("insured_total", Kind.INT, ("参保人数",), min=0),
    ),
)

SI_CONTRIBUTIONS = Source(
    name="si_contributions",
    label="社保缴费",
    key=("uscc", "period"),
    time_column="period",
    monthly=True,
    folder_aliases=("社保缴费", "缴费"),
    columns=(
        USCC,
        Column("period", Kind.MONTH, ("费款所属期",), not_in_future=True),
        Column("base_total", Kind.MONEY, ("缴费基数总额",), min=0),
        Column("due", Kind.MONEY, ("应缴金额",), min=0),
        Column("paid", Kind.MONEY, ("实缴金额",), min=0),
        REPORTED_ON,
    ),
)

PAYROLL = Source(
    name="payroll",
    label="工资发放",
    key=("uscc", "period"),
    time_column="period",
    monthly=True,
    folder_aliases=("工资发放", "工资"),
    columns=(
        USCC,
        Column("period", Kind.MONTH, ("工资所属期",), not_in_future=True),
        Column("workers_paid", Kind.INT, ("发放人数",), min=0),
        Column("gross_pay", Kind.MONEY, ("工资总额",), min=0),
        Column("paid_on", Kind.DATE, ("发放日期",), nullable=True, not_in_future=True),
        Column("arrears_workers", Kind.INT, ("欠薪人数",), min=0),
        Column("arrears_amount", Kind.MONEY, ("欠薪金额",), min=0),
        REPORTED_ON,
    ),
)

SENTIMENT = Source(
    name="sentiment",
    label="舆情信访",
    key=("channel", "record_id"),
    time_column="published_at",
    folder_aliases=("舆情", "舆情信访"),
    columns=(
        Column("record_id", Kind.TEXT, ("编号",), max_length=64),
        Column("published_at", Kind.DATETIME, ("发布时间", "登记时间"), not_in_future=True),
        Column("channel", Kind.ENUM, ("渠道",), values=_enum(CHANNEL_ZH)),
        Column("text", Kind.TEXT, ("内容",)),
        Column("uscc", Kind.USCC, USCC.aliases, required=False, nullable=True, references_enterprise=True),
        Column("participants", Kind.INT, ("人数",), required=False, nullable=True, min=1),
        Column("location", Kind.TEXT, ("地点",), required=False, nullable=True, max_length=200),
    ),
)

OUTCOMES = Source(
    name="outcomes",
    label="核查结果",
    key=("uscc", "verified_on"),
    time_column="verified_on",
    folder_aliases=("核查结果", "核查"),
    columns=(
        USCC,
        Column("verified_on", Kind.DATE, ("核查日期",), not_in_future=True),
        Column("outcome", Kind.ENUM, ("核查结果",), values=_enum(OUTCOME_ZH)),
        Column("affected_workers", Kind.INT, ("涉及人数", "影响人数"), required=False, nullable=True, min=0),
        Column("note", Kind.TEXT, ("备注",), required=False, nullable=True),
    ),
)

SOURCES: dict[str, Source] = {
    s.name: s for s in (ENTERPRISES, SI_CHANGES, SI_CONTRIBUTIONS, PAYROLL, SENTIMENT, OUTCOMES)
}

# Enterprises are ingested first so that the other sources' references can be checked.
INGEST_ORDER: tuple[str, ...] = tuple(SOURCES)
