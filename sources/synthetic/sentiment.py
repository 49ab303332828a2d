"""Sentiment records (online posts, petitions, 12345 hotline, police) drawn from the hidden state.

Grain: one record per (channel, record_id). Each month, every enterprise draws a Poisson number
of records per (intent, channel) whose rate grows with its distress, wage arrears, an advance
layoff notice or a burst this month; on top come mentions without distress (praise, hiring,
noise complaints, rumours that get denied) and plenty of city noise naming no enterprise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from sources.synthetic.calendar import Window
from sources.synthetic.city import ROADS, TOWNSHIPS, City
from sources.synthetic.dynamics import NEVER, Fate, MonthOutput
from sources.synthetic.sentiment_text import render_texts

# Channel split per intent (online, petition, hotline, police).
SPLIT: dict[str, tuple[float, float, float, float]] = {
    "wage_arrears": (0.2, 0.3, 0.35, 0.15),
    "si_arrears": (0.3, 0.0, 0.7, 0.0),
    "layoff_rumour": (0.8, 0.0, 0.2, 0.0),
    "layoff_notice": (0.6, 0.1, 0.3, 0.0),
    "layoff_event": (0.6, 0.15, 0.25, 0.0),
    "shutdown": (0.4, 0.2, 0.15, 0.25),
    "denial": (1.0, 0.0, 0.0, 0.0),
    "positive": (1.0, 0.0, 0.0, 0.0),
    "neutral": (0.3, 0.0, 0.4, 0.3),
    "unrelated": (0.45, 0.05, 0.35, 0.15),
}
CHANNELS = ("online", "petition", "hotline", "police")
# How often a channel's record carries the enterprise's USCC, and names it by alias (when it has one).
USCC_SHARE = {"online": 0.02, "petition": 0.8, "hotline": 0.3, "police": 0.7}
ALIAS_SHARE = {"online": 0.7, "petition": 0.15, "hotline": 0.45, "police": 0.25}
COLLECTIVE = {"wage_arrears", "shutdown", "layoff_notice", "layoff_event"}
ID_PREFIX = {"online": "YQ", "petition": "XF", "hotline": "12345-", "police": "J141081"}
PETITION_PLACES = ("市信访局接待大厅", "市政府南门", "市人社局一楼大厅", "市劳动监察大队")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


@dataclass
class SentimentWriter:
    """Draws a month's records; keeps per-channel counters so record ids are unique across months."""

    city: City
    window: Window
    rng: np.random.Generator
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))

    def rates(self, out: MonthOutput) -> dict[str, np.ndarray]:
        """Expected records per enterprise this month, by intent (all channels together)."""
        act = out.active
        d = np.nan_to_num(out.distress)
        size = np.clip(np.sqrt(out.headcount + 1) / 3, 0.3, 12)
        arrears = out.wage_arrears
        notice = out.notice_day != NEVER
        burst = out.burst_day != NEVER
        layoff = burst & (out.fate == Fate.LAYOFF)
        closing = burst & np.isin(out.fate, [Fate.CLOSURE, Fate.SUDDEN])
        rumour = 0.05 * size * _sigmoid((d - 0.55) * 9) + 0.0012 * size
        return {
            # Arrears are seasonal already (payroll); year-end disputes add the pre-festival peak.
            "wage_arrears": act * ((arrears > 0) * (0.25 + 0.06 * np.sqrt(arrears)) + out.dispute * 0.6),
            "si_arrears": act * 0.05 * size * _sigmoid((d - 0.5) * 10),
            "layoff_rumour": act * rumour,
            "layoff_notice": notice * (0.6 + 0.35 * size),
            "layoff_event": layoff * (0.5 + 0.3 * size),
            "shutdown": closing * (0.8 + 0.4 * size) + act * (d > 0.85) * 0.08 * size,
            "denial": act * (0.25 * rumour + (out.fate == Fate.RECOVER) * 0.08 * size),
            "positive": act * (d < 0.3) * 0.012 * size,
            "neutral": act * 0.008 * size,
        }

    def month(self, out: MonthOutput) -> pl.DataFrame:
        """The month's records in canonical ``sentiment`` columns (published_at naive, Asia/Shanghai)."""
        rng = self.rng
        first, stop = self.window.month_span(out.index)
        parts = []
        for intent, rate in self.rates(out).items():
            for c, channel in enumerate(CHANNELS):
                share = SPLIT[intent][c]
                if share == 0:
                    continue
                counts = rng.poisson(rate * share)
                firm = np.repeat(np.arange(self.city.n, dtype=np.int32), counts)
                parts.append(_records(firm, np.full(len(firm), intent), np.full(len(firm), channel)))
        noise_total = rng.poisson(0.02 * out.active.sum() + 5)
        noise_channel = rng.choice(4, size=noise_total, p=np.array(SPLIT["unrelated"]))
        parts.append(
            _records(
                np.full(noise_total, -1, np.int32),
                np.full(noise_total, "unrelated"),
                np.array(CHANNELS)[noise_channel],
            )
        )
        rec = pl.concat(parts)
        k = rec.height
        firm = rec["firm"].to_numpy()
        has_firm = firm >= 0
        f = np.where(has_firm, firm, 0)
        intent_of = rec["intent"].to_numpy()
        channel_of = rec["channel"].to_numpy()

        # When: notices and bursts are talked about from their day on; the rest any day this month.
        anchor = np.where(
            intent_of == "layoff_notice",
            out.notice_day[f],
            np.where(np.isin(intent_of, ["layoff_event", "shutdown"]), out.burst_day[f], NEVER),
        )
        anchor = np.where(has_firm & (anchor != NEVER), anchor, first)
        day = anchor + (rng.random(k) * (stop - anchor)).astype(np.int32)
        day = np.clip(day, first, stop - 1)
        hour = np.select(
            [channel_of == "petition", channel_of == "hotline", channel_of == "police"],
            [rng.integers(8, 17, k), rng.integers(7, 23, k), rng.integers(0, 24, k)],
            np.where(rng.random(k) < 0.6, rng.integers(18, 24, k), rng.integers(6, 24, k)),
        )
        seconds = hour * 3600 + rng.integers(0, 3600, k)
        stamp = (
            self.window.dates(day.astype(np.int64)).astype("datetime64[s]") + seconds.astype("timedelta64[s]")
        ).astype("datetime64[us]")

        # How the enterprise is named: alias where it has one and the channel is informal.
        alias_first = pl.Series(self.city.aliases[f].astype(str)).str.split("|").list.first()
        use_alias = (rng.random(k) < np.vectorize(ALIAS_SHARE.get)(channel_of)) & (
            alias_first.str.len_chars() > 0
        ).to_numpy()
        name_ref = np.where(use_alias, alias_first.to_numpy(), self.city.name[f].astype(str))
        hbar = out.headcount[f]
        people = np.maximum(1, np.round(np.where(has_firm, hbar, 20) * rng.uniform(0.1, 0.8, k))).astype(
            np.int64
        )
        date_text = pl.Series(
            self.window.dates(np.maximum(day - rng.integers(0, 40, k), 0).astype(np.int64))
        ).dt.strftime("%-m月%-d日")
        records = pl.DataFrame(
            {
                "channel": channel_of,
                "intent": intent_of,
                "name_ref": np.where(has_firm, name_ref, ""),
                "n": people,
                "months": rng.integers(2, 7, k),
                "amount": np.round(people * rng.uniform(0.3, 1.5, k), 1),
                "town": np.array(TOWNSHIPS)[
                    np.where(has_firm, self.city.township[f], rng.integers(0, len(TOWNSHIPS), k))
                ],
                "road": np.array(ROADS)[
                    np.where(has_firm, self.city.road[f], rng.integers(0, len(ROADS), k))
                ],
                "date_text": date_text,
            }
        )
        text = render_texts(records, rng)

        carries_uscc = has_firm & (rng.random(k) < np.vectorize(USCC_SHARE.get)(channel_of))
        collective = np.isin(intent_of, list(COLLECTIVE)) & np.isin(channel_of, ["petition", "police"])
        participants = np.where(
            collective & (rng.random(k) < 0.75),
            np.minimum(_participants(rng, k), np.maximum(5, np.round(hbar * 1.5)).astype(np.int64)),
            np.where(channel_of == "petition", rng.integers(1, 5, k), 0),
        )
        participants = np.where(
            collective & (participants < 5) & (rng.random(k) < 0.5), 5 + rng.integers(0, 10, k), participants
        )
        location = np.select(
            [
                channel_of == "petition",
                (channel_of == "police") & has_firm,
                channel_of == "police",
                (channel_of == "hotline") & (rng.random(k) < 0.4),
            ],
            [
                np.array(PETITION_PLACES)[rng.integers(0, len(PETITION_PLACES), k)],
                records["town"].to_numpy()
                + records["road"].to_numpy()
                + self.city.name[f].astype(str)
                + "门口",
                records["town"].to_numpy() + records["road"].to_numpy(),
                records["town"].to_numpy(),
            ],
            "",
        )
        frame = pl.DataFrame(
            {
                "seq_channel": channel_of,
                "published_at": stamp,
                "channel": channel_of,
                "text": text,
                "uscc": np.where(carries_uscc, self.city.uscc[f].astype(str), ""),
                "participants": participants,
                "location": location,
                "firm": np.where(has_firm, firm, -1),
                "intent": intent_of,
            }
        ).sort("published_at", "channel")
        frame = frame.with_columns(
            pl.col("uscc").replace("", None),
            pl.when(pl.col("participants") > 0).then(pl.col("participants")).alias("participants"),
            pl.col("location").replace("", None),
            pl.col("published_at").cast(pl.Datetime("us")),
        )
        return self._with_ids(frame).drop("seq_channel")

    def _with_ids(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Record ids: a prefix per channel, the date and a counter that runs across months."""
        pieces = []
        for channel in CHANNELS:
            part = frame.filter(pl.col("channel") == channel)
            start = self.counters[channel]
            self.counters[channel] += part.height
            seq = pl.int_range(start + 1, start + 1 + part.height, eager=True).cast(pl.String)
            day = part["published_at"].dt.strftime("%Y%m%d")
            ident = ID_PREFIX[channel] + day + seq.str.zfill(7)
            pieces.append(part.with_columns(record_id=ident))
        return (
            pl.concat(pieces)
            .sort("published_at", "record_id")
            .select(
                "record_id",
                "published_at",
                "channel",
                "text",
                "uscc",
                "participants",
                "location",
                "firm",
                "intent",
                "seq_channel",
            )
        )


def _records(firm: np.ndarray, intent: np.ndarray, channel: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame(
        {"firm": firm, "intent": intent, "channel": channel},
        schema={"firm": pl.Int32, "intent": pl.String, "channel": pl.String},
    )


def _participants(rng: np.random.Generator, k: int) -> np.ndarray:
    """Collective incidents: 72% 5-100 people, 23% 100-1,000, under 5% over 1,000 (CLB 2011-2016)."""
    u = rng.random(k)
    small = np.round(np.exp(rng.uniform(np.log(5), np.log(100), k)))
    mid = np.round(np.exp(rng.uniform(np.log(100), np.log(1000), k)))
    big = np.round(rng.uniform(1000, 3000, k))
    return np.where(u < 0.72, small, np.where(u < 0.96, mid, big)).astype(np.int64)
