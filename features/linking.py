"""Sentiment records linked to the enterprises their text names, by full name or alias (简称).

Grain of ``EnterpriseMatcher.links``: one row per (channel, record_id, uscc) candidate, with the
text that matched, its ``kind`` (uscc / name / alias), a ``confidence`` in 0..1 and a ``status``:
``linked`` rows are evidence about the enterprise, ``review`` rows are kept for a person to look at
and are not evidence.

How a text is read:

- Every name and alias of the register (normalised like the texts, ``features.text_normalise``) and
  every township name is one pattern of one Aho-Corasick automaton; all texts are scanned in one
  pass over their concatenation. Of overlapping matches the leftmost, then the longest, is kept
  (non-overlapping), so the alias "鑫达" inside "侯马市鑫达建材有限公司" or inside the alias
  "鑫达铜业" does not count, and an alias inside a township name ("新田" in "新田乡") is read as
  the place.
- A full name, or an alias only one enterprise has, names that enterprise. A name or alias two or
  more enterprises share is never assigned: each of them gets a ``review`` row, unless the same
  text names one of them by full name or by an alias of its own, which then settles it, or names
  the township of exactly one of them, which links that one (the others stay for review). An
  enterprise founded after the record's day is no candidate while one that existed is.
- An alias is less certain the shorter it is, the more other enterprises' names contain it, when
  it is (part of) a township name or a common word, and when the text uses it as a place ("平阳路",
  "张村"). One-character aliases are ignored. Below ``LINK_THRESHOLD`` a link is ``review``.
- A record that carries a USCC keeps it (kind ``uscc``, confidence 1.0); other enterprises its text
  names are ``review`` rows.

The stop lists come from the register (its township names and their stems, words in many names)
plus ``COMMON_WORDS``, everyday words that are also popular trade names; none is the synthetic
generator's. Each record is linked on its own text and the register alone, so adding records never
changes another record's links.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import ahocorasick
import numpy as np
import polars as pl

from features.text_normalise import normalise, normalised_text
from features.visibility import local_day

LINKED = "linked"
REVIEW = "review"
LINK_THRESHOLD = 0.6
MIN_ALIAS_CHARS = 2

NAME_CONFIDENCE = 0.98
# An alias of one enterprise, by length in characters (2, 3, 4 or more).
ALIAS_CONFIDENCE = {2: 0.75, 3: 0.85, 4: 0.9}
# Each other enterprise whose name or alias contains the alias takes this off, up to three of them;
# contained in GENERIC_OTHERS or more, the alias is a trade word ("物流", "商贸"), not a name.
PER_OTHER_PENALTY = 0.04
GENERIC_OTHERS = 5
# Multipliers for the weak cases: a stop word (place, common or generic word), a place in the text.
STOP_WORD_FACTOR = 0.5
PLACE_CONTEXT_FACTOR = 0.3
# A name or alias shared by several enterprises, settled by the one township of theirs the record names.
TOWNSHIP_FACTOR = 0.9

# Administrative suffixes of township names: "路东街道" -> "路东", "高村乡" -> "高村".
TOWNSHIP_SUFFIXES = ("街道办事处", "街道", "办事处", "开发区", "社区", "镇", "乡", "村")
# What makes the word before it a place: "平阳路", "张村", "新田乡", "紫金山街".
PLACE_SUFFIXES = ("街道", "大道", "大街", "社区", "小区", "广场", "公园", "路", "街", "巷", "乡", "镇", "村")
# Everyday words that are also favourite trade names (a post saying "诚信" is rarely about 诚信商贸).
COMMON_WORDS: tuple[str, ...] = (
    "中国", "中华", "中心", "东方", "诚信", "和平", "和谐", "平安", "安全", "发展", "幸福", "光明",
    "阳光", "未来", "希望", "天下", "人民", "国家", "政府", "公司", "企业", "工厂", "集团", "科技",
    "实业", "市场", "老板", "工人", "员工", "工资", "社保", "明天", "今天", "一切", "正常", "成功",
    "信用", "创新", "美好", "家园", "世纪", "时代", "金融", "服务",
)  # fmt: skip

LINK_SCHEMA = pl.Schema(
    {
        "channel": pl.String(),
        "record_id": pl.String(),
        "uscc": pl.String(),
        "matched": pl.String(),
        "kind": pl.String(),
        "confidence": pl.Float64(),
        "status": pl.String(),
    }
)
_TEXT_SEPARATOR = "\x1f"  # between a record's text and its location
_RECORD_SEPARATOR = "\n"  # between records (no normalised text holds a line feed)
_LENGTH_BITS = 16  # an automaton's value: the pattern id, shifted, then the pattern's length


@dataclass(frozen=True)
class EnterpriseMatcher:
    """Names and aliases of a register, ready to be found in texts (build with ``from_register``).

    ``patterns``: one row per pattern id (``pid``): the normalised ``pattern``, whether it is a
    township name (``place``). ``candidates``: one row per (pid, uscc): ``kind`` (name / alias),
    ``owners`` (enterprises with this pattern), ``confidence`` of one unambiguous mention.
    """

    automaton: ahocorasick.Automaton | None
    patterns: pl.DataFrame
    candidates: pl.DataFrame

    @classmethod
    def from_register(
        cls, register: pl.DataFrame | pl.LazyFrame, *, common_words: tuple[str, ...] = COMMON_WORDS
    ) -> EnterpriseMatcher:
        """``register``: uscc, name, aliases (list of strings or null), township (may be null)."""
        frame = register.lazy().collect() if isinstance(register, pl.LazyFrame) else register
        present = frame.columns
        frame = (
            frame.select(
                pl.col("uscc").cast(pl.String),
                pl.col("name").cast(pl.String),
                _column(present, "aliases", pl.List(pl.String())),
                normalised_text(_column(present, "township", pl.String())),
                _column(present, "founded_on", pl.Date()),
            )
            .filter(pl.col("uscc").is_not_null())
            .unique("uscc", keep="last", maintain_order=True)
        )
        written = pl.concat(
            [
                frame.select("uscc", pl.col("name").alias("pattern"), pl.lit("name").alias("kind")),
                frame.select("uscc", pl.col("aliases").alias("pattern"), pl.lit("alias").alias("kind"))
                .explode("pattern")
                .filter(pl.col("pattern").is_not_null()),
            ]
        )
        owned = (
            written.with_columns(normalised_text("pattern").alias("pattern"))
            .filter(
                pl.col("pattern").str.len_chars() >= MIN_ALIAS_CHARS,
                ~pl.col("pattern").str.contains(f"[{_TEXT_SEPARATOR}{_RECORD_SEPARATOR}]"),
            )
            # An enterprise whose alias repeats its name (or an alias) has the pattern once, as the name.
            .sort("kind", descending=True)
            .unique(["uscc", "pattern"], keep="first", maintain_order=True)
        )
        townships = (
            frame.select("township")
            .drop_nulls()
            .unique()
            .filter(pl.col("township").str.len_chars() >= MIN_ALIAS_CHARS)
            .sort("township")["township"]
        )
        stems = _stems(townships)
        patterns = (
            pl.concat([owned.select("pattern"), townships.to_frame("pattern")])
            .unique(maintain_order=True)
            .with_row_index("pid")
            .with_columns(
                pl.col("pid").cast(pl.Int64),
                pl.col("pattern").is_in(townships.implode()).alias("place"),
            )
        )
        automaton = _automaton(patterns["pattern"].to_list())
        owned = owned.join(patterns.select("pid", "pattern"), on="pattern")

        # Which enterprises' strings contain each pattern (the automaton finds them all in one pass).
        strings = owned.select("uscc", "pattern").unique(maintain_order=True)
        contained = _occurrences(automaton, strings["pattern"], every=True)
        holders = (
            contained.join(
                strings.with_row_index("row").select(pl.col("row").cast(pl.Int64), "uscc"), on="row"
            )
            .select("pid", "uscc")
            .unique()
        )
        owners = owned.group_by("pid").agg(pl.col("uscc").n_unique().alias("owners"))
        others = (
            holders.join(owned.select("pid", "uscc"), on=["pid", "uscc"], how="anti")
            .group_by("pid")
            .agg(pl.len().cast(pl.Int64).alias("others"))
        )
        places = pl.concat([townships, stems]).unique()
        in_place = _occurrences(automaton, places, every=True)["pid"].unique()
        common = normalise(pl.Series(common_words, dtype=pl.String)).drop_nulls()

        length = pl.col("pattern").str.len_chars()
        alias_base = (
            pl.when(length >= 4)
            .then(ALIAS_CONFIDENCE[4])
            .when(length == 3)
            .then(ALIAS_CONFIDENCE[3])
            .otherwise(ALIAS_CONFIDENCE[2])
        )
        stop = (
            pl.col("pid").is_in(in_place.implode())
            | pl.col("pattern").is_in(places.implode())
            | pl.col("pattern").is_in(common.implode())
            | (pl.col("others") >= GENERIC_OTHERS)
        )
        alias_confidence = (alias_base - PER_OTHER_PENALTY * pl.col("others").clip(upper_bound=3)) * pl.when(
            stop
        ).then(STOP_WORD_FACTOR).otherwise(1.0)
        candidates = (
            owned.join(owners, on="pid")
            .join(others, on="pid", how="left")
            .with_columns(pl.col("others").fill_null(0))
            .with_columns(
                pl.when(pl.col("kind") == "name")
                .then(NAME_CONFIDENCE)
                .otherwise(alias_confidence)
                .cast(pl.Float64)
                .alias("confidence"),
                stop.alias("stop_word"),
            )
            .join(frame.select("uscc", "township", "founded_on"), on="uscc", how="left")
            .select(
                "pid", "uscc", "kind", "owners", "others", "stop_word", "confidence", "township", "founded_on"
            )
            .sort("pid", "uscc")
        )
        return cls(automaton=automaton, patterns=patterns, candidates=candidates)

    def save(self, folder: Path) -> None:
        """The matcher's tables as Parquet in ``folder``; ``load`` rebuilds the automaton from them."""
        folder.mkdir(parents=True, exist_ok=True)
        self.patterns.write_parquet(folder / "patterns.parquet")
        self.candidates.write_parquet(folder / "candidates.parquet")

    @classmethod
    def load(cls, folder: Path) -> EnterpriseMatcher:
        """A matcher ``save`` wrote: the tables read back, the automaton built again (pid = row)."""
        patterns = pl.read_parquet(folder / "patterns.parquet").sort("pid")
        candidates = pl.read_parquet(folder / "candidates.parquet")
        return cls(automaton=_automaton(patterns["pattern"].to_list()), patterns=patterns, candidates=candidates)

    def links(self, records: pl.DataFrame | pl.LazyFrame, *, only: Collection[str] | None = None) -> pl.DataFrame:
        """One row per (channel, record_id, uscc) candidate (see the module docstring), columns
        ``LINK_SCHEMA``. ``records``: channel, record_id, text, and optionally uscc, published_at and
        location (read with the text: a police record's place often names the enterprise).

        ``only``: the rows of these enterprises alone, exactly those of the whole answer. Records
        that neither carry one of their USCCs nor contain one of their names or aliases are set
        aside before the costly part; since each record is linked on its own text and the register
        alone, that changes no other record's rows (an alert's charts read a few thousand
        enterprises' records out of a province's)."""
        frame = records.lazy().collect() if isinstance(records, pl.LazyFrame) else records
        present = frame.columns
        frame = frame.select(
            pl.col("channel").cast(pl.String),
            pl.col("record_id").cast(pl.String),
            _column(present, "uscc", pl.String()),
            _local_day(frame),
            pl.concat_str(
                [
                    normalised_text(pl.col("text").cast(pl.String)).fill_null(""),
                    normalised_text(_column(present, "location", pl.String())).fill_null(""),
                ],
                separator=_TEXT_SEPARATOR,
            ).alias("analysed"),
        ).with_row_index("row")
        wanted = None if only is None else pl.Series("uscc", list(only), dtype=pl.String)
        if wanted is not None:
            frame = self._may_name(frame, wanted)
        carried = frame.filter(pl.col("uscc").is_not_null()).select(
            "channel",
            "record_id",
            "uscc",
            pl.col("uscc").alias("matched"),
            pl.lit("uscc").alias("kind"),
            pl.lit(1.0).alias("confidence"),
            pl.lit(LINKED).alias("status"),
        )
        named = self._named(frame)
        # A record's own USCC settles whom it is about: other names in it are for review.
        named = (
            named.join(
                carried.select("channel", "record_id", "uscc"),
                on=["channel", "record_id", "uscc"],
                how="anti",
            )
            .join(
                carried.select("channel", "record_id", pl.lit(True).alias("_carries")),
                on=["channel", "record_id"],
                how="left",
            )
            .with_columns(
                pl.when(pl.col("_carries")).then(pl.lit(REVIEW)).otherwise(pl.col("status")).alias("status")
            )
            .drop("_carries")
        )
        found = pl.concat([carried.cast(LINK_SCHEMA), named.select(list(LINK_SCHEMA)).cast(LINK_SCHEMA)])
        if wanted is not None:
            found = found.filter(pl.col("uscc").is_in(wanted.implode()))
        return found.sort("channel", "record_id", "uscc")

    def _may_name(self, frame: pl.DataFrame, usccs: pl.Series) -> pl.DataFrame:
        """The rows of ``frame`` (with ``analysed`` and ``row``) that carry one of ``usccs`` or whose
        text holds one of their names or aliases anywhere, renumbered."""
        pids = self.candidates.filter(pl.col("uscc").is_in(usccs.implode()))["pid"].unique()
        theirs = self.patterns.filter(pl.col("pid").is_in(pids.implode()))["pattern"].to_list()
        holding = _occurrences(_automaton(theirs), frame["analysed"], every=True)["row"].unique()
        keep = pl.col("row").is_in(holding.implode()) | pl.col("uscc").is_in(usccs.implode())
        return frame.filter(keep).drop("row").with_row_index("row")

    def _named(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The (record, enterprise) candidates found in the records' ``analysed`` text."""
        empty = pl.DataFrame(schema=LINK_SCHEMA)
        if self.automaton is None or frame.is_empty():
            return empty
        matches = _occurrences(self.automaton, frame["analysed"], every=False).join(self.patterns, on="pid")
        if matches.is_empty():
            return empty
        # Townships the record mentions: they tell apart enterprises sharing a name or alias.
        mentioned = matches.filter("place").group_by("row").agg(pl.col("pattern").unique().alias("townships"))
        after = pl.col("analysed").str.slice(pl.col("end") + 1, 2)
        mentions = (
            matches.join(
                frame.select(pl.col("row").cast(pl.Int64), "channel", "record_id", "day", "analysed"),
                on="row",
            )
            .with_columns(
                pl.any_horizontal(after.str.starts_with(s) for s in PLACE_SUFFIXES).alias("as_place")
            )
            .join(self.candidates, on="pid")  # a township name alone names nobody
            .join(mentioned, on="row", how="left")
            .with_columns(
                pl.when((pl.col("kind") == "alias") & pl.col("as_place"))
                .then(pl.col("confidence") * PLACE_CONTEXT_FACTOR)
                .otherwise(pl.col("confidence"))
                .alias("confidence"),
                # An enterprise founded after the record was published is not what it is about.
                (
                    pl.col("founded_on").is_null()
                    | pl.col("day").is_null()
                    | (pl.col("founded_on") <= pl.col("day"))
                ).alias("existed"),
                pl.col("townships").list.contains(pl.col("township")).fill_null(False).alias("placed"),
            )
        )
        mention = ("row", "start")
        mentions = (
            mentions.filter(pl.col("existed") | ~pl.col("existed").any().over(mention))
            .with_columns(pl.len().over(mention).alias("owners"))
            .with_columns((pl.col("owners") >= 2).alias("ambiguous"))
        )
        # Settled: enterprises the record names unambiguously and confidently.
        named_alone = mentions.filter(~pl.col("ambiguous") & (pl.col("confidence") >= LINK_THRESHOLD))
        settled = named_alone.select("row", "uscc").unique().with_columns(pl.lit(True).alias("settled"))
        mentions = (
            mentions.join(settled, on=["row", "uscc"], how="left")
            .with_columns(
                pl.col("settled").fill_null(False),
                (pl.col("ambiguous") & pl.col("placed") & (pl.col("placed").sum().over(mention) == 1)).alias(
                    "by_place"
                ),
            )
            # A shared name or alias one of whose owners is settled is that one's: the others drop out.
            .filter(~pl.col("ambiguous") | pl.col("settled") | ~pl.col("settled").any().over(mention))
            .with_columns(
                pl.when(pl.col("by_place"))
                .then(pl.col("confidence") * TOWNSHIP_FACTOR)
                .when(pl.col("ambiguous") & ~pl.col("settled"))
                .then(pl.col("confidence") / pl.col("owners"))
                .otherwise(pl.col("confidence"))
                .alias("confidence"),
            )
            .with_columns(
                pl.when(
                    (~pl.col("ambiguous") | pl.col("settled") | pl.col("by_place"))
                    & (pl.col("confidence") >= LINK_THRESHOLD)
                )
                .then(pl.lit(LINKED))
                .otherwise(pl.lit(REVIEW))
                .alias("status")
            )
        )
        return (
            mentions.sort(
                "row",
                "uscc",
                pl.col("status") == LINKED,
                "confidence",
                "start",
                descending=[False, False, True, True, False],
            )
            .unique(["row", "uscc"], keep="first", maintain_order=True)
            .select(
                "channel",
                "record_id",
                "uscc",
                pl.col("pattern").alias("matched"),
                "kind",
                "confidence",
                "status",
            )
        )


def _column(present: list[str], name: str, dtype: pl.DataType) -> pl.Expr:
    """An optional input column, cast to ``dtype``; all null when the frame has none."""
    column = pl.col(name) if name in present else pl.lit(None, dtype)
    return column.cast(dtype).alias(name)


def _local_day(frame: pl.DataFrame) -> pl.Expr:
    """Each record's calendar day in Beijing time, as ``day`` (null without ``published_at``)."""
    if "published_at" not in frame.columns:
        return pl.lit(None, pl.Date).alias("day")
    dtype = frame.schema["published_at"]
    stamp = pl.col("published_at")
    if dtype == pl.Date:
        return stamp.alias("day")
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return local_day(stamp)
    return stamp.dt.date().alias("day")


def _stems(townships: pl.Series) -> pl.Series:
    """Township names without their administrative suffix, where two or more characters remain."""
    suffix = f"(?:{'|'.join(TOWNSHIP_SUFFIXES)})$"
    stems = townships.str.replace(suffix, "")
    return stems.filter(stems.str.len_chars() >= MIN_ALIAS_CHARS).unique()


def _automaton(patterns: list[str]) -> ahocorasick.Automaton | None:
    if not patterns:
        return None
    automaton = ahocorasick.Automaton()
    for pid, pattern in enumerate(patterns):
        if len(pattern) >= 1 << _LENGTH_BITS:
            raise ValueError(
                f"pattern {pid} is {len(pattern)} characters long; a name or alias is far shorter"
            )
        # One integer per pattern (not a tuple): a scan's matches are then read into an array at once.
        automaton.add_word(pattern, pid << _LENGTH_BITS | len(pattern))
    automaton.make_automaton()
    return automaton


def _occurrences(
    automaton: ahocorasick.Automaton | None,
    texts: pl.Series,
    *,
    every: bool,
) -> pl.DataFrame:
    """Pattern occurrences in ``texts``: row (index into ``texts``), pid, start and end (inclusive,
    within the row's text). ``every``: all occurrences, overlapping; otherwise leftmost-longest and
    non-overlapping. The texts are scanned as one string, joined by line feeds."""
    schema = {"row": pl.Int64, "pid": pl.Int64, "start": pl.Int64, "end": pl.Int64}
    if automaton is None or texts.is_empty():
        return pl.DataFrame(schema=schema)
    values = texts.fill_null("")
    lengths = values.str.len_chars().cast(pl.Int64).to_numpy()
    offsets = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
    joined = _RECORD_SEPARATOR.join(values.to_list())
    hits = np.fromiter(chain.from_iterable(automaton.iter(joined)), dtype=np.int64).reshape(-1, 2)
    if not hits.size:
        return pl.DataFrame(schema=schema)
    end, pid, length = hits[:, 0], hits[:, 1] >> _LENGTH_BITS, hits[:, 1] & ((1 << _LENGTH_BITS) - 1)
    start = end - length + 1
    if not every:
        keep = _leftmost_longest(start, end)
        start, end, pid = start[keep], end[keep], pid[keep]
    row = np.searchsorted(offsets, start, side="right") - 1
    return pl.DataFrame(
        {"row": row, "pid": pid, "start": start - offsets[row], "end": end - offsets[row]}, schema=schema
    )


def _leftmost_longest(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Indices of the matches a left-to-right reader keeps: at each position the longest match
    starting there, then nothing that overlaps it. (pyahocorasick's ``iter_long`` skips some
    matches after a longer candidate fails, so the choice is made here from all matches.)"""
    order = np.lexsort((start - end, start)).tolist()
    starts, ends = start.tolist(), end.tolist()
    keep: list[int] = []
    reached = -1
    for i in order:
        if starts[i] > reached:
            keep.append(i)
            reached = ends[i]
    return np.array(keep, dtype=np.int64)
