"""Area warnings: 规模性失业 as an area-level event, from one day's scored enterprises.

Rules (``area`` in the alerting configuration; defaults after Shandong's 规模性失业 warning):
- the whole jurisdiction (county) when one enterprise cut ``single_enterprise_cut`` or more people
  within 30 days, or when ``count`` or more enterprises each cut over ``min_workers`` people or over
  ``min_share`` of their staff (red);
- a township or an industrial chain when ``count`` or more of its enterprises are flagged at
  ``tier_at_least`` or above on the same day (orange).
Every area warning goes to all four offices.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from alerts.config import AreaRules
from models.tiers import TIER_RANK, TIER_ZH, tier_rank_expr

COUNTY = "全辖区"
ENTERPRISE_FIELDS = ("uscc", "name", "tier", "township", "removed_30d", "removed_share_30d", "headcount")


def area_warnings(scored: pl.DataFrame, rules: AreaRules, *, as_of: date) -> list[dict[str, Any]]:
    """One entry per area with a warning today: subject (``county``, ``township:…``, ``chain:…``),
    subject_name, tier and details (the rules met, a Chinese summary, the enterprises involved).

    ``scored``: one row per scored enterprise with uscc, name, township, chain, tier and the
    evidence figures removed_30d, removed_share_30d, headcount.
    """
    warnings: list[dict[str, Any]] = []
    cut = pl.col("removed_30d").fill_null(0)
    share = pl.col("removed_share_30d").fill_null(0.0)
    county_rules: list[str] = []
    involved: list[pl.DataFrame] = []
    if rules.single_enterprise_cut is not None:
        big = scored.filter(cut >= rules.single_enterprise_cut)
        if big.height:
            county_rules.append(
                f"{big.height}家企业近30天减员达到{rules.single_enterprise_cut}人以上（最多{int(big['removed_30d'].max())}人）"  # type: ignore[arg-type]
            )
            involved.append(big)
    if rules.cutting_count is not None:
        cutting = scored.filter(
            (cut > rules.cutting_min_workers)
            | ((share > rules.cutting_min_share) & (cut >= rules.cutting_min_share_workers))
        )
        if cutting.height >= rules.cutting_count:
            county_rules.append(
                f"{cutting.height}家企业近30天各自减员超过{rules.cutting_min_workers}人或超过参保人数的"
                f"{rules.cutting_min_share:.0%}（预警线{rules.cutting_count}家）"
            )
            involved.append(cutting)
    if county_rules:
        warnings.append(_warning("county", COUNTY, "county", "red", county_rules, pl.concat(involved), as_of))

    if rules.flagged_count is not None:
        flagged = scored.filter(tier_rank_expr() >= TIER_RANK[rules.flagged_tier])
        for level in rules.flagged_levels:
            if level == "county":
                groups = [(COUNTY, flagged)] if flagged.height >= rules.flagged_count else []
            else:
                counts = flagged.filter(pl.col(level).is_not_null()).group_by(level).len()
                names = counts.filter(pl.col("len") >= rules.flagged_count)[level].sort().to_list()
                groups = [(name, flagged.filter(pl.col(level) == name)) for name in names]
            for name, members in groups:
                rule = (
                    f"{members.height}家企业风险等级同时达到{TIER_ZH[rules.flagged_tier]}及以上"
                    f"（预警线{rules.flagged_count}家）"
                )
                subject = "county" if level == "county" else f"{level}:{name}"
                if subject == "county" and warnings and warnings[0]["subject"] == "county":
                    warnings[0]["details"]["rules"].append(rule)
                    continue
                warnings.append(_warning(subject, name, level, "orange", [rule], members, as_of))
    for warning in warnings:
        warning["details"]["summary"] = "；".join(warning["details"]["rules"]) + "。"
    return warnings


def _warning(
    subject: str, name: str, level: str, tier: str, rules: list[str], members: pl.DataFrame, as_of: date
) -> dict[str, Any]:
    members = members.unique("uscc").sort(["removed_30d", "uscc"], descending=[True, False], nulls_last=True)
    enterprises = [
        {
            "uscc": row["uscc"],
            "name": row["name"],
            "tier": row["tier"],
            "township": row["township"],
            "evidence": {k: row[k] for k in ("removed_30d", "removed_share_30d", "headcount") if row[k] is not None},
        }
        for row in members.select(ENTERPRISE_FIELDS).iter_rows(named=True)
    ]
    return {
        "kind": "area",
        "subject": subject,
        "subject_name": name,
        "tier": tier,
        "details": {
            "kind": "area",
            "level": level,
            "area": name,
            "tier": tier,
            "as_of": as_of.isoformat(),
            "rules": rules,
            "enterprises": enterprises,
        },
    }
