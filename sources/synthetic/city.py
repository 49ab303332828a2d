"""The enterprise register of a Houma-like county-level city: who exists, where, in what trade, how big.

Grain: one entry per enterprise (arrays of length N in ``City``). Sizes are heavy-tailed (most
enterprises insure fewer than 20 people, a few more than 1,000); names are unique and built from
a short "core" word that is deliberately shared across trades, so the short aliases used in posts
and complaints ("鑫达", "鑫达铜业") are ambiguous the way real ones are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from sources.uscc import build_codes

TOWNSHIPS: tuple[str, ...] = (
    "路东街道",
    "路西街道",
    "浍滨街道",
    "上马街道",
    "张村街道",
    "高村乡",
    "凤城乡",
    "新田乡",
)
TOWNSHIP_WEIGHTS = np.array([0.20, 0.18, 0.17, 0.14, 0.10, 0.08, 0.07, 0.06])

ROADS: tuple[str, ...] = (
    "新田路",
    "浍河路",
    "平阳路",
    "晋都路",
    "文明路",
    "开发区大道",
    "驿桥路",
    "上马路",
    "紫金山街",
    "工业园区",
    "铜城路",
    "解放路",
    "迎宾大道",
    "南环路",
    "北环路",
    "西京路",
)


@dataclass(frozen=True)
class Industry:
    """A GB/T 4754 division as the simulation uses it."""

    code: str
    sector: str  # manufacturing / construction / retail / transport / services / mining
    share: float  # share of enterprises
    chain: str | None
    words: tuple[str, ...]  # trade words in names; disjoint across industries so names stay unique
    size_scale: float  # multiplies the heavy-tailed headcount
    hazard: float  # multiplies the hazard of a distress episode
    migrant: float  # share of enterprises employing seasonal migrant workers
    wage: float  # mean monthly contribution base per insured person, yuan


INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        "C34", "manufacturing", 0.025, "高端装备制造", ("机械", "装备制造", "机电"), 2.5, 1.4, 0.4, 5200
    ),
    Industry("C35", "manufacturing", 0.020, "高端装备制造", ("重工", "专用设备"), 2.5, 1.4, 0.4, 5300),
    Industry("C37", "manufacturing", 0.010, "高端装备制造", ("轨道装备", "车辆配件"), 3.0, 1.2, 0.3, 5600),
    Industry("C26", "manufacturing", 0.015, "新材料", ("化工", "新材料科技"), 2.0, 1.5, 0.3, 5400),
    Industry("C29", "manufacturing", 0.015, "新材料", ("塑业", "橡胶制品"), 1.5, 1.5, 0.4, 4700),
    Industry("C30", "manufacturing", 0.040, "新型建材", ("建材", "水泥制品", "玻璃"), 2.0, 1.8, 0.6, 4600),
    Industry("C27", "manufacturing", 0.015, "现代医药", ("药业", "制药", "生物科技"), 2.5, 0.8, 0.2, 6000),
    Industry("C32", "manufacturing", 0.015, "精深铜加工", ("铜业", "有色金属", "冶炼"), 3.5, 1.6, 0.4, 5800),
    Industry("C33", "manufacturing", 0.025, "精深铜加工", ("金属制品", "铜材", "五金"), 1.8, 1.6, 0.5, 4900),
    Industry("C13", "manufacturing", 0.040, None, ("粮油", "农产品加工", "饲料"), 1.2, 1.3, 0.5, 4200),
    Industry("C14", "manufacturing", 0.020, None, ("食品", "酒业"), 1.2, 1.2, 0.4, 4300),
    Industry("C18", "manufacturing", 0.010, None, ("服饰", "制衣"), 1.5, 1.8, 0.6, 4100),
    Industry("E47", "construction", 0.060, None, ("建筑工程", "建设"), 2.0, 2.6, 0.9, 5000),
    Industry("E48", "construction", 0.040, None, ("路桥", "市政工程"), 2.0, 2.6, 0.9, 5100),
    Industry("E50", "construction", 0.050, None, ("装饰工程", "装饰"), 1.0, 2.2, 0.8, 4600),
    Industry("F52", "retail", 0.200, None, ("商贸", "超市", "便利店"), 0.5, 0.45, 0.0, 3800),
    Industry("F51", "retail", 0.080, None, ("贸易", "供应链"), 0.6, 0.5, 0.0, 4000),
    Industry("G54", "transport", 0.060, None, ("物流", "运输"), 1.0, 2.2, 0.3, 4500),
    Industry("H61", "services", 0.020, None, ("酒店", "宾馆"), 0.8, 0.7, 0.1, 3900),
    Industry("H62", "services", 0.100, None, ("餐饮", "饭店"), 0.6, 0.55, 0.1, 3700),
    Industry("O80", "services", 0.050, None, ("家政服务", "汽车美容"), 0.5, 0.5, 0.0, 3700),
    Industry("L72", "services", 0.040, None, ("企业管理", "物业服务"), 0.8, 0.5, 0.0, 4400),
    Industry("B06", "mining", 0.010, None, ("煤业", "矿业"), 4.0, 2.2, 0.3, 6500),
)

CORE_CHARS = (
    "鑫达源华盛泰恒通宏隆晋兴昌丰荣祥瑞福金银鼎诚信安康宇汇凯亿嘉联中天博远海润德平利和顺发东方正永光明"
    "宝益合力成建立腾飞锦绣春秋星晨曦峰川河林森苑佳美优誉创智科骏豪伟锐捷迅浩瀚泓灏晟煜炜琪璟铭赫坤乾"
    "元亨骅驰耀辉煌灿钰铂铜铸冠卓越景尚舜禹汾浍绛晖旭阳升振泽霖"
)
PREFIXES = ("侯马市", "山西", "山西侯马", "侯马", "临汾")
PREFIX_WEIGHTS = np.array([0.45, 0.2, 0.1, 0.15, 0.1])
FORMS = ("有限公司", "有限责任公司", "股份有限公司")

OWNERSHIPS = ("private", "state", "collective", "foreign", "other")
OWNERSHIP_WEIGHTS = np.array([0.86, 0.035, 0.03, 0.01, 0.065])


@dataclass
class City:
    """The register's fixed attributes, one array entry per enterprise (index = enterprise id).

    ``founded_on`` may fall inside the data window: such an enterprise hires its first staff on
    that day. ``reserved`` entries are successors kept for re-registrations: they exist in the
    register only once a transfer has used them.
    """

    uscc: np.ndarray  # str, 18 characters
    name: np.ndarray  # str
    aliases: np.ndarray  # str, '|'-separated, '' for none
    industry: np.ndarray  # int index into INDUSTRIES
    township: np.ndarray  # int index into TOWNSHIPS
    road: np.ndarray  # int index into ROADS
    ownership: np.ndarray  # int index into OWNERSHIPS
    founded: np.ndarray  # int ordinal relative to the window start (negative = before)
    size: np.ndarray  # int32, insured headcount at founding or at the window start
    migrant: np.ndarray  # float32, share of staff who go home for the Spring Festival
    wage: np.ndarray  # float32, monthly contribution base per person
    fragility: np.ndarray  # float32, chronic baseline distress
    reserved: np.ndarray  # bool, successor kept for a re-registration

    @property
    def n(self) -> int:
        return len(self.uscc)

    def frame(self, *, window_start: date, status: np.ndarray, include: np.ndarray) -> pl.DataFrame:
        """The register snapshot in canonical ``enterprises`` columns for the entries in ``include``."""
        idx = np.flatnonzero(include)
        ind = self.industry[idx]
        chains = np.array([i.chain or "" for i in INDUSTRIES], dtype=object)[ind]
        founded = np.datetime64(window_start, "D") + self.founded[idx].astype("timedelta64[D]")
        return pl.DataFrame(
            {
                "uscc": self.uscc[idx],
                "name": self.name[idx],
                "aliases": self.aliases[idx],
                "industry": np.array([i.code for i in INDUSTRIES])[ind],
                "chain": chains,
                "township": np.array(TOWNSHIPS)[self.township[idx]],
                "ownership": np.array(OWNERSHIPS)[self.ownership[idx]],
                "founded_on": founded,
                "status": status[idx],
            }
        ).with_columns(
            pl.col("aliases").replace("", None).str.split("|"),
            pl.col("chain").replace("", None),
            pl.col("founded_on").cast(pl.Date),
        )


def _heavy_tailed_sizes(rng: np.random.Generator, n: int, scale: np.ndarray) -> np.ndarray:
    """Pareto-tailed headcounts: median about 4, ~10% of 20 or more, ~0.3% over 1,000."""
    u = rng.random(n)
    raw = 1.4 * scale * u ** (-1 / 0.95)
    return np.clip(np.round(raw), 1, 12_000).astype(np.int32)


def _names(rng: np.random.Generator, industry: np.ndarray, size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique names and '|'-separated aliases, drawn without replacement per industry."""
    n = len(industry)
    # A city uses a limited stock of auspicious cores (about one per three enterprises), so the same
    # core turns up in several trades -- "鑫达铜业" and "鑫达建材" -- as it does in real registers.
    every_core = np.array([a + b for a in CORE_CHARS for b in CORE_CHARS if a != b], dtype=object)
    cores = rng.permutation(every_core)[: int(np.clip(n // 3, 200, len(every_core)))]
    name = np.empty(n, dtype=object)
    alias = np.empty(n, dtype=object)
    prefixes = np.array(PREFIXES, dtype=object)
    forms = np.array(FORMS, dtype=object)
    for k, ind in enumerate(INDUSTRIES):
        members = np.flatnonzero(industry == k)
        if len(members) == 0:
            continue
        words = np.array(ind.words, dtype=object)
        space = len(cores) * len(words) * len(prefixes) * len(forms)
        if len(members) > space:
            raise ValueError(
                f"too many enterprises in {ind.code} for unique names ({len(members)} > {space})"
            )
        pick = rng.choice(space, size=len(members), replace=False)
        core = cores[pick % len(cores)]
        rest = pick // len(cores)
        word = words[rest % len(words)]
        rest //= len(words)
        prefix = prefixes[rest % len(prefixes)]
        form = forms[rest // len(prefixes)]
        # Big enterprises are mostly joint-stock; a small shop is never one.
        form = np.where((form == "股份有限公司") & (size[members] < 50), "有限公司", form)
        name[members] = prefix + core + word + form
        # Short names: "鑫达铜业" mostly, the bare core "鑫达" (shared by many) sometimes, both often.
        style = rng.random(len(members))
        short = core + word
        alias[members] = np.where(
            style < 0.25, "", np.where(style < 0.6, short, np.where(style < 0.8, core, short + "|" + core))
        )
    return name, alias


def build_city(rng: np.random.Generator, n: int, *, window_days: int, reserve: int) -> City:
    """``n`` enterprises operating at the window start plus ``reserve`` successors for re-registrations.

    About 3% of the ``n`` are founded during the window (their staff arrive on the founding day).
    """
    total = n + reserve
    shares = np.array([i.share for i in INDUSTRIES])
    industry = rng.choice(len(INDUSTRIES), size=total, p=shares / shares.sum()).astype(np.int16)
    scale = np.array([i.size_scale for i in INDUSTRIES])[industry]
    size = _heavy_tailed_sizes(rng, total, scale)
    ownership = rng.choice(len(OWNERSHIPS), size=total, p=OWNERSHIP_WEIGHTS).astype(np.int8)
    # Large enterprises are disproportionately state-owned.
    ownership = np.where((size > 500) & (rng.random(total) < 0.3), 1, ownership).astype(np.int8)
    age_days = np.round(rng.gamma(1.6, 2300, total)).astype(np.int32) + 30
    founded = -age_days
    newcomer = rng.random(total) < 0.03
    founded = np.where(newcomer, rng.integers(0, max(window_days - 1, 1), total), founded).astype(np.int32)
    size = np.where(newcomer, np.maximum(1, size // 2), size).astype(np.int32)
    reserved = np.zeros(total, dtype=bool)
    reserved[n:] = True
    # A successor is founded when a re-registration uses it; until then it has no staff.
    founded = np.where(reserved, window_days + 1, founded).astype(np.int32)
    migrant_share = np.array([i.migrant for i in INDUSTRIES])[industry]
    employs_migrants = rng.random(total) < migrant_share
    migrant = np.where(employs_migrants, rng.uniform(0.1, 0.7, total), 0.0).astype(np.float32)
    wage = (np.array([i.wage for i in INDUSTRIES])[industry] * rng.lognormal(0, 0.15, total)).astype(
        np.float32
    )
    fragility = rng.beta(1.3, 14, total).astype(np.float32)
    name, alias = _names(rng, industry, size)
    uscc = np.array(build_codes(rng, total), dtype=object)
    return City(
        uscc=uscc,
        name=name,
        aliases=alias,
        industry=industry,
        township=rng.choice(len(TOWNSHIPS), size=total, p=TOWNSHIP_WEIGHTS).astype(np.int8),
        road=rng.integers(0, len(ROADS), total).astype(np.int8),
        ownership=ownership,
        founded=founded,
        size=size,
        migrant=migrant,
        wage=wage,
        fragility=fragility,
        reserved=reserved,
    )
