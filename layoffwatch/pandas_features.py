"""A straightforward pandas implementation of ``features.feature_table`` for one as_of date.

It exists only as the baseline of ``layoffwatch bench features``: the same columns by the same
definitions, written the way a pandas user would (boolean masks, groupby, merge), run in the same
process on the same lake files. The benchmark checks that both give the same numbers.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from features.calendar import days_to_spring_festival
from features.catalog import FEATURE_NAMES, FEATURES
from features.monthly import window_start
from features.sentiment import text_count_columns
from features.text_categories import CATEGORIES

CHANNELS = ("online", "petition", "hotline", "police")


def latest_versions(frame: pd.DataFrame, key: list[str], repeated: pd.DataFrame) -> pd.DataFrame:
    """The lake's rule: the latest received row per natural key. Only the keys received more than
    once (``repeated``, the lake's own list: ``store.lake.repeated_keys``) need ordering, as in the
    Polars read."""
    if repeated.empty:
        return frame
    twice = pd.MultiIndex.from_frame(frame[key]).isin(pd.MultiIndex.from_frame(repeated[key]))
    ordered = frame[twice].sort_values(["_received_at", "_batch", "_row"], kind="stable")
    return pd.concat([frame[~twice], ordered.drop_duplicates(subset=key, keep="last")], ignore_index=True)


def _days(series: pd.Series) -> pd.Series:
    return series.dt.days if hasattr(series, "dt") else series


def _ts(d: date) -> pd.Timestamp:
    return pd.Timestamp(d)


def _months_between(later: pd.Series | pd.Timestamp, earlier: pd.Series) -> pd.Series:
    return (later.year - earlier.dt.year) * 12 + later.month - earlier.dt.month  # type: ignore[union-attr]


def enrolment(changes: pd.DataFrame, as_of: date) -> pd.DataFrame:
    t = _ts(as_of)
    c = changes[changes["date"] <= t].copy()
    out = pd.DataFrame(index=pd.Index(c["uscc"].unique(), name="uscc"))
    last = c.sort_values("date").groupby("uscc").tail(1).set_index("uscc")
    out["headcount"] = last["insured_total"]
    out["last_change_on"] = last["date"]
    out["first_change_on"] = c.groupby("uscc")["date"].min()

    def window_sum(col: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.Series:
        mask = (c["date"] > lo) & (c["date"] <= hi)
        return c[mask].groupby("uscc")[col].sum().reindex(out.index, fill_value=0)

    def window_max(col: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.Series:
        mask = (c["date"] > lo) & (c["date"] <= hi)
        return c[mask].groupby("uscc")[col].max().reindex(out.index).fillna(0)

    day = pd.Timedelta(days=1)
    for w in (30, 90, 180, 365):
        out[f"removed_{w}d"] = window_sum("removed", t - w * day, t)
        out[f"added_{w}d"] = window_sum("added", t - w * day, t)
    out["max_day_removed_30d"] = window_max("removed", t - 30 * day, t)
    out["max_day_removed_90d"] = window_max("removed", t - 90 * day, t)
    out["removed_prev_90d"] = window_sum("removed", t - 180 * day, t - 90 * day)
    ly = t - 365 * day
    out["removed_60d_last_year"] = window_sum("removed", ly - 30 * day, ly + 30 * day)
    out["added_60d_after_last_year"] = window_sum("added", ly, ly + 60 * day)
    h = out["headcount"]
    start = {w: h - out[f"added_{w}d"] + out[f"removed_{w}d"] for w in (30, 90, 180, 365)}

    def denominator(base: pd.Series) -> pd.Series:
        return np.maximum(np.maximum(base, h), 1)

    for w in (30, 90, 180, 365):
        out[f"removed_share_{w}d"] = out[f"removed_{w}d"] / denominator(start[w])
        out[f"added_share_{w}d"] = out[f"added_{w}d"] / denominator(start[w])
    out["net_change_90d"] = out["added_90d"] - out["removed_90d"]
    out["hiring_slowdown"] = (out["added_365d"] / 4 - out["added_90d"]) / denominator(start[90])
    out["max_day_removed_share_30d"] = out["max_day_removed_30d"] / denominator(start[30])
    out["net_change_share_365d"] = (out["added_365d"] - out["removed_365d"]) / denominator(start[365])
    out["removal_trend_90d"] = (out["removed_90d"] - out["removed_prev_90d"]) / denominator(start[90])
    out["removed_share_30d_last_year"] = (out["removed_60d_last_year"] / 2) / denominator(start[30])
    out["days_since_change"] = _days(t - out["last_change_on"])
    out["removed_share_30d_vs_last_year"] = out["removed_share_30d"] - out["removed_share_30d_last_year"]
    out["returned_ratio_last_year"] = (
        out["added_60d_after_last_year"] / np.maximum(out["removed_60d_last_year"], 1)
    ).clip(0, 3)
    return out.drop(columns=["last_change_on", "removed_prev_90d", "added_60d_after_last_year"])


def _known_monthly(rows: pd.DataFrame, as_of: date) -> pd.DataFrame:
    rows = rows[rows["period"] >= _ts(window_start(as_of))]
    default = rows["period"] + pd.DateOffset(months=1) + pd.Timedelta(days=14)
    known_from = rows["reported_on"].fillna(default)
    return rows[known_from <= _ts(as_of)].copy()


def _recent(rows: pd.DataFrame) -> pd.DataFrame:
    rows["latest_period"] = rows.groupby("uscc")["period"].transform("max")
    rows["back"] = _months_between(rows["latest_period"].dt, rows["period"])  # type: ignore[arg-type]
    return rows[rows["back"] < 12].copy()


def _at(rows: pd.DataFrame, mask: pd.Series, col: str, how: str) -> pd.Series:
    return rows[mask].groupby("uscc")[col].agg(how)


def contributions(frame: pd.DataFrame, as_of: date) -> pd.DataFrame:
    known = _known_monthly(frame, as_of)
    first = known.groupby("uscc")["period"].min().rename("first_period")
    r = _recent(known)
    r["short"] = r["paid"] < r["due"] * 0.99
    g = r.groupby("uscc")
    out = pd.DataFrame(index=pd.Index(g.size().index, name="uscc"))
    out["latest_period"] = g["latest_period"].first()
    out["contribution_arrears"] = (g["due"].sum() - g["paid"].sum()).round(2).clip(lower=0)
    out["arrears_months_6m"] = _at(r, r["back"] < 6, "short", "sum").reindex(out.index).fillna(0)
    out["short_months_3m"] = _at(r, r["back"] < 3, "short", "sum").reindex(out.index).fillna(0)
    latest = r[r["back"] == 0].set_index("uscc")
    out["paid_ratio_latest"] = (latest["paid"] / latest["due"]).reindex(out.index)
    out["arrears_streak"] = _at(r, ~r["short"], "back", "min").reindex(out.index).fillna(12)
    last3, prev3 = r["back"] < 3, (r["back"] >= 3) & (r["back"] < 6)
    out["paid_ratio_3m"] = _at(r, last3, "paid", "sum") / _at(r, last3, "due", "sum")
    prev_ratio = _at(r, prev3, "paid", "sum") / _at(r, prev3, "due", "sum")
    out["paid_ratio_trend"] = out["paid_ratio_3m"] - prev_ratio.reindex(out.index)
    base_prev = _at(r, prev3, "base_total", "mean").reindex(out.index)
    out["base_change_3m"] = latest["base_total"].reindex(out.index) / base_prev - 1
    out["contribution_arrears_months_due"] = out["contribution_arrears"] / np.maximum(
        latest["due"].reindex(out.index), 1
    )
    out["contribution_months_since_report"] = _months_between(_ts(as_of), out["latest_period"])
    return out.drop(columns=["latest_period"]).join(first, how="left")


def payroll(frame: pd.DataFrame, as_of: date) -> pd.DataFrame:
    r = _recent(_known_monthly(frame, as_of))
    period_end = r["period"] + pd.offsets.MonthEnd(0)
    r["days_late"] = _days(r["paid_on"].fillna(_ts(as_of)) - period_end).clip(lower=0)
    r["pay_per_worker"] = (r["gross_pay"] / r["workers_paid"]).where(r["workers_paid"] > 0)
    g = r.groupby("uscc")
    out = pd.DataFrame(index=pd.Index(g.size().index, name="uscc"))
    out["latest_period"] = g["latest_period"].first()
    latest = r[r["back"] == 0].set_index("uscc")
    last3, prev3 = r["back"] < 3, (r["back"] >= 3) & (r["back"] < 6)
    out["workers_paid_latest"] = latest["workers_paid"].reindex(out.index)
    out["pay_per_worker_latest"] = latest["pay_per_worker"].reindex(out.index)
    out["days_late_latest"] = latest["days_late"].reindex(out.index)
    out["days_late_3m"] = _at(r, last3, "days_late", "mean").reindex(out.index)
    out["unpaid_latest"] = latest["paid_on"].isna().reindex(out.index)
    out["wage_arrears_workers"] = latest["arrears_workers"].reindex(out.index)
    out["wage_arrears_amount"] = latest["arrears_amount"].reindex(out.index)
    r["has_arrears"] = r["arrears_workers"] > 0
    out["wage_arrears_months_6m"] = _at(r, r["back"] < 6, "has_arrears", "sum").reindex(out.index).fillna(0)
    pay_prev = _at(r, prev3, "pay_per_worker", "mean").reindex(out.index)
    workers_prev = _at(r, prev3, "workers_paid", "mean").reindex(out.index)
    late_prev = _at(r, prev3, "days_late", "mean").reindex(out.index)
    out["pay_per_worker_change"] = out["pay_per_worker_latest"] / pay_prev - 1
    out["workers_paid_change"] = out["workers_paid_latest"] / workers_prev - 1
    out["days_late_trend"] = out["days_late_3m"] - late_prev
    out["payroll_months_since_report"] = _months_between(_ts(as_of), out["latest_period"])
    return out.drop(columns=["latest_period"])


def sentiment(records: pd.DataFrame, as_of: date) -> pd.DataFrame:
    t = _ts(as_of)
    r = records[records["uscc"].notna()].copy()
    r["day"] = r["published_at"].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None).dt.normalize()
    r = r[(r["day"] <= t) & (r["day"] > t - pd.Timedelta(days=90))]
    g = r.groupby("uscc")
    out = pd.DataFrame(index=pd.Index(g.size().index, name="uscc"))
    for ch in CHANNELS:
        for w in (7, 30, 90):
            mask = (r["channel"] == ch) & (r["day"] > t - pd.Timedelta(days=w))
            out[f"{ch}_{w}d"] = r[mask].groupby("uscc").size().reindex(out.index, fill_value=0)
    in30 = r["day"] > t - pd.Timedelta(days=30)
    prev = ~in30 & (r["day"] > t - pd.Timedelta(days=60))
    out["records_30d"] = r[in30].groupby("uscc").size().reindex(out.index, fill_value=0)
    out["participants_90d"] = g["participants"].sum()
    out["max_participants_90d"] = g["participants"].max().fillna(0)
    collective = (r["channel"] == "petition") & (r["participants"] >= 5)
    out["collective_petitions_90d"] = r[collective].groupby("uscc").size().reindex(out.index, fill_value=0)
    out["records_acceleration"] = out["records_30d"] - r[prev].groupby("uscc").size().reindex(
        out.index, fill_value=0
    )
    # Built apart and joined once: inserting 80 columns one by one fragments the frame.
    extra: dict[str, pd.Series] = {}
    for w in (30, 90):
        within = r["day"] > t - pd.Timedelta(days=w)
        extra[f"channels_{w}d"] = r[within].groupby("uscc")["channel"].nunique().reindex(out.index, fill_value=0)
    for c in CATEGORIES:
        about = r[f"cat_{c}"].fillna(False).astype(bool)
        for w in (7, 30, 90):
            within = about & (r["day"] > t - pd.Timedelta(days=w))
            extra[f"cat_{c}_{w}d"] = r[within].groupby("uscc").size().reindex(out.index, fill_value=0)
            for ch in CHANNELS:
                mask = within & (r["channel"] == ch)
                extra[f"cat_{c}_{ch}_{w}d"] = r[mask].groupby("uscc").size().reindex(out.index, fill_value=0)
        before = r[about & prev].groupby("uscc").size().reindex(out.index, fill_value=0)
        extra[f"cat_{c}_acceleration"] = extra[f"cat_{c}_30d"] - before
    return pd.concat([out, pd.DataFrame(extra, index=out.index)], axis=1)


def feature_table(frames: dict[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    t = _ts(as_of)
    reg = frames["enterprises"]
    reg = reg[reg["founded_on"] <= t]
    table = pd.DataFrame(
        {
            "uscc": reg["uscc"],
            "name": reg["name"],
            "township": reg["township"],
            "industry": reg["industry"],
            "industry_section": reg["industry"].str[0],
            "chain": reg["chain"].fillna("无"),
            "ownership": reg["ownership"],
            "status": reg["status"],
            "age_years": _days(t - reg["founded_on"]) / 365.25,
        }
    ).set_index("uscc")
    senti = sentiment(frames["sentiment"], as_of)
    table = (
        table.join(enrolment(frames["si_changes"], as_of))
        .join(contributions(frames["si_contributions"], as_of))
        .join(payroll(frames["payroll"], as_of))
        .join(senti)
    )
    table[list(senti.columns)] = table[list(senti.columns)].fillna(0)
    table = table.copy()  # one block per dtype again: the columns added below then stay cheap
    table["as_of"] = t
    table["days_from_spring_festival"] = days_to_spring_festival(as_of)
    table["headcount"] = table["headcount"].fillna(table["workers_paid_latest"])
    counts = [c for c in enrolment_columns() if c in table.columns]
    table[counts] = table[counts].fillna(0)
    first_seen = table[["first_change_on", "first_period"]].min(axis=1)
    table["days_observed"] = _days(t - first_seen).clip(upper=400)
    table["size_band"] = sum((table["headcount"] >= edge).astype(int) for edge in (10, 50, 200, 1000)).where(
        table["headcount"].notna()
    )
    h1 = np.maximum(table["headcount"], 1)
    table["wage_arrears_share"] = table["wage_arrears_workers"] / h1
    table["paid_to_insured"] = table["workers_paid_latest"] / h1
    groups = table.groupby(["industry_section", "size_band"], dropna=False)
    for s in (
        "removed_share_30d",
        "removed_share_90d",
        "contribution_arrears_months_due",
        "days_late_3m",
        "records_30d",
    ):
        table[f"{s}_peer_pct"] = (groups[s].rank(method="min") - 1) / groups[s].transform("count")
    for s in ("removed_share_30d", "removed_share_90d"):
        table[f"{s}_vs_peers"] = table[s] - groups[s].transform("median")
    table = table.replace([np.inf, -np.inf], np.nan)  # a new, consolidated frame
    last_report = table[["contribution_months_since_report", "payroll_months_since_report"]].min(axis=1)
    table["insufficient_data"] = (
        table["headcount"].isna() | (table["days_observed"] < 90) | last_report.isna() | (last_report > 4)
    )
    columns = ["as_of", "name", "township", "industry", "status", "chain", "added_90d", "records_30d"]
    columns += [f.name for f in FEATURES if f.name != "chain"]
    columns += [c for c in text_count_columns() if c not in FEATURE_NAMES] + ["insufficient_data"]
    return table[columns].reset_index()


def enrolment_columns() -> list[str]:
    from features.table import ENROLMENT_COUNTS

    return list(ENROLMENT_COUNTS)
