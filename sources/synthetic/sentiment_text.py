"""Chinese text for sentiment records: templates per (channel, intent) and vectorised slot filling.

Grain: one text per sentiment record. Templates are plain strings with ``{slot}`` placeholders;
``render_texts`` picks a template per record and fills the slots with Polars string operations
(a loop over slots and decorations, never over records), then decorates online posts with HTML,
links, hashtags and emoji the way scraped posts arrive.
"""

from __future__ import annotations

import numpy as np
import polars as pl

CHANNELS = ("online", "petition", "hotline", "police")

# Slots: {name} the enterprise as written (full name or alias), {n} people, {months} months owed,
# {amount} money in 万元, {town} township, {road} road, {date} a day like 3月15日, {other} an
# unrelated word. Negated statements (没有裁员, 辟谣, 不存在) live under the "denial" intent.
TEMPLATES: dict[tuple[str, str], tuple[str, ...]] = {
    ("online", "wage_arrears"): (
        "{name}已经拖欠工资{months}个月了，我们一家老小等着这钱过年，谁能管管？",
        "在{name}干了快两年，从{date}起就没发过工资，问财务就说等回款",
        "求助！{name}欠我们{n}个工友工资{amount}万，老板电话打不通",
        "{name}又开始拖工资了，上个月的到现在还没到账，大家有一样的吗",
        "有没有在{name}上班的？这个月工资发了没？我这边一分没见",
        "工地干完活{name}不给结账，{n}个人{months}个月的血汗钱",
        "{name}的工资一拖再拖，说好的{date}发，结果又没影了",
        "讨薪难！{town}{name}欠薪{amount}万元，劳动监察能不能介入一下",
    ),
    ("petition", "wage_arrears"): (
        "信访人{n}人来访，反映{name}拖欠其{months}个月工资共计约{amount}万元，要求尽快支付。",
        "来访人系{name}务工人员，反映该单位自{date}起未发放工资，涉及{n}人。",
        "{n}名农民工反映在{name}承建项目务工，工程完工后工资{amount}万元至今未结清，诉求：依法支付劳动报酬。",
        "信访人反映{name}以资金紧张为由长期拖欠工资，多次协商未果，请求人社部门督办。",
        "集体访：{name}职工{n}人反映欠薪{months}个月，情绪较为激动，已做稳控工作。",
        "来信反映{name}拖欠劳务费{amount}万元，涉及务工人员{n}名。",
    ),
    ("hotline", "wage_arrears"): (
        "来电人反映：其在{name}工作，单位已{months}个月未发工资，请求相关部门核实处理。",
        "市民来电称{town}{name}拖欠其工资，联系老板无果，希望劳动监察部门帮助追讨。",
        "来电反映{name}工地拖欠农民工工资约{amount}万元，涉及{n}人，诉求尽快解决。",
        "工单：{name}员工反映工资发放延迟，{date}应发工资至今未发，请人社局核实。",
        "来电人称在{name}上班，公司说资金周转困难，工资要推迟到下个月，询问如何维权。",
        "来电反映{name}拖欠工资及加班费，已向公司多次索要未果。",
    ),
    ("police", "wage_arrears"): (
        "报警人称{name}拖欠工资，约{n}人聚集在单位门口讨要，民警到场劝解，已移交人社部门。",
        "{date}接警：{road}{name}门口有工人讨薪聚集，现场秩序正常，已疏导。",
        "报警称{name}欠薪，工人与公司管理人员发生口角，民警到场调解，双方情绪平稳。",
        "接群众报警，{n}余名务工人员在{name}项目部讨要工资，堵塞道路，民警现场处置。",
        "报警人反映被{name}拖欠工资{amount}万元，要求处理，已告知通过劳动仲裁途径解决。",
    ),
    ("online", "si_arrears"): (
        "{name}社保断缴好几个月了，去医院报销才发现，太坑了",
        "查了一下社保，{name}从{date}开始就没给交了，公司说是系统问题？",
        "问一下，单位欠缴社保怎么投诉？{name}的，已经{months}个月没交了",
        "{name}连社保都交不上了，是不是要出事啊",
    ),
    ("hotline", "si_arrears"): (
        "来电人反映{name}未按时为其缴纳社会保险，已断缴{months}个月，请求核查。",
        "市民来电：所在单位{name}欠缴养老保险，影响其退休手续办理，诉求补缴。",
        "来电反映{name}自{date}起停缴职工社保，涉及约{n}人，请相关部门督促补缴。",
        "来电人称{name}拖欠社保费，医保卡无法使用，要求单位补缴。",
    ),
    ("online", "layoff_rumour"): (
        "听说{name}要裁员了，有内部的朋友知道真假吗？",
        "{name}最近订单少得可怜，车间都停了一半，估计要裁人",
        "{name}是不是不行了？好多人在传要裁一批",
        "据说{name}下个月开始大面积放假，基本就是变相裁员吧",
        "{town}那边的{name}好像要关几条线，不知道会不会裁人",
        "朋友在{name}，说最近人心惶惶，都在找下家",
        "{name}要搬走了？厂里的人怎么办",
    ),
    ("hotline", "layoff_rumour"): (
        "来电人称听说{name}将要裁员，询问裁员是否需要提前通知及经济补偿标准。",
        "来电咨询：其所在的{name}近期传出裁员消息，想了解被裁员后如何领取失业保险金。",
    ),
    ("online", "layoff_notice"): (
        "{name}今天开大会了，说{date}以后要裁掉{n}个人，补偿按N+1算",
        "刚收到{name}的通知，我们车间整体解散，下个月底前办完离职手续",
        "{name}发了裁员公告，涉及{n}人左右，大家都在算补偿",
        "【转】{name}关于优化人员结构的通知：因经营困难，拟于{date}起与部分员工协商解除劳动合同",
        "{name}HR找我们一个个谈话了，让签协商解除，给的补偿很低",
        "公司（{name}）说效益不好要精简人员，名单下周公布，心里没底",
    ),
    ("hotline", "layoff_notice"): (
        "来电人反映{name}通知将于{date}裁减人员约{n}人，询问单位裁员是否合法、补偿如何计算。",
        "来电人称接到{name}解除劳动合同通知，对补偿金额有异议，请求劳动监察介入。",
        "来电咨询：{name}要求员工签订协商解除协议，不签就调岗，询问如何处理。",
    ),
    ("petition", "layoff_notice"): (
        "信访人{n}人反映{name}拟批量解除劳动合同，未依法提前三十日向工会或全体职工说明情况，请求核查。",
        "{name}职工代表来访，反映单位裁员方案补偿标准过低，涉及{n}人。",
    ),
    ("online", "layoff_event"): (
        "今天在{name}被裁了，干了{months}年，说走就走",
        "{name}这次裁了{n}个人，我们整个班组都没了",
        "{name}裁员是真的，今天已经有人办手续了",
        "昨天{name}一下子走了好几十人，食堂都空了",
        "被{name}优化了，补偿还没谈拢，有懂劳动法的吗",
    ),
    ("hotline", "layoff_event"): (
        "来电人反映被{name}辞退，单位未支付经济补偿金，请求相关部门处理。",
        "来电人称{name}近日集中辞退{n}名员工，未提前通知，请劳动监察核实。",
    ),
    ("petition", "layoff_event"): (
        "信访人{n}人反映被{name}集中解除劳动合同，经济补偿未落实，要求依法处理。",
    ),
    ("online", "shutdown"): (
        "{name}大门锁了，老板联系不上，工人都在门口等着",
        "{name}停产了，设备都拉走了，我们的工资怎么办",
        "{road}的{name}关门了，厂里贴了放假通知，说复工时间另行通知",
        "{name}老板跑路了！！！欠了一屁股债",
        "路过{name}，厂房空了，机器也没声了，真的倒了吗",
        "{name}宣布停业，{n}多号人一下子没了饭碗",
    ),
    ("police", "shutdown"): (
        "报警称{name}负责人失联，{n}余名员工聚集厂区讨要工资，民警到场维持秩序。",
        "接警：{name}厂区内有人搬运设备，员工阻拦，双方发生争执，民警到场处置。",
        "报警人称{name}突然停产，员工聚集在{road}，民警到场疏导交通。",
    ),
    ("petition", "shutdown"): (
        "信访人{n}人反映{name}突然停产停业，负责人失联，拖欠工资及社保，请求政府协调解决。",
        "{name}职工集体来访，反映企业关停后工资、经济补偿无着落，涉及{n}人。",
    ),
    ("hotline", "shutdown"): (
        "来电人反映{name}已停产，工资未结清，老板电话关机，请求帮助。",
        "来电称{name}已关门歇业，其预付的工资、押金无法退还。",
    ),
    ("online", "denial"): (
        "网传{name}裁员系谣言，公司生产经营一切正常",
        "{name}辟谣：近期网络流传的“大规模裁员”消息不实，公司没有裁员计划",
        "关于{name}要倒闭的传言，官方回应：没有这回事，订单排到了年底",
        "我就在{name}上班，没有裁员，别听网上瞎说",
        "{name}并未裁员，只是部分岗位正常调整，请勿传谣",
        "【辟谣】{name}停产？假的！今天车间还在加班",
        "{name}回应：不存在拖欠工资情况，工资已于{date}足额发放",
    ),
    ("online", "positive"): (
        "{name}大量招工！普工月薪{amount}千以上，包吃住",
        "{name}新生产线投产，预计新增岗位{n}个",
        "恭喜{name}获评市级“诚信示范企业”",
        "{name}今年订单饱满，春节后还要扩招",
        "{name}招聘：电焊工、叉车工若干，有意者{town}人才市场面试",
        "去{name}参观，车间很干净，工人说工资每月按时发",
    ),
    ("hotline", "neutral"): (
        "来电人反映{name}夜间生产噪音扰民，请求环保部门处理。",
        "市民反映{road}{name}门口车辆乱停乱放，影响通行。",
        "来电人称{name}厂区附近有异味，希望有关部门检测。",
        "来电咨询{name}的招聘信息及联系方式。",
    ),
    ("police", "neutral"): (
        "报警人称在{name}门口发生两车剐蹭，民警到场处理。",
        "{name}员工报警称手机在厂区内丢失，已登记。",
        "报警称{road}{name}附近有人打架，民警到场时已散去。",
    ),
    ("online", "neutral"): (
        "{name}门口那条路什么时候修好啊，天天堵",
        "{name}旁边新开了一家面馆，味道还行",
        "有人知道{name}班车几点发车吗",
    ),
    ("online", "unrelated"): (
        "侯马今天的雾霾好大，出门记得戴口罩",
        "{town}的晋都公园晚上好热闹，好多人跳广场舞",
        "求推荐侯马好吃的羊汤，外地朋友来了",
        "{road}又在修路，绕行绕到怀疑人生",
        "侯马晋国古都博物馆值得一去，周末带娃看了",
        "有没有{town}一起拼车去临汾的",
        "今年侯马的房价是涨了还是跌了",
        "{road}那边的菜市场搬到哪了",
    ),
    ("hotline", "unrelated"): (
        "来电人反映{town}{road}路灯不亮，请求维修。",
        "市民来电反映小区物业不作为，楼道堆放杂物。",
        "来电反映{road}下水道堵塞，污水外溢。",
        "来电咨询医保异地就医备案办理流程。",
        "来电人反映{town}集贸市场占道经营。",
        "来电咨询灵活就业人员养老保险缴费标准。",
        "来电人称小区供暖温度不达标，请求处理。",
    ),
    ("police", "unrelated"): (
        "报警人称在{road}发生交通事故，无人员受伤。",
        "报警称邻居家中吵闹，民警到场调解。",
        "报警人称电动车在{town}被盗。",
        "报警称{road}有人酒后滋事，民警到场处置。",
        "报警人称接到诈骗电话，被骗{amount}千元。",
    ),
    ("petition", "unrelated"): (
        "信访人反映{town}征地补偿标准过低，请求重新核定。",
        "来访人反映其低保资格被取消，请求复核。",
        "信访人反映{road}棚户区改造安置房迟迟未交付。",
        "来信反映{town}村务公开不到位，要求公开账目。",
    ),
}

EMOJI = ("😡", "😭", "🙏", "💔", "😤", "😢", "👍", "🤔", "😓", "‼️")
HASHTAGS = ("#侯马#", "#讨薪#", "#侯马生活圈#", "#临汾#", "#打工人#")
URLS = (
    "https://weibo.com/{id}",
    "http://t.cn/A6{id}",
    "https://www.douyin.com/video/{id}",
    "https://tieba.baidu.com/p/{id}",
)
OTHER_FILLERS = ("", "", "", "。", "！", "…", "？？")


def template_table() -> pl.DataFrame:
    """One row per template: channel, intent, index within the pair, text."""
    rows = [(c, i, k, t) for (c, i), ts in TEMPLATES.items() for k, t in enumerate(ts)]
    return pl.DataFrame(rows, schema=["channel", "intent", "variant", "template"], orient="row")


def template_counts() -> dict[tuple[str, str], int]:
    return {key: len(ts) for key, ts in TEMPLATES.items()}


def render_texts(records: pl.DataFrame, rng: np.random.Generator) -> pl.Series:
    """Text for each record; ``records`` has channel, intent, name_ref, n, months, amount, town, road, date_text.

    The pair (channel, intent) must have templates; the variant is drawn uniformly per record.
    """
    counts = template_counts()
    k = records.height
    sizes = (
        np.array([counts[(c, i)] for c, i in zip(records["channel"], records["intent"], strict=True)])
        if k
        else np.empty(0, int)
    )
    variant = (rng.random(k) * sizes).astype(np.int64)
    filled = (
        records.with_columns(variant=pl.Series(variant, dtype=pl.Int64))
        .join(template_table(), on=["channel", "intent", "variant"], how="left", maintain_order="left")
        .with_columns(
            text=pl.col("template")
            .str.replace_all("{name}", pl.col("name_ref").fill_null(""), literal=True)
            .str.replace_all("{n}", pl.col("n").cast(pl.String), literal=True)
            .str.replace_all("{months}", pl.col("months").cast(pl.String), literal=True)
            .str.replace_all("{amount}", pl.col("amount").cast(pl.String), literal=True)
            .str.replace_all("{town}", pl.col("town"), literal=True)
            .str.replace_all("{road}", pl.col("road"), literal=True)
            .str.replace_all("{date}", pl.col("date_text"), literal=True)
        )
    )
    return _decorate(filled, rng)


def _pick(options: tuple[str, ...], k: int, rng: np.random.Generator) -> pl.Series:
    return pl.Series(np.array(options, dtype=object)[rng.integers(0, len(options), k)], dtype=pl.String)


def _decorate(frame: pl.DataFrame, rng: np.random.Generator) -> pl.Series:
    """Online posts arrive scraped: some wrapped in HTML, some with a link, hashtags or emoji."""
    k = frame.height
    online = frame["channel"] == "online"
    u = rng.random((5, k))
    link_id = pl.Series(rng.integers(10**9, 10**10, k)).cast(pl.String)
    url = _pick(URLS, k, rng).str.replace("{id}", "", literal=True) + link_id
    filler = _pick(OTHER_FILLERS, k, rng)
    text = (
        frame["text"]
        + pl.DataFrame({"f": filler, "o": online})
        .select(pl.when("o").then("f").otherwise(pl.lit("")))
        .to_series()
    )
    decorated = pl.DataFrame(
        {
            "text": text,
            "online": online,
            "emoji": pl.Series(u[0] < 0.3) & online,
            "tag": pl.Series(u[1] < 0.2) & online,
            "url": pl.Series(u[2] < 0.15) & online,
            "html": pl.Series(u[3] < 0.12) & online,
            "br": pl.Series(u[4] < 0.05) & online,
            "e": _pick(EMOJI, k, rng) + _pick(EMOJI, k, rng),
            "h": _pick(HASHTAGS, k, rng),
            "link": url,
        }
    ).select(
        pl.when("tag").then(pl.col("h") + pl.col("text")).otherwise(pl.col("text")).alias("text"),
        "emoji",
        "url",
        "html",
        "br",
        "e",
        "link",
    )
    out = decorated.select(
        pl.col("text")
        .pipe(lambda t: pl.when(pl.col("emoji")).then(t + pl.col("e")).otherwise(t))
        .pipe(lambda t: pl.when(pl.col("url")).then(t + " " + pl.col("link")).otherwise(t))
        .pipe(lambda t: pl.when(pl.col("br")).then(t.str.replace("，", "，<br/>", literal=True)).otherwise(t))
        .pipe(
            lambda t: (
                pl.when(pl.col("html")).then(pl.lit('<p class="content">') + t + pl.lit("</p>")).otherwise(t)
            )
        )
        .alias("text")
    )
    return out["text"]
