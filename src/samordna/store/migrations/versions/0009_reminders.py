"""reminders: notification settings, in-app notifications, the mail outbox, job locks

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 10:15:00.000000

The outbox holds one digest per user and day (uq_outbox_user_day): the database, not the code, keeps a
message from being written twice, also when two `samordna remind` runs meet. A notification is written once
per user and key (uq_notification_user_key), and the header's unread count reads ix_notification_user_read.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'notification_setting',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('kinds', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
        sa.Column('last_digest_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id']),
        sa.PrimaryKeyConstraint('user_id'),
    )
    op.create_table(
        'notification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('measure_id', sa.Integer(), nullable=True),
        sa.Column('meeting_id', sa.Integer(), nullable=True),
        sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('on_date', sa.Date(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('mailed_on', sa.Date(), nullable=True),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['area_id'], ['area.id']),
        sa.ForeignKeyConstraint(['measure_id'], ['measure.id']),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id']),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'key', name='uq_notification_user_key'),
    )
    op.create_index('ix_notification_area_id', 'notification', ['area_id'])
    op.create_index('ix_notification_measure_id', 'notification', ['measure_id'])
    op.create_index('ix_notification_meeting_id', 'notification', ['meeting_id'])
    op.create_index('ix_notification_user_created', 'notification', ['user_id', 'created_at'])
    op.create_index('ix_notification_user_read', 'notification', ['user_id', 'read_at'])
    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('digest_day', sa.Date(), nullable=False),
        sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column('items', sa.Integer(), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('leased_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'digest_day', name='uq_outbox_user_day'),
    )
    op.create_index('ix_outbox_status_next', 'outbox', ['status', 'next_attempt_at'])
    op.create_table(
        'job_lock',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('done_day', sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('job_lock')
    op.drop_index('ix_outbox_status_next', table_name='outbox')
    op.drop_table('outbox')
    for name in ('user_read', 'user_created', 'meeting_id', 'measure_id', 'area_id'):
        op.drop_index(f'ix_notification_{name}', table_name='notification')
    op.drop_table('notification')
    op.drop_table('notification_setting')
