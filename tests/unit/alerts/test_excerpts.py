"""Excerpts of sentiment records as alert evidence: chosen, cut, de-identified, inert, and shown
to each office only for the channels it may see."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from alerts.config import parse_alerting
from alerts.excerpts import EXCERPT_CHARS, PER_ENTERPRISE, excerpts_for, excerpts_from
from alerts.fields import visible_details
from alerts.notify import NotifyReason
from alerts.render import render_alert
from features.inputs import from_lake
from features.linked_sentiment import CATEGORY_COLUMNS
from layoffwatch.settings import Settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
A = "91141081MA0000001A"
DEFAULT = (Path(__file__).parents[3] / "alerts" / "default_alerting.yaml").read_text(encoding="utf-8")


def records(*rows: tuple[str, int, str, tuple[str, ...]]) -> pl.DataFrame:
    """(channel, day of November 2026, text, categories) per record, all about enterprise A."""
    return pl.DataFrame(
        {
            "uscc": [A] * len(rows),
            "published_at": [datetime(2026, 11, d, 10, tzinfo=SHANGHAI) for _, d, _, _ in rows],
            "channel": [c for c, _, _, _ in rows],
            "participants": [None] * len(rows),
            "record_id": [str(i) for i in range(len(rows))],
            "text": [t for _, _, t, _ in rows],
            **{c: [c.removeprefix("cat_") in cats for _, _, _, cats in rows] for c in CATEGORY_COLUMNS},
        }
    )


def test_records_with_a_category_come_first_then_the_newest_cut_and_deidentified() -> None:
    long = "工人反映工资拖欠" * 20
    chosen = excerpts_from(
        records(
            ("online", 28, "门口的路又堵了", ()),
            ("online", 20, "<p>鑫达铜业欠薪三个月，联系人13912345678</p> https://t.cn/x", ("wage_arrears",)),
            ("police", 25, long, ("wage_arrears", "collective_action")),
            ("hotline", 27, "&lt;script&gt;alert(1)&lt;/script&gt;鑫达停保了", ("social_insurance",)),
            ("online", 29, "今天天气不错", ()),
        )
    )[A]
    # Up to PER_ENTERPRISE per channel; categorised first, then the newest.
    assert [(e["channel"], e["day"]) for e in chosen] == [
        ("hotline", "2026-11-27"), ("police", "2026-11-25"), ("online", "2026-11-20"),
        ("online", "2026-11-29"), ("online", "2026-11-28"),
    ]  # fmt: skip
    hotline, police, online = chosen[:3]
    assert "<" not in hotline["text"] and "script" not in hotline["text"].replace("＜script＞", "")
    assert hotline["text"].endswith("鑫达停保了")
    assert len(police["text"]) == EXCERPT_CHARS and police["text"].endswith("…")
    assert police["categories"] == ["wage_arrears", "collective_action"]
    assert online["text"] == "鑫达铜业欠薪三个月，联系人139********"


def test_each_office_sees_only_the_excerpts_of_the_channels_it_may_see() -> None:
    config = parse_alerting(DEFAULT, source="default")
    excerpts = excerpts_from(
        records(
            ("online", 28, "网帖：鑫达铜业欠薪", ("wage_arrears",)),
            ("police", 27, "报警称鑫达铜业门口聚集", ("collective_action",)),
            ("hotline", 26, "来电反映鑫达铜业工人拉横幅", ("collective_action",)),
        )
    )[A]
    details = {"kind": "enterprise", "uscc": A, "name": "鑫达铜业", "tier": "red", "as_of": "2026-11-30",
               "evidence": {}, "reasons": [], "excerpts": excerpts}  # fmt: skip
    seen = {
        office.key: [e["channel"] for e in visible_details(details, office.sees).get("excerpts", [])]
        for office in config.offices
    }
    assert seen == {
        "hr": ["online", "police", "hotline"],
        "public_security": ["police"],  # a channel it may see; the hotline's gathering is not
        "petitions": [],  # no petition records here
        "cyberspace": ["online"],
    }
    many = {**details, "excerpts": excerpts * 3}
    assert len(visible_details(many, config.office("hr").sees)["excerpts"]) == 3
    cyberspace = next(o for o in config.offices if o.key == "cyberspace")
    message = render_alert(
        cyberspace, visible_details(details, cyberspace.sees), reason=NotifyReason.FIRST, alert_id=7,
        link="http://127.0.0.1:8000/alerts/7", firing=True, deadline=None, tz=SHANGHAI,
    )  # fmt: skip
    assert "舆情信访摘录" in message.body
    # What the text model read is labelled only for an office that sees that kind of signal.
    assert "2026-11-28 · 网络舆情：网帖：鑫达铜业欠薪" in message.body and "欠薪讨薪" not in message.body
    police = visible_details(details, config.office("public_security").sees)["excerpts"]
    assert [e["categories"] for e in police] == [["collective_action"]]
    assert visible_details(details, config.office("hr").sees)["excerpts"][0]["categories"] == ["wage_arrears"]
    assert "报警" not in message.body
    injected = {**details, "excerpts": [{"channel": "online", "day": "2026-11-28", "categories": [],
                                          "text": "[点此登记](javascript:alert(1)) **急**"}]}  # fmt: skip
    body = render_alert(
        cyberspace, visible_details(injected, cyberspace.sees), reason=NotifyReason.FIRST, alert_id=7,
        link="http://127.0.0.1:8000/alerts/7", firing=True, deadline=None, tz=SHANGHAI,
    ).body  # fmt: skip
    assert "](javascript" not in body and "**急**" not in body and "［点此登记］" in body


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, pl.DataFrame]:
    from expectations.intake import ingest_paths
    from sources.schema import SENTIMENT
    from sources.synthetic import generate_city
    from store import lake

    out = tmp_path_factory.mktemp("excerpts-city")
    generate_city(out, enterprises=300, months=4, seed=41, end=date(2026, 6, 30))
    home = out / "home"
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'layoffwatch.db'}")
    ingest_paths(
        settings, [out / "landing"], now=datetime(2026, 7, 1, 6, 30, tzinfo=SHANGHAI), render_docs=False
    )
    return settings, lake.scan(settings, SENTIMENT).collect()


def test_excerpts_are_read_from_the_lake_for_the_alerted_enterprises_only(
    city: tuple[Settings, pl.DataFrame],
) -> None:
    settings, _ = city
    linked = excerpts_for(from_lake(settings), as_of=date(2026, 6, 30), usccs={"none"})
    assert linked == {}

    about = from_lake(settings).sentiment.with_text(date(2026, 5, 31), date(2026, 6, 30)).collect()
    some = set(about["uscc"].unique().head(5).to_list())
    found = excerpts_for(from_lake(settings), as_of=date(2026, 6, 30), usccs=some)
    assert set(found) == some
    assert all(1 <= len(v) <= PER_ENTERPRISE for v in found.values())
    assert all("2026-06-01" <= e["day"] <= "2026-06-30" for v in found.values() for e in v)
