"""unit tallies: «our measures» per unit and state, kept by triggers on measure and measure_unit

`unit_tally` (area, unit, state, n) counts each measure once for every unit in {its responsible unit} ∪ {the
units taking part (measure_unit)}: the totals of a board locked to a unit (the execution board of every
front-line member) read a row per column instead of counting the unit's measures from the indexes (bench.data's
100 000-measure area, a unit's execution board: its totals 14.0 → 0.15 ms, the service's read of the board
16.8 → 5.2 ms, medians on a shared, loaded machine; bench.wholearea's page 3.5–4.9× → 1.5–1.7× its 1 000-measure
page, which shows a third of the cards: the unit's columns there hold 2 to 40 measures).

Triggers keep it in the writing transaction, whatever writes:
- on `measure`: INSERT, DELETE, and UPDATE of state, responsible_unit_id, area_id — the measure's units as
  they were are taken off, the units as they are now are added, netted per (area, unit, state) in one
  statement (a unit that is both the old and the new responsible unit, or responsible and taking part, is
  counted once);
- on `measure_unit`: INSERT and DELETE (and UPDATE, which nothing does) count the unit for the measure only
  when it is not the measure's responsible unit, and only while the measure exists. So the order of the
  deletes does not matter: measure_unit first (the foreign key's order) takes the participants off one by
  one, then the measure its responsible unit; a measure gone first (no foreign keys) takes its participants
  off with it and their later DELETEs find no measure.

Every change is one INSERT … SELECT … ORDER BY (area, unit, state) … ON CONFLICT DO UPDATE SET n = n + delta,
which locks its rows in the order of their keys. Row order within a statement is not enough on PostgreSQL:
a transition writes the measure (its responsible unit's row) and then its participations (theirs) in
separate statements, so two coordinators assigning two measures with the units crossed would lock the same
rows in opposite order and deadlock. So before it writes, a trigger takes the area's transaction-level
advisory lock, pg_advisory_xact_lock(13, area id) (both areas, ascending, for a move between areas): the
writers of an area's unit tallies go one after the other to the end of their transactions, and only they —
a write that touches no unit (a need registered without one, a state change of a measure without units)
takes no lock. A transition locks its measure row, then measure_tally's rows, then the area: the same order
in every transaction that writes one measure (every service writes one measure per transaction; an import
writes many, into an area of its own). A transaction writing several measures of an area with units, beside
another, could still wait for a measure_tally row while holding the area: one of them would be aborted.
SQLite has one writer at a time and needs none of it.

A later migration that rebuilds `measure` or `measure_unit` with batch_alter_table on SQLite drops the
triggers with the old table: it must create them again (SQLITE_TRIGGERS below).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "area_id, unit_id, state"
WATCHED = "area_id, state, responsible_unit_id"


def _units_of_measure(row: str, sign: str) -> str:
    """The measure `row`'s units, each once: the responsible one and those taking part."""
    return (
        f"SELECT {row}.area_id AS area_id, {row}.responsible_unit_id AS unit_id, {row}.state AS state, {sign} AS d "
        f"WHERE {row}.responsible_unit_id IS NOT NULL "
        f"UNION ALL SELECT {row}.area_id, mu.unit_id, {row}.state, {sign} FROM measure_unit AS mu "
        f"WHERE mu.measure_id = {row}.id "
        f"AND ({row}.responsible_unit_id IS NULL OR mu.unit_id <> {row}.responsible_unit_id)"
    )


def _participation(row: str, sign: str) -> str:
    """The measure_unit `row`'s unit, when its measure exists and the unit is not the responsible one."""
    return (
        f"SELECT m.area_id AS area_id, {row}.unit_id AS unit_id, m.state AS state, {sign} AS d FROM measure AS m "
        f"WHERE m.id = {row}.measure_id "
        f"AND (m.responsible_unit_id IS NULL OR m.responsible_unit_id <> {row}.unit_id)"
    )


def _apply(*parts: str) -> str:
    """Add the deltas, netted per key, locking the rows in the order of their keys."""
    deltas = " UNION ALL ".join(parts)
    return (
        f"INSERT INTO unit_tally ({KEY}, n) "
        f"SELECT {KEY}, sum(d) FROM ({deltas}) AS delta WHERE true "
        f"GROUP BY {KEY} HAVING sum(d) <> 0 ORDER BY {KEY} "
        f"ON CONFLICT ({KEY}) DO UPDATE SET n = unit_tally.n + excluded.n"
    )


MEASURE_INSERT = _apply(_units_of_measure('new', '1'))
MEASURE_DELETE = _apply(_units_of_measure('old', '-1'))
MEASURE_UPDATE = _apply(_units_of_measure('old', '-1'), _units_of_measure('new', '1'))
PART_INSERT = _apply(_participation('new', '1'))
PART_DELETE = _apply(_participation('old', '-1'))
PART_UPDATE = _apply(_participation('old', '-1'), _participation('new', '1'))

_CHANGED = " OR ".join(f"old.{c} IS NOT new.{c}" for c in WATCHED.split(", "))

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER unit_tally_measure_insert AFTER INSERT ON measure BEGIN {MEASURE_INSERT}; END",
    f"CREATE TRIGGER unit_tally_measure_delete AFTER DELETE ON measure BEGIN {MEASURE_DELETE}; END",
    f"CREATE TRIGGER unit_tally_measure_update AFTER UPDATE OF {WATCHED} ON measure WHEN {_CHANGED} "
    f"BEGIN {MEASURE_UPDATE}; END",
    f"CREATE TRIGGER unit_tally_part_insert AFTER INSERT ON measure_unit BEGIN {PART_INSERT}; END",
    f"CREATE TRIGGER unit_tally_part_delete AFTER DELETE ON measure_unit BEGIN {PART_DELETE}; END",
    "CREATE TRIGGER unit_tally_part_update AFTER UPDATE OF measure_id, unit_id ON measure_unit "
    f"WHEN old.measure_id IS NOT new.measure_id OR old.unit_id IS NOT new.unit_id BEGIN {PART_UPDATE}; END",
]

_PG_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in WATCHED.split(", "))

LOCK_CLASS = 13  # pg_advisory_xact_lock(13, area id): this migration's, no other advisory lock in Samordna


def _pg_lock(areas: str) -> str:
    """Take the areas' unit-tally locks (held to the end of the transaction), in ascending order."""
    return (
        f"PERFORM pg_advisory_xact_lock({LOCK_CLASS}, a) "
        f"FROM (SELECT DISTINCT a FROM ({areas}) AS v(a) ORDER BY a) AS l"
    )


def _measure_areas(*rows: str) -> str:
    return " UNION ALL ".join(f"SELECT {row}.area_id" for row in rows)


def _part_areas(*rows: str) -> str:
    return " UNION ALL ".join(f"SELECT area_id FROM measure WHERE id = {row}.measure_id" for row in rows)


def _has_units(row: str) -> str:
    return (
        f"({row}.responsible_unit_id IS NOT NULL "
        f"OR EXISTS (SELECT 1 FROM measure_unit WHERE measure_unit.measure_id = {row}.id))"
    )


POSTGRES = [
    "CREATE FUNCTION unit_tally_measure_keep() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  IF TG_OP = 'INSERT' THEN\n"
    f"    IF {_has_units('NEW')} THEN\n"
    f"      {_pg_lock(_measure_areas('NEW'))};\n"
    f"      {MEASURE_INSERT};\n"
    "    END IF;\n"
    "  ELSIF TG_OP = 'DELETE' THEN\n"
    f"    IF {_has_units('OLD')} THEN\n"
    f"      {_pg_lock(_measure_areas('OLD'))};\n"
    f"      {MEASURE_DELETE};\n"
    "    END IF;\n"
    f"  ELSIF ({_PG_CHANGED}) AND ({_has_units('OLD')} OR {_has_units('NEW')}) THEN\n"
    f"    {_pg_lock(_measure_areas('OLD', 'NEW'))};\n"
    f"    {MEASURE_UPDATE};\n"
    "  END IF;\n"
    "  RETURN NULL;\n"
    "END $$",
    "CREATE TRIGGER unit_tally_measure_insert_delete AFTER INSERT OR DELETE ON measure "
    "FOR EACH ROW EXECUTE FUNCTION unit_tally_measure_keep()",
    f"CREATE TRIGGER unit_tally_measure_update AFTER UPDATE OF {WATCHED} ON measure "
    "FOR EACH ROW EXECUTE FUNCTION unit_tally_measure_keep()",
    "CREATE FUNCTION unit_tally_part_keep() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  IF TG_OP = 'INSERT' THEN\n"
    f"    {_pg_lock(_part_areas('NEW'))};\n"
    f"    {PART_INSERT};\n"
    "  ELSIF TG_OP = 'DELETE' THEN\n"
    f"    {_pg_lock(_part_areas('OLD'))};\n"
    f"    {PART_DELETE};\n"
    "  ELSIF OLD.measure_id IS DISTINCT FROM NEW.measure_id OR OLD.unit_id IS DISTINCT FROM NEW.unit_id THEN\n"
    f"    {_pg_lock(_part_areas('OLD', 'NEW'))};\n"
    f"    {PART_UPDATE};\n"
    "  END IF;\n"
    "  RETURN NULL;\n"
    "END $$",
    "CREATE TRIGGER unit_tally_part_keep AFTER INSERT OR DELETE OR UPDATE ON measure_unit "
    "FOR EACH ROW EXECUTE FUNCTION unit_tally_part_keep()",
]

BACKFILL = (
    f"INSERT INTO unit_tally ({KEY}, n) "
    f"SELECT {KEY}, count(*) FROM ("
    "SELECT m.id, m.area_id, m.responsible_unit_id AS unit_id, m.state FROM measure AS m "
    "WHERE m.responsible_unit_id IS NOT NULL "
    "UNION SELECT m.id, m.area_id, mu.unit_id, m.state "
    "FROM measure AS m JOIN measure_unit AS mu ON mu.measure_id = m.id"
    f") AS ours GROUP BY {KEY}"
)

SQLITE_NAMES = (
    'unit_tally_measure_insert',
    'unit_tally_measure_delete',
    'unit_tally_measure_update',
    'unit_tally_part_insert',
    'unit_tally_part_delete',
    'unit_tally_part_update',
)


def upgrade() -> None:
    op.create_table(
        'unit_tally',
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('area_id', 'unit_id', 'state'),
    )
    op.execute(BACKFILL)
    statements = SQLITE_TRIGGERS if op.get_bind().dialect.name == 'sqlite' else POSTGRES
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for name in SQLITE_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS unit_tally_measure_insert_delete ON measure")
        op.execute("DROP TRIGGER IF EXISTS unit_tally_measure_update ON measure")
        op.execute("DROP TRIGGER IF EXISTS unit_tally_part_keep ON measure_unit")
        op.execute("DROP FUNCTION IF EXISTS unit_tally_measure_keep()")
        op.execute("DROP FUNCTION IF EXISTS unit_tally_part_keep()")
    op.drop_table('unit_tally')
