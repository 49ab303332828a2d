"""The database tables: one SQLModel class per table, named after the thing a row is.

Every table used anywhere is declared here, so ``SQLModel.metadata`` is complete once this
module is imported (Alembic's ``env.py`` relies on that). Constraint names follow
``NAMING_CONVENTION`` so migrations can refer to them on both backends.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from store.types import JsonDocument, UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

BATCH_STATUSES = ("ingested", "rejected")
"""``ingested``: the file's valid rows are in the lake; ``rejected``: nothing from the file was taken."""


class Enterprise(SQLModel, table=True):
    """One row per enterprise (uscc): the register's latest known values.

    ``batch_id`` is the ingestion batch that last changed the row and ``updated_at`` when it did;
    a batch that repeats the same values leaves both alone.
    """

    __tablename__ = "enterprise"

    uscc: str = Field(primary_key=True, max_length=18)
    name: str
    aliases: list[str] = Field(default_factory=list, sa_type=JsonDocument, nullable=False)
    industry: str = Field(max_length=3)
    chain: str | None = None
    township: str
    ownership: str = Field(max_length=16)
    founded_on: date
    status: str = Field(max_length=16)
    batch_id: str = Field(max_length=64)
    updated_at: datetime = Field(sa_type=UtcDateTime, nullable=False)


class IngestionBatch(SQLModel, table=True):
    """One row per input file taken or refused, keyed by the sha256 of its bytes.

    ``reason`` is the sentence shown to people when the whole file was rejected. Row counts:
    read = valid + quarantined (+ rejected, when a whole file is refused after reading).
    """

    __tablename__ = "ingestion_batch"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {BATCH_STATUSES!r}", name="status"),
        sa.Index(None, "source", "received_at"),
    )

    id: str = Field(primary_key=True, max_length=64)
    source: str = Field(max_length=32)
    file_name: str
    file_path: str
    format: str = Field(max_length=16)
    encoding: str | None = Field(default=None, max_length=32)
    status: str = Field(max_length=16)
    reason: str | None = None
    rows_read: int = 0
    rows_valid: int = 0
    rows_quarantined: int = 0
    rows_rejected: int = 0
    quarantine_path: str | None = None
    lake_paths: list[str] = Field(default_factory=list, sa_type=JsonDocument, nullable=False)
    received_at: datetime = Field(sa_type=UtcDateTime, nullable=False, index=True)


class ValidationRun(SQLModel, table=True):
    """One row per run of a source's expectation suite over one batch.

    ``results`` holds one entry per expectation: rule_id, expectation_type, column, success,
    unexpected_count, element_count, severity. ``warnings`` maps a warning rule_id to its row count.
    """

    __tablename__ = "validation_run"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: str = Field(max_length=64, foreign_key="ingestion_batch.id", index=True)
    source: str = Field(max_length=32)
    suite_name: str
    success: bool
    evaluated: int
    successful: int
    results: list[dict[str, Any]] = Field(default_factory=list, sa_type=JsonDocument, nullable=False)
    warnings: dict[str, int] = Field(default_factory=dict, sa_type=JsonDocument, nullable=False)
    run_at: datetime = Field(sa_type=UtcDateTime, nullable=False)


MODEL_STATUSES = ("challenger", "champion", "retired")
TIERS = ("red", "orange", "yellow", "blue", "none", "insufficient_data")


class ModelVersion(SQLModel, table=True):
    """One trained model: its windows, inputs, holdout metrics and the artifact that holds it.

    ``artifact_sha256`` is checked before the artifact is loaded; ``status`` is the current one,
    and every change of it is a ``ModelPromotion`` row.
    """

    __tablename__ = "model_version"
    __table_args__ = (sa.CheckConstraint(f"status IN {MODEL_STATUSES!r}", name="status"),)

    version: str = Field(primary_key=True, max_length=64)
    status: str = Field(max_length=16, index=True)
    trained_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    trained_by: str
    as_of: date
    trees_from: date
    trees_to: date
    calibration_from: date
    calibration_to: date
    holdout_from: date
    holdout_to: date
    features: list[str] = Field(default_factory=list, sa_type=JsonDocument, nullable=False)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDocument, nullable=False)
    metrics: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDocument, nullable=False)
    artifact_path: str
    artifact_sha256: str = Field(max_length=64)
    report_path: str | None = None


class ModelPromotion(SQLModel, table=True):
    """Append-only history of status changes: who, when, why, and what the gate said."""

    __tablename__ = "model_promotion"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=64, foreign_key="model_version.version", index=True)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    by: str
    reason: str
    forced: bool = False
    gate: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDocument, nullable=False)


class RiskScore(SQLModel, table=True):
    """One row per (as_of, uscc, model_version): probability, percentile, tier and reasons.

    ``reasons`` is a list of {code, title, sentence, impact}; empty for tier ``none`` and for
    ``insufficient_data`` (数据不足), which is a state of its own, never a low tier. ``evidence``
    holds the figures alerts quote and route on (``models.scoring.EVIDENCE_COLUMNS``), for the same
    tiers as the reasons.
    """

    __tablename__ = "risk_score"
    __table_args__ = (
        sa.CheckConstraint(f"tier IN {TIERS!r}", name="tier"),
        sa.Index(None, "as_of", "tier"),
    )

    as_of: date = Field(primary_key=True)
    uscc: str = Field(primary_key=True, max_length=18)
    model_version: str = Field(primary_key=True, max_length=64, foreign_key="model_version.version")
    probability: float | None = None
    percentile: float | None = None
    tier: str = Field(max_length=20)
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_type=JsonDocument, nullable=False)
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDocument, nullable=False)
    scored_at: datetime = Field(sa_type=UtcDateTime, nullable=False)


# ---------------------------------------------------------------------------------------------
# Watchlist, alerts, notifications (alerting issue). Row times are aware UTC; days are dates in
# the bureau's timezone (the as_of of the run that decided).

WATCHLIST_KINDS = ("manual", "auto")
ALERT_KINDS = ("enterprise", "area")
ALERT_STATUSES = ("open", "acknowledged", "verifying", "confirmed", "false_alarm", "closed")
NOTIFICATION_KINDS = ("alert", "overdue", "digest", "test", "pipeline")
NOTIFICATION_STATUSES = ("pending", "sending", "sent", "held", "digested")
"""``pending``: waiting to be sent (``attempts`` > 0 means it is retrying); ``sending``: claimed by a
sender until ``lease_until``; ``held``: waiting for its office's daily digest; ``digested``: sent
inside the digest ``digest_id``."""


class WatchlistEntry(SQLModel, table=True):
    """One stay of an enterprise on the key-enterprise watchlist (重点关注企业清单).

    A row is on the list while ``left_on`` is null; leaving fills ``left_*`` and a later return is
    a new row, so the rows are the full history. ``auto`` rows enter at the configured tier and
    leave only after ``below_since`` has lasted the configured number of days (hysteresis);
    ``manual`` rows are added and removed by an officer, optionally until ``expires_on``.
    """

    __tablename__ = "watchlist_entry"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {WATCHLIST_KINDS!r}", name="kind"),
        sa.UniqueConstraint("uscc", "kind", "entered_on"),
        sa.Index(
            "ix_watchlist_entry_on_list",
            "uscc",
            "kind",
            unique=True,
            sqlite_where=sa.text("left_on IS NULL"),
            postgresql_where=sa.text("left_on IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, index=True)
    kind: str = Field(max_length=8)
    entered_on: date
    entered_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    entered_by: str
    reason: str
    tier_at_entry: str | None = Field(default=None, max_length=20)
    office: str | None = None
    expires_on: date | None = None
    last_as_of: date | None = None
    last_tier: str | None = Field(default=None, max_length=20)
    below_since: date | None = None
    left_on: date | None = None
    left_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    left_by: str | None = None
    leave_reason: str | None = None


class RoutingConfig(SQLModel, table=True):
    """Every routing configuration ever used, by version (a hash of its validated content).

    An alert keeps the version it was created under, so what an office was sent can always be
    explained. Secrets are never here: targets hold only references to environment variables or
    Prefect Secret blocks.
    """

    __tablename__ = "routing_config"

    version: str = Field(primary_key=True, max_length=64)
    content: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDocument, nullable=False)
    source: str
    first_used_at: datetime = Field(sa_type=UtcDateTime, nullable=False)


class Alert(SQLModel, table=True):
    """One risk episode of one enterprise (``kind='enterprise'``, ``subject`` its uscc) or of an
    area (``kind='area'``, ``subject`` like ``township:上马街道``, ``chain:精深铜加工`` or ``county``).

    ``status`` is the officers' workflow; ``firing`` whether the risk is at alert level on the
    latest ``as_of``. At most one alert per subject is not closed (a partial unique index); a
    closed episode is never reopened. ``details`` is what messages and pages show: names, tier,
    reasons and evidence counts as of ``as_of``.
    """

    __tablename__ = "alert"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {ALERT_KINDS!r}", name="kind"),
        sa.CheckConstraint(f"status IN {ALERT_STATUSES!r}", name="status"),
        sa.UniqueConstraint("kind", "subject", "episode_start"),
        sa.Index(
            "ix_alert_one_not_closed",
            "kind",
            "subject",
            unique=True,
            sqlite_where=sa.text("status != 'closed'"),
            postgresql_where=sa.text("status != 'closed'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    subject: str = Field(max_length=200)
    subject_name: str
    episode_start: date
    status: str = Field(max_length=16, index=True)
    firing: bool = True
    tier: str = Field(max_length=20)
    peak_tier: str = Field(max_length=20)
    probability: float | None = None
    as_of: date
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDocument, nullable=False)
    offices: list[str] = Field(default_factory=list, sa_type=JsonDocument, nullable=False)
    routing_version: str = Field(max_length=64, foreign_key="routing_config.version")
    opened_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    # Indexed: the console's inbox asks for its largest value on every page (review.inbox).
    updated_at: datetime = Field(sa_type=UtcDateTime, nullable=False, index=True)
    ack_deadline: datetime | None = Field(default=None, sa_type=UtcDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    acknowledged_by: str | None = None
    escalated_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    resolved_on: date | None = None
    assigned_to: str | None = None
    verify_due: date | None = None
    outcome: str | None = Field(default=None, max_length=16)
    affected_workers: int | None = None
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class AlertTransition(SQLModel, table=True):
    """The audit trail: every change of an alert, by a person or by the daily run, with why."""

    __tablename__ = "alert_transition"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    action: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    by: str
    reason: str
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDocument, nullable=False)


class Silence(SQLModel, table=True):
    """An enterprise muted until a day, with why: its alerts are kept but nobody is notified."""

    __tablename__ = "silence"

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, index=True)
    until: date
    reason: str
    by: str
    created_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    lifted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    lifted_by: str | None = None


class Notification(SQLModel, table=True):
    """The outbox: one message to one target of one office, written in the same transaction as the
    alert change that caused it, and sent at most once per ``key``.

    ``key`` is (alert, state, office, target) for alert messages, so re-runs and restarts cannot
    send the same thing twice; ``reason`` is what the notify decision returned (first, escalated,
    repeat, resolved). ``target`` names a target in the routing configuration; its URL (and secret)
    is resolved only when sending.
    """

    __tablename__ = "notification"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {NOTIFICATION_KINDS!r}", name="kind"),
        sa.CheckConstraint(f"status IN {NOTIFICATION_STATUSES!r}", name="status"),
        sa.Index(None, "status", "next_attempt_at"),
        sa.Index(None, "alert_id", "office"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300, unique=True)
    kind: str = Field(max_length=16)
    alert_id: int | None = Field(default=None, foreign_key="alert.id")
    state: str = Field(max_length=64)
    reason: str = Field(max_length=16)
    office: str = Field(max_length=32)
    target: str = Field(max_length=64)
    tier: str | None = Field(default=None, max_length=20)
    firing: bool = True
    title: str
    body: str
    body_format: str = Field(default="markdown", max_length=16)
    status: str = Field(max_length=16)
    digest_id: int | None = Field(default=None, foreign_key="notification.id")
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    lease_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    claimed_by: str | None = None
    last_error: str | None = None
    routing_version: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


# ---------------------------------------------------------------------------------------------
# Sources pulled by SQL (orchestration issue).

WATERMARK_TYPES = ("int", "decimal", "float", "date", "datetime", "text")


class SourceWatermark(SQLModel, table=True):
    """How far a source pulled by SQL has been read: one row per (source, connection fingerprint).

    ``fingerprint`` is a hash of the URL without its password and of the watermark column, so
    pointing a source at another database (or ordering it by another column) starts from the
    beginning, while a new password or an edited query does not. ``last_value`` is the largest
    watermark pulled, as text, read back through ``value_type``; ``url`` is the masked URL, for
    people. ``rows_pulled`` counts every row ever pulled, ``last_rows`` those of the last pull.
    """

    __tablename__ = "source_watermark"
    __table_args__ = (sa.CheckConstraint(f"value_type IN {WATERMARK_TYPES!r}", name="value_type"),)

    source: str = Field(primary_key=True, max_length=32)
    fingerprint: str = Field(primary_key=True, max_length=64)
    url: str
    watermark_column: str
    last_value: str
    value_type: str = Field(max_length=16)
    last_pulled_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    last_rows: int = 0
    rows_pulled: int = 0
    last_file: str


# ---------------------------------------------------------------------------------------------
# The review console (review issue): accounts, sign-in sessions, what people did there, and the
# monthly and weekly series its alert pages chart.

ROLES = ("hr", "public_security", "petitions", "cyberspace", "data_engineer", "admin")
"""The four offices' officers (``alerts.config.OFFICE_KEYS``), data engineers and administrators."""


class WebUser(SQLModel, table=True):
    """One person's account on the review console. Passwords are stored only as a scrypt hash
    (``review.passwords``); a disabled account cannot sign in and its sessions end."""

    __tablename__ = "web_user"
    __table_args__ = (sa.CheckConstraint(f"role IN {ROLES!r}", name="role"),)

    username: str = Field(primary_key=True, max_length=64)
    display_name: str
    role: str = Field(max_length=32)
    password_hash: str
    disabled: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    password_changed_at: datetime = Field(sa_type=UtcDateTime, nullable=False)


class WebSession(SQLModel, table=True):
    """A signed-in browser. ``id`` is the sha256 of the cookie's token (the token itself is never
    stored); the session ends at ``expires_at`` or after ``idle`` minutes without a request."""

    __tablename__ = "web_session"

    id: str = Field(primary_key=True, max_length=64)
    username: str = Field(max_length=64, foreign_key="web_user.username", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    last_seen_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class WebEvent(SQLModel, table=True):
    """What people did on the console beyond alert actions (those are ``AlertTransition`` rows):
    sign-ins, failed sign-ins, sign-outs, exports, silences, account changes."""

    __tablename__ = "web_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UtcDateTime, nullable=False, index=True)
    username: str = Field(max_length=64, index=True)
    action: str = Field(max_length=32)
    target: str | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDocument, nullable=False)


class EnterpriseTrend(SQLModel, table=True):
    """The series an alert page charts for one enterprise, as known on ``as_of``: insured headcount,
    payroll and contributions by month, sentiment records by week and channel. Written by the daily
    alerting step for the enterprises it alerts on, so a page reads one row instead of the lake."""

    __tablename__ = "enterprise_trend"

    uscc: str = Field(primary_key=True, max_length=18)
    as_of: date
    series: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDocument, nullable=False)
    updated_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
