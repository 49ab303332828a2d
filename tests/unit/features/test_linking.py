"""Linking sentiment records to enterprises by the names and aliases in their text.

Hand-made registers for each hard case, then a generated city measured against its truth.
"""

from __future__ import annotations

import random
import shutil
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest

from features.inputs import Inputs, from_lake
from features.linking import (
    LINK_SCHEMA,
    LINK_THRESHOLD,
    LINKED,
    REVIEW,
    EnterpriseMatcher,
    _automaton,
    _occurrences,
)
from features.text_categories import CATEGORIES
from layoffwatch.settings import Settings
from sources.schema import ENTERPRISES, SENTIMENT
from store import lake
from tests.unit.features.linking_truth import link_quality

A = "91141081MA0000001A"  # 侯马市鑫达铜业有限公司, alias 鑫达铜业
B = "91141081MA0000002B"  # 山西鑫达建材有限公司, alias 鑫达 (shared with C)
C = "91141081MA0000003C"  # 临汾鑫达物流有限公司, alias 鑫达
D = "91141081MA0000004D"  # 侯马市新田粮油有限公司, aliases 新田 (a township's stem) and 粮 (one character)
E = "91141081MA0000005E"  # 侯马市平阳机械有限公司, alias 平阳 (also a road)
F = "91141081MA0000006F"  # 侯马市诚信商贸有限公司, alias 诚信 (an everyday word)


def register() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "uscc": [A, B, C, D, E, F],
            "name": [
                "侯马市鑫达铜业有限公司",
                "山西鑫达建材有限公司",
                "临汾鑫达物流有限公司",
                "侯马市新田粮油有限公司",
                "侯马市平阳机械有限公司",
                "侯马市诚信商贸有限公司",
            ],
            "aliases": [["鑫达铜业"], ["鑫达"], ["鑫达"], ["新田", "粮"], ["平阳"], ["诚信"]],
            "township": ["路东街道", "张村街道", "新田乡", "新田乡", "路西街道", "上马街道"],
            "founded_on": [date(2010, 1, 1)] * 6,
        }
    )


def links(*texts: str, uscc: list[str | None] | None = None, reg: pl.DataFrame | None = None) -> pl.DataFrame:
    records = pl.DataFrame(
        {
            "channel": ["online"] * len(texts),
            "record_id": [f"YQ{i:04d}" for i in range(len(texts))],
            "text": list(texts),
            "uscc": uscc or [None] * len(texts),
        },
        schema_overrides={"uscc": pl.String},
    )
    return EnterpriseMatcher.from_register(register() if reg is None else reg).links(records)


def only(frame: pl.DataFrame) -> dict[str, object]:
    assert frame.height == 1, frame
    return frame.row(0, named=True)


def test_a_full_name_links_with_high_confidence() -> None:
    row = only(links("侯马市鑫达铜业有限公司拖欠工资三个月"))
    assert (row["uscc"], row["kind"], row["status"], row["matched"]) == (
        A,
        "name",
        LINKED,
        "侯马市鑫达铜业有限公司",
    )
    assert row["confidence"] > 0.95
    assert links("x").schema == pl.Schema(LINK_SCHEMA)


def test_an_alias_of_one_enterprise_links() -> None:
    row = only(links("鑫达铜业又开始拖工资了"))
    assert (row["uscc"], row["kind"], row["status"]) == (A, "alias", LINKED)
    assert LINK_THRESHOLD <= row["confidence"] < 0.98


def test_an_alias_shared_by_two_enterprises_is_only_for_review() -> None:
    out = links("听说鑫达要裁员了")
    assert sorted(out["uscc"]) == [B, C]
    assert set(out["status"]) == {REVIEW}
    assert (out["confidence"] < LINK_THRESHOLD).all()


def test_a_shared_alias_is_settled_when_the_text_also_names_one_of_them() -> None:
    row = only(links("山西鑫达建材有限公司欠薪,鑫达老板跑路了"))
    assert (row["uscc"], row["kind"], row["status"]) == (B, "name", LINKED)


def test_a_short_alias_inside_a_longer_name_or_alias_of_another_enterprise_does_not_count() -> None:
    # "鑫达" (B and C) sits inside A's name and inside A's alias "鑫达铜业".
    assert only(links("侯马市鑫达铜业有限公司门口"))["uscc"] == A
    assert only(links("鑫达铜业的工资"))["uscc"] == A


def test_a_township_name_is_read_as_the_place_not_as_an_alias() -> None:
    # D's alias "新田" is the stem of the township 新田乡: inside the township name it is the place...
    assert links("新田乡的路灯不亮,请求维修").is_empty()
    # ...and alone it is too weak to count.
    row = only(links("新田拖欠工资"))
    assert (row["uscc"], row["status"]) == (D, REVIEW)
    # D's full name still names D.
    assert only(links("侯马市新田粮油有限公司拖欠工资"))["status"] == LINKED


def test_an_alias_used_as_a_place_in_the_text_is_only_for_review() -> None:
    row = only(links("平阳路又在修路,绕行绕到怀疑人生"))
    assert (row["uscc"], row["status"]) == (E, REVIEW)
    assert only(links("平阳拖欠工资两个月"))["status"] == LINKED


def test_a_common_word_alias_is_only_for_review() -> None:
    row = only(links("恭喜获评市级“诚信示范企业”"))
    assert (row["uscc"], row["status"]) == (F, REVIEW)


def test_a_one_character_alias_is_ignored() -> None:
    assert links("粮价又涨了").is_empty()


def test_traditional_full_width_html_and_urls_are_read_through() -> None:
    out = links(
        "侯馬市鑫達銅業有限公司拖欠工資",
        "ｈｔｔｐｓ：／／ｗｅｉｂｏ．ｃｏｍ／１２３ 鑫达铜业欠薪",
        '<p class="content"><em>鑫达</em>铜业老板跑路了</p>',
        "鑫达铜业https://t.cn/A6123456789又拖工资了",
    )
    assert out["uscc"].to_list() == [A] * 4
    assert set(out["status"]) == {LINKED}


def test_a_record_with_a_uscc_keeps_it_and_other_names_in_it_are_for_review() -> None:
    out = links("来访人反映侯马市平阳机械有限公司拖欠工资", "来访人反映单位欠薪", uscc=[A, B])
    carried = out.filter(pl.col("kind") == "uscc").sort("record_id")
    assert carried.select("record_id", "uscc", "confidence", "status").rows() == [
        ("YQ0000", A, 1.0, LINKED),
        ("YQ0001", B, 1.0, LINKED),
    ]
    other = only(out.filter(pl.col("kind") != "uscc"))
    assert (other["uscc"], other["status"]) == (E, REVIEW)


def test_a_record_naming_its_own_enterprise_gets_one_row() -> None:
    assert only(links("侯马市鑫达铜业有限公司拖欠工资", uscc=[A]))["kind"] == "uscc"


def test_one_row_per_record_and_enterprise_with_the_best_mention() -> None:
    row = only(links("鑫达铜业欠薪,侯马市鑫达铜业有限公司的工人在门口"))
    assert (row["kind"], row["matched"]) == ("name", "侯马市鑫达铜业有限公司")


def test_two_enterprises_in_one_text_give_two_rows() -> None:
    out = links("侯马市鑫达铜业有限公司和侯马市平阳机械有限公司都欠薪")
    assert sorted(out["uscc"]) == [A, E]
    assert set(out["status"]) == {LINKED}


def test_an_enterprise_founded_after_the_record_is_not_a_candidate() -> None:
    reg = register().with_columns(
        pl.when(pl.col("uscc") == C)
        .then(date(2026, 3, 1))
        .otherwise(pl.col("founded_on"))
        .alias("founded_on")
    )
    records = pl.DataFrame(
        {
            "channel": ["online", "online"],
            "record_id": ["YQ1", "YQ2"],
            "text": ["鑫达要裁员了", "鑫达要裁员了"],
            "published_at": [datetime(2026, 2, 1, 20), datetime(2026, 3, 2, 20)],
        }
    )
    out = EnterpriseMatcher.from_register(reg).links(records)
    before = only(out.filter(pl.col("record_id") == "YQ1"))
    assert (before["uscc"], before["status"]) == (B, LINKED)
    assert set(out.filter(pl.col("record_id") == "YQ2")["status"]) == {REVIEW}


def test_a_shared_name_is_settled_by_the_one_township_the_record_mentions() -> None:
    reg = pl.DataFrame(
        {
            "uscc": [A, B],
            "name": ["侯马市亨海超市有限公司"] * 2,
            "aliases": [None, None],
            "township": ["路东街道", "上马街道"],
        },
        schema_overrides={"aliases": pl.List(pl.String)},
    )
    out = links("上马街道侯马市亨海超市有限公司欠薪", reg=reg)
    # The township is weaker evidence than a name of its own: the other one stays for review.
    assert out.select("uscc", "status").rows() == [(A, REVIEW), (B, LINKED)]
    assert set(links("侯马市亨海超市有限公司欠薪", reg=reg)["status"]) == {REVIEW}


def test_an_empty_register_links_only_records_with_a_uscc() -> None:
    empty = pl.DataFrame(schema={"uscc": pl.String, "name": pl.String})
    out = links("鑫达铜业欠薪", "欠薪", uscc=[None, A], reg=empty)
    assert out.select("record_id", "uscc", "kind").rows() == [("YQ0001", A, "uscc")]


def test_leftmost_longest_matches_agree_with_a_reader_going_left_to_right() -> None:
    """pyahocorasick's own ``iter_long`` misses matches after a longer candidate fails: the choice
    is made from all matches instead, and checked here against a plain reference."""

    def reference(text: str, patterns: list[str]) -> list[tuple[int, int]]:
        found, i = [], 0
        while i < len(text):
            best = max((p for p in patterns if text.startswith(p, i)), key=len, default=None)
            if best is None:
                i += 1
            else:
                found.append((i, patterns.index(best)))
                i += len(best)
        return found

    rng = random.Random(5)
    for _ in range(300):
        patterns = sorted(
            {"".join(rng.choices("鑫达铜业", k=rng.randint(1, 5))) for _ in range(rng.randint(1, 8))}
        )
        automaton = _automaton(patterns)
        texts = ["".join(rng.choices("鑫达铜业", k=rng.randint(0, 25))) for _ in range(3)]
        got = _occurrences(automaton, pl.Series(texts), every=False)
        for row, text in enumerate(texts):
            mine = got.filter(pl.col("row") == row).sort("start").select("start", "pid").rows()
            assert mine == reference(text, patterns), (patterns, text)


def test_inputs_count_records_with_a_uscc_and_confidently_linked_ones() -> None:
    stamp = datetime(2026, 5, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    sentiment = pl.DataFrame(
        {
            "record_id": ["1", "2", "3", "4", "5"],
            "published_at": [stamp] * 5,
            "channel": ["petition", "online", "online", "online", "police"],
            "text": ["来访反映欠薪", "鑫达铜业欠薪", "鑫达要裁员", "今天天气好", "报警称聚集"],
            "uscc": [E, None, None, None, None],
            "participants": [12, None, None, None, 30],
            "location": [None, None, None, None, "路东街道侯马市鑫达铜业有限公司门口"],
        }
    )
    inputs = Inputs.from_frames(register=register(), sentiment=sentiment)
    out = inputs.sentiment.since().collect()
    assert out.columns[:4] == ["uscc", "published_at", "channel", "participants"]
    assert out.columns[4:] == [f"cat_{c}" for c in CATEGORIES]
    assert sorted(out.select("uscc", "channel", "participants").rows(), key=str) == sorted(
        [(E, "petition", 12), (A, "online", None), (A, "police", 30)], key=str
    )
    # Hand-made frames without record ids are linked too (by row).
    bare = Inputs.from_frames(register=register(), sentiment=sentiment.drop("record_id"))
    assert bare.sentiment.since().collect().height == 3


# --- a generated city, measured against its truth -------------------------------------------------

SEED = 23


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Settings]:
    from expectations.intake import ingest_paths
    from sources.synthetic import generate_city

    out = tmp_path_factory.mktemp("linking-city")
    generate_city(out, enterprises=400, months=6, seed=SEED, end=date(2026, 6, 30))
    home = out / "home"
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'layoffwatch.db'}")
    ingest_paths(
        settings,
        [out / "landing"],
        now=datetime(2026, 7, 1, 6, 30, tzinfo=ZoneInfo("Asia/Shanghai")),
        render_docs=False,
    )
    return out, settings


@pytest.mark.slow
def test_links_on_a_generated_city_are_precise_and_find_most_named_enterprises(
    city: tuple[Path, Settings],
) -> None:
    out, settings = city
    records = lake.scan(settings, SENTIMENT).collect()
    register = lake.scan(settings, ENTERPRISES).collect()
    quality = link_quality(records, register, out / "truth")
    print(quality)
    assert quality.named > 50
    assert quality.precision >= 0.95
    assert quality.text_precision >= 0.95
    assert quality.recall >= 0.9
    linked = quality.linked

    # The features read exactly these links: records with a USCC plus the confident text links.
    features = from_lake(settings).sentiment.since().collect()
    assert features.height == linked.height
    assert features.join(
        linked.select("uscc", "channel").unique(), on=["uscc", "channel"], how="anti"
    ).is_empty()


def test_linking_does_not_depend_on_other_records() -> None:
    """Point in time: a record's links are the same whatever else is linked with it."""
    texts = ["鑫达铜业欠薪", "听说鑫达要裁员了", "平阳路修路", "侯马市平阳机械有限公司停产"]
    together = links(*texts)
    rng = np.random.default_rng(3)
    for i in rng.permutation(len(texts)).tolist():
        alone = links(texts[i]).with_columns(pl.lit(f"YQ{i:04d}").alias("record_id"))
        assert alone.equals(together.filter(pl.col("record_id") == f"YQ{i:04d}"))


# --- linking where the features read: a window of days, a matcher kept per register --------------


def test_linking_a_window_gives_the_rows_of_filtering_after_linking_everything(
    city: tuple[Path, Settings],
) -> None:
    from features.visibility import local_day

    _, settings = city
    sentiment = from_lake(settings).sentiment
    everything = sentiment.since().collect()
    since = date(2026, 5, 10)
    window = sentiment.since(since).collect()
    expected = everything.filter(local_day(pl.col("published_at")) > since)
    assert 0 < window.height < everything.height
    key = ["channel", "uscc", "published_at"]
    assert window.sort(key, nulls_last=True).equals(expected.sort(key, nulls_last=True))
    # Collected once, the same windows come from memory.
    kept = sentiment.collected()
    assert kept.rows is not None
    assert kept.since(since).collect().sort(key, nulls_last=True).equals(expected.sort(key, nulls_last=True))


def test_a_window_linked_for_counting_has_the_same_links_without_reading_the_texts(
    city: tuple[Path, Settings],
) -> None:
    from features.linked_sentiment import CATEGORY_COLUMNS, LINKED_COLUMNS
    from features.visibility import local_day

    _, settings = city
    sentiment = from_lake(settings).sentiment
    after, until = date(2026, 5, 10), date(2026, 6, 10)
    day = local_day(pl.col("published_at"))
    expected = sentiment.since(after).filter(day <= until).collect().select(LINKED_COLUMNS)
    counted = sentiment.between(after, until).collect()
    assert counted.columns == list(LINKED_COLUMNS) and not set(CATEGORY_COLUMNS) & set(counted.columns)
    assert 0 < counted.height < sentiment.since().collect().height
    key = ["channel", "uscc", "published_at"]
    assert counted.sort(key, nulls_last=True).equals(expected.sort(key, nulls_last=True))
    kept = sentiment.collected()
    assert kept.between(after, until).collect().sort(key, nulls_last=True).equals(expected.sort(key, nulls_last=True))


def test_a_saved_matcher_links_exactly_like_a_freshly_built_one(
    city: tuple[Path, Settings], tmp_path: Path
) -> None:
    _, settings = city
    register = lake.scan(settings, ENTERPRISES).collect()
    records = lake.scan(settings, SENTIMENT).collect()
    built = EnterpriseMatcher.from_register(register)
    built.save(tmp_path / "m")
    loaded = EnterpriseMatcher.load(tmp_path / "m")
    assert loaded.patterns.equals(built.patterns)
    assert built.links(records).equals(loaded.links(records))


def test_the_matcher_is_saved_once_per_register_and_code(city: tuple[Path, Settings], tmp_path: Path) -> None:
    from features import linked_sentiment
    from features.inputs import matcher_cache

    _, settings = city
    cache = matcher_cache(settings)
    moved = linked_sentiment.MatcherCache(folder=tmp_path / "matchers", register_digest=cache.register_digest)
    linked_sentiment._matchers.clear()
    register = lake.scan(settings, ENTERPRISES)
    first = linked_sentiment.matcher(register, moved)
    assert [p.name for p in (tmp_path / "matchers").iterdir()] == [moved.key]
    linked_sentiment._matchers.clear()
    again = linked_sentiment.matcher(register, moved)  # read back from the folder
    assert again is not first and again.candidates.equals(first.candidates)
    other = linked_sentiment.MatcherCache(folder=moved.folder, register_digest="another register")
    assert other.key != moved.key


def test_uncertain_links_are_listed_for_review_and_never_counted(
    city: tuple[Path, Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    from features.linked_sentiment import REVIEW_WHY
    from layoffwatch.cli import app

    _, settings = city
    sentiment = from_lake(settings).sentiment
    review = sentiment.for_review(date(2026, 1, 1), date(2026, 6, 30))
    assert review.height > 0
    assert set(review["why"].unique()) <= set(REVIEW_WHY.values())
    assert review["name"].is_not_null().all()
    records = lake.scan(settings, SENTIMENT).collect()
    counted = EnterpriseMatcher.from_register(lake.scan(settings, ENTERPRISES).collect()).links(records)
    counted = counted.filter(pl.col("status") == LINKED)
    assert review.join(counted, on=["channel", "record_id", "uscc"], how="semi").is_empty()

    monkeypatch.setenv("LAYOFFWATCH_HOME", str(settings.home))
    runner = CliRunner()
    listed = runner.invoke(app, ["links", "review", "--as-of", "2026-06-30", "--days", "200", "--json"])
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.stdout)) == review.height
    out = tmp_path / "review.csv"
    written = runner.invoke(app, ["links", "review", "--as-of", "2026-06-30", "--days", "200", "--out", str(out)])
    assert written.exit_code == 0, written.output
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("发布时间,渠道,编号,候选企业")
    bad = runner.invoke(app, ["links", "review", "--as-of", "2026-06-30", "--out", str(tmp_path / "x.xlsx")])
    assert bad.exit_code == 2 and "expected a .csv" in bad.output


def test_the_register_matcher_is_built_once_where_the_register_arrives_and_readers_only_load_it(
    city: tuple[Path, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    from features import linked_sentiment
    from features.inputs import matcher_cache, prepare_linking

    _, settings = city
    cache = matcher_cache(settings)
    shutil.rmtree(cache.folder, ignore_errors=True)
    assert prepare_linking(settings, arrived=["si_changes", "sentiment"]) is False, "no register arrived"
    assert not cache.kept
    assert prepare_linking(settings, arrived=["enterprises"]) is True
    assert [p.name for p in cache.folder.iterdir()] == [cache.key]
    assert prepare_linking(settings) is False, "kept: not built again"

    def no_build(*args: object, **kwargs: object) -> EnterpriseMatcher:
        raise AssertionError("a reader built the matcher")

    monkeypatch.setattr(EnterpriseMatcher, "from_register", no_build)
    linked_sentiment._matchers.clear()
    read = linked_sentiment.matcher(lake.scan(settings, ENTERPRISES), cache)
    assert read.candidates.height > 0


def test_prepare_linking_on_a_home_without_a_register_does_nothing(tmp_path: Path) -> None:
    from features.inputs import prepare_linking

    empty = Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'x.db'}")
    assert prepare_linking(empty) is False
    assert not (empty.home / "cache" / "matchers").exists()


def test_links_for_some_enterprises_only_are_exactly_their_rows_of_the_whole_answer(
    city: tuple[Path, Settings],
) -> None:
    _, settings = city
    records = lake.scan(settings, SENTIMENT).collect()
    register = lake.scan(settings, ENTERPRISES).collect()["uscc"].sort().to_list()
    # A record that carries a USCC and names nobody: found by its code alone.
    silent = records.head(1).with_columns(
        pl.lit("silent-1").alias("record_id"), pl.lit(register[3]).alias("uscc"), pl.lit("反映工资拖欠问题").alias("text")
    )
    records = pl.concat([records, silent])
    matcher = EnterpriseMatcher.from_register(lake.scan(settings, ENTERPRISES).collect())
    everything = matcher.links(records)
    shared = everything.filter(pl.col("status") == REVIEW)["uscc"].unique().sort().to_list()
    carried = everything.filter(pl.col("kind") == "uscc")["uscc"].unique().sort().to_list()
    chosen = sorted(set(random.Random(5).sample(register, 120)) | set(shared[::2]) | set(carried[::3]) | {register[3]})
    assert shared and carried, "the city has ambiguous names and records that carry a USCC"

    some = matcher.links(records, only=chosen)
    assert some.height > 0 and set(some["status"]) == {LINKED, REVIEW}
    assert "silent-1" in some["record_id"].to_list()
    assert some.equals(everything.filter(pl.col("uscc").is_in(chosen)))
    assert matcher.links(records, only=[]).is_empty()


def test_linked_sentiment_for_some_enterprises_only_matches_the_whole_filtered(
    city: tuple[Path, Settings],
) -> None:
    from features.linked_sentiment import LINKED_COLUMNS

    _, settings = city
    sentiment = from_lake(settings).sentiment
    chosen = random.Random(9).sample(lake.scan(settings, ENTERPRISES).collect()["uscc"].to_list(), 80)
    after, until = date(2026, 3, 31), date(2026, 6, 30)
    rows = list(LINKED_COLUMNS)

    def ordered(frame: pl.LazyFrame) -> pl.DataFrame:
        return frame.collect().sort(rows, nulls_last=True)

    counted = ordered(sentiment.between(after, until, only=chosen))
    assert counted.height > 0
    assert counted.equals(ordered(sentiment.between(after, until).filter(pl.col("uscc").is_in(chosen))))
    assert ordered(sentiment.collected().between(after, until, only=chosen)).equals(counted)
    key = ["channel", "record_id", "uscc"]
    quoted = sentiment.with_text(after, until, only=chosen).collect().sort(key)
    assert quoted.height > 0
    assert quoted.equals(sentiment.with_text(after, until).filter(pl.col("uscc").is_in(chosen)).collect().sort(key))
