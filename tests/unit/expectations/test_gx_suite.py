"""The Great Expectations suites: one expectation per rule, the same counts as the Polars rules, Data Docs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from expectations import gx_project, suite
from expectations.rules import check, rules_for
from layoffwatch.settings import Settings, load_settings
from sources.schema import ENTERPRISES, SI_CHANGES, SI_CONTRIBUTIONS, SOURCES, Source
from tests.unit.expectations.raw_frames import KNOWN, NOW, file_with, good, violation

REGISTER = pl.Series(KNOWN)
LAKE = pl.DataFrame({"uscc": [KNOWN[1], KNOWN[2]], "last_period": [date(2022, 10, 1), date(2022, 12, 1)]})


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """One GX project for the whole module: creating it and importing GX cost seconds."""
    settings = load_settings({"LAYOFFWATCH_HOME": str(tmp_path_factory.mktemp("gx_home"))})
    yield settings
    gx_project.forget_contexts()


def every_rule_broken(source: Source) -> pl.DataFrame:
    """Five good rows, then one row per rule that fails it (plus the good rows a duplicate key hits)."""
    return file_with(source, *(violation(rule) for rule in rules_for(source)))


# --- the suite ------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES.values(), ids=lambda s: s.name)
def test_one_expectation_per_rule_with_rule_id_message_and_severity(source: Source) -> None:
    built = suite.build_suite(source)
    rules = rules_for(source)
    assert built.name == f"layoffwatch.{source.name}"
    assert [e.meta["rule_id"] for e in built.expectations] == [r.id for r in rules]
    for exp, rule in zip(built.expectations, rules, strict=True):
        assert exp.meta["message"] == rule.message
        assert exp.severity.value == {"error": "critical", "warning": "warning"}[rule.severity]
        assert exp.description and rule.message in exp.description


def test_native_expectations_are_used_where_gx_has_them() -> None:
    types = {e.meta["rule_id"]: e.expectation_type for e in suite.build_suite(SI_CHANGES).expectations}
    assert types["si_changes.removed.min"] == "expect_column_values_to_be_between"
    assert types["si_changes.uscc.required"] == "expect_column_values_to_not_be_null"
    assert types["si_changes.unique_key"] == "expect_compound_columns_to_be_unique"
    assert types["si_changes.read"] == "expect_column_values_to_be_null"
    assert types["si_changes.uscc.uscc_check_character"] == "expect_column_values_to_be_valid_uscc"
    register = {e.meta["rule_id"]: e.expectation_type for e in suite.build_suite(ENTERPRISES).expectations}
    assert register["enterprises.unique_key"] == "expect_column_values_to_be_unique"
    assert register["enterprises.name.max_length"] == "expect_column_value_lengths_to_be_between"
    assert register["enterprises.industry.pattern"] == "expect_column_values_to_match_regex"
    assert register["enterprises.name.no_formula"] == "expect_column_values_to_not_match_regex"


# --- GX counts what Polars counts -------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES.values(), ids=lambda s: s.name)
def test_gx_and_polars_count_the_same_rows_for_every_rule(home: Settings, source: Source) -> None:
    frame = every_rule_broken(source)
    checked = check(frame, source, now=NOW, known_uscc=REGISTER, previous_periods=LAKE)
    result = suite.run_suite(
        home, frame, source, now=NOW, known_uscc=REGISTER, previous_periods=LAKE, batch_id=f"all-{source.name}"
    )
    polars_counts = checked.counts | checked.warnings
    assert all(polars_counts.values()), {k: v for k, v in polars_counts.items() if not v}
    assert result.unexpected_counts() == polars_counts
    assert all(e["element_count"] == frame.height for e in result.per_expectation)
    assert not result.success
    assert result.evaluated == len(rules_for(source)) and result.successful == 0


def test_counts_agree_when_the_file_is_validated_in_chunks(home: Settings) -> None:
    frame = every_rule_broken(SI_CHANGES)
    whole = suite.run_suite(home, frame, SI_CHANGES, now=NOW, known_uscc=REGISTER, batch_id="whole")
    chunked = suite.run_suite(home, frame, SI_CHANGES, now=NOW, known_uscc=REGISTER, batch_id="chunked", chunk_rows=4)
    assert len(chunked.raw) > 1
    assert chunked.unexpected_counts() == whole.unexpected_counts()
    assert chunked.unexpected_counts()["si_changes.unique_key"] == 2  # the duplicates met in one chunk


def test_a_clean_file_succeeds_and_warnings_do_not_fail_it(home: Settings) -> None:
    clean = suite.run_suite(home, file_with(SI_CHANGES), SI_CHANGES, now=NOW, known_uscc=REGISTER, batch_id="clean")
    assert clean.success and clean.successful == clean.evaluated
    gap = file_with(SI_CONTRIBUTIONS, {"period": "2023-04"})
    warned = suite.run_suite(home, gap, SI_CONTRIBUTIONS, now=NOW, known_uscc=REGISTER, batch_id="gap")
    assert warned.success
    (continuity,) = [e for e in warned.per_expectation if e["severity"] == "warning"]
    assert continuity["unexpected_count"] == 1 and not continuity["success"]


def test_without_a_register_gx_finds_no_unknown_enterprise(home: Settings) -> None:
    frame = file_with(SI_CHANGES, violation(next(r for r in rules_for(SI_CHANGES) if r.check == "known_enterprise")))
    result = suite.run_suite(home, frame, SI_CHANGES, now=NOW, known_uscc=None, batch_id="no-register")
    assert result.unexpected_counts()["si_changes.uscc.known_enterprise"] == 0
    assert result.success


def test_the_register_never_lands_in_the_suite(home: Settings) -> None:
    big_register = pl.concat([REGISTER, pl.Series([f"X{i:017d}" for i in range(100_000)])])
    suite.run_suite(home, file_with(SI_CHANGES), SI_CHANGES, now=NOW, known_uscc=big_register, batch_id="big")
    stored = home.home / "gx" / "expectations" / "layoffwatch" / "si_changes.json"
    assert stored.stat().st_size < 50_000


def test_results_are_stored_under_the_batch_and_rendered_as_data_docs(home: Settings) -> None:
    suite.run_suite(home, file_with(SI_CHANGES, {"removed": "-3"}), SI_CHANGES, now=NOW,
                    known_uscc=REGISTER, batch_id="docs-batch")
    stored = list((home.home / "gx" / "uncommitted" / "validations").rglob("docs-batch/*/*.json"))
    assert len(stored) == 1
    result = json.loads(stored[0].read_text(encoding="utf-8"))
    (removed,) = [r for r in result["results"] if r["expectation_config"]["meta"]["rule_id"] == "si_changes.removed.min"]
    assert removed["result"]["unexpected_count"] == 1

    index = suite.render_data_docs(home)
    assert index == (home.reports / "data_docs" / "index.html").resolve()
    assert index.exists()
    pages = {p.relative_to(index.parent).as_posix() for p in index.parent.rglob("*.html")}
    assert {f"expectations/layoffwatch/{s}.html" for s in SOURCES} <= pages
    assert any("docs-batch" in page for page in pages)
    suite_page = (index.parent / "expectations" / "layoffwatch" / "si_changes.html").read_text(encoding="utf-8")
    assert "减员人数应为不小于0的整数" in suite_page


def test_the_gx_project_is_quiet(home: Settings) -> None:
    context = gx_project.context_for(home)
    assert context.variables.analytics_enabled is False
    assert list(context.variables.data_docs_sites or {}) == [gx_project.SITE]


def test_a_one_megabyte_value_stays_out_of_the_results(home: Settings) -> None:
    frame = file_with(ENTERPRISES, {"name": "=" + "很" * 1_000_000})
    result = suite.run_suite(home, frame, ENTERPRISES, now=NOW, known_uscc=None, batch_id="long-name")
    counts = result.unexpected_counts()
    assert counts["enterprises.name.max_length"] == 1 and counts["enterprises.name.no_formula"] == 1
    assert len(json.dumps(result.raw, default=str)) < 100_000


def test_rows_sharing_a_key_share_a_chunk() -> None:
    rows = [good(SI_CHANGES, i) for i in range(20)] + [good(SI_CHANGES, 3)] * 3
    frame = pl.DataFrame(rows).with_columns(pl.int_range(0, 23).alias("_row"))
    typed = frame.with_columns(pl.col("date").str.to_date())
    chunks = suite._chunks(typed, SI_CHANGES, 5)
    assert sum(c.height for c in chunks) == 23 and len(chunks) == 5
    holding = [c for c in chunks if c.filter(pl.col("uscc") == rows[3]["uscc"], pl.col("date") == date(2025, 11, 4)).height]
    assert len(holding) == 1


def test_time_parameters_match_the_evidence_types() -> None:
    params = suite.time_parameters(NOW)
    assert params["today"].isoformat() == "2026-01-20T00:00:00+00:00"
    assert params["now"] == NOW


def test_the_docs_directory_is_under_reports(tmp_path: Path) -> None:
    settings = load_settings({"LAYOFFWATCH_HOME": str(tmp_path)})
    assert gx_project.docs_directory(settings) == settings.reports / "data_docs"


@pytest.mark.parametrize(
    ("source", "cells"),
    [
        (SI_CHANGES, {"date": "9999-12-31"}),  # a 'no end' sentinel: beyond pandas' nanosecond range
        (SOURCES["sentiment"], {"published_at": "9999-12-31 23:59:59"}),
        (SOURCES["payroll"], {"paid_on": "0001-01-01"}),
    ],
    ids=["date", "datetime", "ancient"],
)
def test_dates_far_from_today_are_counted_alike(home: Settings, source: Source, cells: dict[str, str]) -> None:
    frame = file_with(source, cells)
    checked = check(frame, source, now=NOW, known_uscc=REGISTER)
    result = suite.run_suite(home, frame, source, now=NOW, known_uscc=REGISTER, batch_id=f"far-{source.name}")
    assert result.unexpected_counts() == checked.counts | checked.warnings
