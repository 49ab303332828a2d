"""What the browser tests of the review console share: the real server (``layoffwatch web``) in its
own process, the notification links the offices were sent, and a headless Debian Chromium driven by
Playwright, with small steps an officer takes in it (sign in, submit an action form, screenshot).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from layoffwatch.settings import Settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LINK = re.compile(r"https?://127\.0\.0\.1:\d+/alerts/(\d+)")
START_SECONDS = 60


def chromium_path() -> str | None:
    """Debian's chromium, or whichever ``chromium`` is on the PATH; None when there is none."""
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def launch_chromium(playwright: Playwright, executable: str) -> Browser:
    return playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ConsoleServer:
    """``layoffwatch web`` on 127.0.0.1:``port`` for ``settings``' home, on ``workers`` processes; its
    output goes to ``log``."""

    settings: Settings
    port: int
    log: Path
    workers: int = 1
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "LAYOFFWATCH_HOME": str(self.settings.home),
            "LAYOFFWATCH_DATABASE_URL": self.settings.database_url,
            "COLUMNS": "200",
        }
        command = [
            sys.executable,
            "-m",
            "layoffwatch",
            "web",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + START_SECONDS
        while True:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"layoffwatch web exited with {self.process.returncode}:\n{self.output()}"
                )
            try:
                if httpx.get(f"{self.url}/login", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(
                    f"layoffwatch web did not answer within {START_SECONDS} s:\n{self.output()}"
                )
            time.sleep(0.2)

    def died(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def stop(self) -> None:
        """Stop the server and anything it started (it leads its own process group)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


def notification_links(folder: Path) -> dict[int, str]:
    """Alert id -> the console link, from every message the local channel wrote into ``folder``
    (an alert's own message or a digest of several)."""
    links: dict[int, str] = {}
    for message in sorted(folder.glob("*.md")):
        for match in LINK.finditer(message.read_text(encoding="utf-8")):
            links[int(match.group(1))] = match.group(0)
    return links


def sign_in(page: Page, username: str, password: str) -> None:
    """Fill and submit the sign-in form the page shows; waits for the page it leads to."""
    assert page.url.split("?")[0].endswith("/login"), page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")


def submit(page: Page, form: str, *, choose: Mapping[str, str] | None = None, **fields: str) -> None:
    """Fill the fields of the form with id ``form`` (``choose``: a select's name -> option value) and
    submit it; waits for the page the post redirects to."""
    scope = page.locator(f"#{form}")
    for name, value in (choose or {}).items():
        scope.locator(f"select[name={name}]").select_option(value)
    for name, value in fields.items():
        scope.locator(f"[name={name}]").fill(value)
    with page.expect_navigation():
        scope.locator("button[type=submit]").click()


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG of what the page shows now, under ``test-artifacts/screenshots/``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def history_rows(page: Page) -> list[list[str]]:
    """The cells of each row of the alert page's history table (时间, 操作, 状态, 操作人, 说明)."""
    rows = page.locator("#history tbody tr")
    return [
        [cell.strip() for cell in rows.nth(i).locator("td").all_inner_texts()] for i in range(rows.count())
    ]
