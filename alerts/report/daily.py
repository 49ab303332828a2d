"""Writing the day's report files: ``<home>/reports/daily/<as_of>/日报-<as_of>.html`` and ``.xlsx``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from alerts.report.figures import daily_figures
from alerts.report.page import report_html
from alerts.report.workbook import write_workbook
from layoffwatch.settings import Settings
from store.db import engine_for
from store.uow import unit_of_work


@dataclass(frozen=True)
class DailyReport:
    """The files written for one day and its key figures (English keys, see ``DailyFigures.summary``)."""

    html: Path
    xlsx: Path
    summary: dict[str, Any]


def report_folder(settings: Settings, as_of: date) -> Path:
    """Where the report of ``as_of`` is written."""
    return settings.reports / "daily" / as_of.isoformat()


def write_daily_report(
    settings: Settings, *, as_of: date, now: datetime, out: Path | None = None
) -> DailyReport:
    """Write the HTML and XLSX report of ``as_of`` (generated at ``now``) into ``out`` (default
    ``report_folder``) and return their paths with the key figures. Reads the database only; writing
    the same day again replaces its two files.

    A ``UserError`` (one Chinese sentence) when there is no champion model or it has no scores on or
    before ``as_of``.
    """
    with unit_of_work(engine_for(settings)) as session:
        figures = daily_figures(session, as_of=as_of, now=now, tz=settings.tz)
    folder = out if out is not None else report_folder(settings, as_of)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"日报-{as_of.isoformat()}"
    html_path = folder / f"{stem}.html"
    # Written beside and renamed, so a reader (or a mail job) never picks up half a file.
    partial = folder / f".{stem}.html.partial"
    partial.write_text(report_html(figures), encoding="utf-8")
    partial.replace(html_path)
    xlsx_partial = write_workbook(figures, folder / f".{stem}.partial.xlsx")
    xlsx_path = xlsx_partial.replace(folder / f"{stem}.xlsx")
    return DailyReport(html=html_path, xlsx=xlsx_path, summary=figures.summary())
