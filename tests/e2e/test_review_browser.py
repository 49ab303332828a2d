"""The review console in a real headless Chromium (Debian's, driven by Playwright) against the real
server (``layoffwatch web``): each office opens the alert its notification links to, signs in, lands
on that alert and sees what it may see and nothing else; the lead office (人社) takes an alert through
its whole lifecycle by clicking the forms, and silences and lifts another; a hostile sentiment record
renders as text, and so does markup an officer types; signing out ends the session. Screenshots of
each office's inbox and alert page are saved under ``test-artifacts/screenshots/``.

The home is ``tests/unit/console/console_home.build``: one day of the real alerting step, its outbox
delivered by the local channel into ``<home>/outbox/<office>/``, where the links are read from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from playwright.sync_api import Browser, Dialog, Page, sync_playwright
from sqlmodel import Session, select

from alerts.config import load_alerting
from alerts.dispatch import dispatch
from alerts.lifecycle import ACTION_ZH
from layoffwatch.settings import Settings
from store import db
from store.tables import Alert, Notification, Silence
from tests.e2e.browser import (
    ConsoleServer,
    chromium_path,
    free_port,
    history_rows,
    launch_chromium,
    notification_links,
    screenshot,
    sign_in,
    submit,
)
from tests.unit.console.console_home import PASSWORD, build
from tests.unit.watchlist.builders import code

CHROMIUM = chromium_path()
if CHROMIUM is None:
    pytest.skip("no Chromium: neither /usr/bin/chromium nor `chromium` on the PATH", allow_module_level=True)

pytestmark = pytest.mark.slow

OFFICES = ("hr", "public_security", "petitions", "cyberspace")
SHANGHAI = ZoneInfo("Asia/Shanghai")
MIN_SCREENSHOT_BYTES = 10_000
PNG = b"\x89PNG\r\n\x1a\n"

# Which enterprise's alert (tests/unit/console/console_home.py: 1 police → hr + public security,
# 2 petitions → hr + petitions, 3 online posts → hr + cyberspace, 4 → hr only) each office opens from
# its notification, what the page must show and what it must not (alerts/default_alerting.yaml `sees`).
OPENS = {"hr": 1, "public_security": 1, "petitions": 2, "cyberspace": 3}
SHOWN = {
    "hr": ["概率约40%", "行业", "参保人数", "近30天减员", "近90天涉企警情", "拉横幅", "要裁员了"],
    "public_security": ["参保人数", "近90天涉企警情", "近90天单次聚集最多人数", "拉横幅"],
    "petitions": ["参保人数", "欠薪人数", "近90天信访件数", "拖欠工资", "138********"],
    "cyberspace": ["近90天网络舆情", "工资拖欠三个月了"],
}
HIDDEN = {
    "hr": [],
    "public_security": [
        "概率",
        "行业",
        "产业链",
        "近30天减员",
        "欠薪人数",
        "报告欠薪",
        "要裁员了",
        "网络舆情",
    ],
    "petitions": ["概率", "行业", "产业链", "近30天减员", "13812345678", "警情", "网络舆情"],
    "cyberspace": ["概率", "行业", "参保人数", "近30天减员", "欠薪人数", "警情", "拉横幅", "信访件数"],
}
# hr sees the excerpts of every channel: enterprise -> texts of its records' excerpts.
HR_EXCERPTS = {
    1: ["警情", "拉横幅", "网络舆情", "要裁员了"],
    2: ["信访", "拖欠工资"],
    3: ["网络舆情", "工资拖欠三个月了"],
}


@dataclass(frozen=True)
class Site:
    server: ConsoleServer
    settings: Settings
    links: dict[str, dict[int, str]]  # office -> alert id -> the link its notification carries
    alert_of: dict[int, int]  # enterprise number -> its alert id
    routed: dict[str, set[int]]  # office -> the ids of the alerts routed to it, as the day's run left them
    delivered: set[str]  # the statuses of the day's notifications once the outbox was sent

    def path(self, n: int) -> str:
        return f"/alerts/{self.alert_of[n]}"

    def alert(self, n: int) -> Alert:
        with Session(db.engine_for(self.settings)) as session:
            found = session.get(Alert, self.alert_of[n])
            assert found is not None
            return found

    def listed(self, office: str) -> set[int]:
        """The ids the office's inbox should list by default: routed to it, not closed."""
        with Session(db.engine_for(self.settings)) as session:
            alerts = session.exec(select(Alert).where(Alert.status != "closed"))
            return {a.id for a in alerts if office in (a.offices or []) and a.id is not None}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The console home, its notifications delivered to the outbox folders, and ``layoffwatch web``
    serving it on a free port (the port the notifications link to)."""
    port = free_port()
    home = tmp_path_factory.mktemp("browser") / "home"
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'layoffwatch.db'}")
    console = build(settings, link=f"http://127.0.0.1:{port}/alerts/{{id}}")
    delivered = dispatch(settings, load_alerting(settings), clock=lambda: console.now)
    assert delivered.digests == 1 and delivered.delivery.sent and not delivered.delivery.failed, delivered
    with Session(db.engine_for(settings)) as session:
        alerts = list(session.exec(select(Alert)))
        statuses = {n.status for n in session.exec(select(Notification))}
    by_uscc = {a.subject: a.id for a in alerts if a.kind == "enterprise"}
    routed = {
        office: {a.id for a in alerts if office in (a.offices or []) and a.id is not None}
        for office in OFFICES
    }
    alert_of = {n: alert_id for n in (1, 2, 3, 4) if (alert_id := by_uscc.get(code(n))) is not None}
    links = {office: notification_links(settings.outbox / office) for office in OFFICES}
    server = ConsoleServer(settings, port, home.parent / "web.log")
    server.start()
    try:
        yield Site(server, settings, links, alert_of, routed, statuses)
    finally:
        died = server.died()
        server.stop()
        db.dispose(settings)
        if died:
            pytest.fail(f"layoffwatch web died during the tests:\n{server.output()}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright, CHROMIUM)
        yield chromium
        chromium.close()


@dataclass
class Tab:
    """A page in its own browser context (its own cookies), with every dialog and page error it met."""

    page: Page
    dialogs: list[str]
    errors: list[str]


@pytest.fixture
def tab(browser: Browser, site: Site) -> Iterator[Tab]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    opened = Tab(page, [], [])

    def on_dialog(dialog: Dialog) -> None:
        opened.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: opened.errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert not site.server.died(), f"layoffwatch web died:\n{site.server.output()}"
    assert opened.dialogs == [], "a script ran in the console: it showed a dialog"
    assert opened.errors == []


def open_as(tab: Tab, site: Site, role: str, path: str) -> None:
    """Open ``path`` signed out, sign in as ``role`` on the page it sends us to, and be back on ``path``."""
    page = tab.page
    page.goto(site.server.url + path)
    where = urlsplit(page.url)
    assert where.path == "/login" and parse_qs(where.query)["next"] == [path], page.url
    sign_in(page, role, PASSWORD)
    assert urlsplit(page.url).path == path, page.url


def saved(page: Page, name: str) -> Path:
    path = screenshot(page, name)
    assert path.read_bytes()[:8] == PNG and path.stat().st_size > MIN_SCREENSHOT_BYTES, path
    return path


def body_text(page: Page) -> str:
    return page.locator("main").inner_text()


def inbox_ids(page: Page) -> set[int]:
    cells = page.locator("#inbox tbody tr td:first-child").all_inner_texts()
    return {int(c) for c in cells if c.strip().isdigit()}


def today() -> date:
    return datetime.now(SHANGHAI).date()


def test_every_office_was_sent_a_link_to_each_alert_routed_to_it(site: Site) -> None:
    """The links the tests below open: each office's outbox folder links to exactly its alerts."""
    assert site.delivered <= {"sent", "digested"}, site.delivered
    assert {office: set(site.links[office]) for office in OFFICES} == site.routed
    assert len(site.routed["hr"]) == 4 and all(len(site.routed[o]) == 1 for o in OFFICES[1:])


# -- each office: the notification link, sign-in, its view, another office's alert, its inbox -------


@pytest.mark.parametrize("office", OFFICES)
def test_each_office_opens_its_notification_link_and_sees_only_what_it_may(
    tab: Tab, site: Site, office: str
) -> None:
    page = tab.page
    alert_id = site.alert_of[OPENS[office]]
    link = site.links[office].get(alert_id)
    assert link is not None, (
        f"{office}'s notifications link to {sorted(site.links[office])}, not to {alert_id}"
    )
    assert link.startswith(site.server.url)

    page.goto(link)
    where = urlsplit(page.url)
    assert where.path == "/login" and parse_qs(where.query)["next"] == [f"/alerts/{alert_id}"], page.url
    sign_in(page, office, PASSWORD)
    assert page.url == link  # the sign-in's `next` brought the officer to the alert

    assert page.locator("#alert-id").inner_text() == str(alert_id)
    assert page.locator("#alert-status").inner_text() == "待确认"
    assert f"测试企业{OPENS[office]}有限公司" in page.locator("h1").inner_text()
    text = body_text(page)
    for shown in SHOWN[office]:
        assert shown in text, f"{office} should see {shown!r} on its alert page"
    for hidden in HIDDEN[office]:
        assert hidden not in text, f"{office} must not see {hidden!r} on its alert page"
    saved(page, f"alert-{office}")

    if office == "hr":
        for n, texts in HR_EXCERPTS.items():
            page.goto(site.server.url + site.path(n))
            excerpts = page.locator("#excerpts").inner_text()
            assert all(t in excerpts for t in texts), (n, excerpts)
    # Another office's alert (or, for hr, who sees every alert, one that does not exist) is a 404.
    others = [site.alert_of[n] for n in (1, 2, 3, 4) if office not in site.alert(n).offices]
    for other in others or [max(site.alert_of.values()) + 100]:
        response = page.goto(f"{site.server.url}/alerts/{other}")
        assert response is not None and response.status == 404, (office, other)
        assert page.locator("h1").inner_text() == "页面不存在"
        assert "测试企业" not in body_text(page)

    page.goto(site.server.url + "/alerts")
    assert inbox_ids(page) == site.listed(office)
    headers = page.locator("#inbox thead th").all_inner_texts()
    assert ("风险概率" in headers) == (office == "hr")
    saved(page, f"inbox-{office}")


# -- the lead office's workflow ------------------------------------------------------------------------


def test_hr_takes_an_alert_through_its_whole_lifecycle_by_clicking_the_forms(tab: Tab, site: Site) -> None:
    page = tab.page
    alert_id = site.alert_of[4]
    open_as(tab, site, "hr", site.path(4))
    assert page.locator("#alert-status").inner_text() == "待确认"
    assert [row[1] for row in history_rows(page)] == [ACTION_ZH["opened"]]
    due = (today() + timedelta(days=7)).isoformat()
    steps = [
        ("acknowledge", {"reason": "已收到，正在联系企业"}, {}, "已确认收到", ""),
        ("verify", {"assignee": "张科长", "due": due, "reason": "派员实地核查"}, {}, "核查中", "核查人：张科长"),
        ("confirm", {"affected_workers": "30", "reason": "核实裁员30人"}, {"outcome": "mass_layoff"}, "核查属实",
         "核查结果：规模裁员；涉及人数：30"),
        ("close", {"reason": "处置完毕，归档"}, {}, "已关闭", ""),
    ]  # fmt: skip
    for number, (action, fields, choose, status, extra) in enumerate(steps, start=2):
        submit(page, f"form-{action}", choose=choose, **fields)
        assert page.url == f"{site.server.url}/alerts/{alert_id}?done={action}"
        assert page.locator(".flash").inner_text() == f"已完成：{ACTION_ZH[action]}。"
        assert page.locator("#alert-status").inner_text() == status
        rows = history_rows(page)
        assert len(rows) == number, rows
        _, done, to_status, by, note = rows[-1]
        assert (done, to_status, by) == (ACTION_ZH[action], status, "hr")
        assert note.startswith(fields["reason"]) and extra in note, note
        saved(page, f"alert-hr-{action}")

    assert page.locator("form.action").count() == 0  # closed: nothing more to do, no silence either
    assert "规模裁员，涉及 30 人" in page.locator("dl.profile").inner_text()
    assert f"核查人\n张科长（{due} 前完成）" in page.locator("dl.profile").inner_text()
    # The confirmed outcome is an outcomes batch in the lake: the label the next retraining reads.
    files = sorted((site.settings.lake / "outcomes").rglob("*.parquet"))
    assert files, "no outcomes batch in the lake"
    outcomes = pl.read_parquet(files).filter(pl.col("uscc") == code(4))
    assert outcomes.select("outcome", "affected_workers").rows() == [("mass_layoff", 30)]
    # A closed alert leaves the inbox's default list and is found under its status.
    page.goto(site.server.url + "/alerts")
    assert alert_id not in inbox_ids(page)
    page.goto(site.server.url + "/alerts?status=closed")
    assert inbox_ids(page) == {alert_id}


def test_hr_silences_an_alert_with_a_reason_and_an_expiry_and_lifts_it(tab: Tab, site: Site) -> None:
    page = tab.page
    open_as(tab, site, "hr", site.path(2))
    assert page.locator("#form-lift").count() == 0
    until = (today() + timedelta(days=30)).isoformat()
    reason = '<script>alert("silence")</script>企业已承诺本月补发工资'  # markup typed in: shown as text
    submit(page, "form-silence", until=until, reason=reason)
    assert page.url.endswith(f"{site.path(2)}?done=silence")
    assert page.locator(".flash").inner_text() == "已完成：设置静默。"
    profile = page.locator("dl.profile").inner_text()
    assert f"静默\n至 {until}（hr：{reason}）" in profile, profile
    assert page.locator("script").count() == 0 and tab.dialogs == []
    saved(page, "alert-hr-silenced")

    submit(page, "form-lift")
    assert page.url.endswith(f"{site.path(2)}?done=lift")
    assert page.locator(".flash").inner_text() == "已完成：解除静默。"
    assert "静默\n" not in page.locator("dl.profile").inner_text()
    assert page.locator("#form-lift").count() == 0
    assert page.locator("#alert-status").inner_text() == "待确认"  # a silence is not a workflow step
    with Session(db.engine_for(site.settings)) as session:
        silences = list(session.exec(select(Silence).where(Silence.uscc == code(2))))
    assert [(s.until.isoformat(), s.by, s.lifted_by) for s in silences] == [(until, "hr", "hr")]


def test_a_non_lead_office_has_no_action_forms_and_cannot_post_one(tab: Tab, site: Site) -> None:
    page = tab.page
    open_as(tab, site, "public_security", site.path(1))
    assert page.locator("form.action").count() == 0
    assert page.locator("#form-acknowledge, #form-silence, #form-lift").count() == 0
    assert "预警由牵头部门（人社局）确认" in body_text(page)
    # A post made by hand (with the session's own CSRF token) is refused all the same.
    token = page.locator("form[action='/logout'] input[name=csrf_token]").get_attribute("value")
    response = page.request.post(
        f"{site.server.url}{site.path(1)}/act",
        form={"csrf_token": token or "", "action": "acknowledge", "reason": "公安代为确认"},
        max_redirects=0,
    )
    assert response.status == 400 and "只有牵头部门" in response.text()
    page.reload()
    assert page.locator("#alert-status").inner_text() == "待确认"
    assert site.alert(1).status == "open"


# -- hostile text --------------------------------------------------------------------------------------


@pytest.mark.parametrize("office", ["hr", "cyberspace"])
def test_a_hostile_sentiment_record_renders_as_text(tab: Tab, site: Site, office: str) -> None:
    page = tab.page
    open_as(tab, site, office, site.path(3))
    assert tab.dialogs == []  # no alert("x"), no onerror=alert(1)
    assert page.locator("script").count() == 0
    assert page.locator("[onerror], img[src='x']").count() == 0
    assert page.locator("a[href*='evil']").count() == 0
    excerpts = page.locator("#excerpts").inner_text()
    assert 'alert("x")' in excerpts and "=HYPERLINK(" in excerpts and "工资拖欠三个月了" in excerpts
    # The record's tags are gone (an alert quotes a record's readable text, alerts/excerpts.py); what
    # they wrapped is shown as text. Markup an officer types is shown literally: the silence test.
    assert "<script" not in excerpts and "<img" not in excerpts and "onerror" not in excerpts
    saved(page, f"alert-{office}-hostile")


# -- sign-out ------------------------------------------------------------------------------------------


def test_signing_out_ends_the_session(tab: Tab, site: Site, browser: Browser) -> None:
    page = tab.page
    open_as(tab, site, "petitions", "/alerts")
    session_cookies = [c for c in page.context.cookies() if c["name"] == "lw_session"]
    assert len(session_cookies) == 1
    with page.expect_navigation():
        page.click("form[action='/logout'] button[type=submit]")
    assert urlsplit(page.url).path == "/login"
    assert not [c for c in page.context.cookies() if c["name"] == "lw_session"]
    page.goto(site.server.url + "/alerts")
    assert urlsplit(page.url).path == "/login"
    # The old cookie, put back by hand, opens nothing either: the session ended on the server.
    replay = browser.new_context()
    try:
        replay.add_cookies(session_cookies)  # type: ignore[arg-type]
        replayed = replay.new_page()
        replayed.goto(site.server.url + "/alerts")
        assert urlsplit(replayed.url).path == "/login" and replayed.locator("#inbox").count() == 0
    finally:
        replay.close()
