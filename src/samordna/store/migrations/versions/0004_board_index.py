"""board indexes follow the boards' order and filters

ix_measure_board walks each column in the board's order (next follow-up date, last change, id) and stops
after the page, so the first page costs the same whatever the number of measures; it also holds the
filter columns (goal, health, arena, responsible unit), so a column's total under any filter is counted
from the index alone. ix_measure_area_goal adds the state, health and effect: the steering board's goal
progress is counted from that index alone.

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

BEFORE = {
    'ix_measure_board': ['area_id', 'state', 'next_follow_up_at'],
    'ix_measure_area_goal': ['area_id', 'goal_id'],
}
AFTER = {
    'ix_measure_board': ['area_id', 'state', 'next_follow_up_at', 'updated_at', 'id', 'goal_id', 'last_health',
                         'arena', 'responsible_unit_id'],
    'ix_measure_area_goal': ['area_id', 'goal_id', 'state', 'last_health', 'evaluation_effect'],
}


def _replace(indexes: dict[str, list[str]]) -> None:
    with op.batch_alter_table('measure', schema=None) as batch_op:
        for name, columns in indexes.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False)


def upgrade() -> None:
    _replace(AFTER)


def downgrade() -> None:
    _replace(BEFORE)
