"""What a sentiment record is about: the five categories, and the rules read with the text model.

The text model (``features.text_model``) learns the categories from a labelled corpus. Two
things a model of character n-grams gets wrong are settled here by rules, on normalised text,
clause by clause (a clause ends at ，。！？； or their half-width forms, a line or a space):

- **Denial.** A category is denied when every mention of it is negated or answered: a negation
  word shortly before it in its clause (没有裁员, 并未停产, 不存在拖欠工资); a rebuttal in its
  clause (网传裁员系谣言), or one in a later clause that names no matter itself (…裁员，经核实不属实);
  a statement that the matter is in order (工资已足额发放, 社保正常缴纳, 生产经营一切正常) or a
  negation inside a verdict (经核实，该企业未裁员: the verdict clause and those after it) in the same
  or a later clause: the way a hotline or petition record states the complaint first and the
  verdict after it. Posts deny in their own words: a colloquial rebuttal (是误传, 没有的事, 虚惊一场,
  同名不同厂, 谁说…跑路了？), an explanation naming no matter (其实是招聘会排队的, 那是周日; in a
  verdict, 系外卖员在门口等候取餐, but not a cause, 系资金链断裂所致), a question that only echoes
  the claim before answering it (跑路？老板天天在车间转), and a claim passed on (有人说…断缴社保)
  answered by a later plain negation (…没断). A mention after the last answer, or one a verdict
  confirms (现场确有横幅), is an assertion (…不存在断缴，但确有拖欠加班工资), and a plain negation
  answers only its own clause
  (裁了一百多人，我还没有被辞退). A matter put right later stays asserted (结清所欠工资, 已补发, 补缴):
  only a text saying it did not happen denies it. Words that only look like a negation or a rule's
  word (未来, 无故, 仲裁员, 请假的, 难道这不是) are blanked first. A denied category is never reported,
  whatever the model says.
- **Hard triggers.** Words that name a category (欠薪, 裁员, 辞退, 停产, 跑路, 断缴, 拉横幅…)
  report it, unless denied, even where the model's probability is low. So does, in a text that
  denies some matter, a mention of another that no negation or answer covers: beside a denial the
  model's n-grams lean towards "nothing happened" and miss the matter the text goes on to assert
  (没倒闭也没停工，可工资已经拖到第四个月了).

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
# What ends a clause. Normalised text (``features.text_normalise``, NFKC) has the half-width comma,
# question and exclamation marks and semicolon; raw text the full-width ones. Without the
# half-width comma a normalised record would be one clause up to its first 。, and a negation or a
# verdict anywhere in it would answer every mention (企业未停产,但拖欠工资 would deny the arrears).
_CLAUSE_END = "，。！？；,!?;"
_NOT_END = f"[^{_CLAUSE_END}\\s]"
# What separates clauses when a text is cut into them: the marks, a line, a space.
_BREAK = f"{_CLAUSE_END}\n "

# Words that mention the category's matter: the target of a negation or a rebuttal.
MENTIONS = {
    "wage_arrears": (
        f"欠薪|讨薪|欠.{{0,2}}(工资|工钱|薪|血汗钱)|拖欠|拖.{{0,4}}(工资|工钱|薪)|"
        f"(工资|工钱|薪水|薪资|加班费|提成|绩效){_NOT_END}{{0,6}}(没发|未发|不发|拖|欠|发不出|没到账|未到账|没给|不给)|"
        "要工资|讨要|结不了账|不给结"
    ),
    "layoffs": "裁员|裁人|裁减|裁了|裁掉|辞退|遣散|解除劳动合同|解除合同|解聘|开除|劝退|被离职|末位淘汰|优化",
    "shutdown": "停产|停工|关停|倒闭|跑路|破产|关门|歇业|停业|失联|停摆|关闭|关厂",
    "social_insurance": f"断缴|停保|断保|欠缴|停缴|"
    f"社保{_NOT_END}{{0,6}}(没交|未交|没缴|未缴|不交|不缴|断|停|欠)|(医保|养老保险){_NOT_END}{{0,6}}(断|停|欠|未缴|没缴)|"
    f"(未|没|不){_NOT_END}{{0,4}}(缴纳|缴|交|上)(了)?(社保|社会保险|医保|医疗保险|养老保险|失业保险|工伤保险|五险)",
    "collective_action": "聚集|横幅|堵门|堵路|堵厂|围堵|上访|集体来访|罢工|静坐|围住|围在|围着|群体",
}
# Words that name a category's subject without saying anything is wrong with it (社保, 医保). A
# rebuttal or a negation of them answers the category (社保一直交着, 医保没断), but they assert
# nothing: "我昨天刚刷的医保卡" after a denial does not bring the matter back.
TOPICS = {"social_insurance": "社保|社会保险|医保|医疗保险|养老保险|失业保险|工伤保险|五险|参保"}
# Words that name the category beyond doubt (reported unless denied). Now that denials are read
# clause by clause, the plain words (辞退, 停产, 拖欠…上月工资) can be triggers too: where they are
# denied the denial wins, and where they are not the model too often misses them after a denial of
# another matter (企业未停产，但拖欠部分员工上月工资).
TRIGGERS = {
    "wage_arrears": "欠薪|讨薪|拖欠.{0,8}(工资|工钱|薪|加班费)|讨要工资",
    "layoffs": "裁员|遣散|辞退|裁了|裁掉|解除劳动合同|劝退|解聘|开除|裁撤|清退",
    "shutdown": "跑路|倒闭|破产|停产|停工|关停|停业|停止(生产|经营)",
    "social_insurance": "断缴|停保|停缴社保|社保断了",
    "collective_action": "拉横幅|拉条幅|堵门|堵路|罢工|集体上访|集体来访|静坐",
}
# What a negation word denies: the matter itself, not a word around it ("未缴纳社保" asserts a
# social-insurance problem; "未断缴" denies one).
NEGATABLE = {
    # 拖 alone: 没拖工资, 从没拖过一天工资.
    "wage_arrears": "欠薪|讨薪|拖|欠.{0,2}(工资|工钱|薪)",
    "layoffs": MENTIONS["layoffs"],
    "shutdown": MENTIONS["shutdown"],
    # 断 alone: 社保没断, 一个月都没断过, 参保未中断 (不断, 判断 are false friends).
    "social_insurance": "断|停保|欠缴|停缴|欠费",
    "collective_action": MENTIONS["collective_action"],
}
# Words that contain a negation or a rule's word without meaning it (未来, 无故, 不是第一次, 仲裁员,
# 请假的): blanked before any rule reads the text (the regular expressions have no look-around).
# Also: 未经 (未经协商就辞退: "without"), 不断 (continually), a question about truth (真的假的), a
# rhetorical question that asserts (难道这不是裁员, 这不就是变相劝退, 不得不停产) and the pay slip
# (工资条都发了钱没到账 is not a statement that the wages were paid).
FALSE_FRIENDS = (
    "未来|无故|无奈|无论|无法|无端|不是第|仲裁员|请假的|放假的|休假的|"
    "未经|不断|判断|真的假的|是真是假|难道(这|那)?不是|不就是|不也是|不得不|工资条|工资单|"
    "非法|非常|非得|非要|是非|莫非|无非|除非|非全日制|非正常|非因工|是不是"
)
# A negation word, then a few characters of the same thought, then the mention: 没有裁员,
# 并未发生停产, 不存在拖欠 (not 未提前通知就裁员 or 未被告知即被辞退: 就, 即 start another thought).
NEGATION = "哪有|哪里有|哪儿有|没有|没|并未|并非|未曾|未|不存在|并无|无|不会|否认|谈不上|不是|不属于|不属|暂无"
NEGATION_GAP = f"[^{_CLAUSE_END}\\s就便却而后才又即]{{0,6}}"
# 不 and 非 deny only what stands right after them (不停产, 非罢工, 非员工讨薪): further on they
# belong to another word (不给发工资, 在非工作时间被辞退).
NEAR_NEGATION = f"不|非{_NOT_END}{{0,2}}"
# Inside an "in order" statement no negation or problem word may sit (社保已经断缴, 工资一直没有按时发放).
_CALM = f"[^{_CLAUSE_END}\\s没未无不断欠停拖缺〇]"
# Before a statement that stands alone (按时发放, 正常缴纳): no negation just before it.
_UNNEGATED = "(^|[^没未不有无〇])"
# A clause that gives a verdict on an earlier complaint: its negations answer that complaint too.
# A police record's verdict opens with the officers' arrival (民警到场后未发现聚集).
VERDICT = "经|核实|核查|调查|查明|回应|表示|确认|答复|了解|声明|到场|赶到|到现场"
# A verdict that the reported matter is false: it covers the mentions of its own clause, and when it
# names no matter itself (经核实不属实), the mentions of the clauses before it.
# Besides the official ones, the colloquial ones of online posts: a rumour or a mistake (误传, 瞎传,
# 只是传言 (a rumour merely reported, 有传言说要裁员, is not one), 误会, 虚惊一场, 搞错, 误以为), another enterprise (同名, 隔壁另一家), a fabrication (P的, 老图,
# 捏造, 诽谤), a dismissal (没有的事, 没影的事, 扯淡, 想多了, 别信, 别再说…了, 谁说…?, 哪来的…,
# 什么大裁员) and a matter said not to exist (欠薪问题不存在, 不存在的). 未发现 alone is not one: 未发现
# 冲突 answers only the conflict (未发现聚集 is a negation of the gathering).
REBUTTAL = (
    "辟谣|谣言|谣传|不实|不属实|假消息|是假的|假的|纯属|造谣|没有这回事|没这回事|子虚乌有|澄清|并非|"
    "查无此事|与事实不符|不存在上述|上述情况不存在|不存在该情况|不存在此类|均正常|一切正常|"
    "(未发现|未见)(上述|相关|该|此|类似|任何)?(情况|问题|异常|迹象|人员)|无异常|无此|有误|"
    "(问题|情况|现象|事|说法|行为)(均)?不存在|不存在的|与实际不符|(诉求|事项|情况|问题)不成立|无依据|缺乏事实依据|"
    "误传|瞎传|(是|系|只是|纯属|都是|属于)(传言|传闻|猜测)|误会|误解|误看|误以为|误听|虚惊|搞错|弄错|记错|看错|道听途说|"
    "同名|另一家|张冠李戴|标题党|P的|PS的|老图|旧视频|捏造|编造|谁编的|瞎编|瞎说|瞎扯|瞎猜|乱传|诽谤|污蔑|"
    "没有的事|没影的事|扯淡|骗人|想多了|别信|别听|别传|别再(说|传)|谁说|谁在传|哪来的|^什么[^时]|"
    "搞混|弄混|混淆|认错|(去年|前年|几年前|以前|之前)的(视频|图|照片)|开玩笑|玩笑|钓鱼|恶搞|假新闻|"
    "否认了|予以否认|已(经)?否认|被.{0,6}否认|不至于|(根本|压根|并)不存在"
)
# An explanation of what really happened (其实是招聘会排队的求职者): when it names no matter it
# answers the clauses before it, like a rebuttal; when it names one (其实就是变相裁人) it asserts it.
EXPLANATION = "其实|实为|实际上|原来是|那是|人家是"
# In a record's verdict, what the crowd or the caller really was (经了解,系外卖员在门口等候取餐) reads
# the same way; a cause given for the matter (系企业资金链断裂所致) is not a denial but its reason.
VERDICT_EXPLANATION = "系|实系|均系"
CAUSE = "所致|导致|造成|引起|引发|原因|因为|由于"
# A claim passed on (有人说, 网传, 听说, 以为): a later plain negation of the same matter answers it
# (有人说永盛断缴社保,我刚查了,没断), where without it a plain negation answers only its own clause.
HEARSAY = "有人说|听说|听人说|网上说|网传|据说|群里说|都在传|外面说|新闻说|以为|怀疑|看到.{0,6}说|说我们"
# The matter stated to be in order; like a negation, it covers the category's earlier mentions.
IN_ORDER = {
    "wage_arrears": (
        f"(工资|薪资|工钱|薪水){_CALM}{{0,6}}(已|均已|都已|按时|正常|足额|照常|如期|全部|准时|按月){_CALM}{{0,4}}"
        f"(发放|发了|到账|结清|支付|发|到|付)|{_UNNEGATED}(足额|按时|按月|准时|如期)(发放|支付)|工资照发|照常发|"
        f"已{_CALM}{{0,10}}(结清|付清|发放了)|转账支付|(工资|工钱)?一分(钱)?(没|不)少|(工资|薪资){_CALM}{{0,4}}发放正常|"
        f"(工资|工钱)(是|都|倒是|也)?(发了|发完了|结清了|到账了)|{_UNNEGATED}不(欠薪|拖欠|欠工资|拖工资)|工资(从)?不拖|"
        "(没|未)到(发薪日|发工资的日子|发薪时间)|发薪日(还)?没到|(与|和|跟).{0,6}(工资|薪资|工钱|欠薪|讨薪).{0,4}无关"
    ),
    "layoffs": (
        "(未|没有|不)(解除|辞退|裁)|岗位正常调整|正常人员流动|正常离职|合同到期|人一个没少|一个没少|主动(提出)?辞职|"
        "仍在(岗|职)|(全部|全员|都)留用|人员稳定"
    ),
    "shutdown": (
        f"(生产|经营|运营|运转|营业){_CALM}{{0,4}}正常|(正常|照常|仍在)(生产|经营|运营|营业|上班|开工)|"
        "在加班|(天天|每天|照样|一直|还在)加班|满产|照样(上班|开工|打卡|生产)|还在招(人|工|聘|司机|新人|员工)|恢复(正常)?生产|已(经)?复工|"
        "已(经)?复产|检修|技改"
    ),
    "social_insurance": (
        f"(社保|医保|养老保险|五险){_CALM}{{0,8}}(正常|按时|足额|一直|照常|均已|已|都有记录){_CALM}{{0,4}}(缴|交|记录)|"
        f"缴费(状态|记录)?(正常|完整|连续)|{_UNNEGATED}(按时|正常|按月|足额)(缴纳|缴|交)|缴费正常|"
        f"{_UNNEGATED}连续(缴纳|缴费|参保)|{_UNNEGATED}已(依法|正常)?参保|社保照(交|缴)"
    ),
    "collective_action": "(未|没有|无|并无)(发生|出现|人员)?(聚集|群体性)|秩序正常|现场平稳|个人所挂",
}
# Under the corpus rule a matter that happened stays asserted when it was put right later. A
# settlement of what was owed (结清所欠工资, 补发, 补齐, 当场结清, 欠薪问题已解决) or a back payment of
# social insurance (补缴) is therefore not an in-order statement, and a mention in the same clause
# is asserted whatever answers it. Only a text that says there was no arrears denies it.
RESOLVED = {
    "wage_arrears": "所欠|欠的|拖欠的|补发|补齐|当场(结清|支付|发放)|已(经)?解决|得到解决",
    "social_insurance": "补缴|补交|补齐",
}
# A question that only echoes a matter and is answered by what follows (跑路？老板天天在车间转;
# 停工？那是周日) puts the claim in order to answer it; one that asks in earnest (又要裁员了？,
# 听说要停产？) or carries the claim itself (凭什么辞退我？) is not an echo.
NOT_AN_ECHO = "又|还|再|也|都|要|会|听说|据说|怎么|为什么|凭什么|难道|是否|能不能|算不算|不叫|叫啥|啥叫|什么叫|〇"
# A verdict that confirms the matter (现场确有横幅, 企业确存在欠缴) asserts it, whatever else answers it.
CONFIRMED = "确有|确实有|确存在|确实存在|(^|[^不])属实"
# An order or a request is not a statement that the matter is in order (已责令…结清).
NOT_A_STATEMENT = "责令|督促|要求|限期|协调|请求|希望|能否|是否"


def rule_flags(texts: pl.Series) -> pl.DataFrame:
    """For each (normalised) text, ``denied_<category>``, ``asserted_<category>`` (a mention that no
    negation or answer covers) and ``trigger_<category>`` (a hard trigger, or an asserted mention
    beside a denial): booleans."""
    plain = pl.Series(texts.fill_null("")).str.replace_all(FALSE_FRIENDS, "〇")
    frame = pl.DataFrame({"text": plain}).with_row_index("row")
    clauses = (
        frame.with_columns(_split("text"))
        .explode("piece")
        .with_columns(
            pl.col("piece").str.strip_chars_end(_BREAK).alias("clause"),
            pl.col("piece").str.contains("[?？]").fill_null(False).alias("question"),
            pl.int_range(pl.len()).over("row").alias("k"),
        )
    )
    clause = pl.col("clause").fill_null("")
    k = pl.col("k")
    statement = ~clause.str.contains(NOT_A_STATEMENT)
    columns: list[pl.Expr] = [
        clause.str.contains(REBUTTAL).alias("rebuttal"),
        clause.str.contains(EXPLANATION).alias("explanation"),
        clause.str.contains(CONFIRMED).alias("confirmed"),
        (clause.str.contains(f"^({VERDICT_EXPLANATION})[^统列]") & ~clause.str.contains(CAUSE)).alias("found"),
        clause.str.contains(HEARSAY).alias("hearsay"),
        clause.str.contains(VERDICT).alias("verdict"),
        # The last clause has nothing after it to answer it.
        (pl.col("question") & (k < pl.len().over("row") - 1) & ~clause.str.contains(NOT_AN_ECHO)).alias("asked"),
    ]
    for c in CATEGORIES:
        resolved = clause.str.contains(RESOLVED[c]) if c in RESOLVED else pl.lit(False)
        topic = clause.str.contains(TOPICS[c]) if c in TOPICS else pl.lit(False)
        columns += [
            clause.str.contains(MENTIONS[c]).alias(f"m_{c}"),
            clause.str.contains(f"^{_NOT_END}{{0,4}}({MENTIONS[c]}){_NOT_END}{{0,2}}$").alias(f"e_{c}"),
            topic.alias(f"t_{c}"),
            clause.str.contains(f"(({NEGATION}){NEGATION_GAP}|{NEAR_NEGATION})({NEGATABLE[c]})").alias(f"n_{c}"),
            (clause.str.contains(IN_ORDER[c]) & statement & ~resolved).alias(f"o_{c}"),
            resolved.alias(f"r_{c}"),
        ]
    mentions_any = pl.any_horizontal(pl.col(f"m_{c}") for c in CATEGORIES)
    # A rebuttal or an explanation naming no matter answers the clauses before it.
    rebut_k = (
        pl.when(
            (pl.col("rebuttal") | pl.col("explanation") | (pl.col("found") & pl.col("in_verdict")))
            & ~mentions_any
        )
        .then(k)
        .max()
        .over("row")
        .alias("rebut_k")
    )
    # How far back each category's answers reach: a statement that it is in order, or a negation in
    # a verdict, covers the earlier mentions; other negations only their own. A verdict opens the
    # answer: its clause and every clause after it (经核实,该企业未裁员: the negation sits in the
    # clause after 经核实).
    in_verdict = pl.col("verdict").cum_max().over("row").alias("in_verdict")
    # The last clause that negates the category's matter (没断): it answers passed-on claims before it.
    negated_k = [pl.when(pl.col(f"n_{c}")).then(k).max().over("row").alias(f"nk_{c}") for c in CATEGORIES]
    flagged = (
        clauses.with_columns(columns)
        .with_columns(in_verdict)
        .with_columns(rebut_k, *negated_k)
        .with_columns(
            pl.max_horizontal(
                pl.when(pl.col(f"o_{c}") | (pl.col(f"n_{c}") & pl.col("in_verdict")))
                .then(k)
                .max()
                .over("row"),
                pl.col("rebut_k"),
            ).alias(f"d_{c}")
            for c in CATEGORIES
        )
    )
    aggs: list[pl.Expr] = []
    for c in CATEGORIES:
        mention, negated, in_order = pl.col(f"m_{c}"), pl.col(f"n_{c}"), pl.col(f"o_{c}")
        named = mention | pl.col(f"t_{c}")
        covered = (
            (pl.col(f"d_{c}").is_not_null() & (k <= pl.col(f"d_{c}")))
            | pl.col("rebuttal")
            | (pl.col("asked") & pl.col(f"e_{c}"))
            | (pl.col("hearsay") & pl.col(f"nk_{c}").is_not_null() & (k <= pl.col(f"nk_{c}")))
        )
        # A settlement of what was owed asserts the matter, whatever answers it (结清所欠工资), unless
        # its own clause rebuts it (之前说拖欠的别再传了).
        asserted = (
            (mention & ~negated & ~covered)
            | (mention & pl.col(f"r_{c}") & ~negated & ~pl.col("rebuttal"))
            | (mention & pl.col("confirmed") & ~negated)
        )
        evidence = (named & (negated | covered)) | in_order
        aggs.append((evidence.any() & ~asserted.any()).alias(f"denied_{c}"))
        aggs.append(asserted.any().alias(f"asserted_{c}"))
    by_text = flagged.group_by("row").agg(aggs)
    # A text without a clause (empty) has no row in ``by_text``: nothing is denied.
    return (
        frame.join(by_text, on="row", how="left", maintain_order="left")
        .with_columns(pl.col(f"{kind}_{c}").fill_null(False) for kind in ("denied", "asserted") for c in CATEGORIES)
        .with_columns(pl.any_horizontal(f"denied_{c}" for c in CATEGORIES).alias("denies"))
        .with_columns(
            (pl.col("text").str.contains(TRIGGERS[c]) | (pl.col(f"asserted_{c}") & pl.col("denies"))).alias(
                f"trigger_{c}"
            )
            for c in CATEGORIES
        )
        .drop("row", "text", "denies")
    )


def _split(column: str) -> pl.Expr:
    """A text's clauses, each with the marks that end it, as the list column ``piece``."""
    return pl.col(column).str.extract_all(f"[^{_BREAK}]+[{_BREAK}]*").alias("piece")
