"""free-text search by area on SQLite: the FTS5 index also holds each measure's area

Migration 0007's FTS5 index `measure_fts` (ref, title, body) covered every measure of the database. A search
in one area therefore found, ranked and joined the hits of every area, then kept the area's: in a database
holding a 100 000-measure area beside a 1 000-measure one, a search for «skole» in the small area took 94 ms
to rank and 17 ms to count (20 000 hits, 200 of them its own). Oslo runs SLT per bydel: one installation,
many areas.

The index gets a fourth column, `area` («area<id>», one token), and a search matches `area : area<id> AND
{ref title body} : (…)`: FTS5 intersects the area's list with the words' before anything is ranked, so the
cost follows the area's hits (12 ms and 3 ms in the example). The search names the area only when it holds
less than half of the database's measures (for an area alone, intersecting its list with the words' costs 18 %
more than keeping its rows afterwards, which the query does anyway). The words are matched in the three text columns
only, so a word never matches an area. The triggers of 0007 are made again with the area, and fire on a change
of `area_id` too. PostgreSQL is unchanged (its tsvector column sits in the measure row: the area's condition
and the search's are applied together).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 03:25:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXTS = ('need_description', 'knowledge_source', 'target_group', 'plan', 'success_criteria', 'order_text',
         'evaluation_method', 'evaluation_findings', 'decision_note')
TRIGGER_NAMES = ('measure_fts_insert', 'measure_fts_delete', 'measure_fts_update')


def _body(prefix: str = '') -> str:
    return " || ' ' || ".join(f"coalesce({prefix}{c}, '')" for c in TEXTS)


def _statements(with_area: bool) -> list[str]:
    """The view, the index and the triggers of 0007, with (or, to go back, without) the area column."""
    columns = "ref, title, body, area" if with_area else "ref, title, body"

    def row(p: str) -> str:
        values = f"{p}id, {p}ref, {p}title, {_body(p)}"
        return values + (f", 'area' || {p}area_id" if with_area else "")

    watched = ("area_id, " if with_area else "") + f"ref, title, {', '.join(TEXTS)}"
    area_view = ", 'area' || area_id AS area" if with_area else ""
    return [
        f"CREATE VIEW measure_search_text AS SELECT id, ref, title, {_body()} AS body{area_view} FROM measure",
        f"CREATE VIRTUAL TABLE measure_fts USING fts5({columns}, content='measure_search_text', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        "CREATE TRIGGER measure_fts_insert AFTER INSERT ON measure BEGIN "
        f"INSERT INTO measure_fts (rowid, {columns}) VALUES ({row('new.')}); END",
        "CREATE TRIGGER measure_fts_delete AFTER DELETE ON measure BEGIN "
        f"INSERT INTO measure_fts (measure_fts, rowid, {columns}) VALUES ('delete', {row('old.')}); END",
        f"CREATE TRIGGER measure_fts_update AFTER UPDATE OF {watched} ON measure BEGIN "
        f"INSERT INTO measure_fts (measure_fts, rowid, {columns}) VALUES ('delete', {row('old.')}); "
        f"INSERT INTO measure_fts (rowid, {columns}) VALUES ({row('new.')}); END",
        "INSERT INTO measure_fts (measure_fts) VALUES ('rebuild')",
    ]


def _drop() -> None:
    for name in TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS measure_fts")
    op.execute("DROP VIEW IF EXISTS measure_search_text")


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    _drop()
    for statement in _statements(with_area=True):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    _drop()
    for statement in _statements(with_area=False):
        op.execute(statement)
