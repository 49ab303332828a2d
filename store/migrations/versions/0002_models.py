"""Model registry, promotion history and risk scores.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
AutoString = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "model_version",
        sa.Column("version", AutoString(length=64), nullable=False),
        sa.Column("status", AutoString(length=16), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trained_by", AutoString(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("trees_from", sa.Date(), nullable=False),
        sa.Column("trees_to", sa.Date(), nullable=False),
        sa.Column("calibration_from", sa.Date(), nullable=False),
        sa.Column("calibration_to", sa.Date(), nullable=False),
        sa.Column("holdout_from", sa.Date(), nullable=False),
        sa.Column("holdout_to", sa.Date(), nullable=False),
        sa.Column("features", JSON_DOCUMENT, nullable=False),
        sa.Column("params", JSON_DOCUMENT, nullable=False),
        sa.Column("metrics", JSON_DOCUMENT, nullable=False),
        sa.Column("artifact_path", AutoString(), nullable=False),
        sa.Column("artifact_sha256", AutoString(length=64), nullable=False),
        sa.Column("report_path", AutoString(), nullable=True),
        sa.CheckConstraint(
            "status IN ('challenger', 'champion', 'retired')", name=op.f("ck_model_version_status")
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_model_version")),
    )
    op.create_index(op.f("ix_model_version_status"), "model_version", ["status"])
    op.create_table(
        "model_promotion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", AutoString(length=64), nullable=False),
        sa.Column("from_status", AutoString(length=16), nullable=True),
        sa.Column("to_status", AutoString(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", AutoString(), nullable=False),
        sa.Column("reason", AutoString(), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("gate", JSON_DOCUMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["version"], ["model_version.version"], name=op.f("fk_model_promotion_version_model_version")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_promotion")),
    )
    op.create_index(op.f("ix_model_promotion_version"), "model_promotion", ["version"])
    op.create_table(
        "risk_score",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("uscc", AutoString(length=18), nullable=False),
        sa.Column("model_version", AutoString(length=64), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("percentile", sa.Float(), nullable=True),
        sa.Column("tier", AutoString(length=20), nullable=False),
        sa.Column("reasons", JSON_DOCUMENT, nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "tier IN ('red', 'orange', 'yellow', 'blue', 'none', 'insufficient_data')",
            name=op.f("ck_risk_score_tier"),
        ),
        sa.ForeignKeyConstraint(
            ["model_version"], ["model_version.version"], name=op.f("fk_risk_score_model_version_model_version")
        ),
        sa.PrimaryKeyConstraint("as_of", "uscc", "model_version", name=op.f("pk_risk_score")),
    )
    op.create_index(op.f("ix_risk_score_as_of_tier"), "risk_score", ["as_of", "tier"])


def downgrade() -> None:
    op.drop_index(op.f("ix_risk_score_as_of_tier"), table_name="risk_score")
    op.drop_table("risk_score")
    op.drop_index(op.f("ix_model_promotion_version"), table_name="model_promotion")
    op.drop_table("model_promotion")
    op.drop_index(op.f("ix_model_version_status"), table_name="model_version")
    op.drop_table("model_version")
