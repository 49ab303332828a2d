"""The gate every input file passes: read -> check -> quarantine -> lake -> records.

One file is one batch, identified by its content hash: a file already ingested is skipped,
a file that cannot be taken is recorded as rejected with the reason, and otherwise its valid
rows go to the lake while the failed ones go to quarantine with the rule and the original row.
Nothing valid is lost and nothing is written twice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session

from expectations import evidence, rules, suite
from layoffwatch.errors import FileRejected
from layoffwatch.settings import Settings
from sources import read
from sources.schema import INGEST_ORDER, Source
from store import batches, db, enterprises, lake, quarantine
from store.files import sha256_of

# parse: cell text -> typed values and the evidence every rule reads (sources.parse via
# expectations.evidence); check: the Polars rules; gx: the same rules in Great Expectations.
STAGES = ("read", "parse", "check", "gx", "write")


@dataclass
class FileReport:
    """What happened to one file: the row of the per-file table people read."""

    path: Path
    status: str  # ingested | duplicate | rejected | checked (dry run)
    batch_id: str  # the file's content hash
    source: str | None = None
    rows_read: int = 0
    rows_valid: int = 0
    rows_quarantined: int = 0
    rows_rejected: int = 0
    reasons: list[str] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    STATUS_ZH = {"ingested": "已导入", "duplicate": "重复文件，已跳过", "rejected": "整份拒收", "checked": "已校验（未导入）"}

    @property
    def status_zh(self) -> str:
        return self.STATUS_ZH[self.status]

    TABLE_COLUMNS = ("path", "source", "status", "rows_read", "rows_valid", "rows_quarantined")

    def as_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "status": self.status,
            "source": self.source,
            "batch_id": self.batch_id,
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_quarantined": self.rows_quarantined,
            "rows_rejected": self.rows_rejected,
            "reasons": self.reasons,
            "warnings": self.warnings,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def file_hash(path: Path) -> str:
    """sha256 of the file's bytes: the batch id."""
    return sha256_of(path)


def ordered(files: Iterable[Path]) -> list[Path]:
    """Files with the enterprise register first, so references to new enterprises resolve.

    The source is the one the reader takes from the folder name; files it must recognise from
    their headers come last.
    """

    def rank(path: Path) -> tuple[int, str]:
        source = read.source_from_folder(path)
        return (INGEST_ORDER.index(source.name) if source else len(INGEST_ORDER)), str(path)

    return sorted(files, key=rank)


class Intake:
    """Ingests files one batch at a time into the lake and the database."""

    def __init__(self, settings: Settings, *, now: datetime, dry_run: bool = False) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.settings = settings
        self.now = now
        self.dry_run = dry_run
        self.engine: Engine = db.engine_for(settings)
        self._known: pl.Series | None = None
        self._last_periods: dict[str, pl.DataFrame] = {}

    def known_uscc(self) -> pl.Series:
        if self._known is None:
            self._known = enterprises.known_uscc(self.engine)
        return self._known

    def last_periods(self, source: Source) -> pl.DataFrame:
        """(uscc, last_period) of a monthly source: read from the lake once, then kept up to date.

        Rescanning the lake for every file would read the whole history again per monthly file.
        """
        if source.name not in self._last_periods:
            self._last_periods[source.name] = lake.last_periods(self.settings, source)
        return self._last_periods[source.name]

    def _remember_periods(self, source: Source, valid: pl.DataFrame) -> None:
        latest = valid.group_by("uscc").agg(pl.col(source.time_column).max().alias("last_period"))
        self._last_periods[source.name] = (
            pl.concat([self.last_periods(source), latest], how="vertical_relaxed")
            .group_by("uscc")
            .agg(pl.col("last_period").max())
        )

    def ingest(self, path: Path) -> FileReport:
        """Take one file; returns its report. User mistakes in the file never raise."""
        batch_id = file_hash(path)
        with Session(self.engine) as session:
            earlier = batches.find_batch(session, batch_id)
        if earlier is not None and earlier.status == "ingested":
            return FileReport(
                path, "duplicate", batch_id, earlier.source, rows_read=earlier.rows_read,
                reasons=[f"与 {earlier.file_name}（{_local(earlier.received_at, self.settings)}导入）内容相同"],
            )
        seconds: dict[str, float] = {}
        started = time.perf_counter()
        try:
            raw = read.read_file(path)
        except FileRejected as rejected:
            folder_source = read.source_from_folder(path)
            report = FileReport(
                path, "rejected", batch_id, folder_source.name if folder_source else None, reasons=[rejected.reason]
            )
            report.seconds = {"read": time.perf_counter() - started}
            if not self.dry_run:
                self._record_rejection(report)
            return report
        seconds["read"] = time.perf_counter() - started
        return self._take(raw, seconds)

    def _take(self, raw: read.RawTable, seconds: dict[str, float]) -> FileReport:
        source = raw.source
        known = None if source.name == "enterprises" else self.known_uscc()
        started = time.perf_counter()
        previous = self.last_periods(source) if source.monthly else None
        facts = evidence.evidence(raw.frame.lazy(), source, known_uscc=known, previous_periods=previous).collect()
        seconds["parse"] = time.perf_counter() - started

        started = time.perf_counter()
        checked = rules.check(raw.frame, source, now=self.now, facts=facts)
        seconds["check"] = time.perf_counter() - started

        started = time.perf_counter()
        result = suite.run_suite(
            self.settings, raw.frame, source, now=self.now, known_uscc=known, batch_id=raw.content_hash,
            previous_periods=previous, evidence_frame=checked.evidence,
        )
        seconds["gx"] = time.perf_counter() - started

        report = FileReport(
            raw.path,
            "checked" if self.dry_run else "ingested",
            raw.content_hash,
            source.name,
            rows_read=raw.frame.height,
            rows_valid=checked.valid.height,
            rows_quarantined=checked.quarantine.height,
            reasons=[*raw.notes, *_top_reasons(checked, source)],
            warnings={k: v for k, v in checked.warnings.items() if v},
            seconds=seconds,
        )
        if self.dry_run:
            return report

        started = time.perf_counter()
        received_at = self.now
        quarantine_path = None
        if checked.quarantine.height:
            quarantine_path = quarantine.write(
                self.settings, source, checked.quarantine, batch_id=raw.content_hash
            )
        lake_paths = lake.append(
            self.settings, source, checked.valid, batch_id=raw.content_hash, received_at=received_at
        )
        # Now, while the batch's months are in the page cache, rather than at the next read.
        lake.repeated_keys(self.settings, source)
        if source.name == "enterprises":
            enterprises.upsert_enterprises(
                self.engine, checked.valid, batch_id=raw.content_hash, now=received_at
            )
            self._known = None
        if source.monthly:
            self._remember_periods(source, checked.valid)
        with Session(self.engine) as session:
            batches.record_batch(
                session,
                id=raw.content_hash,
                source=source.name,
                file_name=raw.path.name,
                file_path=str(raw.path),
                format=raw.format,
                encoding=raw.encoding,
                status="ingested",
                reason=None,
                rows_read=report.rows_read,
                rows_valid=report.rows_valid,
                rows_quarantined=report.rows_quarantined,
                rows_rejected=0,
                quarantine_path=str(quarantine_path) if quarantine_path else None,
                lake_paths=[str(p) for p in lake_paths],
                received_at=received_at,
            )
            batches.record_validation_run(
                session,
                batch_id=raw.content_hash,
                source=source.name,
                suite_name=result.suite_name,
                success=result.success,
                evaluated=result.evaluated,
                successful=result.successful,
                results=result.per_expectation,
                warnings=checked.warnings,
                run_at=received_at,
            )
            session.commit()
        seconds["write"] = time.perf_counter() - started
        return report

    def _record_rejection(self, report: FileReport) -> None:
        with Session(self.engine) as session:
            batches.record_batch(
                session,
                id=report.batch_id,
                source=report.source or "unknown",
                file_name=report.path.name,
                file_path=str(report.path),
                format=report.path.suffix.lstrip(".").lower() or "unknown",
                encoding=None,
                status="rejected",
                reason=report.reasons[0],
                rows_read=report.rows_read,
                rows_valid=0,
                rows_quarantined=0,
                rows_rejected=report.rows_rejected,
                quarantine_path=None,
                lake_paths=[],
                received_at=self.now,
            )
            session.commit()


def landing_files(settings: Settings, paths: list[Path] | None = None) -> list[Path]:
    """Files to take, register first: ``paths`` if given, else everything in the landing folder."""
    if paths is None:
        settings.landing.mkdir(parents=True, exist_ok=True)
        paths = [settings.landing]
    return ordered(read.input_files(paths))


def ingest_paths(
    settings: Settings,
    paths: Iterable[Path],
    *,
    now: datetime,
    dry_run: bool = False,
    progress: Callable[[Path, int, int], None] | None = None,
    render_docs: bool = True,
) -> list[FileReport]:
    """Ingest (or, with ``dry_run``, only check) every file under ``paths``, register first.

    ``progress(path, done, total)`` is called before each file; the Data Docs are rendered once
    at the end when anything was ingested, unless the caller renders (and times) them itself.
    """
    intake = Intake(settings, now=now, dry_run=dry_run)
    files = landing_files(settings, list(paths))
    reports = []
    for done, path in enumerate(files):
        if progress:
            progress(path, done, len(files))
        reports.append(intake.ingest(path))
    if render_docs and not dry_run and any(r.status == "ingested" for r in reports):
        suite.render_data_docs(settings)
    return reports


def sources_taken(reports: Iterable[FileReport]) -> list[str]:
    """The sources of the batches these reports took into the lake (what derived data may be stale)."""
    return [r.source for r in reports if r.status == "ingested" and r.source]


def _top_reasons(checked: rules.Checked, source: Source, limit: int = 3) -> list[str]:
    """The most frequent quarantine reasons, e.g. '减员人数应为不小于0的整数（12行）'."""
    by_rule = {r.id: r for r in rules.rules_for(source)}
    counts = Counter({rule_id: n for rule_id, n in checked.counts.items() if n})
    return [f"{by_rule[rule_id].message}（{n}行）" for rule_id, n in counts.most_common(limit)]


def _local(moment: datetime, settings: Settings) -> str:
    return moment.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
