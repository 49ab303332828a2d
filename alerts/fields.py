"""What each office may see: every figure and reason an alert carries, mapped to a category of
``alerts.config.SEE_CATEGORIES``, and the one function that cuts an alert down to an office's view.

Data minimisation is done here, before rendering, so no template can show what its office may not
see. Nothing an alert carries identifies a person: figures are counts and amounts about the
enterprise, reasons are sentences about the enterprise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from features.catalog import EVIDENCE_COLUMNS

EVIDENCE_CATEGORY: dict[str, str] = {
    "headcount": "headcount",
    "removed_30d": "enrolment",
    "removed_share_30d": "enrolment",
    "removed_90d": "enrolment",
    "contribution_arrears": "contributions",
    "arrears_months_6m": "contributions",
    "days_late_latest": "payroll",
    "unpaid_latest": "payroll",
    "wage_arrears_workers": "wage_arrears",
    "wage_arrears_amount": "wage_arrears",
    "petition_90d": "petitions",
    "collective_petitions_90d": "petitions",
    "police_90d": "police",
    "hotline_90d": "hotline",
    "online_90d": "online",
    "participants_90d": "collective_action",
    "max_participants_90d": "collective_action",
    "records_30d": "sentiment_volume",
    # What the text model read in the records (features.text_model).
    "cat_wage_arrears_90d": "wage_arrears",
    "cat_layoffs_90d": "sentiment_volume",
    "cat_shutdown_90d": "sentiment_volume",
    "cat_social_insurance_90d": "contributions",
    "cat_collective_action_90d": "collective_action",
}

# Reason code (models.reasons) -> category.
REASON_CATEGORY: dict[str, str] = {
    "R01": "enrolment", "R02": "enrolment", "R03": "enrolment", "R04": "enrolment", "R05": "enrolment",
    "R06": "contributions", "R07": "contributions", "R08": "contributions",
    "R09": "payroll", "R11": "payroll", "R10": "wage_arrears",
    "R12": "petitions", "R13": "police", "R14": "hotline", "R15": "online",
    "R16": "collective_action", "R19": "sentiment_volume", "R17": "reporting_gap",
    # What the text model read in the records: shown to the offices that see that kind of signal.
    "R20": "wage_arrears", "R21": "sentiment_volume", "R22": "sentiment_volume", "R23": "contributions",
    "R24": "collective_action",
}  # fmt: skip

# An excerpt of a sentiment record (alerts.excerpts) is shown only to an office that sees "excerpts"
# and the record's channel, at most EXCERPTS_SHOWN of them.
EXCERPTS_SHOWN = 3
EXCERPT_CATEGORY: dict[str, str] = {
    "police": "police", "petition": "petitions", "hotline": "hotline", "online": "online",
}  # fmt: skip

# Fields of an enterprise alert's details beyond evidence and reasons, by category. The enterprise
# (name, uscc), its tier and the alert link are always shown: an alert must say what it is about.
DETAIL_CATEGORY: dict[str, str] = {
    "township": "location",
    "industry": "industry",
    "chain": "industry",
    "probability": "probability",
    "percentile": "probability",
    "headcount": "headcount",
}
ALWAYS_SHOWN = ("kind", "uscc", "name", "tier", "as_of")

# A resident identity number (GB 11643: area, birth date, sequence, check) or a mobile number in free
# text is masked before any office sees it: messages are about enterprises, never about a person.
# Full-width digits are read as digits; the 15-digit numbers issued before 1999 and numbers written
# with a +86 prefix or separators (138-1234-5678) are masked too.
_IDENTITY_NUMBER = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])")
_OLD_IDENTITY_NUMBER = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![0-9A-Za-z])")
_MOBILE_NUMBER = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９＋－", "0123456789+-")

EVIDENCE_LABELS: dict[str, str] = {
    "headcount": "参保人数",
    "removed_30d": "近30天减员人数",
    "removed_share_30d": "近30天减员占比",
    "removed_90d": "近90天减员人数",
    "contribution_arrears": "社保欠缴金额（元）",
    "arrears_months_6m": "近6个月欠缴月数",
    "days_late_latest": "最近一期工资推迟天数",
    "unpaid_latest": "最近一期工资尚未发放",
    "wage_arrears_workers": "欠薪人数",
    "wage_arrears_amount": "欠薪金额（元）",
    "petition_90d": "近90天信访件数",
    "collective_petitions_90d": "近90天集体访件数",
    "police_90d": "近90天涉企警情",
    "hotline_90d": "近90天12345诉求",
    "online_90d": "近90天网络舆情",
    "participants_90d": "近90天聚集上访累计人数",
    "max_participants_90d": "近90天单次聚集最多人数",
    "records_30d": "近30天舆情信访热线警情合计",
    "cat_wage_arrears_90d": "近90天反映欠薪讨薪的记录",
    "cat_layoffs_90d": "近90天反映裁员辞退的记录",
    "cat_shutdown_90d": "近90天反映停产倒闭的记录",
    "cat_social_insurance_90d": "近90天反映社保断缴的记录",
    "cat_collective_action_90d": "近90天反映聚集、拉横幅、集体上访的记录",
}


def visible_details(details: Mapping[str, Any], sees: frozenset[str]) -> dict[str, Any]:
    """The part of an alert's ``details`` an office that ``sees`` these categories may be shown.

    Evidence figures and reasons outside the office's categories are dropped, not blanked, so a
    message cannot even hint at them. Area warnings list enterprises; each is cut the same way.
    """
    view: dict[str, Any] = {k: details[k] for k in ALWAYS_SHOWN if k in details}
    for key, category in DETAIL_CATEGORY.items():
        if key in details and category in sees:
            view[key] = details[key]
    evidence = details.get("evidence") or {}
    view["evidence"] = {
        k: v for k, v in evidence.items() if EVIDENCE_CATEGORY.get(k) in sees and v not in (None, 0, False)
    }
    view["reasons"] = [
        {**r, "sentence": deidentify(r.get("sentence", ""))}
        for r in details.get("reasons") or []
        if REASON_CATEGORY.get(r.get("code", "")) in sees
    ]
    if "excerpts" in sees:
        # An excerpt's categories (what the text model read in it) are shown as the matching
        # figures are: only to an office that sees that kind of signal.
        view["excerpts"] = [
            {
                **e,
                "text": deidentify(e.get("text", "")),
                "categories": [c for c in e.get("categories") or [] if EVIDENCE_CATEGORY.get(f"cat_{c}_90d") in sees],
            }
            for e in details.get("excerpts") or []
            if EXCERPT_CATEGORY.get(e.get("channel", "")) in sees
        ][:EXCERPTS_SHOWN]
    if details.get("kind") == "area":
        for key in ("level", "area", "rules"):
            if key in details:
                view[key] = details[key]
        view["summary"] = deidentify(details.get("summary", ""))
        view["enterprises"] = [visible_details(e, sees) for e in details.get("enterprises", [])]
    return view


def deidentify(text: str) -> str:
    """``text`` with resident identity numbers and mobile numbers masked (keeping the first digits)."""
    text = text.translate(_FULL_WIDTH_DIGITS)
    text = _IDENTITY_NUMBER.sub(lambda m: m.group(0)[:6] + "*" * 12, text)
    text = _OLD_IDENTITY_NUMBER.sub(lambda m: m.group(0)[:6] + "*" * 9, text)
    return _MOBILE_NUMBER.sub(lambda m: m.group(0)[: len(m.group(0)) - 8] + "*" * 8, text)


def check_complete() -> list[str]:
    """Figures or reason codes with no category (a test keeps this empty)."""
    from models.reasons import REASON_CODES  # the model's code; not needed to send messages

    missing = [c for c in EVIDENCE_COLUMNS if c not in EVIDENCE_CATEGORY or c not in EVIDENCE_LABELS]
    missing += [code.code for code in REASON_CODES.values() if code.code not in REASON_CATEGORY]
    return missing
