"""free-text search over measures, kept in step by the database; the measure list's default order

SQLite: an FTS5 index `measure_fts` (ref, title, body) over the view `measure_search_text`, whose `body`
joins every free-text field of a measure. Triggers on `measure` keep the index in step with every INSERT,
UPDATE and DELETE, in the writing transaction. The tokenizer folds case and diacritics (remove_diacritics 2:
«Ålesund» is found by «alesund»); æ and ø stay letters of their own.

PostgreSQL: a stored generated column `measure.search` (tsvector, Norwegian configuration: «søknadene» is
found by «søknad»), the ref and title weighted A and the texts B, with a GIN index. Generated columns are
computed in the writing statement itself.

Both: `ix_measure_area_updated` (area, last change, id) serves the measure list's default order (newest
change first) by walking the index and stopping after a page.

A later migration that rebuilds `measure` with batch_alter_table on SQLite drops the triggers with the old
table: it must create them again (TRIGGERS below).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 09:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXTS = ('need_description', 'knowledge_source', 'target_group', 'plan', 'success_criteria', 'order_text',
         'evaluation_method', 'evaluation_findings', 'decision_note')


def _body(prefix: str = '') -> str:
    return " || ' ' || ".join(f"coalesce({prefix}{c}, '')" for c in TEXTS)


SQLITE = [
    f"CREATE VIEW measure_search_text AS SELECT id, ref, title, {_body()} AS body FROM measure",
    "CREATE VIRTUAL TABLE measure_fts USING fts5(ref, title, body, content='measure_search_text', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
]
TRIGGERS = [
    "CREATE TRIGGER measure_fts_insert AFTER INSERT ON measure BEGIN "
    f"INSERT INTO measure_fts (rowid, ref, title, body) VALUES (new.id, new.ref, new.title, {_body('new.')}); END",
    "CREATE TRIGGER measure_fts_delete AFTER DELETE ON measure BEGIN "
    "INSERT INTO measure_fts (measure_fts, rowid, ref, title, body) "
    f"VALUES ('delete', old.id, old.ref, old.title, {_body('old.')}); END",
    f"CREATE TRIGGER measure_fts_update AFTER UPDATE OF ref, title, {', '.join(TEXTS)} ON measure BEGIN "
    "INSERT INTO measure_fts (measure_fts, rowid, ref, title, body) "
    f"VALUES ('delete', old.id, old.ref, old.title, {_body('old.')}); "
    f"INSERT INTO measure_fts (rowid, ref, title, body) VALUES (new.id, new.ref, new.title, {_body('new.')}); END",
]


def _pg_vector() -> str:
    return (
        # The ref's dashes as spaces: PostgreSQL's parser reads «-2026» as a signed number.
        "setweight(to_tsvector('norwegian'::regconfig, replace(coalesce(ref, ''), '-', ' ') || ' ' || "
        "coalesce(title, '')), 'A') || "
        f"setweight(to_tsvector('norwegian'::regconfig, {_body()}), 'B')"
    )


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for statement in SQLITE + TRIGGERS:
            op.execute(statement)
        op.execute("INSERT INTO measure_fts (measure_fts) VALUES ('rebuild')")  # the measures already there
    else:
        op.execute(f"ALTER TABLE measure ADD COLUMN search tsvector GENERATED ALWAYS AS ({_pg_vector()}) STORED")
        op.execute("CREATE INDEX ix_measure_search ON measure USING gin (search)")
    op.create_index('ix_measure_area_updated', 'measure', ['area_id', 'updated_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_measure_area_updated', table_name='measure')
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for name in ('measure_fts_insert', 'measure_fts_delete', 'measure_fts_update'):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS measure_fts")
        op.execute("DROP VIEW IF EXISTS measure_search_text")
    else:
        op.execute("DROP INDEX IF EXISTS ix_measure_search")
        op.execute("ALTER TABLE measure DROP COLUMN IF EXISTS search")
