"""The watchlist, the enterprise search, the data engineers' pages and the accounts list."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import polars as pl
import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlmodel import Session, col, select

from alerts.config import SEE_CATEGORIES
from alerts.queries import OPEN_STATUSES
from alerts.render import industry_text
from alerts.report.daily import report_folder
from layoffwatch.errors import UserError
from review.accounts import list_users, record_event
from review.alert_page import local_time
from review.app import DB, REPORT_CSP, Administrator, Engineer, NotFound, Officer, Principal, console_of, page
from review.inbox import routed_to
from review.roles import ROLE_ZH
from sources.schema import SOURCES
from store.tables import Alert, Enterprise, IngestionBatch, ModelVersion, ValidationRun, WatchlistEntry
from watchlist.export import json_rows, write_export
from watchlist.listing import watchlist_frame

router = APIRouter()
_ALERT: sa.Table = Alert.__table__  # type: ignore[attr-defined]
_BATCH: sa.Table = IngestionBatch.__table__  # type: ignore[attr-defined]
SEARCH_LIMIT = 50
_FILE_NAME = re.compile(r"^[\w][\w.-]*$")
# Watchlist columns by the category an office must see to be shown them (``alerts.fields``).
WATCHLIST_COLUMN_CATEGORY = {"township": "location", "industry": "industry", "headcount": "headcount"}
# Why an enterprise is on the list and its risk factors name every kind of signal: only an office
# that sees every category is shown them.
WATCHLIST_FULL_ONLY = ("risk_factors", "reason")


# -- the watchlist ------------------------------------------------------------------------------


def office_watchlist(session: Session, who: Principal) -> pl.DataFrame:
    """The watchlist as ``who``'s office may see it: the enterprises whose open alert was routed to
    it or that it put on the list itself (all of them for an office that sees everything), and only
    the columns it may see."""
    assert who.office is not None
    listing = watchlist_frame(session)
    full = set(SEE_CATEGORIES) <= who.office.sees
    if not full:
        dialect = session.get_bind().dialect.name
        alerted = {
            uscc for (uscc,) in session.execute(
                sa.select(_ALERT.c.subject).where(
                    _ALERT.c.kind == "enterprise", _ALERT.c.status.in_(OPEN_STATUSES), routed_to(who.office.key, dialect)
                )
            )
        }  # fmt: skip
        own = set(session.exec(select(WatchlistEntry.uscc).where(
            WatchlistEntry.office == who.office.key, col(WatchlistEntry.left_on).is_(None)
        )))  # fmt: skip
        listing = listing.filter(pl.col("uscc").is_in(list(alerted | own)))
        hidden = [c for c, category in WATCHLIST_COLUMN_CATEGORY.items() if not who.sees(category)]
        listing = listing.drop(*hidden, *WATCHLIST_FULL_ONLY)
    return listing.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("no"))


@router.get("/watchlist")
def watchlist(request: Request, session: DB, who: Officer) -> Response:
    listing = office_watchlist(session, who)
    return page(request, "watchlist.html", who, rows=listing.to_dicts(), columns=listing.columns)


@router.get("/watchlist/export.{format}")
def watchlist_export(request: Request, session: DB, who: Officer, format: str) -> Response:
    if format not in ("csv", "xlsx"):
        raise NotFound
    listing = office_watchlist(session, who)
    console = console_of(request)
    record_event(session, username=who.username, action="export_watchlist", now=console.now(),
                 details={"rows": listing.height, "format": format})  # fmt: skip
    session.commit()
    name = f"重点关注企业清单-{console.today().isoformat()}.{format}"
    with tempfile.TemporaryDirectory() as folder:
        path = write_export(listing, Path(folder) / f"export.{format}", format=format)  # type: ignore[arg-type]
        content = path.read_bytes()
    media = (
        "text/csv; charset=utf-8"
        if format == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@router.get("/api/watchlist")
def watchlist_json(session: DB, who: Officer) -> Response:
    listing = office_watchlist(session, who)
    return JSONResponse(json_rows(listing))


# -- enterprises --------------------------------------------------------------------------------


def search_enterprises(session: Session, who: Principal, text: str) -> list[dict[str, Any]]:
    """Enterprises whose USCC starts with, or whose name contains, ``text``: each with the fields the
    office may see and the alerts of it routed to the office."""
    assert who.office is not None
    text = text.strip()
    if not text:
        return []
    if len(text) < 2:
        raise UserError("请至少输入两个字进行查询。")
    query = (
        select(Enterprise)
        .where(
            sa.or_(
                col(Enterprise.uscc).startswith(text.upper(), autoescape=True),
                col(Enterprise.name).contains(text, autoescape=True),
            )
        )
        .order_by(col(Enterprise.name))
        .limit(SEARCH_LIMIT)
    )
    found = list(session.exec(query))
    dialect = session.get_bind().dialect.name
    alerts: dict[str, list[dict[str, Any]]] = {}
    for alert in session.execute(
        sa.select(_ALERT.c.subject, _ALERT.c.id, _ALERT.c.tier, _ALERT.c.status, _ALERT.c.episode_start)
        .where(_ALERT.c.kind == "enterprise", _ALERT.c.subject.in_([e.uscc for e in found]), routed_to(who.office.key, dialect))
        .order_by(_ALERT.c.id.desc())
    ):  # fmt: skip
        alerts.setdefault(alert.subject, []).append(
            {
                "id": alert.id,
                "tier": alert.tier,
                "status": alert.status,
                "episode_start": alert.episode_start.isoformat(),
            }
        )
    return [_enterprise_row(who, e, alerts.get(e.uscc, [])) for e in found]


def _enterprise_row(who: Principal, e: Enterprise, alerts: list[dict[str, Any]]) -> dict[str, Any]:
    row: dict[str, Any] = {"uscc": e.uscc, "name": e.name, "status": e.status, "alerts": alerts}
    if who.sees("location"):
        row["township"] = e.township
    if who.sees("industry"):
        row["industry"] = industry_text(e.industry)
        row["chain"] = e.chain or ""
    return row


@router.get("/enterprises")
def enterprises(request: Request, session: DB, who: Officer, q: str = "") -> Response:
    found = search_enterprises(session, who, q)
    return page(request, "enterprises.html", who, q=q, found=found, limit=SEARCH_LIMIT)


@router.get("/api/enterprises")
def enterprises_json(session: DB, who: Officer, q: str = "") -> Response:
    return JSONResponse(search_enterprises(session, who, q), headers={})


# -- data engineers -----------------------------------------------------------------------------


@router.get("/engineering/models")
def models(request: Request, session: DB, who: Engineer) -> Response:
    versions = list(session.exec(select(ModelVersion).order_by(col(ModelVersion.trained_at).desc())))
    tz = console_of(request).settings.tz
    rows = [
        {
            "version": v.version, "status": v.status, "trained_at": local_time(v.trained_at, tz), "by": v.trained_by,
            "as_of": v.as_of.isoformat(), "holdout": f"{v.holdout_from} ~ {v.holdout_to}",
            "metrics": _headline(v.metrics), "report": bool(v.report_path),
        }
        for v in versions
    ]  # fmt: skip
    return page(request, "models.html", who, rows=rows)


@router.get("/engineering/models/{version}/report/{name}")
def model_report(session: DB, who: Engineer, version: str, name: str) -> Response:
    model = session.get(ModelVersion, version)
    if model is None or not model.report_path:
        raise NotFound
    report = Path(model.report_path)
    return _report_file(report if report.is_dir() else report.parent, name)


@router.get("/engineering/quality")
def quality(request: Request, session: DB, who: Engineer) -> Response:
    tz = console_of(request).settings.tz
    latest = {}
    for source in SOURCES:
        run = session.exec(
            select(ValidationRun)
            .where(ValidationRun.source == source)
            .order_by(col(ValidationRun.run_at).desc())
            .limit(1)
        ).first()
        if run is not None:
            failed = [r for r in run.results if not r.get("success")]
            latest[source] = {"run_at": local_time(run.run_at, tz), "batch": run.batch_id[:12], "success": run.success,
                              "evaluated": run.evaluated, "successful": run.successful, "failed": failed}  # fmt: skip
    b = _BATCH.c
    totals = session.execute(
        sa.select(
            b.source, sa.func.count(), sa.func.sum(b.rows_valid), sa.func.sum(b.rows_quarantined),
            sa.func.sum(b.rows_rejected), sa.func.max(b.received_at),
        ).group_by(b.source)
    ).all()  # fmt: skip
    rejected = list(session.exec(
        select(IngestionBatch).where(IngestionBatch.status == "rejected").order_by(col(IngestionBatch.received_at).desc()).limit(20)
    ))  # fmt: skip
    return page(
        request,
        "quality.html",
        who,
        latest=latest,
        totals=totals,
        rejected=rejected,
        tz=tz,
        local_time=local_time,
    )


@router.get("/engineering/reports")
def daily_reports(request: Request, who: Engineer) -> Response:
    folder = console_of(request).settings.reports / "daily"
    days = sorted((p.name for p in folder.iterdir() if p.is_dir()), reverse=True) if folder.exists() else []
    listed = [
        {"day": d, "files": sorted(f.name for f in (folder / d).iterdir() if _FILE_NAME.match(f.name))}
        for d in days[:120]
    ]
    return page(request, "reports.html", who, days=listed)


@router.get("/engineering/reports/{day}/{name}")
def daily_report_file(request: Request, who: Engineer, day: str, name: str) -> Response:
    from datetime import date

    try:
        as_of = date.fromisoformat(day)
    except ValueError:
        raise NotFound from None
    return _report_file(report_folder(console_of(request).settings, as_of), name)


# -- accounts -----------------------------------------------------------------------------------


@router.get("/admin/users")
def users(request: Request, session: DB, who: Administrator) -> Response:
    tz = console_of(request).settings.tz
    rows = [
        {"username": u.username, "display_name": u.display_name, "role": ROLE_ZH[u.role], "disabled": u.disabled,
         "created_at": local_time(u.created_at, tz), "password_changed_at": local_time(u.password_changed_at, tz)}
        for u in list_users(session)
    ]  # fmt: skip
    return page(request, "users.html", who, rows=rows)


def _headline(metrics: dict[str, Any]) -> dict[str, str]:
    model = metrics.get("model") or {}
    out = {}
    for key, label in (
        ("pr_auc", "PR-AUC"),
        ("roc_auc", "ROC-AUC"),
        ("brier", "Brier"),
        ("recall_top1pct", "前1%召回率"),
    ):
        if isinstance(model.get(key), int | float):
            out[label] = f"{model[key]:.4f}" if key == "brier" else f"{model[key]:.3f}"
    return out


def _report_file(folder: Path, name: str) -> Response:
    """A file of a report folder by its plain name (no path may reach outside the folder)."""
    if not _FILE_NAME.match(name):
        raise NotFound
    path = (folder / name).resolve()
    if path.parent != folder.resolve() or not path.is_file():
        raise NotFound
    headers = {"Content-Security-Policy": REPORT_CSP}
    if path.suffix == ".xlsx":
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return FileResponse(path, headers=headers)
