"""Who may open what on the review console: every route for every role, the fields each office is
shown on pages, exports and JSON, hostile text, CSRF, and sessions."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from alerts.config import load_alerting
from alerts.fields import visible_details
from review.app import create_app
from store.db import engine_for
from store.tables import ROLES, Alert
from tests.unit.alerts.builders import code
from tests.unit.console.console_home import HOSTILE_TEXT, PASSWORD, ConsoleHome, sign_in

OFFICES = ("hr", "public_security", "petitions", "cyberspace")
ENGINEERS = ("data_engineer", "admin")
ANYONE = (*ROLES, None)


def alerts_by_enterprise(console: ConsoleHome) -> dict[int, Alert]:
    with Session(engine_for(console.settings)) as session:
        rows = list(session.exec(select(Alert).where(Alert.kind == "enterprise")))
    return {int(a.subject[-8:]): a for a in rows}


def visible_to(console: ConsoleHome, office: str) -> set[int]:
    return {a.id for a in alerts_by_enterprise(console).values() if office in a.offices}  # type: ignore[misc]


def hidden_from(console: ConsoleHome, office: str) -> int:
    return next(a.id for a in alerts_by_enterprise(console).values() if office not in a.offices)  # type: ignore[return-value]


def test_the_day_routed_each_office_its_own_alerts(console: ConsoleHome) -> None:
    alerts = alerts_by_enterprise(console)
    assert set(alerts) == {1, 2, 3, 4}
    assert "public_security" in alerts[1].offices and "petitions" in alerts[2].offices
    assert "cyberspace" in alerts[3].offices and alerts[4].offices == ["hr"]


# -- every route, every role --------------------------------------------------------------------


def expected_get(route: str, role: str | None, console: ConsoleHome) -> tuple[str, int]:
    """The concrete URL to try for ``route`` as ``role`` and the status it must answer."""
    is_api = route.startswith("/api/")
    anonymous = 401 if is_api else 303
    office_only = {"/alerts", "/api/alerts", "/alerts/export.csv", "/watchlist", "/api/watchlist",
                   "/watchlist/export.{format}", "/enterprises", "/api/enterprises"}  # fmt: skip
    engineering = {"/engineering/models", "/engineering/quality", "/engineering/reports",
                   "/engineering/models/{version}/report/{name}", "/engineering/reports/{day}/{name}"}  # fmt: skip
    url = (route.replace("{format}", "xlsx").replace("{version}", "m1").replace("{name}", "report.html")
           .replace("{day}", "2026-03-02"))  # fmt: skip
    if route == "/static/console.css" or route == "/login":
        return url, 200
    if role is None:
        return url.replace("{alert_id}", str(hidden_from(console, "public_security"))), anonymous
    if route == "/":
        return url, 303
    if route in office_only:
        return url, 200 if role in OFFICES else 403
    if route in engineering:
        # The demo home has no report files: an engineer reaches the handler and gets 404.
        return url, (404 if "{name}" in route else 200) if role in ENGINEERS else 403
    if route == "/admin/users":
        return url, 200 if role == "admin" else 403
    if "{alert_id}" in route:
        if role not in OFFICES:
            return url.replace("{alert_id}", str(hidden_from(console, "public_security"))), 403
        mine, theirs = (
            sorted(visible_to(console, role))[0],
            hidden_from(console, role) if role != "hr" else None,
        )
        if theirs is not None and role != "hr":
            return url.replace("{alert_id}", str(theirs)), 404
        return url.replace("{alert_id}", str(mine)), 200
    raise AssertionError(f"no expectation for GET {route}: add it to this test")


def routes(console: ConsoleHome, method: str) -> list[str]:
    """Every route of the app answering ``method``, with path convertors dropped (``{id:int}`` -> ``{id}``)."""
    app = create_app(console.settings, clock=lambda: console.now)
    flat = [r for top in app.routes for r in getattr(getattr(top, "original_router", None), "routes", [top])]
    paths = sorted(
        re.sub(r"\{(\w+):\w+\}", r"{\1}", r.path) for r in flat if method in getattr(r, "methods", set())
    )
    assert len(paths) >= (12 if method == "GET" else 4), paths
    return paths


@pytest.mark.parametrize("role", ANYONE)
def test_every_get_route_answers_each_role_as_it_may(console: ConsoleHome, role: str | None) -> None:
    client = console.client(role)
    seen = []
    for route in routes(console, "GET"):
        url, status = expected_get(route, role, console)
        response = client.get(url)
        seen.append((route, url, response.status_code, status))
    wrong = [s for s in seen if s[2] != s[3]]
    assert not wrong, f"{role}: (route, url, got, expected) {wrong}"
    if role is not None:
        own_other = next(((r, u) for r, u, got, _ in seen if "{alert_id}" in r and got == 404), None)
        assert role == "hr" or role in ENGINEERS or own_other, "another office's alert was not tried"


def test_another_offices_alert_is_404_on_its_page_its_json_and_its_actions(console: ConsoleHome) -> None:
    client = console.client("cyberspace")
    theirs = hidden_from(console, "cyberspace")
    page = client.get(f"/alerts/{theirs}")
    assert page.status_code == 404 and "没有找到" in page.text
    assert client.get(f"/api/alerts/{theirs}").status_code == 404
    assert client.get("/alerts/999999").text == page.text  # the same answer as an alert that does not exist
    token = csrf_of(client)
    for path in (f"/alerts/{theirs}/act", f"/alerts/{theirs}/silence"):
        response = client.post(path, data={"csrf_token": token, "action": "acknowledge", "reason": "x"})
        assert response.status_code == 404, path


@pytest.mark.parametrize("role", ANYONE)
def test_every_post_route_refuses_who_may_not_post_it(console: ConsoleHome, role: str | None) -> None:
    client = console.client(role)
    token = csrf_of(client) if role is not None else ""
    mine = sorted(visible_to(console, role))[0] if role in OFFICES else hidden_from(console, "cyberspace")
    for route in routes(console, "POST"):
        url = route.replace("{alert_id}", str(mine))
        if route == "/login":
            continue  # signing in is tested on its own
        # An empty action: a person allowed to post reaches the handler and is told it is missing.
        response = client.post(
            url, data={"csrf_token": token, "action": ""} if route != "/logout" else {"csrf_token": "wrong"}
        )
        if role is None:
            assert response.status_code == 401, (route, response.status_code)
        elif route == "/logout":
            assert response.status_code == 403  # a wrong token does not even sign out
        elif role in ENGINEERS:
            assert response.status_code == 403, (role, route)
        else:
            assert response.status_code == 400, (role, route, response.status_code)
            if role != "hr":
                assert "牵头部门" in response.text


def csrf_of(client: TestClient) -> str:
    page = client.get("/alerts")
    if page.status_code != 200:
        page = client.get("/engineering/models")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "no CSRF token on the page"
    return found.group(1)


# -- fields each office may see ----------------------------------------------------------------


@pytest.mark.parametrize("office", OFFICES)
def test_alert_json_carries_exactly_the_offices_view(console: ConsoleHome, office: str) -> None:
    config = load_alerting(console.settings)
    client = console.client(office)
    for alert in alerts_by_enterprise(console).values():
        if office not in alert.offices:
            continue
        body = client.get(f"/api/alerts/{alert.id}").json()
        expected = visible_details(alert.details, config.office(office).sees)
        assert body["view"] == expected


def test_public_security_is_not_shown_probability_industry_or_online_posts(console: ConsoleHome) -> None:
    client = console.client("public_security")
    alert = alerts_by_enterprise(console)[1]
    page = client.get(f"/alerts/{alert.id}").text
    assert "概率" not in page and "行业" not in page and "产业链" not in page
    assert "近90天涉企警情" in page and "聚集" in page
    assert "要裁员了" not in page  # the online post about enterprise 1 is cyberspace's, not theirs
    inbox = client.get("/alerts").text
    assert "风险概率" not in inbox and "产业链" not in inbox
    exported = client.get("/alerts/export.csv").content.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(exported)))
    assert "风险概率" not in header and "产业链" not in header and "预警编号" in header
    assert all(
        row[0] != str(alerts_by_enterprise(console)[4].id) for row in csv.reader(io.StringIO(exported))
    )


def test_cyberspace_sees_online_excerpts_but_not_headcount_or_police(console: ConsoleHome) -> None:
    client = console.client("cyberspace")
    alert = alerts_by_enterprise(console)[3]
    page = client.get(f"/alerts/{alert.id}").text
    assert "工资拖欠三个月了" in page
    assert "参保人数" not in page and "警情" not in page and "信访" not in page.split("舆情信访摘录")[1]
    watch = client.get("/api/watchlist").json()
    assert watch and all("headcount" not in row and "risk_factors" not in row for row in watch)
    assert {row["uscc"] for row in watch} <= {code(3)}


def test_hr_sees_every_alert_and_every_channel(console: ConsoleHome) -> None:
    client = console.client("hr")
    inbox = client.get("/api/alerts").json()
    assert {a["id"] for a in inbox["alerts"]} == {a.id for a in alerts_by_enterprise(console).values()}
    assert all("probability" in a for a in inbox["alerts"])
    page = client.get(f"/alerts/{alerts_by_enterprise(console)[1].id}").text
    assert "拉横幅" in page and "要裁员了" in page  # the police record and the online post


def test_the_inbox_filters_sorts_and_counts(console: ConsoleHome) -> None:
    client = console.client("hr")

    def ids(query: str) -> list[int]:
        body = client.get(f"/api/alerts?{query}").json()
        return [a["id"] for a in body["alerts"]]

    alerts = alerts_by_enterprise(console)
    everything = ids("")
    assert everything[0] == alerts[1].id and everything[1] == alerts[2].id  # red, then orange
    assert ids("tier=red") == [alerts[1].id]
    assert set(ids("township=上马街道")) == set(everything) and ids("township=别处") == []
    assert ids("date_from=2026-03-03") == [] and set(ids("date_to=2026-03-02")) == set(everything)
    assert ids("status=closed") == [] and ids("page=2") == []
    counts = client.get("/api/alerts?tier=red").json()["counts"]
    assert counts["open"] + counts["verifying"] + counts["acknowledged"] == 1
    bad = client.get("/alerts?tier=purple")
    assert bad.status_code == 400 and "风险等级 &#39;purple&#39; 无效" in bad.text
    assert client.get("/alerts?date_from=2026-13-01").status_code == 400


# -- hostile text, CSRF, sessions ---------------------------------------------------------------


@pytest.mark.parametrize("office", ["hr", "cyberspace"])
def test_a_script_bearing_sentiment_record_renders_as_text(console: ConsoleHome, office: str) -> None:
    page = console.client(office).get(f"/alerts/{alerts_by_enterprise(console)[3].id}")
    excerpts = page.text.split('id="excerpts"')[1].split("</div>\n</div>")[0]
    # The tags are gone (alerts quote a record's readable text); what they wrapped is shown as text.
    assert "<script" not in page.text and "<img" not in page.text and "onerror" not in page.text
    assert "alert(&#34;x&#34;)" in excerpts and "=HYPERLINK(" in excerpts and "工资拖欠三个月了" in excerpts
    assert "script-src" not in page.headers["content-security-policy"]  # no script source at all
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert HOSTILE_TEXT.startswith("<script>")


def test_text_an_officer_types_is_escaped_where_it_is_shown(console: ConsoleHome) -> None:
    client = console.client("hr")
    alert = alerts_by_enterprise(console)[2]
    typed = '<script>alert("silence")</script>停产整顿'
    response = client.post(f"/alerts/{alert.id}/silence", data={
        "csrf_token": csrf_of(client), "until": "2026-03-20", "reason": typed,
    })  # fmt: skip
    assert response.status_code == 303
    page = client.get(f"/alerts/{alert.id}").text
    assert "&lt;script&gt;alert(&#34;silence&#34;)&lt;/script&gt;停产整顿" in page and "<script>" not in page
    lifted = client.post(f"/alerts/{alert.id}/silence", data={"csrf_token": csrf_of(client), "lift": "1"})
    assert lifted.status_code == 303 and "停产整顿" not in client.get(f"/alerts/{alert.id}").text


def test_a_post_without_the_sessions_csrf_token_is_refused(console: ConsoleHome) -> None:
    client = console.client("hr")
    alert = alerts_by_enterprise(console)[4]
    for token in (None, "", "forged", csrf_of(console.client("hr"))):  # the last: another session's
        data = {"action": "acknowledge", "reason": "收到"} | (
            {"csrf_token": token} if token is not None else {}
        )
        response = client.post(f"/alerts/{alert.id}/act", data=data)
        assert response.status_code == 403 and "表单已过期或来源不明" in response.text
    assert alerts_by_enterprise(console)[4].status == "open"


def test_sign_in_needs_its_form_token_and_ignores_a_foreign_next(console: ConsoleHome) -> None:
    client = console.client()
    refused = client.post("/login", data={"username": "hr", "password": PASSWORD, "csrf_token": "x"})
    assert refused.status_code == 403 and "lw_session" not in refused.cookies
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = sign_in(console.client(), "hr", PASSWORD, next=target)
        assert response.status_code == 303 and response.headers["location"] == "/alerts"  # type: ignore[attr-defined]
    response = sign_in(console.client(), "hr", PASSWORD, next="/alerts/2?x=1")
    assert response.headers["location"] == "/alerts/2?x=1"  # type: ignore[attr-defined]
    # The session's pages start on a new connection, to whichever server process is waiting.
    assert response.headers["connection"] == "close"  # type: ignore[attr-defined]


def test_a_page_asks_for_sign_in_and_returns_to_it(console: ConsoleHome) -> None:
    client = console.client()
    response = client.get("/alerts/3?done=x")
    assert (
        response.status_code == 303 and response.headers["location"] == "/login?next=%2Falerts%2F3%3Fdone%3Dx"
    )
    form = client.get(response.headers["location"])
    assert 'name="next" value="/alerts/3?done=x"' in form.text


def test_a_session_ends_after_idle_time_and_at_sign_out(console: ConsoleHome) -> None:
    moments = [console.now]
    client = console.client("petitions", clock=lambda: moments[-1])
    assert client.get("/alerts").status_code == 200
    moments.append(console.now + timedelta(minutes=29))
    assert client.get("/alerts").status_code == 200  # each request keeps it alive
    moments.append(console.now + timedelta(minutes=29 + 31))
    assert client.get("/alerts").status_code == 303
    client = console.client("petitions")
    assert client.post("/logout", data={"csrf_token": csrf_of(client)}).status_code == 303
    client.cookies.clear()
    stolen = console.client("petitions")
    cookie = stolen.cookies["lw_session"]
    stolen.post("/logout", data={"csrf_token": csrf_of(stolen)})
    replay = console.client()
    replay.cookies.set("lw_session", cookie)
    assert replay.get("/alerts").status_code == 303  # a signed-out token opens nothing


def test_enterprise_search_finds_by_name_or_code_with_the_offices_alerts(console: ConsoleHome) -> None:
    found = console.client("petitions").get("/api/enterprises?q=测试企业").json()
    assert {e["uscc"] for e in found} == {code(n) for n in range(1, 7)}
    with_alerts = {e["uscc"]: [a["id"] for a in e["alerts"]] for e in found if e["alerts"]}
    assert with_alerts == {
        code(2): [alerts_by_enterprise(console)[2].id]
    }  # only the alert routed to petitions
    assert all("industry" not in e for e in found)  # petitions does not see industries
    by_code = console.client("hr").get(f"/api/enterprises?q={code(3)[:12]}").json()
    assert {e["uscc"] for e in by_code} == {code(n) for n in range(1, 7)}
    assert console.client("hr").get("/api/enterprises?q=%25%25").json() == []  # wildcards are characters
    assert console.client("hr").get("/enterprises?q=x").status_code == 400


def test_cookies_are_marked_secure_behind_an_https_gateway(console: ConsoleHome) -> None:
    from fastapi.testclient import TestClient

    plain = console.client().get("/login").headers["set-cookie"].lower()
    app = create_app(console.settings, clock=lambda: console.now, secure_cookies=True)
    behind = TestClient(app, base_url="http://127.0.0.1:8000").get("/login").headers["set-cookie"].lower()
    assert "secure" not in plain and "secure" in behind and "httponly" in behind and "samesite=lax" in behind


def test_data_engineers_see_models_data_quality_and_daily_reports(console: ConsoleHome) -> None:
    from alerts.report.daily import write_daily_report
    from store import batches
    from tests.unit.alerts.builders import at, day

    with Session(engine_for(console.settings)) as session:
        batches.record_batch(
            session, id="b" * 64, source="payroll", file_name="工资.csv", file_path="/landing/payroll/工资.csv",
            format="csv", status="ingested", received_at=at(0), rows_read=10, rows_valid=7, rows_quarantined=3,
        )  # fmt: skip
        session.commit()
    write_daily_report(console.settings, as_of=day(0), now=at(0, hours=2))
    client = console.client("data_engineer")
    assert "m1" in client.get("/engineering/models").text
    quality = client.get("/engineering/quality").text
    assert "payroll" in quality and '<td class="num">3</td>' in quality
    listing = client.get("/engineering/reports").text
    files = re.findall(r'href="(/engineering/reports/2026-03-02/[^"]+)"', listing)
    assert any(f.endswith(".html") for f in files) and any(f.endswith(".xlsx") for f in files)
    report = client.get(next(f for f in files if f.endswith(".html")))
    assert report.status_code == 200 and "style-src 'unsafe-inline'" in report.headers["content-security-policy"]
    assert "script-src" not in report.headers["content-security-policy"]
    for sneaky in ("..%2F..%2Flayoffwatch.db", "%2E%2E", ".hidden", "report.html%00"):
        assert client.get(f"/engineering/reports/2026-03-02/{sneaky}").status_code == 404
    assert console.client("hr").get(files[0]).status_code == 403  # officers act on alerts, not on reports


# -- these change the alerts: last in the module ------------------------------------------------


def test_exports_are_safe_against_spreadsheet_formulas(console: ConsoleHome) -> None:
    client = console.client("hr")
    alert = alerts_by_enterprise(console)[1]
    formula = '=HYPERLINK("http://evil.example","点此")'
    response = client.post(f"/alerts/{alert.id}/act", data={
        "csrf_token": csrf_of(client), "action": "verify", "assignee": formula, "due": "2026-03-09", "reason": "派员核查",
    })  # fmt: skip
    assert response.status_code == 303
    rows = list(csv.reader(io.StringIO(client.get("/alerts/export.csv").content.decode("utf-8-sig"))))
    assigned = [row[rows[0].index("核查人")] for row in rows[1:] if row[0] == str(alert.id)]
    assert assigned == ["'" + formula]
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get("/watchlist/export.xlsx").content))
    cells = [c.value for row in book.active.iter_rows() for c in row if isinstance(c.value, str)]  # type: ignore[union-attr]
    assert cells and not any(c.startswith(("=", "+", "-", "@")) for c in cells)


def test_the_whole_lifecycle_through_the_console_ends_in_a_training_label(console: ConsoleHome) -> None:
    import polars as pl

    from sources.schema import OUTCOMES
    from store import lake

    client = console.client("hr")
    alert = alerts_by_enterprise(console)[4]
    steps = [
        ({"action": "acknowledge", "reason": "已收到"}, "已确认收到"),
        ({"action": "verify", "assignee": "李核查", "due": "2026-03-06", "reason": "派员实地核查"}, "核查中"),
        (
            {
                "action": "confirm",
                "outcome": "mass_layoff",
                "affected_workers": "30",
                "reason": "企业确认裁员30人",
            },
            "核查属实",
        ),
        ({"action": "close", "reason": "已纳入帮扶"}, "已关闭"),
    ]
    for form, status in steps:
        response = client.post(f"/alerts/{alert.id}/act", data={"csrf_token": csrf_of(client)} | form)
        assert response.status_code == 303, response.text
        page = client.get(response.headers["location"]).text
        assert f'<dd id="alert-status">{status}</dd>' in page
    history = client.get(f"/api/alerts/{alert.id}").json()["history"]
    assert [h["by"] for h in history[-4:]] == ["hr"] * 4
    assert "核查结果：规模裁员" in history[-2]["extra"]
    labels = lake.scan(console.settings, OUTCOMES).filter(pl.col("uscc") == alert.subject).collect()
    assert (
        labels.height == 1 and labels["outcome"][0] == "mass_layoff" and labels["affected_workers"][0] == 30
    )
    again = client.post(
        f"/alerts/{alert.id}/act",
        data={"csrf_token": csrf_of(client), "action": "acknowledge", "reason": "x"},
    )
    assert again.status_code == 400 and "已关闭" in again.text
