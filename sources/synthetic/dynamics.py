"""The hidden dynamics: latent distress, staff flows, traps and mass layoffs, one month at a time.

Grain: state arrays of length N (one entry per enterprise) carried from month to month; within a
month, staff movements are sparse (enterprise, day) rows. Every observable signal -- enrolment
changes, contribution arrears, late or missing payroll, wage arrears, sentiment volume -- is
derived from one latent number per enterprise and month, ``distress`` in [0, 1], plus noise.

A distress *episode* has a fate drawn when it begins:
- ``RECOVER``: distress builds for months and fades without a layoff (the false alarm);
- ``LAYOFF``: distress builds, then a mass layoff meeting art. 41 (often announced 1-2 months ahead);
- ``CLOSURE``: distress builds, then everybody is removed and the enterprise closes;
- ``SUDDEN``: no build-up; distress spikes in the closure month only (almost no warning).
Traps that look like layoffs in naive data but are not: Spring Festival exits (followed by
returns), transfers to another USCC (merger or re-registration), and year-end wage disputes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from sources.synthetic.calendar import Window, add_months, season_factor
from sources.synthetic.city import INDUSTRIES, City

# Hazard of a distress episode per enterprise-month before the industry and fragility multipliers;
# calibrated so that 1-3% of enterprises see a mass-layoff start per year.
EPISODE_HAZARD = 0.0055
TRANSFER_HAZARD = 0.0006
# Ordinary monthly turnover; the expected count is capped so that churn alone rarely reaches the
# art. 41 line of 20 removals in 30 days, even at the largest employers.
ATTRITION = 0.02
HIRING = 0.021
CHURN_CAP = 7.0
CONTRIBUTION_RATE = 0.34  # employer + employee shares of pension, medical, unemployment, injury
WARM_UP_MONTHS = 9  # episodes already under way when the window opens


class Fate(enum.IntEnum):
    NONE = 0
    RECOVER = 1
    LAYOFF = 2
    CLOSURE = 3
    SUDDEN = 4


MECHANISM = {Fate.LAYOFF: "distress_layoff", Fate.CLOSURE: "closure", Fate.SUDDEN: "sudden_closure"}
FATE_WEIGHTS = np.array([0.0, 0.42, 0.33, 0.17, 0.08])
NEVER = np.iinfo(np.int32).max // 2


def art41_need(headcount: np.ndarray) -> np.ndarray:
    """Removals in 30 days that make a mass layoff at this headcount: 20, or 10% and at least 5."""
    return np.where(headcount >= 200, 20, np.maximum(5, np.ceil(0.1 * headcount))).astype(np.int32)


@dataclass
class Queue:
    """Staff movements already decided for future days (bursts, returns, transfers), sparse."""

    firm: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    day: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    added: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    removed: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))

    def push(self, firm: np.ndarray, day: np.ndarray, added: np.ndarray, removed: np.ndarray) -> None:
        self.firm = np.concatenate([self.firm, firm.astype(np.int32)])
        self.day = np.concatenate([self.day, day.astype(np.int32)])
        self.added = np.concatenate([self.added, added.astype(np.int32)])
        self.removed = np.concatenate([self.removed, removed.astype(np.int32)])

    def pop_before(self, stop: int) -> pl.DataFrame:
        take = self.day < stop
        out = pl.DataFrame(
            {
                "firm": self.firm[take],
                "day": self.day[take],
                "added": self.added[take],
                "removed": self.removed[take],
            }
        )
        keep = ~take
        self.firm, self.day = self.firm[keep], self.day[keep]
        self.added, self.removed = self.added[keep], self.removed[keep]
        return out


@dataclass
class MonthOutput:
    """What one simulated month produced, in enterprise-index space (``City`` maps to USCCs)."""

    index: int
    changes: pl.DataFrame  # firm, day, added, removed, insured_total (rows with a change)
    contributions: pl.DataFrame  # firm, base_total, due, paid, report_day
    payroll: pl.DataFrame  # firm, workers_paid, gross_pay, paid_day (null = unpaid), arrears_*, report_day
    distress: np.ndarray  # float32 per enterprise (NaN where not operating)
    active: np.ndarray  # bool: operating at some time this month
    headcount: np.ndarray  # float32 mean insured headcount this month
    wage_arrears: np.ndarray  # int32 workers with unpaid wages
    dispute: np.ndarray  # bool: year-end wage dispute without distress (trap)
    notice_day: np.ndarray  # int32 ordinal of an advance layoff notice this month, NEVER if none
    burst_day: np.ndarray  # int32 ordinal of a layoff/closure burst this month, NEVER if none
    fate: np.ndarray  # int8 episode fate


class Simulation:
    """Carries the city's state across months; ``month(i)`` advances one month and returns its output."""

    def __init__(self, city: City, window: Window, rng: np.random.Generator) -> None:
        self.city, self.window, self.rng = city, window, rng
        n = city.n
        self.h = np.where(city.founded < 0, city.size, 0).astype(np.int32)
        self.closed = np.zeros(n, dtype=bool)
        self.closed_on = np.full(n, NEVER, np.int32)
        self.closing = np.zeros(n, dtype=bool)
        self.deregister = np.zeros(n, dtype=bool)  # closed by re-registration or merger
        self.fate = np.zeros(n, dtype=np.int8)
        self.ep_start = np.zeros(n, dtype=np.int32)
        self.ep_build = np.zeros(n, dtype=np.int32)
        self.ep_peak = np.zeros(n, dtype=np.float32)
        self.climax_month = np.full(n, NEVER, np.int32)
        self.climax_day = np.full(n, NEVER, np.int32)
        self.notice_day = np.full(n, NEVER, np.int32)
        self.cooldown = np.zeros(n, dtype=np.int32)
        self.noise = np.zeros(n, dtype=np.float32)
        self.contrib_arrears = np.zeros(n, dtype=np.float64)
        self.wage_owed_workers = np.zeros(n, dtype=np.int32)
        self.wage_owed = np.zeros(n, dtype=np.float64)
        self.pay_day = rng.choice(np.array([-1, 5, 10, 15, 20]), size=n, p=[0.25, 0.25, 0.25, 0.15, 0.10])
        self.queue = Queue()
        self.next_successor = int(np.flatnonzero(city.reserved)[0]) if city.reserved.any() else n
        self.watched = np.zeros(n, dtype=bool)
        # Truth collected as the months go by (small: events and traps, not per-enterprise rows).
        self.pending_events: list[pl.DataFrame] = []
        self.traps: list[pl.DataFrame] = []
        self.watched_rows: list[pl.DataFrame] = []
        ind = city.industry
        self.hazard = (
            EPISODE_HAZARD
            * np.array([i.hazard for i in INDUSTRIES], dtype=np.float32)[ind]
            * (0.5 + 6.0 * city.fragility)
            * np.where(city.size >= 10, 1.6, 0.7)
        ).astype(np.float32)
        self.construction = np.array([i.sector == "construction" for i in INDUSTRIES])[ind]
        self._firsts = np.array(
            [self._month_first(c) for c in range(-WARM_UP_MONTHS, len(window.months) + 12)], dtype=np.int32
        )
        for m in range(-WARM_UP_MONTHS, 0):
            self._start_episodes(m)

    # -- episodes -----------------------------------------------------------------------------

    def _month_first(self, m: int) -> int:
        return self.window.ordinal(add_months(self.window.start, m))

    def _start_episodes(self, m: int) -> None:
        rng, n = self.rng, self.city.n
        operating = (self.city.founded < self._month_first(m)) & ~self.closed & ~self.city.reserved
        eligible = operating & (self.fate == Fate.NONE) & (self.cooldown <= m) & (self.h > 0)
        macro = 1.0 + 0.25 * np.sin(2 * np.pi * (m + 3) / 30)  # a slow business cycle
        start = eligible & (rng.random(n) < self.hazard * macro)
        idx = np.flatnonzero(start)
        if len(idx) == 0:
            return
        fate = rng.choice(5, size=len(idx), p=FATE_WEIGHTS).astype(np.int8)
        # Below five insured a layoff cannot cross the art. 41 line: such an episode recovers.
        fate = np.where((fate == Fate.LAYOFF) & (self.h[idx] < 6), Fate.RECOVER, fate).astype(np.int8)
        build = np.select(
            [fate == Fate.RECOVER, fate == Fate.LAYOFF, fate == Fate.CLOSURE],
            [rng.integers(2, 7, len(idx)), rng.integers(2, 8, len(idx)), rng.integers(3, 10, len(idx))],
            1,  # a sudden closure: quiet for a month, then everything at once
        ).astype(np.int32)
        peak = np.select(
            [fate == Fate.RECOVER, fate == Fate.LAYOFF, fate == Fate.CLOSURE],
            [
                rng.uniform(0.3, 0.8, len(idx)),
                rng.uniform(0.55, 0.95, len(idx)),
                rng.uniform(0.7, 1.0, len(idx)),
            ],
            rng.uniform(0.15, 0.45, len(idx)),
        ).astype(np.float32)
        climax_m = m + build
        month_first = self._firsts[climax_m + WARM_UP_MONTHS]
        month_len = self._firsts[climax_m + WARM_UP_MONTHS + 1] - month_first
        day = month_first + (rng.random(len(idx)) * month_len).astype(np.int32)
        # Advance notices: most planned layoffs are announced 1-2 months ahead, closures less often,
        # sudden closures never.
        announce = np.select(
            [fate == Fate.LAYOFF, fate == Fate.CLOSURE],
            [rng.random(len(idx)) < 0.7, rng.random(len(idx)) < 0.45],
            False,
        )
        notice = np.where(announce, day - rng.integers(30, 62, len(idx)), NEVER)
        self.fate[idx], self.ep_start[idx], self.ep_build[idx], self.ep_peak[idx] = fate, m, build, peak
        self.climax_month[idx], self.climax_day[idx], self.notice_day[idx] = climax_m, day, notice
        self.watched[idx] = np.isin(fate, [Fate.LAYOFF, Fate.CLOSURE, Fate.SUDDEN]) & (
            day <= self.window.last_ordinal
        )

    def _distress(self, m: int) -> np.ndarray:
        """Latent distress this month: chronic fragility + AR(1) noise + the episode's path."""
        rng, n = self.rng, self.city.n
        self.noise = (0.6 * self.noise + rng.normal(0, 0.035, n)).astype(np.float32)
        t = (m - self.ep_start).astype(np.float32)
        after = (m - self.climax_month).astype(np.float32)
        build = np.maximum(self.ep_build, 1).astype(np.float32)
        rising = self.ep_peak * np.clip((t + 1) / (build + 1), 0, 1) ** 1.6
        fate = self.fate
        episode = np.select(
            [
                (fate == Fate.SUDDEN) & (after < 0),
                (fate == Fate.SUDDEN),
                after < 0,
                fate == Fate.RECOVER,
                fate == Fate.LAYOFF,
            ],
            [
                np.zeros(n, np.float32),
                self.ep_peak,
                rising,
                self.ep_peak * np.clip(1 - after / 3, 0, 1),
                self.ep_peak * 0.55 ** np.maximum(after, 0),
            ],
            self.ep_peak,
        )
        episode = np.where(fate == Fate.NONE, 0.0, episode)
        return np.clip(self.city.fragility + self.noise + episode, 0, 1).astype(np.float32)

    def _end_episodes(self, m: int) -> None:
        """Recovered and post-layoff episodes end; the enterprise cools down before another one."""
        after = m - self.climax_month
        done = ((self.fate == Fate.RECOVER) & (after >= 3)) | ((self.fate == Fate.LAYOFF) & (after >= 4))
        self.fate[done] = Fate.NONE
        self.cooldown[done] = m + 6
        self.climax_month[done] = NEVER
        self.climax_day[done] = NEVER
        self.notice_day[done] = NEVER

    # -- staff flows -----------------------------------------------------------------------------

    def _spread(
        self, firm: np.ndarray, count: np.ndarray, first: int, stop: int, batch: float
    ) -> pl.DataFrame:
        """Distribute ``count`` people per firm over workdays in [first, stop): a share ``batch``
        on one processing day (HR files changes in batches), the rest on random workdays."""
        rng = self.rng
        days = np.arange(first, stop)
        w = np.where(self.window.weekday(days) < 5, 1.0, 0.08)
        w /= w.sum()
        keep = count > 0
        firm, count = firm[keep], count[keep]
        batched = rng.binomial(count, batch)
        primary = rng.choice(days, size=len(firm), p=w)
        rest = count - batched
        loose_firm = np.repeat(firm, rest)
        loose_day = rng.choice(days, size=len(loose_firm), p=w)
        return pl.DataFrame(
            {
                "firm": np.concatenate([firm, loose_firm]).astype(np.int32),
                "day": np.concatenate([primary, loose_day]).astype(np.int32),
                "n": np.concatenate([batched, np.ones(len(loose_firm), np.int64)]).astype(np.int32),
            }
        ).filter(pl.col("n") > 0)

    def _ordinary_flows(self, first: int, stop: int, d: np.ndarray, flowing: np.ndarray) -> pl.DataFrame:
        rng = self.rng
        idx = np.flatnonzero(flowing)
        h = self.h[idx].astype(np.float64)
        dd = np.nan_to_num(d[idx])
        frac = (stop - first) / 30.0
        lam_add = np.minimum(h * HIRING * (1.0 - 0.9 * dd) + 0.04, CHURN_CAP) * frac
        lam_rem = np.minimum(h * ATTRITION * (1.0 + 1.5 * dd), CHURN_CAP) * frac
        # Before a planned layoff or closure the enterprise sheds people quietly (the payroll shrinks).
        shrinking = np.isin(self.fate[idx], [Fate.LAYOFF, Fate.CLOSURE]) & (dd > 0.3)
        lam_rem = lam_rem + np.where(shrinking, np.minimum(0.03 * h * dd, 3.0), 0.0)
        adds = rng.poisson(lam_add)
        rems = np.minimum(rng.poisson(lam_rem), self.h[idx])
        a = self._spread(idx, adds, first, stop, 0.65).rename({"n": "added"})
        r = self._spread(idx, rems, first, stop, 0.65).rename({"n": "removed"})
        return pl.concat([a, r], how="diagonal").fill_null(0)

    def _spring_festival(self, first: int, stop: int, operating: np.ndarray) -> None:
        """Schedule migrant exits before and returns after a festival whose exit weeks start this month."""
        rng, w = self.rng, self.window
        for festival in w.spring_festivals():
            f = w.ordinal(festival)
            exit_first, exit_last = f - 25, f - 3
            if not (first <= exit_first < stop) or exit_first < 0:
                continue
            near_burst = np.abs(self.climax_day.astype(np.int64) - f) < 75
            eligible = operating & ~self.closing & (self.city.migrant > 0) & ~near_burst & (self.h > 0)
            idx = np.flatnonzero(eligible)
            exits = rng.binomial(self.h[idx], self.city.migrant[idx] * rng.uniform(0.5, 1.0, len(idx)))
            keep = exits > 0
            idx, exits = idx[keep], exits[keep]
            returns = rng.binomial(exits, rng.uniform(0.8, 1.0, len(idx)))
            out = self._spread(idx, exits, exit_first, exit_last + 1, 0.75)
            back = self._spread(idx, returns, f + 6, f + 36, 0.7)
            self.queue.push(
                out["firm"].to_numpy(), out["day"].to_numpy(), np.zeros(len(out)), out["n"].to_numpy()
            )
            self.queue.push(
                back["firm"].to_numpy(), back["day"].to_numpy(), back["n"].to_numpy(), np.zeros(len(back))
            )
            span = out.group_by("firm").agg(pl.col("day").min().alias("first_day"))
            ret = back.group_by("firm").agg(
                pl.col("day").max().alias("end_day"), pl.col("n").sum().alias("returned")
            )
            trap = (
                pl.DataFrame(
                    {"firm": idx.astype(np.int32), "size": exits.astype(np.int32), "before": self.h[idx]}
                )
                .join(span, on="firm")
                .join(ret, on="firm", how="left")
                .filter(pl.col("size") >= 3)
                .select(
                    "firm",
                    pl.col("first_day").alias("day"),
                    pl.lit("spring_festival_exit").alias("type"),
                    "size",
                    "before",
                    pl.lit(None, pl.Int32).alias("counterpart"),
                    pl.col("end_day").alias("end_day"),
                    pl.col("returned").fill_null(0).cast(pl.Int32).alias("returned"),
                    pl.lit(None, pl.String).alias("detail"),
                )
            )
            self.traps.append(trap)

    def _transfers(self, m: int, first: int, stop: int, operating: np.ndarray) -> None:
        """Mergers and re-registrations: staff leave A and join B within a few days (not a layoff)."""
        rng, city, n = self.rng, self.city, self.city.n
        last_ok = min(stop, self.window.last_ordinal - 5)
        if last_ok <= first:
            return
        eligible = (
            operating & (self.fate == Fate.NONE) & ~self.closing & (self.h >= 3) & (city.founded < first)
        )
        a = np.flatnonzero(eligible & (rng.random(n) < TRANSFER_HAZARD))
        if len(a) == 0:
            return
        reregister = rng.random(len(a)) < 0.45
        free = np.flatnonzero(city.reserved & (city.founded > self.window.last_ordinal))
        take = min(int(reregister.sum()), len(free))
        reregister[np.flatnonzero(reregister)[take:]] = False
        pool = np.flatnonzero(eligible)
        b = rng.choice(pool, size=len(a))
        b[reregister] = free[:take]
        ok = (b != a) & ~np.isin(b, a)
        a, b, reregister = a[ok], b[ok], reregister[ok]
        _, first_b = np.unique(b, return_index=True)
        a, b, reregister = a[first_b], b[first_b], reregister[first_b]
        if len(a) == 0:
            return
        day = rng.integers(first, last_ok, len(a)).astype(np.int32)
        whole = reregister | (rng.random(len(a)) < 0.4)
        size = np.where(
            whole, self.h[a], np.maximum(1, np.round(self.h[a] * rng.uniform(0.3, 0.9, len(a))))
        ).astype(np.int32)
        arrive = size - rng.binomial(size, np.where(reregister, 0.0, 0.05))
        lag = rng.integers(0, 6, len(a)).astype(np.int32)
        # A successor is registered a little before the staff move; it takes over A's trade and place.
        city.founded[b[reregister]] = day[reregister] - rng.integers(3, 40, int(reregister.sum()))
        for attr in ("industry", "township", "road", "ownership", "wage", "fragility", "migrant"):
            getattr(city, attr)[b[reregister]] = getattr(city, attr)[a[reregister]]
        city.name[b[reregister]] = _successor_names(city.name[a[reregister]])
        city.aliases[b[reregister]] = city.aliases[a[reregister]]
        self.queue.push(a, day, np.zeros(len(a)), size)
        self.queue.push(b, day + lag, arrive, np.zeros(len(a)))
        # A wholly transferred enterprise closes: no ordinary flows from now on, deregistered later.
        self.closing[a[whole]] = True
        self.deregister[a[whole]] = True
        self.closed_on[a[whole]] = day[whole]
        detail = np.where(reregister, "re_registration", "merger")
        common = {"detail": detail, "before": self.h[a]}
        self.traps.append(
            pl.DataFrame(
                {"firm": a, "day": day, "type": "transfer_out", "size": size, "counterpart": b, **common}
            )
        )
        self.traps.append(
            pl.DataFrame(
                {
                    "firm": b,
                    "day": day + lag,
                    "type": "transfer_in",
                    "size": arrive.astype(np.int32),
                    "counterpart": a,
                }
                | common
            )
        )

    def _bursts(self, first: int, stop: int) -> None:
        """Schedule the removals of layoffs and closures whose climax day falls in this month."""
        rng = self.rng
        idx = np.flatnonzero(
            np.isin(self.fate, [Fate.LAYOFF, Fate.CLOSURE, Fate.SUDDEN])
            & (self.climax_day >= first)
            & (self.climax_day < stop)
            & ~self.closing
        )
        if len(idx) == 0:
            return
        h = self.h[idx]
        fate = self.fate[idx]
        need = art41_need(h)
        layoff = fate == Fate.LAYOFF
        size = np.where(
            layoff,
            np.minimum(
                h,
                np.maximum(
                    need + rng.integers(0, 4, len(idx)), np.round(h * rng.uniform(0.12, 0.5, len(idx)))
                ),
            ),
            h,
        ).astype(np.int32)
        # Most of a burst is filed on its first day (one batch of terminations); the rest follows.
        head = np.minimum(size, np.maximum(need, np.round(size * rng.uniform(0.5, 1.0, len(idx))))).astype(
            np.int32
        )
        tail = size - head
        spread = np.where(fate == Fate.SUDDEN, 3, np.where(fate == Fate.CLOSURE, 14, 24))
        day0 = self.climax_day[idx]
        tail_firm = np.repeat(idx, tail)
        tail_day = (
            np.repeat(day0, tail)
            + 1
            + (rng.random(len(tail_firm)) * np.repeat(spread, tail)).astype(np.int32)
        )
        self.queue.push(idx, day0, np.zeros(len(idx)), head)
        self.queue.push(tail_firm, tail_day, np.zeros(len(tail_firm)), np.ones(len(tail_firm)))
        closes = fate != Fate.LAYOFF
        self.closing[idx[closes]] = True
        last = day0 + spread
        self.closed_on[idx[closes]] = last[closes]
        self.pending_events.append(
            pl.DataFrame(
                {
                    "firm": idx,
                    "burst_day": day0,
                    "planned": size,
                    "before": h,
                    "mechanism": np.array(["", "", *MECHANISM.values()])[fate],
                    "notice_day": self.notice_day[idx],
                    "episode_start_month": self.ep_start[idx],
                }
            )
        )

    def _apply(self, flows: pl.DataFrame, first: int) -> pl.DataFrame:
        """Sum flows per (firm, day), order them and accumulate headcounts; insured can't go below 0.

        The running total is the random walk h0 + cumsum(added - removed) reflected at zero
        (total = S - min(0, running min of S)), so an over-large removal is trimmed to the staff
        actually insured -- in a vectorised cumulative pass rather than a loop.
        """
        if flows.height == 0:
            return pl.DataFrame(
                schema={
                    "firm": pl.Int32,
                    "day": pl.Int32,
                    "added": pl.Int32,
                    "removed": pl.Int32,
                    "insured_total": pl.Int32,
                }
            )
        h0 = pl.DataFrame({"firm": np.arange(self.city.n, dtype=np.int32), "h0": self.h})
        rows = (
            flows.group_by("firm", "day")
            .agg(pl.col("added").sum(), pl.col("removed").sum())
            .sort("firm", "day")
            .join(h0, on="firm", how="left")
            .with_columns(s=(pl.col("h0") + (pl.col("added") - pl.col("removed")).cum_sum().over("firm")))
            .with_columns(
                total=pl.col("s") - pl.min_horizontal(pl.lit(0), pl.col("s").cum_min().over("firm"))
            )
            .with_columns(prev=pl.col("total").shift(1).over("firm").fill_null(pl.col("h0")))
            .select(
                "firm",
                "day",
                "added",
                (pl.col("prev") + pl.col("added") - pl.col("total")).cast(pl.Int32).alias("removed"),
                pl.col("total").cast(pl.Int32).alias("insured_total"),
            )
            .filter((pl.col("added") > 0) | (pl.col("removed") > 0))
        )
        last = rows.group_by("firm").agg(pl.col("insured_total").last())
        self.h[last["firm"].to_numpy()] = last["insured_total"].to_numpy()
        return rows

    # -- monthly figures ---------------------------------------------------------------------------

    def _monthly_figures(
        self, m: int, idx: np.ndarray, hbar: np.ndarray, d: np.ndarray, dispute: np.ndarray
    ) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray]:
        rng, city = self.rng, self.city
        k = len(idx)
        dd = np.nan_to_num(d[idx])
        base = np.round(hbar[idx] * city.wage[idx] * rng.normal(1.0, 0.02, k), 0)
        due = np.round(base * CONTRIBUTION_RATE, 2)
        # Contributions: under distress a growing share goes unpaid; a healthy payer clears arrears.
        short = rng.random(k) < 1 / (1 + np.exp(-(dd - 0.45) * 11))
        lapse = rng.random(k) < 0.008  # a healthy enterprise occasionally misses a month (noise)
        pay_frac = np.where(short, rng.uniform(0, 1, k) * np.clip(1.1 - dd, 0, 1), np.where(lapse, 0.0, 1.0))
        paid = due * pay_frac
        arrears = self.contrib_arrears[idx]
        catch_up = (~short) & (~lapse) & (arrears > 0) & (dd < 0.35)
        paid = paid + np.where(catch_up, arrears * rng.uniform(0.3, 1.0, k), 0.0)
        paid = np.round(paid, 2)
        self.contrib_arrears[idx] = np.maximum(arrears + due - paid, 0)

        # Wages: distress (and, in construction, the year-end settlement) leaves workers unpaid.
        headcount = np.round(hbar[idx]).astype(np.int64)
        p_unpaid = 1 / (1 + np.exp(-(dd - 0.5) * 9)) * season_factor(self.window.months[m].month)
        unpaid = (rng.random(k) < np.clip(p_unpaid, 0, 1)) | dispute[idx]
        owed_workers = np.where(unpaid, rng.binomial(headcount, rng.uniform(0.3, 1.0, k)), 0)
        pay = city.wage[idx] * rng.uniform(0.95, 1.1, k)
        workers_paid = np.maximum(headcount - owed_workers, 0)
        gross = np.round(workers_paid * pay, 2)
        settled = ~unpaid & (dd < 0.4)
        self.wage_owed[idx] = np.where(settled, 0.0, self.wage_owed[idx] + owed_workers * pay)
        self.wage_owed_workers[idx] = np.where(
            settled, 0, np.maximum(self.wage_owed_workers[idx], owed_workers)
        ).astype(np.int32)
        month_end = self.window.ordinal(add_months(self.window.months[m], 1)) - 1
        due_day = np.where(self.pay_day[idx] < 0, month_end, month_end + self.pay_day[idx])
        delay = np.where(dd > 0.4, rng.exponential(1.0, k) * 45 * dd, rng.exponential(1.0, k) * 1.5)
        paid_day = (due_day + delay).astype(np.int32)
        # Reported between the 8th and the 25th of the next month, a few much later.
        report_day = (
            month_end + np.where(rng.random(k) < 0.95, rng.integers(8, 26, k), rng.integers(26, 45, k))
        ).astype(np.int32)
        paid_known = (workers_paid > 0) & (paid_day <= report_day)
        contributions = pl.DataFrame(
            {
                "firm": idx.astype(np.int32),
                "base_total": base,
                "due": due,
                "paid": paid,
                "report_day": report_day,
            }
        )
        payroll = pl.DataFrame(
            {
                "firm": idx.astype(np.int32),
                "workers_paid": workers_paid,
                "gross_pay": gross,
                "paid_day": np.where(paid_known, paid_day, -1),
                "arrears_workers": self.wage_owed_workers[idx],
                "arrears_amount": np.round(self.wage_owed[idx], 2),
                "report_day": report_day,
            }
        ).with_columns(pl.when(pl.col("paid_day") >= 0).then(pl.col("paid_day")).alias("paid_day"))
        wage_arrears = np.zeros(city.n, np.int32)
        wage_arrears[idx] = owed_workers
        return contributions, payroll, wage_arrears

    # -- the month ----------------------------------------------------------------------------------

    def month(self, m: int) -> MonthOutput:
        city, rng, n = self.city, self.rng, self.city.n
        first, stop = self.window.month_span(m)
        self._end_episodes(m)
        self._start_episodes(m)
        operating = (city.founded < first) & ~self.closed
        d = self._distress(m)
        h_start = self.h.copy()

        founding = np.flatnonzero((city.founded >= first) & (city.founded < stop) & ~city.reserved)
        self.queue.push(founding, city.founded[founding], city.size[founding], np.zeros(len(founding)))
        self._spring_festival(first, stop, operating)
        self._transfers(m, first, stop, operating)
        self._bursts(first, stop)
        flowing = operating & ~self.closing
        flows = pl.concat(
            [self._ordinary_flows(first, stop, d, flowing), self.queue.pop_before(stop)], how="diagonal"
        )
        watched_open = np.flatnonzero(self.watched)
        changes = self._apply(flows.fill_null(0), first)

        if len(watched_open):
            opening = pl.DataFrame(
                {
                    "firm": watched_open.astype(np.int32),
                    "day": np.full(len(watched_open), first - 1, np.int32),
                    "removed": np.zeros(len(watched_open), np.int32),
                    "insured_total": h_start[watched_open],
                }
            )
            mine = changes.filter(pl.col("firm").is_in(watched_open)).select(opening.columns)
            self.watched_rows.append(pl.concat([opening, mine]))

        ended = self.closing & (self.closed_on < stop) & ~self.closed
        self.closed |= ended
        self.closing &= ~ended
        self.fate[ended] = Fate.NONE

        active = operating | (np.isin(np.arange(n), changes["firm"].to_numpy()))
        active &= ~city.reserved | (city.founded <= self.window.last_ordinal)
        hbar = ((h_start + self.h) / 2).astype(np.float32)
        with_staff = np.flatnonzero(active & (hbar > 0))
        in_dec_jan = self.window.months[m].month in (12, 1)
        dispute = np.zeros(n, dtype=bool)
        if in_dec_jan:
            calm = self.construction & active & (np.nan_to_num(d) < 0.3) & (self.h >= 5)
            dispute = calm & (rng.random(n) < 0.03)
            disputed = np.flatnonzero(dispute)
            if len(disputed):
                self.traps.append(
                    pl.DataFrame(
                        {
                            "firm": disputed.astype(np.int32),
                            "day": (first + rng.integers(0, stop - first, len(disputed))).astype(np.int32),
                            "type": "year_end_wage_dispute",
                            "size": self.h[disputed],
                            "before": self.h[disputed],
                        }
                    )
                )
        self._record_recoveries(first, stop)
        contributions, payroll, wage_arrears = self._monthly_figures(m, with_staff, hbar, d, dispute)
        return MonthOutput(
            index=m,
            changes=changes,
            contributions=contributions,
            payroll=payroll,
            distress=np.where(active, d, np.nan).astype(np.float32),
            active=active,
            headcount=hbar,
            wage_arrears=wage_arrears,
            dispute=dispute,
            notice_day=_within(self.notice_day, first, stop),
            burst_day=_within(self.climax_day, first, stop),
            fate=self.fate.copy(),
        )

    def _record_recoveries(self, first: int, stop: int) -> None:
        """A false alarm: the day distress peaked before fading without a layoff."""
        idx = np.flatnonzero(
            (self.fate == Fate.RECOVER) & (self.climax_day >= first) & (self.climax_day < stop)
        )
        if len(idx):
            self.traps.append(
                pl.DataFrame(
                    {
                        "firm": idx.astype(np.int32),
                        "day": self.climax_day[idx],
                        "type": "recovery",
                        "size": np.zeros(len(idx), np.int32),
                        "before": self.h[idx],
                        "detail": np.round(self.ep_peak[idx], 2).astype(str),
                    }
                )
            )

    def status_at_end(self) -> np.ndarray:
        """Register status as of the window end: closures are suspended, then deregistered."""
        rng, n = self.rng, self.city.n
        age = self.window.last_ordinal - self.closed_on
        deregistered = self.closed & (self.deregister | ((age > 60) & (rng.random(n) < 0.7)))
        return np.where(deregistered, "deregistered", np.where(self.closed, "suspended", "active")).astype(
            object
        )


def _within(day: np.ndarray, first: int, stop: int) -> np.ndarray:
    """``day`` where it falls in [first, stop), NEVER elsewhere."""
    return np.where((day >= first) & (day < stop), day, NEVER).astype(np.int32)


def _successor_names(names: np.ndarray) -> np.ndarray:
    """A re-registered enterprise's new name: same core, a new form or place prefix."""
    s = pl.col("name")
    renamed = (
        pl.when(s.str.starts_with("侯马市"))
        .then(pl.lit("山西") + s.str.slice(3))
        .otherwise(s.str.replace("有限公司$", "科技有限公司"))
    )
    return (
        pl.DataFrame({"name": names.astype(str)})
        .select(renamed.alias("name"))["name"]
        .to_numpy()
        .astype(object)
    )
