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
    ``insufficient_data`` (数据不足), which is a state of its own, never a low tier.
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
    scored_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
