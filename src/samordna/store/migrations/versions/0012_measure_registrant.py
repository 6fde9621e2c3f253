"""«Behov vi har meldt» by registrant: ix_measure_registrant (area, created_by, updated_at, id, state); the API's
pages in id order: ix_measure_area_id (area, id); the area's first registration: ix_measure_area_created

The execution board's «Behov vi har meldt» shows the needs the member or the member's unit registered, most
recently changed first. It was one statement over every such need, counted and sorted (60 ms of SQLite at
100 000 measures, for a coordinator who had registered 4 674 open needs); it is now one walk of this index per
registrant that stops after the page, and a count that stops after 1 001 (shown as «over 1 000»). The state is
the index's last column, so neither reads the table to leave out what is no longer a need; the id before it
gives the page's whole order (last change, id), so SQLite's planner takes this index even without statistics
(with (…, updated_at, state) it walked the area's every change by ix_measure_area_updated instead).

`ix_measure_area_id` (area, id): the API lists an area's measures in id order, a keyset page after the last id
given. Without it, SQLite read the area's every measure by ix_measure_area_unit and sorted them for the first
page (125 ms at 100 000 measures; the pages after it walked the table by rowid from the cursor: 0.3 ms).

`ix_measure_area_created` (area, created_at): the steering report's choice of years starts at the area's first
registration (min(created_at): it read the area, 150 ms at 100 000 measures), and the list's year filter is a
range of it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 03:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_measure_registrant', 'measure', ['area_id', 'created_by_id', 'updated_at', 'id', 'state'], unique=False
    )
    op.create_index('ix_measure_area_id', 'measure', ['area_id', 'id'], unique=False)
    op.create_index('ix_measure_area_created', 'measure', ['area_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_measure_area_created', table_name='measure')
    op.drop_index('ix_measure_area_id', table_name='measure')
    op.drop_index('ix_measure_registrant', table_name='measure')
