"""Messages in Chinese, rendered from the templates in ``alerts/templates`` (Markdown, which Apprise
turns into HTML for e-mail and passes on to DingTalk, WeCom and Feishu).

Every function here takes an office's *view* of an alert (``alerts.fields.visible_details``), never
the alert itself, so a template cannot show a field its office may not see.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from alerts.config import Office
from alerts.fields import EVIDENCE_LABELS
from alerts.notify import REASON_ZH, NotifyReason
from features.text_categories import CATEGORY_ZH
from models.tiers import TIER_ZH
from watchlist.industries import SECTIONS_ZH

TIER_MARK = {"red": "🔴", "orange": "🟠", "yellow": "🟡", "blue": "🔵"}
AREA_LEVEL_ZH = {"county": "全辖区", "township": "乡镇（街道）", "chain": "产业链"}
SHARES = ("removed_share_30d",)
AMOUNTS = ("contribution_arrears", "wage_arrears_amount")
# How a message names a record's channel (longer than the source's column values, sources.schema).
EXCERPT_CHANNEL_ZH = {"online": "网络舆情", "petition": "信访", "hotline": "12345热线", "police": "警情"}
# A record's text is quoted, never read as Markdown: no link, emphasis or heading it writes takes
# effect in a message (full-width look-alikes read the same to a person).
_MARKDOWN_INERT = str.maketrans("[]()*_`#|!\\<>~", "［］（）＊＿｀＃｜！＼＜＞～")


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


def figure_text(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if key in SHARES:
        return f"{float(value):.0%}"
    if key in AMOUNTS:
        return f"{float(value) / 10_000:,.1f}万元"
    return f"{float(value):,.0f}"


def industry_text(code: str | None) -> str:
    if not code:
        return ""
    section = SECTIONS_ZH.get(code[:1].upper())
    return f"{code} {section}" if section else code


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("alerts", "templates"),
        autoescape=False,  # Markdown, not HTML; chat channels show it as text
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=False,
        auto_reload=False,  # packaged templates do not change under a running process
    )
    env.globals.update(tier_word=lambda tier: TIER_ZH.get(tier, tier), tier_mark=lambda tier: TIER_MARK.get(tier, "⚪"))
    return env


def area_word(view: Mapping[str, Any]) -> str:
    level = view.get("level", "county")
    return view.get("area", "") if level == "county" else f"{view.get('area', '')}（{AREA_LEVEL_ZH[level]}）"


def title_for(view: Mapping[str, Any], reason: NotifyReason, *, firing: bool) -> str:
    tier = TIER_ZH.get(view["tier"], view["tier"])
    what = area_word(view) if view.get("kind") == "area" else view["name"]
    head = "风险解除" if not firing else f"{tier}{'区域' if view.get('kind') == 'area' else ''}预警"
    return f"【{head}】{what}：规模性失业风险（{REASON_ZH[reason]}）"


def render_alert(
    office: Office,
    view: Mapping[str, Any],
    *,
    reason: NotifyReason,
    alert_id: int,
    link: str,
    firing: bool,
    deadline: datetime | None,
    tz: ZoneInfo,
) -> Rendered:
    """One office's message about one alert (enterprise or area)."""
    when = deadline.astimezone(tz).strftime("%Y年%m月%d日 %H:%M") if deadline is not None and firing else None
    asks = office.asks if firing else "核查完成后在系统中登记结果并关闭预警。"
    if view.get("kind") == "area":
        body = _environment().get_template("area.md.j2").render(
            view=view, reason_zh=REASON_ZH[reason], alert_id=alert_id, link=link, firing=firing,
            asks=asks, area_word=area_word(view), deadline=when,
        )  # fmt: skip
        return Rendered(title_for(view, reason, firing=firing), _tidy(body))
    tier = TIER_ZH.get(view["tier"], view["tier"])
    profile = []
    if "township" in view:
        profile.append(f"**所属乡镇**：{view['township']}")
    if "industry" in view:
        chain = f"（{view['chain']}产业链）" if view.get("chain") else ""
        profile.append(f"**行业**：{industry_text(view['industry'])}{chain}")
    if view.get("headcount") is not None:
        profile.append(f"**参保人数**：{int(view['headcount']):,}人")
    if not firing:
        risk = f"已降至{tier}，预警进入解除状态"
    elif view.get("probability") is not None:
        risk = f"{tier}（未来90天发生规模性裁员的概率约{view['probability']:.0%}）"
    else:
        risk = tier
    body = _environment().get_template("alert.md.j2").render(
        mark=TIER_MARK.get(view["tier"], "⚪"), tier=tier, reason=REASON_ZH[reason], name=view["name"],
        uscc=view["uscc"], profile=profile, risk=risk,
        reasons=[r["sentence"] for r in view.get("reasons", [])[:5]],
        evidence=[f"{EVIDENCE_LABELS.get(k, k)}：{figure_text(k, v)}" for k, v in view.get("evidence", {}).items() if k != "headcount"],
        asks=asks, deadline=when, link=link, as_of=view.get("as_of", ""), alert_id=alert_id,
        excerpts=[_excerpt(e) for e in view.get("excerpts", [])] if firing else [],
    )  # fmt: skip
    return Rendered(title_for(view, reason, firing=firing), _tidy(body))


def _excerpt(excerpt: Mapping[str, Any]) -> str:
    """``2026-11-28 · 网络舆情 · 欠薪讨薪：……`` (the categories the text model read, if any)."""
    kinds = "、".join(CATEGORY_ZH.get(c, c) for c in excerpt.get("categories") or [])
    channel = EXCERPT_CHANNEL_ZH.get(excerpt.get("channel", ""), excerpt.get("channel", ""))
    head = " · ".join(part for part in (excerpt.get("day") or "", channel, kinds) if part)
    return f"{head}：{str(excerpt.get('text', '')).translate(_MARKDOWN_INERT)}"


def render_digest(office: Office, items: Sequence[Rendered], *, day: date, part: int = 1, parts: int = 1) -> Rendered:
    """One message with an office's held messages of a day (part ``part`` of ``parts``), oldest first."""
    of = f"，第{part}/{parts}部分" if parts > 1 else ""
    heading = f"{office.name}：规模性失业风险预警每日汇总（{day:%Y年%m月%d日}{of}）"
    title = f"【每日汇总】{office.short}：规模性失业风险预警 {len(items)} 条（{day:%m月%d日}{of}）"
    return _grouped(title, heading, None, items)


def render_batch(
    office: Office, items: Sequence[Rendered], *, day: date, part: int, parts: int, overdue: bool = False
) -> Rendered:
    """One message with part ``part`` of the ``parts`` into which a flood of messages to one target
    was cut, riskiest first: alert messages, or (``overdue``) escalations to the lead contact."""
    what = "超时未确认预警督办" if overdue else "规模性失业风险预警批量通知"
    note = (
        f"本轮新产生的{'督办提示' if overdue else '预警通知'}较多，已按风险从高到低合并为{parts}条消息发送，这是第{part}条。"
        "请优先处理红色和橙色预警；每条预警的处理入口见其中的链接。"
    )
    heading = f"{office.name}：{what}（{day:%Y年%m月%d日}，第{part}/{parts}批）"
    head = "批量督办" if overdue else "批量通知"
    title = f"【{head}】{office.short}：{'超时未确认的' if overdue else ''}规模性失业风险预警 {len(items)} 条（{day:%m月%d日}，第{part}/{parts}批）"
    return _grouped(title, heading, note, items)


def _grouped(title: str, heading: str, note: str | None, items: Sequence[Rendered]) -> Rendered:
    counts = Counter(item.title.split("】", 1)[0].lstrip("【") for item in items)
    body = _environment().get_template("digest.md.j2").render(
        heading=heading, note=note, items=items, counts=sorted(counts.items(), key=lambda kv: -kv[1])
    )
    return Rendered(title, _tidy(body))


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out) + "\n"
