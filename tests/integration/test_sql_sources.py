"""Sources pulled by SQL from views on the real PostgreSQL, then taken by the ordinary intake.

Each test gets a schema of its own on the test server holding the source system's tables and
views (an enterprise register with Chinese column names, social-insurance changes with an
``updated_at``), a home whose layoffwatch.toml points ``[sql_sources.*]`` at them, and the URL in
an environment variable, the way a bureau would configure it.
"""

from __future__ import annotations

import multiprocessing
import uuid
import zoneinfo
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa

from expectations.intake import ingest_paths
from layoffwatch.errors import SettingsError
from layoffwatch.settings import Settings
from sources import parse, read, sql
from sources.schema import ENTERPRISES, SENTIMENT, SI_CHANGES
from sources.sql_settings import load_sql_sources
from sources.uscc import build_codes
from store import db, lake, quarantine
from store.tables import SourceWatermark
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.postgres

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 1, 20, 9, 0, tzinfo=TZ)
CODES = build_codes(np.random.default_rng(5), 8)
URL_ENV = "LAYOFFWATCH_TEST_SI_URL"


@dataclass
class SourceSystem:
    """The social-insurance database: a schema on the test server, written to as the source system would."""

    engine: sa.Engine
    schema: str
    clock: datetime = datetime(2026, 1, 1, 8, 0, tzinfo=TZ)

    def run(self, statement: str, rows: list[dict[str, object]] | None = None) -> None:
        with self.engine.begin() as connection:
            connection.execute(sa.text(statement.replace("{s}", self.schema)), rows or [{}])

    def add_enterprises(self, codes: list[str]) -> None:
        self.run(
            "INSERT INTO {s}.register (uscc, name, short_names, industry, township, ownership, founded, status) "
            "VALUES (:uscc, :name, :short, 'C33', '路西街道', '民营', DATE '2016-03-01', '存续')",
            [{"uscc": c, "name": f"侯马市第{i}铸造有限公司", "short": f"第{i}铸造|{i}铸"} for i, c in enumerate(codes)],
        )

    def add_changes(self, *rows: tuple[str, date, int, int, int]) -> None:
        """Each row committed one minute after the previous one, as ``updated_at`` says."""
        values = []
        for uscc, day, added, removed, total in rows:
            self.clock += timedelta(minutes=1)
            values.append({"u": uscc, "d": day, "a": added, "r": removed, "t": total, "at": self.clock})
        self.run(
            "INSERT INTO {s}.changes (uscc, change_date, added, removed, insured_total, updated_at) "
            "VALUES (:u, :d, :a, :r, :t, :at)",
            values,
        )


@pytest.fixture
def source_system(postgres_admin: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[SourceSystem]:
    schema = f"src_{uuid.uuid4().hex[:12]}"
    system = SourceSystem(postgres_admin, schema)
    system.run("CREATE SCHEMA {s}")
    system.run(
        "CREATE TABLE {s}.register (id serial PRIMARY KEY, uscc char(18), name text, short_names text, "
        "industry text, township text, ownership text, founded date, status text)"
    )
    system.run(
        'CREATE VIEW {s}.v_register AS SELECT id, uscc AS "统一社会信用代码", name AS "企业名称", '
        'short_names AS "简称", industry AS "行业代码", township AS "乡镇街道", ownership AS "经济类型", '
        'founded AS "成立日期", status AS "经营状态" FROM {s}.register'
    )
    system.run(
        "CREATE TABLE {s}.changes (id serial PRIMARY KEY, uscc char(18) NOT NULL, change_date date NOT NULL, "
        "added integer, removed integer, insured_total integer, updated_at timestamptz NOT NULL)"
    )
    system.run(
        "CREATE VIEW {s}.v_changes AS SELECT id, uscc, change_date AS date, added, removed, insured_total, "
        "updated_at FROM {s}.changes"
    )
    monkeypatch.setenv(URL_ENV, POSTGRES_URL)
    yield system
    system.run("DROP SCHEMA {s} CASCADE")


def configure(settings: Settings, system: SourceSystem, **queries: str) -> None:
    """layoffwatch.toml with ``[sql_sources.<name>]`` for each query; register by id, changes by updated_at."""
    settings.home.mkdir(parents=True, exist_ok=True)
    watermarks = {"enterprises": "id", "si_changes": "updated_at", "sentiment": "id"}
    (settings.home / "layoffwatch.toml").write_text(
        "".join(
            f'[sql_sources.{name}]\nurl_env = "{URL_ENV}"\nquery = """{query.replace("{s}", system.schema)}"""\n'
            f'watermark = "{watermarks[name]}"\nbatch_rows = 2\n'
            for name, query in queries.items()
        ),
        encoding="utf-8",
    )


REGISTER = 'SELECT * FROM {s}.v_register'
CHANGES = "SELECT uscc, date, added, removed, insured_total, updated_at FROM {s}.v_changes"


def changes_in_lake(settings: Settings) -> pl.DataFrame:
    """Every si_changes row the lake ever received (history), by key."""
    return lake.scan(settings, SI_CHANGES, history=True).collect().sort("uscc", "date")


def december(day: int) -> date:
    return date(2025, 12, day)


def test_rows_are_pulled_from_the_watermark_on_and_ingested(settings: Settings, source_system: SourceSystem) -> None:
    source_system.add_enterprises(CODES[:5])
    source_system.add_changes(*[(code, december(1), 1, 0, 10 + i) for i, code in enumerate(CODES[:5])])
    configure(settings, source_system, enterprises=REGISTER, si_changes=CHANGES)

    first = sql.pull_sql_sources(settings, now=NOW)

    assert [p.relative_to(settings.landing).parts[0] for p in first] == ["enterprises", "si_changes"]
    assert first[0].name == "sql-enterprises-1-5.parquet"
    assert first[1].name == "sql-si_changes-20260101T080100-20260101T080500.parquet"
    assert pl.read_parquet(first[0]).columns == [c.name for c in ENTERPRISES.columns if c.name != "chain"]
    assert pl.read_parquet(first[1]).schema == SI_CHANGES.polars_schema
    reports = ingest_paths(settings, [settings.landing], now=NOW, render_docs=False)
    assert [(r.source, r.status, r.rows_valid, r.rows_quarantined) for r in reports] == [
        ("enterprises", "ingested", 5, 0), ("si_changes", "ingested", 5, 0),
    ]
    register = lake.scan(settings, ENTERPRISES).collect()
    aliases = dict(zip(register.get_column("uscc"), register.get_column("aliases").to_list(), strict=True))
    assert aliases[CODES[3]] == ["第3铸造", "3铸"]
    assert register.get_column("ownership").unique().to_list() == ["private"]

    source_system.add_changes((CODES[0], december(2), 0, 30, 0), (CODES[1], december(2), 2, 0, 13),
                              (CODES[2], december(2), 0, 1, 11))
    second = sql.pull_sql_sources(settings, now=NOW + timedelta(days=1))

    assert [p.name for p in second] == ["sql-si_changes-20260101T080600-20260101T080800.parquet"]
    assert pl.read_parquet(second[0]).get_column("date").to_list() == [december(2)] * 3
    ingest_paths(settings, second, now=NOW + timedelta(days=1), render_docs=False)
    lake_rows = changes_in_lake(settings)
    assert lake_rows.height == 8
    assert lake_rows.filter(pl.col("uscc") == CODES[0]).get_column("removed").to_list() == [0, 30]

    assert sql.pull_sql_sources(settings, now=NOW + timedelta(days=2)) == []

    engine = db.engine_for(settings)
    with sa.orm.Session(engine) as session:
        marks = {m.source: m for m in session.scalars(sa.select(SourceWatermark))}
    assert (marks["si_changes"].rows_pulled, marks["si_changes"].last_rows) == (8, 3)
    assert marks["si_changes"].value_type == "datetime"
    assert datetime.fromisoformat(marks["si_changes"].last_value) == source_system.clock
    assert (marks["enterprises"].last_value, marks["enterprises"].value_type) == ("5", "int")
    assert marks["si_changes"].last_file == str(second[0])


def test_a_bad_value_is_quarantined_by_the_intake_not_lost(settings: Settings, source_system: SourceSystem) -> None:
    source_system.add_enterprises(CODES[:3])
    source_system.add_changes(
        (CODES[0], december(1), 1, 0, 10),
        (CODES[1], december(1), 1, -3, 10),  # a negative removal
        (CODES[2], december(1), 12, 0, 22),  # the view below turns this one's added into text that is no number
        (CODES[7], december(1), 1, 0, 5),  # not in the register
    )
    # A legacy view that exposes a number as text: the column cannot be Int64, so it is written as text.
    legacy = (
        "SELECT uscc, date, CASE WHEN added = 12 THEN ':x12' ELSE added::text END AS added, removed, "
        "insured_total, updated_at FROM {s}.v_changes"
    )
    configure(settings, source_system, enterprises=REGISTER, si_changes=legacy)

    files = sql.pull_sql_sources(settings, now=NOW)
    assert pl.read_parquet(files[1]).schema["added"] == pl.String
    reports = ingest_paths(settings, files, now=NOW, render_docs=False)

    changes = reports[1]
    assert (changes.status, changes.rows_read, changes.rows_valid, changes.rows_quarantined) == ("ingested", 4, 1, 3)
    assert changes_in_lake(settings).get_column("uscc").to_list() == [CODES[0]]
    held = quarantine.read(settings, changes.batch_id)
    reasons = dict(zip(held.get_column("uscc"), held.get_column("_reason"), strict=True))
    assert set(reasons) == {CODES[1], CODES[2], CODES[7]}
    assert "减员人数应为不小于0" in reasons[CODES[1]]
    assert "增员人数应为整数" in reasons[CODES[2]]
    assert "不在企业名录中" in reasons[CODES[7]]
    # The original values are kept as they came from the view.
    assert held.filter(pl.col("uscc") == CODES[2]).get_column("added").to_list() == [":x12"]
    assert held.filter(pl.col("uscc") == CODES[1]).get_column("removed").to_list() == ["-3"]


def test_the_watermark_survives_a_new_process(db_settings: Settings, source_system: SourceSystem) -> None:
    source_system.add_enterprises(CODES[:2])
    source_system.add_changes((CODES[0], december(1), 1, 0, 10), (CODES[1], december(1), 1, 0, 10))
    configure(db_settings, source_system, si_changes=CHANGES)

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pulled_elsewhere = pool.submit(sql.pull_sql_sources, db_settings, now=NOW).result()
    assert [p.name for p in pulled_elsewhere] == ["sql-si_changes-20260101T080100-20260101T080200.parquet"]

    db.dispose(db_settings)
    assert sql.pull_sql_sources(db_settings, now=NOW) == []
    source_system.add_changes((CODES[0], december(2), 0, 1, 9))
    assert [len(pl.read_parquet(p)) for p in sql.pull_sql_sources(db_settings, now=NOW)] == [1]


def _crash_before_recording(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("killed between writing the file and recording the watermark")

    monkeypatch.setattr(sql, "_record", crash)


def test_a_crash_before_the_watermark_is_recorded_duplicates_nothing(
    settings: Settings, source_system: SourceSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    source_system.add_enterprises(CODES[:4])
    source_system.add_changes(*[(code, december(1), 1, 0, 10) for code in CODES[:4]])
    configure(settings, source_system, si_changes=CHANGES)
    with monkeypatch.context() as patched:
        _crash_before_recording(patched)
        with pytest.raises(KeyboardInterrupt):
            sql.pull_sql_sources(settings, now=NOW)
    (written,) = (settings.landing / "si_changes").glob("*.parquet")
    # The register arrives as a file; the orphaned pull is ingested with it before anyone notices.
    register = settings.landing / "enterprises" / "register.csv"
    register.parent.mkdir(parents=True)
    register.write_text(
        "uscc,name,industry,township,ownership,founded_on,status\n"
        + "".join(f"{c},企业{i},C33,路西街道,民营,2016-03-01,存续\n" for i, c in enumerate(CODES[:4])),
        encoding="utf-8",
    )
    ingest_paths(settings, [settings.landing], now=NOW, render_docs=False)
    source_system.add_changes((CODES[0], december(2), 0, 2, 8))

    pulled = sql.pull_sql_sources(settings, now=NOW + timedelta(hours=1))

    assert pulled[0] == written  # recovered: its watermark is recorded, its rows are not pulled again
    assert len(pulled) == 2 and pl.read_parquet(pulled[1]).height == 1
    reports = ingest_paths(settings, [settings.landing], now=NOW + timedelta(hours=1), render_docs=False)
    assert sorted((r.path.name, r.status) for r in reports if r.source == "si_changes") == [
        (written.name, "duplicate"), (pulled[1].name, "ingested"),
    ]
    lake_rows = changes_in_lake(settings)
    assert lake_rows.height == 5
    assert lake_rows.select("uscc", "date").is_duplicated().sum() == 0
    assert sql.pull_sql_sources(settings, now=NOW + timedelta(hours=2)) == []


def test_a_crashed_pull_whose_file_was_moved_away_writes_the_same_bytes_again(
    settings: Settings, source_system: SourceSystem, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source_system.add_enterprises(CODES[:3])
    source_system.add_changes(*[(code, december(1), 1, 0, 10) for code in CODES[:3]])
    configure(settings, source_system, enterprises=REGISTER, si_changes=CHANGES)
    real_record = sql._record

    def crash_on_changes(engine: sa.Engine, sql_source: object, *args: object, **kwargs: object) -> None:
        if getattr(sql_source, "source", None) == "si_changes":
            raise KeyboardInterrupt("killed")
        real_record(engine, sql_source, *args, **kwargs)  # type: ignore[arg-type]

    with monkeypatch.context() as patched:
        patched.setattr(sql, "_record", crash_on_changes)
        with pytest.raises(KeyboardInterrupt):
            sql.pull_sql_sources(settings, now=NOW)
    ingest_paths(settings, [settings.landing], now=NOW, render_docs=False)
    (written,) = (settings.landing / "si_changes").glob("*.parquet")
    archived = written.rename(tmp_path / written.name)  # e.g. an archiving step after the intake

    (again,) = sql.pull_sql_sources(settings, now=NOW + timedelta(hours=1))

    assert again.name == written.name
    assert again.read_bytes() == archived.read_bytes()
    (report,) = ingest_paths(settings, [again], now=NOW + timedelta(hours=1), render_docs=False)
    assert report.status == "duplicate"
    assert changes_in_lake(settings).height == 3


def test_a_query_without_a_required_column_names_the_source_the_query_and_the_column(
    settings: Settings, source_system: SourceSystem
) -> None:
    configure(settings, source_system, si_changes="SELECT uscc, date, added, removed, updated_at FROM {s}.v_changes")

    with pytest.raises(SettingsError) as raised:
        sql.pull_sql_sources(settings, now=NOW)

    message = str(raised.value)
    assert message.startswith("sql_sources.si_changes: the query 'SELECT uscc, date, added, removed, updated_at FROM")
    assert "'insured_total' (参保人数)" in message
    assert not (settings.landing / "si_changes").exists()


def test_a_failing_query_names_the_source_and_the_masked_url(settings: Settings, source_system: SourceSystem) -> None:
    configure(settings, source_system, si_changes="SELECT uscc, date, added, removed, insured_total FROM {s}.v_changes")

    with pytest.raises(SettingsError, match=r"sql_sources\.si_changes \(postgresql\+psycopg://.*\): the query failed"):
        sql.pull_sql_sources(settings, now=NOW)


def test_an_unreachable_source_database_names_the_masked_url(
    settings: Settings, source_system: SourceSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(settings, source_system, si_changes=CHANGES)
    monkeypatch.setenv(URL_ENV, "postgresql://reader:s3cret@127.0.0.1:1/si?connect_timeout=2")

    with pytest.raises(SettingsError) as raised:
        sql.pull_sql_sources(settings, now=NOW)

    message = str(raised.value)
    assert message.startswith("sql_sources.si_changes (postgresql+psycopg://reader:***@127.0.0.1:1/si")
    assert "cannot connect" in message and "s3cret" not in message and "\n" not in message


def test_nothing_configured_pulls_nothing(settings: Settings) -> None:
    assert sql.pull_sql_sources(settings, now=NOW) == []
    assert not settings.landing.exists()


def test_zoned_timestamps_arrive_as_the_same_instant(settings: Settings, source_system: SourceSystem) -> None:
    source_system.run(
        "CREATE TABLE {s}.petitions (id serial PRIMARY KEY, channel text, at timestamptz, body text, people int)"
    )
    source_system.run(
        "INSERT INTO {s}.petitions (channel, at, body, people) VALUES "
        "('信访', TIMESTAMPTZ '2025-12-03 01:30:00+00', '集体讨薪', 12), ('12345', NULL, '无时间', NULL)"
    )
    configure(
        settings, source_system,
        sentiment='SELECT id, id::text AS "编号", at AS published_at, channel, body AS text, people AS participants '
                  "FROM {s}.petitions",
    )

    (pulled,) = sql.pull_sql_sources(settings, now=NOW)

    raw = read.read_file(pulled)
    typed = parse.parsed(raw.frame.lazy(), SENTIMENT).collect()
    assert typed.get_column("published_at").to_list() == [datetime(2025, 12, 3, 9, 30, tzinfo=TZ), None]
    assert typed.get_column("channel").to_list() == ["petition", "hotline"]
    assert load_sql_sources(settings)[0].batch_rows == 2
