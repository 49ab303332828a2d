"""Watchlist, routing configurations, alerts, their audit trail, silences and the notification outbox;
risk scores gain the evidence alerts quote.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
AutoString = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table('routing_config',
    sa.Column('version', AutoString(length=64), nullable=False),
    sa.Column('content', JSON_DOCUMENT, nullable=False),
    sa.Column('source', AutoString(), nullable=False),
    sa.Column('first_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_routing_config'))
    )
    op.create_table('silence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uscc', AutoString(length=18), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('reason', AutoString(), nullable=False),
    sa.Column('by', AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lifted_by', AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_silence'))
    )
    with op.batch_alter_table('silence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_silence_uscc'), ['uscc'], unique=False)

    op.create_table('watchlist_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uscc', AutoString(length=18), nullable=False),
    sa.Column('kind', AutoString(length=8), nullable=False),
    sa.Column('entered_on', sa.Date(), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('entered_by', AutoString(), nullable=False),
    sa.Column('reason', AutoString(), nullable=False),
    sa.Column('tier_at_entry', AutoString(length=20), nullable=True),
    sa.Column('office', AutoString(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('last_as_of', sa.Date(), nullable=True),
    sa.Column('last_tier', AutoString(length=20), nullable=True),
    sa.Column('below_since', sa.Date(), nullable=True),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('left_by', AutoString(), nullable=True),
    sa.Column('leave_reason', AutoString(), nullable=True),
    sa.CheckConstraint("kind IN ('manual', 'auto')", name=op.f('ck_watchlist_entry_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watchlist_entry')),
    sa.UniqueConstraint('uscc', 'kind', 'entered_on', name=op.f('uq_watchlist_entry_uscc_kind_entered_on'))
    )
    with op.batch_alter_table('watchlist_entry', schema=None) as batch_op:
        batch_op.create_index('ix_watchlist_entry_on_list', ['uscc', 'kind'], unique=True, sqlite_where=sa.text('left_on IS NULL'), postgresql_where=sa.text('left_on IS NULL'))
        batch_op.create_index(batch_op.f('ix_watchlist_entry_uscc'), ['uscc'], unique=False)

    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', AutoString(length=16), nullable=False),
    sa.Column('subject', AutoString(length=200), nullable=False),
    sa.Column('subject_name', AutoString(), nullable=False),
    sa.Column('episode_start', sa.Date(), nullable=False),
    sa.Column('status', AutoString(length=16), nullable=False),
    sa.Column('firing', sa.Boolean(), nullable=False),
    sa.Column('tier', AutoString(length=20), nullable=False),
    sa.Column('peak_tier', AutoString(length=20), nullable=False),
    sa.Column('probability', sa.Float(), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('details', JSON_DOCUMENT, nullable=False),
    sa.Column('offices', JSON_DOCUMENT, nullable=False),
    sa.Column('routing_version', AutoString(length=64), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ack_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', AutoString(), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('assigned_to', AutoString(), nullable=True),
    sa.Column('verify_due', sa.Date(), nullable=True),
    sa.Column('outcome', AutoString(length=16), nullable=True),
    sa.Column('affected_workers', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('enterprise', 'area')", name=op.f('ck_alert_kind')),
    sa.CheckConstraint("status IN ('open', 'acknowledged', 'verifying', 'confirmed', 'false_alarm', 'closed')", name=op.f('ck_alert_status')),
    sa.ForeignKeyConstraint(['routing_version'], ['routing_config.version'], name=op.f('fk_alert_routing_version_routing_config')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert')),
    sa.UniqueConstraint('kind', 'subject', 'episode_start', name=op.f('uq_alert_kind_subject_episode_start'))
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index('ix_alert_one_not_closed', ['kind', 'subject'], unique=True, sqlite_where=sa.text("status != 'closed'"), postgresql_where=sa.text("status != 'closed'"))
        batch_op.create_index(batch_op.f('ix_alert_status'), ['status'], unique=False)

    op.create_table('alert_transition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('action', AutoString(length=32), nullable=False),
    sa.Column('from_status', AutoString(length=16), nullable=True),
    sa.Column('to_status', AutoString(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', AutoString(), nullable=False),
    sa.Column('reason', AutoString(), nullable=False),
    sa.Column('details', JSON_DOCUMENT, nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], name=op.f('fk_alert_transition_alert_id_alert')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_transition'))
    )
    with op.batch_alter_table('alert_transition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_transition_alert_id'), ['alert_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', AutoString(length=300), nullable=False),
    sa.Column('kind', AutoString(length=16), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=True),
    sa.Column('state', AutoString(length=64), nullable=False),
    sa.Column('reason', AutoString(length=16), nullable=False),
    sa.Column('office', AutoString(length=32), nullable=False),
    sa.Column('target', AutoString(length=64), nullable=False),
    sa.Column('tier', AutoString(length=20), nullable=True),
    sa.Column('firing', sa.Boolean(), nullable=False),
    sa.Column('title', AutoString(), nullable=False),
    sa.Column('body', AutoString(), nullable=False),
    sa.Column('body_format', AutoString(length=16), nullable=False),
    sa.Column('status', AutoString(length=16), nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', AutoString(), nullable=True),
    sa.Column('last_error', AutoString(), nullable=True),
    sa.Column('routing_version', AutoString(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('alert', 'overdue', 'digest', 'test', 'pipeline')", name=op.f('ck_notification_kind')),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'held', 'digested')", name=op.f('ck_notification_status')),
    sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], name=op.f('fk_notification_alert_id_alert')),
    sa.ForeignKeyConstraint(['digest_id'], ['notification.id'], name=op.f('fk_notification_digest_id_notification')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('key', name=op.f('uq_notification_key'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_alert_id_office'), ['alert_id', 'office'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_status_next_attempt_at'), ['status', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('risk_score', schema=None) as batch_op:
        # Existing rows predate evidence: they read as an empty document.
        batch_op.add_column(sa.Column('evidence', JSON_DOCUMENT, nullable=False, server_default=sa.text("'{}'")))



def downgrade() -> None:
    with op.batch_alter_table('risk_score', schema=None) as batch_op:
        batch_op.drop_column('evidence')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_status_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_notification_alert_id_office'))

    op.drop_table('notification')
    with op.batch_alter_table('alert_transition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_transition_alert_id'))

    op.drop_table('alert_transition')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_status'))
        batch_op.drop_index('ix_alert_one_not_closed', sqlite_where=sa.text("status != 'closed'"), postgresql_where=sa.text("status != 'closed'"))

    op.drop_table('alert')
    with op.batch_alter_table('watchlist_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_watchlist_entry_uscc'))
        batch_op.drop_index('ix_watchlist_entry_on_list', sqlite_where=sa.text('left_on IS NULL'), postgresql_where=sa.text('left_on IS NULL'))

    op.drop_table('watchlist_entry')
    with op.batch_alter_table('silence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_silence_uscc'))

    op.drop_table('silence')
    op.drop_table('routing_config')
