"""The model's inputs, declared once: name, signal group, monotonic direction, categorical or not.

``group`` ties each feature to a reason code (``models.reasons``): reasons are computed by
neutralising a whole group at once, because correlated features only explain together.
``monotonic`` is +1 or -1 only where the direction is certain whatever else happens; removal
shares are left free, because seasonal exits raise them without raising the risk.
"""

from __future__ import annotations

from dataclasses import dataclass

from features.text_categories import CATEGORIES


@dataclass(frozen=True)
class Feature:
    name: str
    group: str
    monotonic: int = 0
    categorical: bool = False


def _f(group: str, *names: str, monotonic: int = 0, categorical: bool = False) -> list[Feature]:
    return [Feature(n, group, monotonic, categorical) for n in names]


def _text_features() -> list[Feature]:
    """What the text model read in the records about each enterprise, one group per category: counts
    over 7/30/90 days (more is never safer) and their acceleration. The counts by channel stay in
    the feature table for routing and display."""
    features: list[Feature] = []
    for c in CATEGORIES:
        features += _f(f"text_{c}", *(f"cat_{c}_{w}d" for w in (7, 30, 90)), monotonic=1)
        features += _f(f"text_{c}", f"cat_{c}_acceleration")
    return features


# The groups the text model feeds: left out, the model is the same model without text features.
TEXT_GROUPS: tuple[str, ...] = tuple(f"text_{c}" for c in CATEGORIES)

FEATURES: tuple[Feature, ...] = tuple(
    _f(
        "removals_30d",
        "removed_30d",
        "removed_share_30d",
        "max_day_removed_30d",
        "max_day_removed_share_30d",
        "removed_share_30d_peer_pct",
        "removed_share_30d_vs_peers",
    )
    + _f(
        "removals_90d",
        "removed_90d",
        "removed_share_90d",
        "max_day_removed_90d",
        "removal_trend_90d",
        "removed_share_90d_peer_pct",
        "removed_share_90d_vs_peers",
    )
    + _f("shrinking", "removed_share_180d", "removed_share_365d", "net_change_90d", "net_change_share_365d")
    + _f(
        "hiring",
        "hiring_slowdown",
        "added_share_30d",
        "added_share_90d",
        "added_share_180d",
        "added_share_365d",
    )
    + _f(
        "seasonal",
        "removed_share_30d_last_year",
        "removed_share_30d_vs_last_year",
        "returned_ratio_last_year",
    )
    + _f(
        "contribution_arrears",
        "contribution_arrears",
        "contribution_arrears_months_due",
        "contribution_arrears_months_due_peer_pct",
        monotonic=1,
    )
    + _f("contribution_arrears", "arrears_months_6m", "arrears_streak", monotonic=1)
    + _f("contribution_ratio", "paid_ratio_3m", "paid_ratio_latest", monotonic=-1)
    + _f("contribution_arrears", "short_months_3m", monotonic=1)
    + _f("contribution_ratio", "paid_ratio_trend")
    + _f("contribution_base", "base_change_3m")
    + _f("payroll_late", "days_late_latest", "days_late_3m", "days_late_3m_peer_pct", monotonic=1)
    + _f("payroll_late", "days_late_trend")
    + _f("payroll_late", "unpaid_latest")
    + _f(
        "wage_arrears",
        "wage_arrears_workers",
        "wage_arrears_amount",
        "wage_arrears_months_6m",
        "wage_arrears_share",
        monotonic=1,
    )
    + _f("payroll_shrinking", "workers_paid_change", "paid_to_insured", "pay_per_worker_change")
    + _f("petitions", "petition_7d", "petition_30d", "petition_90d", "collective_petitions_90d", monotonic=1)
    + _f("police", "police_7d", "police_30d", "police_90d", monotonic=1)
    + _f("hotline", "hotline_7d", "hotline_30d", "hotline_90d", monotonic=1)
    + _f("online", "online_7d", "online_30d", "online_90d")
    + _f("sentiment_volume", "records_30d_peer_pct", "records_acceleration")
    + _f("gatherings", "participants_90d", "max_participants_90d", monotonic=1)
    + _f("sentiment_volume", "channels_30d", "channels_90d", monotonic=1)
    + _text_features()
    + _f(
        "reporting_gap",
        "contribution_months_since_report",
        "payroll_months_since_report",
        "days_since_change",
    )
    + _f("profile", "headcount", "size_band", "age_years", "days_observed")
    + _f("profile", "industry_section", "ownership", "chain", categorical=True)
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(f.group for f in FEATURES))
# Groups that describe what kind of enterprise it is: used by the model, never offered as a reason
# (an officer cannot act on "it is a small manufacturer", and neutralising size is not meaningful).
CONTEXT_GROUPS: tuple[str, ...] = ("profile",)


def by_group(group: str) -> tuple[Feature, ...]:
    return tuple(f for f in FEATURES if f.group == group)


# Feature-table columns an alert quotes and routes on (``alerts.routing``): ``models.scoring`` keeps
# them with each explained score, and the alerting code reads them without loading the model.
EVIDENCE_COLUMNS = (
    "headcount",
    "removed_30d",
    "removed_share_30d",
    "removed_90d",
    "contribution_arrears",
    "arrears_months_6m",
    "days_late_latest",
    "unpaid_latest",
    "wage_arrears_workers",
    "wage_arrears_amount",
    "petition_90d",
    "collective_petitions_90d",
    "police_90d",
    "hotline_90d",
    "online_90d",
    "participants_90d",
    "max_participants_90d",
    "records_30d",
    *(f"cat_{c}_90d" for c in CATEGORIES),
)
