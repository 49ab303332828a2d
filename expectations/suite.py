"""Each source's rules as a Great Expectations suite: built, run over a file, rendered as Data Docs.

Every ``Rule`` of ``expectations.rules`` compiles to one expectation of the suite
``layoffwatch.<source>``, carrying ``meta = {"rule_id", "message", "severity"}``, the GX severity
(error -> critical, warning -> warning) and the Chinese message as its rendered description.

What GX validates is the evidence frame of ``expectations.evidence`` (converted to pandas), the
same columns the Polars rules read, so each expectation's ``unexpected_count`` equals the Polars
count of its rule. Where GX has a native expectation on those columns it is used (not null,
between, value lengths, regex, in set, unique, compound unique, null); the GB 32100-2015 check
character is the custom ``ExpectColumnValuesToBeValidUscc``. Rules that need data from outside
the file are validated on a boolean evidence column computed by Polars (a join against the
register for known enterprises, the lake's last periods for monthly continuity), so the suite
never holds the register's codes. Time bounds are suite parameters (``$PARAMETER`` today/now)
filled from the caller's ``now`` at run time.

Data Docs are static HTML under ``settings.reports / "data_docs"``. They pull their styling and
scripts from public CDNs, so on a bureau's offline intranet they render unstyled (but readable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import polars as pl

from expectations import evidence, gx_project
from expectations.evidence import col_name
from expectations.rules import Rule, rules_for
from layoffwatch.settings import Settings
from sources.schema import Kind, Source

if TYPE_CHECKING:
    import great_expectations as gx
    from great_expectations.data_context import AbstractDataContext

CHUNK_ROWS = 1_000_000  # rows per GX run: bounds pandas memory; keys never straddle chunks
PARTIAL_VALUES = 5
# BASIC keeps unexpected counts and sample values for the Data Docs; SUMMARY's value counts and
# index lists cost ~60% more on large files and nobody reads them there.
RESULT_FORMAT = "BASIC"
GX_SEVERITY = {"error": "critical", "warning": "warning"}


@dataclass(frozen=True)
class SuiteResult:
    """One run of a source's suite over one file (aggregated over its chunks).

    ``success`` is True when no error-level expectation failed (warnings do not fail a run).
    ``per_expectation``: one dict per rule, in suite order: rule_id, expectation_type, column
    (the schema column, None for row and key rules), gx_column (what GX read), success,
    unexpected_count, element_count, severity ("error" | "warning"). ``raw``: the GX result of
    each chunk as a JSON-ready dict (one chunk unless the file has more than ``CHUNK_ROWS`` rows).
    """

    suite_name: str
    success: bool
    statistics: dict[str, float]
    per_expectation: list[dict[str, Any]]
    raw: list[dict[str, Any]] = field(default_factory=list)

    @property
    def evaluated(self) -> int:
        return int(self.statistics["evaluated_expectations"])

    @property
    def successful(self) -> int:
        return int(self.statistics["successful_expectations"])

    def unexpected_counts(self) -> dict[str, int]:
        """Rule id -> rows GX found failing it; comparable with ``Checked.counts`` and ``warnings``."""
        return {e["rule_id"]: e["unexpected_count"] for e in self.per_expectation}


def suite_name(source: Source) -> str:
    return f"layoffwatch.{source.name}"


def build_suite(source: Source) -> gx.ExpectationSuite:
    """The suite of ``source``: one expectation per rule, in ``rules_for`` order. Not saved anywhere."""
    gx = gx_project.import_gx()
    return gx.ExpectationSuite(
        name=suite_name(source),
        expectations=[expectation(rule, source) for rule in rules_for(source)],
        meta={"source": source.name, "label": source.label},
    )


def expectation(rule: Rule, source: Source) -> gx.expectations.Expectation:
    """``rule`` compiled to the GX expectation that fails on the same evidence rows."""
    gx = gx_project.import_gx()
    from expectations.gx_uscc import ExpectColumnValuesToBeValidUscc

    expect = gx.expectations
    common: dict[str, Any] = {
        "meta": {"rule_id": rule.id, "message": rule.message, "severity": rule.severity},
        "severity": GX_SEVERITY[rule.severity],
        "description": f"{rule.message}（{rule.id}）",
    }
    c = rule.column
    match rule.check:
        case "read":
            return expect.ExpectColumnValuesToBeNull(column="_problem", **common)
        case "unique_key" if len(source.key) == 1:
            return expect.ExpectColumnValuesToBeUnique(column=source.key[0], **common)
        case "unique_key":
            return expect.ExpectCompoundColumnsToBeUnique(
                column_list=list(source.key), ignore_row_if="any_value_is_missing", **common
            )
        case _ if c is None:
            raise ValueError(f"rule {rule.id} needs a column")
        case "required":
            return expect.ExpectColumnValuesToNotBeNull(column=col_name(c, "text"), **common)
        case "type":
            return expect.ExpectColumnValuesToBeInSet(column=col_name(c, "parses"), value_set=[True], **common)
        case "min":
            return expect.ExpectColumnValuesToBeBetween(column=c, min_value=source.column(c).min, **common)
        case "max":
            return expect.ExpectColumnValuesToBeBetween(column=c, max_value=source.column(c).max, **common)
        case "max_length":
            return expect.ExpectColumnValueLengthsToBeBetween(
                column=col_name(c, "raw"), max_value=source.column(c).max_length, **common
            )
        case "pattern":
            return expect.ExpectColumnValuesToMatchRegex(column=c, regex=source.column(c).pattern, **common)
        case "allowed_values":
            return expect.ExpectColumnValuesToBeInSet(
                column=col_name(c, "spelling"), value_set=evidence.allowed_spellings(source, c), **common
            )
        case "uscc_check_character":
            return ExpectColumnValuesToBeValidUscc(column=c, **common)
        case "not_in_future":
            bound = "now" if source.column(c).kind is Kind.DATETIME else "today"
            return expect.ExpectColumnValuesToBeBetween(column=c, max_value={"$PARAMETER": bound}, **common)
        case "no_formula":
            return expect.ExpectColumnValuesToNotMatchRegex(column=col_name(c, "text"), regex=evidence.FORMULA, **common)
        case "known_enterprise":
            return expect.ExpectColumnValuesToBeInSet(column=col_name(c, "known"), value_set=[True], **common)
        case "monthly_continuity":
            return expect.ExpectColumnValuesToBeInSet(column=col_name(c, "continuous"), value_set=[True], **common)
    raise ValueError(f"unknown check {rule.check!r}")


def gx_columns(exp: gx.expectations.Expectation) -> list[str]:
    """The evidence columns an expectation reads."""
    config = exp.configuration.kwargs
    return list(config["column_list"]) if "column_list" in config else [config["column"]]


_ready: dict[tuple[str, str], Any] = {}


def _validation_definition(context: AbstractDataContext, source: Source) -> Any:
    """The saved validation definition (pandas asset + this code's suite) of ``source``, once per process."""
    key = (str(context.root_directory), source.name)
    if key in _ready:
        return _ready[key]
    gx = gx_project.import_gx()
    datasource: Any
    try:
        datasource = context.data_sources.get(gx_project.DATASOURCE)
    except (KeyError, LookupError, ValueError):
        datasource = context.data_sources.add_pandas(gx_project.DATASOURCE)
    try:
        asset = datasource.get_asset(source.name)
    except LookupError:
        asset = datasource.add_dataframe_asset(source.name)
    try:
        batch_definition = asset.get_batch_definition(gx_project.BATCH_DEFINITION)
    except (KeyError, LookupError, ValueError):
        batch_definition = asset.add_batch_definition_whole_dataframe(gx_project.BATCH_DEFINITION)
    suite = context.suites.add_or_update(build_suite(source))
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=suite)
    )
    _ready[key] = definition
    return definition


def run_suite(
    settings: Settings,
    frame: pl.DataFrame,
    source: Source,
    *,
    now: datetime,
    known_uscc: pl.Series | None,
    batch_id: str,
    previous_periods: pl.DataFrame | None = None,
    chunk_rows: int = CHUNK_ROWS,
    evidence_frame: pl.DataFrame | None = None,
) -> SuiteResult:
    """Validate a raw frame (as ``rules.check`` takes it) with the source's suite; results are stored.

    The result is stored in the home's GX project under run name ``batch_id`` (one result per
    chunk), at run time ``now``, so the Data Docs show it. Pass the same ``known_uscc`` and
    ``previous_periods`` as to ``rules.check`` to get the same counts, or pass ``Checked.evidence``
    as ``evidence_frame`` so the evidence is not built a second time.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    from great_expectations.core.run_identifier import RunIdentifier

    with gx_project.lock:
        context = gx_project.context_for(settings)
        definition = _validation_definition(context, source)
        expectations = list(definition.suite.expectations)
        needed = list(dict.fromkeys(["_row", *(name for e in expectations for name in gx_columns(e))]))
        if evidence_frame is None:
            evidence_frame = evidence.evidence(
                frame.lazy(), source, known_uscc=known_uscc, previous_periods=previous_periods
            ).collect()
        frame_evidence = evidence_frame.select(needed)
        parameters = time_parameters(now)
        chunks = _chunks(frame_evidence, source, chunk_rows)
        results = []
        for number, chunk in enumerate(chunks, start=1):
            run_name = batch_id if len(chunks) == 1 else f"{batch_id}-{number}of{len(chunks)}"
            results.append(
                definition.run(
                    batch_parameters={"dataframe": for_pandas(chunk)},
                    expectation_parameters=parameters,
                    result_format={"result_format": RESULT_FORMAT, "partial_unexpected_count": PARTIAL_VALUES},
                    run_id=RunIdentifier(run_name=run_name, run_time=now),
                )
            )
    return _aggregate(suite_name(source), rules_for(source), expectations, results)


def time_parameters(now: datetime) -> dict[str, datetime]:
    """The suite parameters ``today`` and ``now``, typed as the GX frame's date and datetime columns."""
    today, latest = evidence.time_bounds(now)
    return {"today": datetime.combine(today, time(), tzinfo=UTC), "now": latest}


def for_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """The evidence as GX takes it: dates become UTC-midnight timestamps.

    GX compares only nanosecond or timezone-aware timestamp columns with vectorised code (other
    units take a slow per-value path); timezone-aware microseconds cover every year a typo can
    produce, where nanoseconds stop in 2262.
    """
    dates = [name for name, dtype in frame.schema.items() if dtype == pl.Date]
    return frame.with_columns(pl.col(dates).cast(pl.Datetime("us", "UTC"))).to_pandas()


def _chunks(frame: pl.DataFrame, source: Source, chunk_rows: int) -> list[pl.DataFrame]:
    """The frame in pieces of about ``chunk_rows`` rows; rows sharing a natural key share a piece."""
    pieces = max(1, -(-frame.height // chunk_rows))
    if pieces == 1:
        return [frame]
    piece = (pl.struct(list(source.key)).hash(seed=0) % pieces).alias("__piece")
    return frame.with_columns(piece).partition_by("__piece", include_key=False, maintain_order=True)


def _aggregate(name: str, rules: tuple[Rule, ...], expectations: list[Any], results: list[Any]) -> SuiteResult:
    # GX does not keep the suite's order in its results: match them by rule id.
    by_rule: dict[str, list[Any]] = {}
    for result in results:
        for outcome in result.results:
            by_rule.setdefault(outcome.expectation_config.meta["rule_id"], []).append(outcome)
    per_expectation = []
    for rule, exp in zip(rules, expectations, strict=True):
        outcomes = by_rule[rule.id]
        assert len(outcomes) == len(results), rule.id
        per_expectation.append(
            {
                "rule_id": rule.id,
                "expectation_type": exp.expectation_type,
                "column": rule.column,
                "gx_column": ",".join(gx_columns(exp)),
                "success": all(bool(o.success) for o in outcomes),
                "unexpected_count": sum(int(o.result.get("unexpected_count") or 0) for o in outcomes),
                "element_count": sum(int(o.result.get("element_count") or 0) for o in outcomes),
                "severity": rule.severity,
            }
        )
    evaluated = len(per_expectation)
    successful = sum(e["success"] for e in per_expectation)
    statistics = {
        "evaluated_expectations": evaluated,
        "successful_expectations": successful,
        "unsuccessful_expectations": evaluated - successful,
        "success_percent": 100.0 * successful / evaluated if evaluated else 100.0,
    }
    return SuiteResult(
        suite_name=name,
        success=all(e["success"] for e in per_expectation if e["severity"] == "error"),
        statistics=statistics,
        per_expectation=per_expectation,
        raw=[result.to_json_dict() for result in results],
    )


def render_data_docs(settings: Settings) -> Path:
    """Rebuild the Data Docs from every stored validation result; returns the site's index.html.

    The pages load their CSS and JavaScript from public CDNs: on an offline intranet they render
    unstyled (the content is all there).
    """
    from sources.schema import SOURCES

    with gx_project.lock:
        context = gx_project.context_for(settings)
        for source in SOURCES.values():  # every suite shown, refreshed from the code
            _validation_definition(context, source)
        context.build_data_docs(site_names=[gx_project.SITE])
    return gx_project.docs_directory(settings).resolve() / "index.html"
