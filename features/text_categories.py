"""What a sentiment record is about: the five categories, and the rules read with the text model.

The text model (``features.text_model``) learns the categories from a labelled corpus. Two
things a model of character n-grams gets wrong are settled here by rules, on normalised text,
clause by clause (a clause ends at ，。！？；, a line or a space):

- **Denial.** A category is denied when every mention of it is negated or answered: a negation
  word shortly before it in its clause (没有裁员, 并未停产, 不存在拖欠工资); a rebuttal in its
  clause (网传裁员系谣言), or one in a later clause that names no matter itself (…裁员，经核实不属实);
  a statement that the matter is in order (工资已足额发放, 社保正常缴纳, 生产经营一切正常) or a
  negation inside a verdict (经核实，该企业未裁员) in the same or a later clause: the way a hotline
  or petition record states the complaint first and the verdict after it. A mention after the last
  answer is an assertion (…不存在断缴，但确有拖欠加班工资), and a plain negation answers only its own
  clause (裁了一百多人，我还没有被辞退). Words that only look like a negation or a rule's word
  (未来, 无故, 仲裁员, 请假的) are blanked first. A denied category is never reported, whatever the
  model says.
- **Hard triggers.** Words that name a category unambiguously (欠薪, 裁员, 跑路, 断缴, 拉横幅…)
  report it, unless denied, even where the model's probability is low.

Everything is Polars string operations over all records at once.
"""

from __future__ import annotations

import polars as pl

CATEGORIES = ("wage_arrears", "layoffs", "shutdown", "social_insurance", "collective_action")
CATEGORY_ZH = {
    "wage_arrears": "欠薪讨薪",
    "layoffs": "裁员辞退",
    "shutdown": "停产倒闭",
    "social_insurance": "社保断缴",
    "collective_action": "群体性事件",
}
_NOT_END = "[^，。！？；!?;\\s]"

# Words that mention the category's matter: the target of a negation or a rebuttal.
MENTIONS = {
    "wage_arrears": f"欠薪|讨薪|欠.{{0,2}}(工资|工钱|薪|血汗钱)|拖欠|(工资|工钱|薪水|薪资){_NOT_END}{{0,6}}(没发|未发|不发|拖|欠|发不出|没到账|未到账|没给|不给)|要工资|讨要|结不了账|不给结",
    "layoffs": "裁员|裁人|裁减|裁了|裁掉|辞退|遣散|解除劳动合同|解除合同|解聘|开除|劝退|被离职|末位淘汰|优化",
    "shutdown": "停产|停工|关停|倒闭|跑路|破产|关门|歇业|停业|失联|停摆",
    "social_insurance": f"断缴|停保|断保|欠缴|停缴|社保{_NOT_END}{{0,6}}(没交|未交|没缴|未缴|不交|不缴|断|停|欠)|(医保|养老保险){_NOT_END}{{0,6}}(断|停|欠|未缴|没缴)|社保|医保|养老保险",
    "collective_action": "聚集|横幅|堵门|堵路|堵厂|围堵|上访|集体来访|罢工|静坐|围住|围堵|过激|群体",
}
# Words that name the category beyond doubt (reported unless denied).
TRIGGERS = {
    "wage_arrears": "欠薪|讨薪|拖欠.{0,4}(工资|工钱|薪)|讨要工资",
    "layoffs": "裁员|遣散|集中辞退|批量辞退|大规模辞退",
    "shutdown": "跑路|倒闭|破产|停产停业|关门歇业",
    "social_insurance": "断缴|停保|停缴社保|社保断了",
    "collective_action": "拉横幅|拉条幅|堵门|堵路|罢工|集体上访|集体来访|静坐",
}
# What a negation word denies: the matter itself, not a word around it ("未缴纳社保" asserts a
# social-insurance problem; "未断缴" denies one).
NEGATABLE = {
    "wage_arrears": "欠薪|讨薪|拖欠|欠.{0,2}(工资|工钱|薪)",
    "layoffs": MENTIONS["layoffs"],
    "shutdown": MENTIONS["shutdown"],
    "social_insurance": "断缴|停保|断保|欠缴|停缴|欠费",
    "collective_action": MENTIONS["collective_action"],
}
# Words that contain a negation or a rule's word without meaning it (未来, 无故, 不是第一次, 仲裁员,
# 请假的): blanked before any rule reads the text (the regular expressions have no look-around).
FALSE_FRIENDS = "未来|无故|无奈|无论|无法|无端|不是第|仲裁员|请假的|放假的|休假的"
# A negation word, then a few characters of the same thought, then the mention: 没有裁员,
# 并未发生停产, 不存在拖欠 (not 未提前通知就裁员: 就 starts another thought).
NEGATION = "没有|没|并未|未曾|未|不存在|并无|无|不会|否认|谈不上|不是|不属于|暂无"
NEGATION_GAP = "[^，。！？；!?;\\s就便却而后才又]{0,6}"
# Inside an "in order" statement no negation or problem word may sit (社保已经断缴, 工资一直没有按时发放).
_CALM = "[^，。！？；!?;\\s没未无不断欠停拖缺〇]"
# Before a statement that stands alone (按时发放, 正常缴纳): no negation just before it.
_UNNEGATED = "(^|[^没未不有无〇])"
# A clause that gives a verdict on an earlier complaint: its negations answer that complaint too.
VERDICT = "经|核实|核查|调查|查明|回应|表示|确认|答复|了解|声明"
# A verdict that the reported matter is false: it covers the mentions of its own clause, and when it
# names no matter itself (经核实不属实), the mentions of the clauses before it.
REBUTTAL = (
    "辟谣|谣言|谣传|不实|不属实|假消息|是假的|假的|纯属|造谣|没有这回事|没这回事|子虚乌有|澄清|并非|"
    "查无此事|与事实不符|不存在上述|上述情况不存在|不存在该情况|不存在此类|未发现|均正常|一切正常"
)
# The matter stated to be in order; like a negation, it covers the category's earlier mentions.
IN_ORDER = {
    "wage_arrears": (
        f"(工资|薪资|工钱|薪水){_CALM}{{0,6}}(已|均已|都已|按时|正常|足额|照常|如期|全部|准时|按月){_CALM}{{0,4}}"
        f"(发放|发了|到账|结清|支付|发)|{_UNNEGATED}(足额|按时|按月|准时|如期)(发放|支付)|工资照发|照常发|"
        f"已{_CALM}{{0,8}}(结清|补发|发放了)|全部补发|转账支付"
    ),
    "layoffs": "(未|没有|不)(解除|辞退|裁)|岗位正常调整|正常人员流动|正常离职|合同到期|人一个没少|一个没少|主动(提出)?辞职",
    "shutdown": (
        f"(生产|经营|运营|运转){_CALM}{{0,4}}正常|正常(生产|经营|运营|上班|开工)|照常(生产|经营|上班|开工)|"
        "在加班|恢复(正常)?生产|已(经)?复工|已(经)?复产|检修|技改"
    ),
    "social_insurance": (
        f"(社保|医保|养老保险|五险){_CALM}{{0,8}}(正常|按时|足额|一直|照常|均已|已|都有记录){_CALM}{{0,4}}(缴|交|记录)|"
        f"缴费(状态|记录)?(正常|完整)|已补缴|{_UNNEGATED}(按时|正常)缴纳|缴费正常"
    ),
    "collective_action": "(未|没有|无|并无)(发生|出现|人员)?(聚集|群体性|过激)|秩序正常|现场平稳|个人所挂",
}
# An order or a request is not a statement that the matter is in order (已责令…结清).
NOT_A_STATEMENT = "责令|督促|要求|限期|协调|请求|希望|能否|是否"


def rule_flags(texts: pl.Series) -> pl.DataFrame:
    """For each (normalised) text, ``denied_<category>`` and ``trigger_<category>``: booleans."""
    plain = pl.Series(texts.fill_null("")).str.replace_all(FALSE_FRIENDS, "〇")
    frame = pl.DataFrame({"text": plain}).with_row_index("row")
    clauses = (
        frame.with_columns(_split("text"))
        .explode("clause")
        .with_columns(pl.int_range(pl.len()).over("row").alias("k"))
    )
    clause = pl.col("clause").fill_null("")
    k = pl.col("k")
    statement = ~clause.str.contains(NOT_A_STATEMENT)
    columns: list[pl.Expr] = [
        clause.str.contains(REBUTTAL).alias("rebuttal"),
        clause.str.contains(VERDICT).alias("verdict"),
    ]
    for c in CATEGORIES:
        columns += [
            clause.str.contains(MENTIONS[c]).alias(f"m_{c}"),
            clause.str.contains(f"({NEGATION}){NEGATION_GAP}({NEGATABLE[c]})").alias(f"n_{c}"),
            (clause.str.contains(IN_ORDER[c]) & statement).alias(f"o_{c}"),
        ]
    mentions_any = pl.any_horizontal(pl.col(f"m_{c}") for c in CATEGORIES)
    # A rebuttal naming no matter answers the clauses before it.
    rebut_k = pl.when(pl.col("rebuttal") & ~mentions_any).then(k).max().over("row").alias("rebut_k")
    # How far back each category's answers reach: a statement that it is in order, or a negation in
    # a verdict clause (经核实，该企业未裁员), covers the earlier mentions; other negations only their own.
    flagged = (
        clauses.with_columns(columns)
        .with_columns(rebut_k)
        .with_columns(
            pl.max_horizontal(
                pl.when(pl.col(f"o_{c}") | (pl.col(f"n_{c}") & pl.col("verdict"))).then(k).max().over("row"),
                pl.col("rebut_k"),
            ).alias(f"d_{c}")
            for c in CATEGORIES
        )
    )
    aggs: list[pl.Expr] = []
    for c in CATEGORIES:
        mention, negated, in_order = pl.col(f"m_{c}"), pl.col(f"n_{c}"), pl.col(f"o_{c}")
        covered = (pl.col(f"d_{c}").is_not_null() & (k <= pl.col(f"d_{c}"))) | pl.col("rebuttal")
        asserted = mention & ~negated & ~covered
        evidence = (mention & (negated | covered)) | in_order
        aggs.append((evidence.any() & ~asserted.any()).alias(f"denied_{c}"))
    by_text = flagged.group_by("row").agg(aggs)
    # A text without a clause (empty) has no row in ``by_text``: nothing is denied.
    return (
        frame.join(by_text, on="row", how="left", maintain_order="left")
        .with_columns(pl.col(f"denied_{c}").fill_null(False) for c in CATEGORIES)
        .with_columns(pl.col("text").str.contains(TRIGGERS[c]).alias(f"trigger_{c}") for c in CATEGORIES)
        .drop("row", "text")
    )


def _split(column: str) -> pl.Expr:
    """A text's clauses, as the list column ``clause``."""
    return (
        pl.col(column)
        .str.replace_all(r"[，。！？；!?;\n ]+", "\x1e")
        .str.split("\x1e")
        .list.eval(pl.element().filter(pl.element().str.len_chars() > 0))
        .alias("clause")
    )
