"""Mass-layoff starts (art. 41) read off the enrolment changes, and the training label per snapshot.

The contract's event: a mass layoff starts on day D when the removals in the 30 days from D reach
20 people, or reach 10% of the insured headcount on D-1 and at least 5 people. Two kinds of
removals are not layoffs, because the people did not lose their jobs, and the data can show it:

- **transfers**: a batch of removals at one enterprise matched, within ``TRANSFER_DAYS``, by a
  transfer-like batch of additions of about the same size at another (a merger or a
  re-registration; ``transfers`` says what counts as transfer-like);
- **temporary exits**: people who come back -- within ``RETURN_DAYS`` after the window, the
  enterprise adds back at least ``RETURN_SHARE`` of the removals over and above its usual hiring
  (Spring Festival exits are the common case).

Only days with removals can start a layoff (on a bare calendar every burst would "start" 29 days
early). Starting days less than ``EPISODE_GAP_DAYS`` apart belong to one episode; the enterprise is
"inside" the episode until ``RECOVERY_DAYS`` after its last qualifying day. A verified outcome
(``outcomes``) overrides: a confirmed mass layoff or closure adds or confirms an episode, a
verified "no layoff" or "partial layoff" cancels the derived one it was about.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

WINDOW_DAYS = 30
LINE_PEOPLE = 20
LINE_SHARE = 0.10
LINE_MIN_PEOPLE = 5
TRANSFER_DAYS = 7  # additions at the receiving enterprise within a week of the removals
TRANSFER_MIN_BATCH = 5
ARRIVAL_HISTORY_DAYS = 365
RETURNING_DAYS = 60
NEW_ENTERPRISE_DAYS = 60
PLACE_PREFIX = (
    r"^(北京|天津|河北|山西|内蒙古|辽宁|吉林|黑龙江|上海|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|广西|海南"
    r"|重庆|四川|贵州|云南|西藏|陕西|甘肃|青海|宁夏|新疆)?(省|自治区|市)?([^省市县区]{1,4}(市|县|区))?"
)
COMPANY_FORM = r"(科技|实业|集团)?(股份)?有限(责任)?公司$"
TRANSFER_TOLERANCE = 0.15  # the receiving batch is 85%-105% of the removed batch (a few don't move)
RETURN_DAYS = 45
RETURN_SHARE = (
    0.4  # on a 20k synthetic city: 2 of 667 real layoffs above it, 20 of 2,000 festival exits below
)
USUAL_HIRING_DAYS = 90
EPISODE_GAP_DAYS = 90
RECOVERY_DAYS = 90
OUTCOME_LOOKBACK_DAYS = 120
HORIZON_DAYS = 90
LAYOFF_OUTCOMES = ("mass_layoff", "closed")
NO_LAYOFF_OUTCOMES = ("no_layoff", "partial_layoff")

EPISODE_SCHEMA = pl.Schema(
    {
        "uscc": pl.String(),
        "start_date": pl.Date(),
        "last_day": pl.Date(),
        "removed": pl.Int64(),
        "headcount_before": pl.Int64(),
        "basis": pl.String(),  # data | data_confirmed | outcome
    }
)


def meets_art41(removed: pl.Expr, headcount_before: pl.Expr) -> pl.Expr:
    """20 people, or 10% of the headcount the day before and at least 5 (integer arithmetic, no rounding)."""
    return (removed >= LINE_PEOPLE) | ((removed * 10 >= headcount_before) & (removed >= LINE_MIN_PEOPLE))


def label_maturity_days(horizon_days: int = HORIZON_DAYS) -> int:
    """Days after an as_of date until its label can no longer change: the horizon, the 30-day
    window, and the time to see whether people came back."""
    return horizon_days + WINDOW_DAYS + RETURN_DAYS


def _with_history(changes: pl.LazyFrame) -> pl.LazyFrame:
    """Changes sorted per enterprise with running totals and what each day's past looked like."""
    return changes.sort("uscc", "date").with_columns(
        pl.col("removed").cum_sum().over("uscc").alias("cum_removed"),
        pl.col("added").cum_sum().over("uscc").alias("cum_added"),
        # Usual hiring: additions in the previous 90 days without the largest single day, so that a
        # founding or one intake does not pass for routine.
        (
            pl.col("added").rolling_sum_by("date", f"{USUAL_HIRING_DAYS}d", closed="left")
            - pl.col("added").rolling_max_by("date", f"{USUAL_HIRING_DAYS}d", closed="left")
        )
        .over("uscc")
        .fill_null(0)
        .alias("usual_added"),
        pl.col("added")
        .rolling_max_by("date", f"{ARRIVAL_HISTORY_DAYS}d", closed="left")
        .over("uscc")
        .fill_null(0)
        .alias("max_added_before"),
        pl.col("removed")
        .rolling_sum_by("date", f"{RETURNING_DAYS}d", closed="left")
        .over("uscc")
        .fill_null(0)
        .alias("removed_before"),
    )


def _as_of_sum(left: pl.LazyFrame, cum: pl.LazyFrame, *, on: str, column: str, alias: str) -> pl.LazyFrame:
    """``left`` plus the cumulative ``column`` at the last change on or before ``left[on]`` (0 if none)."""
    right = cum.select("uscc", pl.col("date").alias(on), pl.col(column).alias(alias)).sort(on)
    return (
        left.sort(on)
        .join_asof(right, on=on, by="uscc", strategy="backward", check_sortedness=False)
        .with_columns(pl.col(alias).fill_null(0))
    )


def art41_candidates(changes: pl.LazyFrame, *, until: date) -> pl.LazyFrame:
    """Every day with removals whose next 30 days of removals meet art. 41, before any netting.

    One row per (uscc, date): removed (in [date, date+29]), headcount_before, and
    ``returned_beyond_usual`` (additions from date to ``RETURN_DAYS`` after the window, less the
    enterprise's usual hiring over that time).
    """
    cum = _with_history(changes.filter(pl.col("date") <= until))
    days = cum.filter(pl.col("removed") > 0).select(
        "uscc",
        "date",
        (pl.col("insured_total") + pl.col("removed") - pl.col("added")).alias("headcount_before"),
        (pl.col("cum_removed") - pl.col("removed")).alias("_removed_before"),
        pl.col("cum_added").alias("_added_through_day"),
        pl.col("usual_added"),
        (pl.col("date") + timedelta(days=WINDOW_DAYS - 1)).alias("_window_end"),
        (pl.col("date") + timedelta(days=WINDOW_DAYS - 1 + RETURN_DAYS)).alias("_return_end"),
    )
    days = _as_of_sum(days, cum, on="_window_end", column="cum_removed", alias="_removed_to_end")
    crossing = days.with_columns(
        (pl.col("_removed_to_end") - pl.col("_removed_before")).alias("removed")
    ).filter(meets_art41(pl.col("removed"), pl.col("headcount_before")))
    crossing = _as_of_sum(crossing, cum, on="_return_end", column="cum_added", alias="_added_to_return")
    usual = pl.col("usual_added") / USUAL_HIRING_DAYS * (WINDOW_DAYS + RETURN_DAYS)
    # People coming back arrive after the first day (additions on the day itself are other hires).
    returned = pl.col("_added_to_return") - pl.col("_added_through_day") - usual
    return crossing.select(
        "uscc",
        "date",
        "removed",
        "headcount_before",
        returned.clip(0).alias("returned_beyond_usual"),
        pl.col("_window_end").alias("window_end"),
    )


def name_core(name: pl.Expr) -> pl.Expr:
    """An enterprise name without its place prefix and company form: what a re-registration keeps."""
    return name.str.replace(PLACE_PREFIX, "").str.replace(COMPANY_FORM, "")


def transfers(
    changes: pl.LazyFrame, candidates: pl.LazyFrame, register: pl.LazyFrame, *, until: date
) -> pl.LazyFrame:
    """Removal batches in candidate windows matched by a transfer-like arrival at another enterprise.

    Counts alone match by coincidence all the time in a big city, so an arrival counts only if it
    looks like staff moving in: at least twice the enterprise's largest intake of the past year,
    not its own people coming back (removals of half as many in the previous 60 days), and not a
    new enterprise's first hiring -- unless the new enterprise carries the same name core
    (a re-registration). Sizes agree within ``TRANSFER_TOLERANCE`` and the arrival comes within
    ``TRANSFER_DAYS``. One row per matched removal batch: uscc, date, moved, counterpart,
    counterpart_date; each arrival serves one batch, the nearest in time and size.
    """
    history = _with_history(changes.filter(pl.col("date") <= until))
    windows = candidates.select("uscc", pl.col("date").alias("_from"), "window_end")
    names = register.select("uscc", "founded_on", name_core(pl.col("name")).alias("core"))
    batches = (
        history.filter(pl.col("removed") >= TRANSFER_MIN_BATCH)
        .join(windows, on="uscc")
        .filter((pl.col("date") >= pl.col("_from")) & (pl.col("date") <= pl.col("window_end")))
        .select("uscc", "date", "removed")
        .unique()
        .join(names.select("uscc", "core"), on="uscc", how="left")
    )
    arrivals = (
        history.filter(
            (pl.col("added") >= TRANSFER_MIN_BATCH)
            & (pl.col("added") >= 2 * pl.col("max_added_before"))
            & (pl.col("removed_before") * 2 < pl.col("added"))
        )
        .join(names, on="uscc", how="left")
        .select(
            pl.col("uscc").alias("counterpart"),
            pl.col("date").alias("counterpart_date"),
            "added",
            ((pl.col("date") - pl.col("founded_on")).dt.total_days() < NEW_ENTERPRISE_DAYS).alias("_new"),
            pl.col("core").alias("_counterpart_core"),
        )
    )
    lags = pl.LazyFrame({"lag": list(range(TRANSFER_DAYS + 1))}, schema={"lag": pl.Int32})
    pairs = (
        batches.join(lags, how="cross")
        .with_columns((pl.col("date") + pl.duration(days=pl.col("lag"))).alias("counterpart_date"))
        .join(arrivals, on="counterpart_date")
        .filter(
            (pl.col("counterpart") != pl.col("uscc"))
            & (pl.col("added") >= (1 - TRANSFER_TOLERANCE) * pl.col("removed"))
            & (pl.col("added") <= pl.col("removed") + 1)
            & (~pl.col("_new").fill_null(False) | (pl.col("core") == pl.col("_counterpart_core")))
        )
        .with_columns((pl.col("removed") - pl.col("added")).abs().alias("_gap"))
        .sort("lag", "_gap", "uscc", "date", "counterpart")
    )
    # One-to-one: a removal batch takes its best arrival, and an arrival serves one removal batch.
    best = pairs.unique(subset=["uscc", "date"], keep="first", maintain_order=True).unique(
        subset=["counterpart", "counterpart_date"], keep="first", maintain_order=True
    )
    return best.select("uscc", "date", pl.col("removed").alias("moved"), "counterpart", "counterpart_date")


def judged_candidates(changes: pl.LazyFrame, register: pl.LazyFrame, *, until: date) -> pl.DataFrame:
    """Every art. 41 crossing with its verdict: ``layoff``, ``transfer`` or ``temporary_exit``."""
    candidates = art41_candidates(changes, until=until).collect().lazy()
    moved = transfers(changes, candidates, register, until=until)
    moved_in_window = (
        candidates.select("uscc", "date", "window_end")
        .join(moved.select("uscc", pl.col("date").alias("_moved_on"), "moved"), on="uscc")
        .filter((pl.col("_moved_on") >= pl.col("date")) & (pl.col("_moved_on") <= pl.col("window_end")))
        .group_by("uscc", "date")
        .agg(pl.col("moved").sum())
    )
    judged = candidates.join(moved_in_window, on=["uscc", "date"], how="left").with_columns(
        pl.col("moved").fill_null(0)
    )
    net = pl.col("removed") - pl.col("moved")
    verdict = (
        pl.when(~meets_art41(net, pl.col("headcount_before")))
        .then(pl.lit("transfer"))
        .when(pl.col("returned_beyond_usual") >= RETURN_SHARE * net)
        .then(pl.lit("temporary_exit"))
        .otherwise(pl.lit("layoff"))
    )
    return judged.with_columns(verdict.alias("verdict")).sort("uscc", "date").collect()


def layoff_episodes(
    changes: pl.LazyFrame, register: pl.LazyFrame, outcomes: pl.LazyFrame | None = None, *, until: date
) -> pl.DataFrame:
    """One row per mass-layoff episode known by ``until`` (see the module docstring)."""
    layoffs = judged_candidates(changes, register, until=until).filter(pl.col("verdict") == "layoff")
    episodes = (
        layoffs.with_columns(
            ((pl.col("date") - pl.col("date").shift(1).over("uscc")).dt.total_days() > EPISODE_GAP_DAYS)
            .fill_null(True)
            .cum_sum()
            .over("uscc")
            .alias("_episode")
        )
        .group_by("uscc", "_episode")
        .agg(
            pl.col("date").first().alias("start_date"),
            pl.col("date").last().alias("last_day"),
            pl.col("removed").first(),
            pl.col("headcount_before").first(),
        )
        .select(*EPISODE_SCHEMA.names()[:-1], pl.lit("data").alias("basis"))
        .cast(EPISODE_SCHEMA)
    )
    if outcomes is None:
        return episodes.sort("uscc", "start_date")
    return _apply_outcomes(episodes, outcomes.filter(pl.col("verified_on") <= until).collect())


def _apply_outcomes(episodes: pl.DataFrame, outcomes: pl.DataFrame) -> pl.DataFrame:
    lookback = timedelta(days=OUTCOME_LOOKBACK_DAYS)
    about = (
        episodes.with_row_index("_id")
        .join(outcomes.select("uscc", "verified_on", "outcome", "affected_workers"), on="uscc")
        .filter(
            (pl.col("start_date") <= pl.col("verified_on"))
            & (pl.col("start_date") >= pl.col("verified_on") - lookback)
        )
    )
    cancelled = about.filter(pl.col("outcome").is_in(NO_LAYOFF_OUTCOMES))["_id"]
    confirmed = about.filter(pl.col("outcome").is_in(LAYOFF_OUTCOMES))
    kept = (
        episodes.with_row_index("_id")
        .filter(~pl.col("_id").is_in(cancelled.implode()))
        .with_columns(
            pl.when(pl.col("_id").is_in(confirmed["_id"].implode()))
            .then(pl.lit("data_confirmed"))
            .otherwise(pl.col("basis"))
            .alias("basis")
        )
        .drop("_id")
    )
    unseen = outcomes.filter(
        pl.col("outcome").is_in(LAYOFF_OUTCOMES)
        & ~pl.struct("uscc", "verified_on").is_in(
            confirmed.select(pl.struct("uscc", "verified_on")).to_series().implode()
        )
    ).select(
        "uscc",
        pl.col("verified_on").alias("start_date"),
        pl.col("verified_on").alias("last_day"),
        pl.col("affected_workers").alias("removed"),
        pl.lit(None, pl.Int64).alias("headcount_before"),
        pl.lit("outcome").alias("basis"),
    )
    return pl.concat([kept, unseen.cast(EPISODE_SCHEMA)]).sort("uscc", "start_date")


def snapshot_labels(
    snapshots: pl.LazyFrame, episodes: pl.DataFrame, *, horizon_days: int = HORIZON_DAYS
) -> pl.LazyFrame:
    """``snapshots`` (uscc, as_of, ...) plus ``label`` (an episode starts in (as_of, as_of+horizon]),
    ``days_to_start`` (the first such start), and ``in_episode`` (inside an episode at as_of: from
    its start until ``RECOVERY_DAYS`` after its last qualifying day)."""
    keys = snapshots.select("uscc", "as_of").unique()
    ep = episodes.lazy().select(
        "uscc", "start_date", (pl.col("last_day") + timedelta(days=RECOVERY_DAYS)).alias("_recovered_on")
    )
    paired = keys.join(ep, on="uscc").with_columns(
        (pl.col("start_date") - pl.col("as_of")).dt.total_days().alias("_days")
    )
    summary = paired.group_by("uscc", "as_of").agg(
        pl.col("_days")
        .filter((pl.col("_days") > 0) & (pl.col("_days") <= horizon_days))
        .min()
        .alias("days_to_start"),
        ((pl.col("_days") <= 0) & (pl.col("as_of") < pl.col("_recovered_on"))).any().alias("in_episode"),
    )
    return snapshots.join(summary, on=["uscc", "as_of"], how="left").with_columns(
        pl.col("days_to_start").is_not_null().alias("label"),
        pl.col("in_episode").fill_null(False),
    )
