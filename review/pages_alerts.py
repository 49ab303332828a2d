"""The inbox, the alert page, the officers' actions on an alert, and their exports and JSON.

Every handler takes the office from the signed-in person and reads through ``review.inbox``, which
puts the office in the query: another office's alert is a 404 exactly like one that does not exist.
"""

from __future__ import annotations

import io
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from alerts.actions import act
from alerts.lifecycle import CONFIRMED_OUTCOMES, STATUS_ZH
from alerts.silences import add_silence, lift_silences
from layoffwatch.errors import UserError
from models.tiers import TIER_ZH
from review.accounts import record_event
from review.alert_page import alert_page, local_time
from review.app import DB, NotFound, Officer, Posted, Principal, console_of, page, require_officer
from review.inbox import ALERT_TIERS, InboxFilter, day_from_form, inbox_page, visible_alert
from sources.schema import OUTCOME_ZH
from sources.text import spreadsheet_safe
from store.tables import Alert

router = APIRouter()
EXPORT_LIMIT = 10_000


@router.get("/alerts")
def inbox(request: Request, session: DB, who: Officer) -> Response:
    assert who.office is not None
    wanted = InboxFilter.from_query(dict(request.query_params))
    listing = inbox_page(session, office=who.office.key, wanted=wanted)
    return page(
        request, "inbox.html", who, listing=listing, tiers=ALERT_TIERS, statuses=list(STATUS_ZH),
        rows=[_inbox_row(r, who, console_of(request).settings.tz) for r in listing.rows],
    )  # fmt: skip


@router.get("/api/alerts")
def inbox_json(request: Request, session: DB, who: Officer) -> Response:
    assert who.office is not None
    wanted = InboxFilter.from_query(dict(request.query_params))
    listing = inbox_page(session, office=who.office.key, wanted=wanted)
    tz = console_of(request).settings.tz
    return JSONResponse({
        "total": listing.total, "page": wanted.page, "pages": listing.pages, "counts": listing.counts,
        "alerts": [_inbox_row(r, who, tz) for r in listing.rows],
    })  # fmt: skip


@router.get("/alerts/export.csv")
def inbox_export(request: Request, session: DB, who: Officer) -> Response:
    assert who.office is not None
    wanted = InboxFilter.from_query(dict(request.query_params) | {"page": "1"})
    listing = inbox_page(session, office=who.office.key, wanted=wanted, limit=EXPORT_LIMIT)
    rows = [_inbox_row(r, who, console_of(request).settings.tz) for r in listing.rows]
    headers = {"id": "预警编号", "name": "企业或区域", "uscc": "统一社会信用代码", "tier_zh": "风险等级",
               "probability": "风险概率", "township": "所属乡镇（街道）", "chain": "产业链", "status_zh": "状态",
               "episode_start": "预警日期", "as_of": "数据截至", "assigned_to": "核查人", "verify_due": "核查时限"}  # fmt: skip
    present = [k for k in headers if not rows or k in rows[0]]
    frame = pl.DataFrame(
        [{k: r.get(k) for k in present} for r in rows], schema=dict.fromkeys(present, pl.String)
    )
    frame = frame.select(spreadsheet_safe(pl.col(k)).alias(headers[k]) for k in present)
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_bom=True)
    console = console_of(request)
    record_event(session, username=who.username, action="export_alerts", now=console.now(),
                 details={"rows": frame.height, "filter": wanted.query_string()})  # fmt: skip
    session.commit()
    name = f"alerts-{console.today().isoformat()}.csv"
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@router.get("/alerts/{alert_id:int}")
def alert_detail(request: Request, session: DB, who: Officer, alert_id: int) -> Response:
    alert = _visible(session, alert_id, who)
    console = console_of(request)
    shown = alert_page(session, alert, who, tz=console.settings.tz, today=console.today())
    return page(
        request, "alert.html", who, p=shown, outcomes=CONFIRMED_OUTCOMES, outcome_zh=OUTCOME_ZH,
        opened=local_time(alert.opened_at, console.settings.tz), deadline=local_time(alert.ack_deadline, console.settings.tz),
        flash=request.query_params.get("done"),
    )  # fmt: skip


@router.get("/api/alerts/{alert_id:int}")
def alert_json(request: Request, session: DB, who: Officer, alert_id: int) -> Response:
    alert = _visible(session, alert_id, who)
    console = console_of(request)
    shown = alert_page(session, alert, who, tz=console.settings.tz, today=console.today())
    return JSONResponse({
        "id": alert.id, "kind": alert.kind, "status": alert.status, "status_zh": STATUS_ZH[alert.status],
        "tier": alert.tier, "tier_zh": TIER_ZH.get(alert.tier, alert.tier), "firing": alert.firing,
        "episode_start": alert.episode_start.isoformat(), "as_of": alert.as_of.isoformat(),
        "view": shown.view, "history": shown.history, "messages": shown.messages, "actions": shown.actions,
    })  # fmt: skip


@router.post("/alerts/{alert_id:int}/act")
def alert_action(
    request: Request,
    session: DB,
    who: Posted,
    alert_id: int,
    action: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    assignee: Annotated[str, Form()] = "",
    due: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "",
    affected_workers: Annotated[str, Form()] = "",
) -> Response:
    _lead_alert(
        session, alert_id, who, refusal="只有牵头部门（人社局）可以处置预警；贵单位可以查看预警和相关情况。"
    )
    session.close()  # the action is its own unit of work
    console = console_of(request)
    act(
        console.settings, alert_id, action, by=who.username, reason=reason, now=console.now(),
        assignee=assignee.strip() or None, due=day_from_form(due, "核查时限"), outcome=outcome or None,
        affected_workers=_count(affected_workers),
    )  # fmt: skip
    return RedirectResponse(f"/alerts/{alert_id}?done={action}", status_code=303)


@router.post("/alerts/{alert_id:int}/silence")
def alert_silence(
    request: Request,
    session: DB,
    who: Posted,
    alert_id: int,
    reason: Annotated[str, Form()] = "",
    until: Annotated[str, Form()] = "",
    lift: Annotated[str, Form()] = "",
) -> Response:
    refusal = "只有牵头部门（人社局）可以对企业预警设置静默。"
    alert = _lead_alert(session, alert_id, who, refusal=refusal)
    if alert.kind != "enterprise":
        raise UserError(refusal)
    console = console_of(request)
    now = console.now()
    if lift:
        lifted = lift_silences(session, alert.subject, by=who.username, now=now)
        record_event(session, username=who.username, action="silence_lifted", target=alert.subject, now=now,
                     details={"alert_id": alert_id, "lifted": lifted})  # fmt: skip
    else:
        day = day_from_form(until, "静默截止日期")
        if day is None:
            raise UserError("设置静默需要填写截止日期。")
        add_silence(
            session, alert.subject, until=day, reason=reason, by=who.username, now=now, as_of=console.today()
        )
        record_event(session, username=who.username, action="silenced", target=alert.subject, now=now,
                     details={"alert_id": alert_id, "until": day.isoformat(), "reason": reason.strip()})  # fmt: skip
    session.commit()
    return RedirectResponse(f"/alerts/{alert_id}?done={'lift' if lift else 'silence'}", status_code=303)


def _lead_alert(session: Session, alert_id: int, who: Principal, *, refusal: str) -> Alert:
    """The alert, for the lead office's officer; 404 for an alert not routed to the office (as on
    every page), ``refusal`` for an office that may see it but not act on it."""
    alert = _visible(session, alert_id, require_officer(who))
    if not who.runs_workflow:
        raise UserError(refusal)
    return alert


def _visible(session: Session, alert_id: int, who: Principal) -> Alert:
    assert who.office is not None
    alert = visible_alert(session, alert_id, office=who.office.key)
    if alert is None:
        raise NotFound
    return alert


def _inbox_row(row: dict[str, Any], who: Principal, tz: Any) -> dict[str, Any]:
    """One inbox row with only what the office may see."""
    out: dict[str, Any] = {
        "id": row["id"], "kind": row["kind"], "name": row["subject_name"],
        "uscc": row["subject"] if row["kind"] == "enterprise" else "",
        "tier": row["tier"], "tier_zh": TIER_ZH.get(row["tier"], row["tier"]), "firing": row["firing"],
        "status": row["status"], "status_zh": STATUS_ZH[row["status"]],
        "episode_start": row["episode_start"].isoformat(), "as_of": row["as_of"].isoformat(),
        "assigned_to": row["assigned_to"] or "", "verify_due": row["verify_due"].isoformat() if row["verify_due"] else "",
        "ack_deadline": local_time(row["ack_deadline"], tz),
    }  # fmt: skip
    if who.sees("probability"):
        out["probability"] = "" if row["probability"] is None else f"{row['probability']:.0%}"
    if who.sees("location"):
        out["township"] = row["township"] or ""
    if who.sees("industry"):
        out["chain"] = row["chain"] or ""
    return out


def _count(value: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit():
        raise UserError(f"涉及人数 {value!r} 应为不小于 0 的整数。")
    return int(value.strip())
