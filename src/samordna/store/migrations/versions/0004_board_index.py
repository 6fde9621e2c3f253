"""board index follows the board's order

The boards read each column's first page in the order (next follow-up date, last change, id) and stop
after the page; with the last change and the id in the index the walk needs no sort, whatever the
number of measures in the state.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 18:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.drop_index('ix_measure_board')
        batch_op.create_index(
            'ix_measure_board', ['area_id', 'state', 'next_follow_up_at', 'updated_at', 'id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.drop_index('ix_measure_board')
        batch_op.create_index('ix_measure_board', ['area_id', 'state', 'next_follow_up_at'], unique=False)
