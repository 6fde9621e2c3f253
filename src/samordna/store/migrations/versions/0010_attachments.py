"""attachments: files on measures and meetings

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 14:00:00.000000

An attachment belongs to exactly one measure or one meeting (ck_attachment_owner); its file is named by the
SHA-256 kept here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('measure_id', sa.Integer(), nullable=True),
        sa.Column('meeting_id', sa.Integer(), nullable=True),
        sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('removed_by_id', sa.Integer(), nullable=True),
        sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            '(measure_id IS NULL) <> (meeting_id IS NULL)', name='ck_attachment_owner'
        ),
        sa.ForeignKeyConstraint(['area_id'], ['area.id']),
        sa.ForeignKeyConstraint(['measure_id'], ['measure.id']),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id']),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id']),
        sa.ForeignKeyConstraint(['removed_by_id'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_attachment_measure', 'attachment', ['measure_id', 'created_at'])
    op.create_index('ix_attachment_meeting', 'attachment', ['meeting_id', 'created_at'])
    op.create_index('ix_attachment_sha256', 'attachment', ['sha256'])


def downgrade() -> None:
    op.drop_index('ix_attachment_sha256', table_name='attachment')
    op.drop_index('ix_attachment_meeting', table_name='attachment')
    op.drop_index('ix_attachment_measure', table_name='attachment')
    op.drop_table('attachment')
