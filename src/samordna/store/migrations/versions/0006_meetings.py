"""meetings: bodies, meetings, agenda items, attendance, milestones, calendar feeds; events know their meeting

DESIGN.md §11. Every area gets its four bodies (steering, coordination, executing, all) with the default
names, and each body a calendar key. `event.meeting_id` says in which meeting a decision was taken: the
column is added in place (ALTER TABLE ... ADD COLUMN), never by recreating the table, so the append-only
triggers of migration 0005 stay (on SQLite a batch recreate would lose them; the downgrade makes them again).

Approved minutes are immutable in the database: once a meeting's state is `minutes_approved`, the meeting
row, its agenda items and its attendance refuse UPDATE, DELETE and INSERT (SQLite triggers that
RAISE(ABORT), PostgreSQL triggers raising restrict_violation).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 06:05:25.765426
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import context, op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BODIES = (
    ('steering', 'Styringsgruppe (politiråd)'),
    ('coordination', 'Koordineringsgruppe'),
    ('executing', 'Faggruppe'),
    ('all', 'SLT-samling'),
)
FUNCTION = 'samordna_minutes_approved'
APPROVED = "'minutes_approved'"


def _sqlite() -> bool:
    return op.get_context().dialect.name == 'sqlite'


def _sqlite_minutes_triggers() -> list[str]:
    refuse = "SELECT RAISE(ABORT, 'the minutes are approved: {what} refused')"
    statements = [
        f"CREATE TRIGGER meeting_approved_no_update BEFORE UPDATE ON meeting WHEN OLD.state = {APPROVED} "
        f"BEGIN {refuse.format(what='UPDATE')}; END",
        f"CREATE TRIGGER meeting_approved_no_delete BEFORE DELETE ON meeting WHEN OLD.state = {APPROVED} "
        f"BEGIN {refuse.format(what='DELETE')}; END",
    ]
    for table in ('agenda_item', 'attendance'):
        for action, row in (('insert', 'NEW'), ('update', 'OLD'), ('delete', 'OLD')):
            statements.append(
                f"CREATE TRIGGER {table}_approved_no_{action} BEFORE {action.upper()} ON {table} "
                f"WHEN (SELECT state FROM meeting WHERE id = {row}.meeting_id) = {APPROVED} "
                f"BEGIN {refuse.format(what=action.upper())}; END"
            )
    return statements


def _postgres_minutes_triggers() -> list[str]:
    return [
        f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "DECLARE\n"
        "    meeting_state text;\n"
        "BEGIN\n"
        "    IF TG_TABLE_NAME = 'meeting' THEN\n"
        "        meeting_state := OLD.state;\n"
        "    ELSIF TG_OP = 'INSERT' THEN\n"
        "        SELECT state INTO meeting_state FROM meeting WHERE id = NEW.meeting_id;\n"
        "    ELSE\n"
        "        SELECT state INTO meeting_state FROM meeting WHERE id = OLD.meeting_id;\n"
        "    END IF;\n"
        f"    IF meeting_state = {APPROVED} THEN\n"
        "        RAISE EXCEPTION 'the minutes are approved: % on % refused', TG_OP, TG_TABLE_NAME\n"
        "            USING ERRCODE = 'restrict_violation';\n"
        "    END IF;\n"
        "    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n"
        "    RETURN NEW;\n"
        "END\n"
        "$$",
        f"CREATE TRIGGER meeting_minutes_approved BEFORE UPDATE OR DELETE ON meeting "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
        f"CREATE TRIGGER agenda_item_minutes_approved BEFORE INSERT OR UPDATE OR DELETE ON agenda_item "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
        f"CREATE TRIGGER attendance_minutes_approved BEFORE INSERT OR UPDATE OR DELETE ON attendance "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
    ]


def _bodies_for_existing_areas() -> None:
    if context.is_offline_mode():
        return
    bind = op.get_bind()
    areas = [row[0] for row in bind.execute(sa.text('SELECT id FROM area ORDER BY id'))]
    body = sa.table('body', sa.column('area_id'), sa.column('level'), sa.column('name'), sa.column('feed_key'))
    rows = [
        {'area_id': area_id, 'level': level, 'name': name, 'feed_key': secrets.token_urlsafe(24)}
        for area_id in areas
        for level, name in BODIES
    ]
    if rows:
        op.bulk_insert(body, rows)


def upgrade() -> None:
    op.create_table('body',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('feed_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('area_id', 'level', name='uq_body_area_level'),
    sa.UniqueConstraint('feed_key')
    )
    with op.batch_alter_table('body', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_body_area_id'), ['area_id'], unique=False)

    op.create_table('calendar_feed',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('user_id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=True),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_area_id'), ['area_id'], unique=False)

    op.create_table('meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('minutes_summary', sa.Text(), nullable=False),
    sa.Column('agenda_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('agenda_sent_by_id', sa.Integer(), nullable=True),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('minutes_approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_in_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agenda_sent_by_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['approved_in_id'], ['meeting.id'], ),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ),
    sa.ForeignKeyConstraint(['body_id'], ['body.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_area_starts', ['area_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_body_id'), ['body_id'], unique=False)

    op.create_table('agenda_recipient',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('meeting_id', 'user_id')
    )
    op.create_table('attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('agenda_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('measure_id', sa.Integer(), nullable=True),
    sa.Column('goal_id', sa.Integer(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('decision_trigger', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('decision_event_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['body_id'], ['body.id'], ),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['decision_event_id'], ['event.id'], ),
    sa.ForeignKeyConstraint(['goal_id'], ['goal.id'], ),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], ),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('body_id', 'year', 'number', name='uq_agenda_item_number')
    )
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_item_measure_id'), ['measure_id'], unique=False)
        batch_op.create_index('ix_agenda_item_meeting', ['meeting_id', 'position'], unique=False)

    # In place, not in batch mode: the append-only triggers of 0005 must stay on the event table.
    if _sqlite():
        op.execute('ALTER TABLE event ADD COLUMN meeting_id INTEGER REFERENCES meeting (id)')
    else:
        op.add_column('event', sa.Column('meeting_id', sa.Integer(), sa.ForeignKey('meeting.id'), nullable=True))
    op.create_index('ix_event_meeting_id', 'event', ['meeting_id'], unique=False)

    _bodies_for_existing_areas()
    for statement in _sqlite_minutes_triggers() if _sqlite() else _postgres_minutes_triggers():
        op.execute(statement)


def _sqlite_append_only_triggers(table: str) -> list[str]:
    """The event table's triggers as migration 0005 made them (a migration is a snapshot: copied, not imported)."""
    return [
        f"CREATE TRIGGER {table}_no_{action} BEFORE {action.upper()} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action.upper()} refused'); END"
        for action in ('update', 'delete')
    ]


def downgrade() -> None:
    if _sqlite():
        for statement in _sqlite_minutes_triggers():
            op.execute(f"DROP TRIGGER {statement.split()[2]}")
    else:
        for table in ('meeting', 'agenda_item', 'attendance'):
            op.execute(f'DROP TRIGGER {table}_minutes_approved ON {table}')
        op.execute(f'DROP FUNCTION {FUNCTION}()')

    op.drop_index('ix_event_meeting_id', table_name='event')
    if _sqlite():
        # SQLite cannot drop a column with a foreign key in place: recreate the table, then its triggers.
        with op.batch_alter_table('event', schema=None) as batch_op:
            batch_op.drop_column('meeting_id')
        for statement in _sqlite_append_only_triggers('event'):
            op.execute(statement)
    else:
        op.drop_column('event', 'meeting_id')

    op.drop_table('agenda_item')
    op.drop_table('attendance')
    op.drop_table('agenda_recipient')
    op.drop_table('meeting')
    op.drop_table('milestone')
    op.drop_table('calendar_feed')
    op.drop_table('body')
