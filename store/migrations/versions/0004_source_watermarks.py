"""Watermarks of the sources pulled by SQL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table('source_watermark',
    sa.Column('source', AutoString(length=32), nullable=False),
    sa.Column('fingerprint', AutoString(length=64), nullable=False),
    sa.Column('url', AutoString(), nullable=False),
    sa.Column('watermark_column', AutoString(), nullable=False),
    sa.Column('last_value', AutoString(), nullable=False),
    sa.Column('value_type', AutoString(length=16), nullable=False),
    sa.Column('last_pulled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_rows', sa.Integer(), nullable=False),
    sa.Column('rows_pulled', sa.Integer(), nullable=False),
    sa.Column('last_file', AutoString(), nullable=False),
    sa.CheckConstraint("value_type IN ('int', 'decimal', 'float', 'date', 'datetime', 'text')", name=op.f('ck_source_watermark_value_type')),
    sa.PrimaryKeyConstraint('source', 'fingerprint', name=op.f('pk_source_watermark'))
    )


def downgrade() -> None:
    op.drop_table('source_watermark')
