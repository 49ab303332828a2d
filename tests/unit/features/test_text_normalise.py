"""Text normalisation for analysis: width, script, markup, links and whitespace; the original stays untouched."""

from __future__ import annotations

import polars as pl
import pytest

from features.text_normalise import normalise, normalised_text


def one(text: str | None) -> str | None:
    return normalise(pl.Series("text", [text], dtype=pl.String))[0]


def test_full_width_letters_digits_and_punctuation_become_half_width() -> None:
    assert one("ＡＢＣ公司欠薪１２３元！") == "ABC公司欠薪123元!"
    assert one("鑫达铜业（侯马）") == "鑫达铜业(侯马)"
    assert one("两个\u3000全角空格") == "两个 全角空格"


def test_traditional_chinese_becomes_simplified() -> None:
    assert one("侯馬市鑫達銅業有限公司拖欠工資") == "侯马市鑫达铜业有限公司拖欠工资"
    assert one("裁員後沒發薪水") == "裁员后没发薪水"


def test_simplified_text_is_left_as_it_is() -> None:
    text = "来电人反映侯马市鑫达铜业有限公司拖欠工资3个月,请求处理。"
    assert one(text) == text


def test_html_tags_vanish_block_tags_leave_a_space_and_entities_are_decoded() -> None:
    assert one('<p class="content">鑫达铜业拖欠工资</p>') == "鑫达铜业拖欠工资"
    assert one("拖欠工资，<br/>老板跑了") == "拖欠工资, 老板跑了"
    # An inline tag inside a name must not split it.
    assert one("<em>鑫达</em>铜业欠薪") == "鑫达铜业欠薪"
    assert one("工资&nbsp;没发 &amp; 社保断缴 &#x9451;&#36948;") == "工资 没发 & 社保断缴 鉴达"
    assert one("<!-- 注释 -->正文") == "正文"


def test_urls_are_removed_and_the_text_after_them_kept() -> None:
    assert one("鑫达铜业要裁员 https://weibo.com/1234567890") == "鑫达铜业要裁员"
    assert one("看这里http://t.cn/A61234567890鑫达铜业") == "看这里 鑫达铜业"
    assert one("链接 www.example.com/p?id=1&x=2 完") == "链接 完"
    # Full-width URLs are URLs too once NFKC has run.
    assert one("ｈｔｔｐｓ：／／ｔ．ｃｎ／ａｂｃ 欠薪") == "欠薪"


def test_whitespace_is_collapsed_and_trimmed() -> None:
    assert one("  鑫达\t\t铜业 \n\n 欠薪  ") == "鑫达 铜业 欠薪"
    # A line feed written as an entity is whitespace like any other.
    assert one("第一行&#10;第二行") == "第一行 第二行"


def test_null_stays_null_and_every_row_keeps_its_place() -> None:
    texts = [None, "侯馬", "", "A&amp;B", None, "發工資 http://x.cn/1", "<b>粗</b>體", "ｘ"] * 500
    out = normalise(pl.Series("text", texts, dtype=pl.String))
    assert out.name == "text"
    assert out.len() == len(texts)
    assert out.head(8).to_list() == [None, "侯马", "", "A&B", None, "发工资", "粗体", "x"]
    assert out.to_list() == out.head(8).to_list() * 500


def test_the_expression_works_in_a_lazy_frame_and_keeps_the_original_column() -> None:
    frame = pl.LazyFrame({"text": ["<p>侯馬鑫達</p>", "ＯＫ"]})
    out = frame.with_columns(normalised_text("text").alias("analysed")).collect()
    assert out["text"].to_list() == ["<p>侯馬鑫達</p>", "ＯＫ"]
    assert out["analysed"].to_list() == ["侯马鑫达", "OK"]


def test_an_empty_series_gives_an_empty_series() -> None:
    assert normalise(pl.Series("text", [], dtype=pl.String)).len() == 0


@pytest.mark.parametrize("emoji", ["😡😭", "👍"])
def test_emoji_survive(emoji: str) -> None:
    assert one(f"鑫达铜业欠薪{emoji}") == f"鑫达铜业欠薪{emoji}"
