"""Delivery channels: which Apprise URL a notification goes to, and the local ``lwoutbox://`` channel.

``lwoutbox://localhost/abs/path/to/folder?key=...`` writes each message as one UTF-8 Markdown
file (title, blank line, body) into the folder, named after the idempotency key, atomically
(temporary file, fsync, rename): a repeated send of the same notification overwrites its file,
never adds a second one. It is registered with Apprise when this module is imported.

``target_urls`` turns an outbox row into the Apprise URL(s) of its target, with secrets filled in
only now, at send time, and the notification's key attached wherever the channel can carry it, so
that a receiver may drop the duplicate a sender crash can cause (see ``alerts.sender``).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from apprise.decorators import notify
from apprise.logger import logger as apprise_logger

from alerts.config import AlertingConfig, Target, resolve_url
from layoffwatch.errors import SettingsError
from layoffwatch.settings import Settings
from store.tables import Notification

SCHEME = "lwoutbox"
IDEMPOTENCY_HEADER = "X-Idempotency-Key"
# Apprise's generic webhooks take extra HTTP headers as ``+Name=value`` URL arguments.
HEADER_SCHEMES = ("json", "jsons", "xml", "xmls", "form", "forms")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def targets_for(row: Notification, config: AlertingConfig) -> tuple[Target, ...]:
    """The configured targets a row goes to: its office's target named ``row.target`` for alert,
    digest and test messages, that name among the office's escalation targets for overdue ones, and
    among the data-engineering targets for pipeline messages. Raises ``SettingsError`` when the
    configuration no longer has it (the row then waits in the outbox with that sentence)."""
    if row.kind == "pipeline":
        candidates, where = config.data_engineering, "data_engineering.targets"
    elif row.kind == "overdue":
        candidates, where = config.office(row.office).escalation, f"offices.{row.office}.escalation"
    else:
        candidates, where = config.office(row.office).targets, f"offices.{row.office}.targets"
    chosen = tuple(t for t in candidates if t.name == row.target)
    if not chosen:
        names = ", ".join(t.name for t in candidates) or "none"
        raise SettingsError(f"{config.source}: {where} has no target {row.target!r} (it has {names}).")
    return chosen


def target_urls(
    row: Notification, config: AlertingConfig, settings: Settings, env: Mapping[str, str] | None = None
) -> list[str]:
    """The Apprise URLs for one outbox row, one per target, with ``{home}`` and ``${ENV}`` resolved
    and the row's idempotency key attached where the channel accepts one. Raises ``SettingsError``
    for a missing variable or secret, naming it."""
    key = idempotency_key(row)
    return [with_idempotency_key(url, key) for url in resolved_urls(row, config, settings, env)]


def resolved_urls(
    row: Notification, config: AlertingConfig, settings: Settings, env: Mapping[str, str] | None = None
) -> list[str]:
    """The row's target URLs resolved but without the idempotency key: one per destination, the
    identity the sender paces messages by."""
    return [resolve_url(t, settings, env) for t in targets_for(row, config)]


def idempotency_key(row: Notification) -> str:
    """The key a receiver can deduplicate on: the row's outbox key (one message, ever), ASCII-safe
    so it fits an HTTP header."""
    return quote(row.key, safe="|:-_.@")


def with_idempotency_key(url: str, key: str) -> str:
    """``url`` carrying ``key``: a query argument for lwoutbox (the file name), an
    ``X-Idempotency-Key`` header for the generic JSON/XML/form webhooks; other channels (chat
    robots, mail) have nowhere to put it and get the URL unchanged."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == SCHEME:
        argument = f"key={quote(key, safe='')}"
    elif scheme in HEADER_SCHEMES:
        argument = f"+{IDEMPOTENCY_HEADER}={quote(key, safe='')}"
    else:
        return url
    return f"{url}{'&' if '?' in url else '?'}{argument}"


def scheme_of(url: str) -> str:
    """The URL's scheme, the only part of a resolved URL safe to show (the rest may hold a secret)."""
    return url.split("://", 1)[0].lower() if "://" in url else "?"


def outbox_file_name(key: str) -> str:
    """The file a message with this key is written to: readable, filesystem-safe, and distinct for
    distinct keys (a short hash of the key follows the readable part)."""
    readable = _UNSAFE_NAME.sub("_", key).strip("_")[:120] or "message"
    return f"{readable}-{hashlib.sha256(key.encode()).hexdigest()[:12]}.md"


def write_outbox_file(folder: Path, key: str, title: str, body: str) -> Path:
    """Write one message into ``folder`` atomically; returns the file. Same key, same file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / outbox_file_name(key)
    text = f"# {title}\n\n{body}\n" if title else f"{body}\n"
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".sending-", suffix=".md")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


@notify(on=SCHEME, name="layoffwatch outbox folder")
def _send_to_folder(
    body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any
) -> bool:
    folder = unquote(meta.get("fullpath") or "")
    if not folder.startswith("/"):
        apprise_logger.warning(
            "lwoutbox URL needs an absolute folder, e.g. lwoutbox://localhost/srv/outbox/hr."
        )
        return False
    key = meta.get("qsd", {}).get("key") or hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()
    try:
        write_outbox_file(Path(folder), key, title, body)
    except OSError as exc:
        # Apprise would log only "failed"; the reason is what the outbox row's last_error needs.
        apprise_logger.warning("lwoutbox: cannot write to %s (%s).", folder, exc.strerror or exc)
        return False
    return True
