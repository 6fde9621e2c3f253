"""the audit tables are append-only in the database; one event per measure version

The database itself refuses UPDATE and DELETE (and on PostgreSQL TRUNCATE) on `event`, `audit_log` and
`status_report`: SQLite with BEFORE UPDATE/DELETE triggers that RAISE(ABORT), PostgreSQL with BEFORE
triggers calling samordna_append_only(), which raises restrict_violation (SQLSTATE 23001). Both reach
SQLAlchemy as an IntegrityError.

A unique constraint on event (measure_id, version) stops two events for the same version of a measure.
The upgrade stops with a message naming the duplicates when the table already holds some.

On SQLite, batch mode recreates a table and its triggers are lost: a later migration that batch-alters
one of these tables must make its triggers again afterwards (copy `_sqlite_triggers` below: a migration
is a snapshot, not to be imported). Here the event table is recreated first and the triggers are made
at the end; tests/store/test_immutability.py checks that every table refuses at head.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('event', 'audit_log', 'status_report')
UNIQUE = 'uq_event_measure_version'
FUNCTION = 'samordna_append_only'


def _sqlite_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_{action} BEFORE {action.upper()} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action.upper()} refused'); END"
        for action in ('update', 'delete')
    ]


def _sqlite() -> bool:
    return op.get_context().dialect.name == 'sqlite'


def _refuse_duplicate_events() -> None:
    if context.is_offline_mode():
        return
    found = op.get_bind().execute(sa.text(
        "SELECT measure_id, version, count(*) FROM event GROUP BY measure_id, version HAVING count(*) > 1"
        " ORDER BY measure_id, version LIMIT 10"
    )).all()
    if found:
        pairs = ', '.join(f'measure {m} version {v} ({n} events)' for m, v, n in found)
        raise RuntimeError(
            f'{UNIQUE} cannot be created: the event table holds more than one event for the same measure '
            f'and version ({pairs}{", ..." if len(found) == 10 else ""}). Resolve them by hand and migrate again.'
        )


def upgrade() -> None:
    _refuse_duplicate_events()
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_unique_constraint(UNIQUE, ['measure_id', 'version'])

    if _sqlite():
        for table in TABLES:
            for statement in _sqlite_triggers(table):
                op.execute(statement)
        return
    op.execute(
        f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP\n"
        "        USING ERRCODE = 'restrict_violation';\n"
        "END\n"
        "$$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )


def downgrade() -> None:
    if _sqlite():
        for table in TABLES:
            for action in ('update', 'delete'):
                op.execute(f'DROP TRIGGER {table}_no_{action}')
    else:
        for table in TABLES:
            op.execute(f'DROP TRIGGER {table}_no_truncate ON {table}')
            op.execute(f'DROP TRIGGER {table}_append_only ON {table}')
        op.execute(f'DROP FUNCTION {FUNCTION}()')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint(UNIQUE, type_='unique')
