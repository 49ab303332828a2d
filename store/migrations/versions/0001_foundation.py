"""Foundation: enterprises, ingestion batches, validation runs.

Revision ID: 0001
Revises:
Create Date: 2025-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out here rather than imported from store.types: a migration must not change when the code does.
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
AutoString = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "enterprise",
        sa.Column("uscc", AutoString(length=18), nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("aliases", JSON_DOCUMENT, nullable=False),
        sa.Column("industry", AutoString(length=3), nullable=False),
        sa.Column("chain", AutoString(), nullable=True),
        sa.Column("township", AutoString(), nullable=False),
        sa.Column("ownership", AutoString(length=16), nullable=False),
        sa.Column("founded_on", sa.Date(), nullable=False),
        sa.Column("status", AutoString(length=16), nullable=False),
        sa.Column("batch_id", AutoString(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("uscc", name=op.f("pk_enterprise")),
    )
    op.create_table(
        "ingestion_batch",
        sa.Column("id", AutoString(length=64), nullable=False),
        sa.Column("source", AutoString(length=32), nullable=False),
        sa.Column("file_name", AutoString(), nullable=False),
        sa.Column("file_path", AutoString(), nullable=False),
        sa.Column("format", AutoString(length=16), nullable=False),
        sa.Column("encoding", AutoString(length=32), nullable=True),
        sa.Column("status", AutoString(length=16), nullable=False),
        sa.Column("reason", AutoString(), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_valid", sa.Integer(), nullable=False),
        sa.Column("rows_quarantined", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("quarantine_path", AutoString(), nullable=True),
        sa.Column("lake_paths", JSON_DOCUMENT, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('ingested', 'rejected')", name=op.f("ck_ingestion_batch_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingestion_batch")),
    )
    op.create_index(op.f("ix_ingestion_batch_received_at"), "ingestion_batch", ["received_at"])
    op.create_index(
        op.f("ix_ingestion_batch_source_received_at"), "ingestion_batch", ["source", "received_at"]
    )
    op.create_table(
        "validation_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", AutoString(length=64), nullable=False),
        sa.Column("source", AutoString(length=32), nullable=False),
        sa.Column("suite_name", AutoString(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("evaluated", sa.Integer(), nullable=False),
        sa.Column("successful", sa.Integer(), nullable=False),
        sa.Column("results", JSON_DOCUMENT, nullable=False),
        sa.Column("warnings", JSON_DOCUMENT, nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["ingestion_batch.id"], name=op.f("fk_validation_run_batch_id_ingestion_batch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_validation_run")),
    )
    op.create_index(op.f("ix_validation_run_batch_id"), "validation_run", ["batch_id"])


def downgrade() -> None:
    op.drop_table("validation_run")
    op.drop_table("ingestion_batch")
    op.drop_table("enterprise")
