"""The measure list's SQL: one page of an area's measures under the list's filters, its total, and the
search's marked words — on a plain connection the service opens (and passes back in).

Pages are read by keyset, never OFFSET: the sort key of the last row shown (a row value such as (last
change, id)) is where the next page starts, so page 200 costs what page 1 costs, and a measure added
while someone pages is neither shown twice nor skipped. An export (`chunks`) reads every page the same
way. Nullable sort columns sort on (is null, value, id): NULLs after the values going up.

Free-text search uses what each engine has (migration 0007): on SQLite the FTS5 index `measure_fts`
(kept by triggers; since 0013 it holds each measure's area too, and a search matches the area's token with
its words, so it costs what the area's hits cost, not the whole database's), ranked by bm25 with the ref and
title weighted above the texts; on PostgreSQL the
generated tsvector `measure.search` (Norwegian stemming), ranked by ts_rank. Every search term is taken
as a word prefix, and all must match.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Double,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    column,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
    tuple_,
)

from samordna.measures.views import ListQuery
from samordna.store.db import Database
from samordna.store.models import Goal, Measure, MeasureTally, MeasureUnit, Unit, UnitTally

Conn = Connection

MEASURE = Measure.__table__
UNIT = Unit.__table__.alias("list_unit")
GOAL = Goal.__table__.alias("list_goal")
M = MEASURE.c
TEXTS = (
    "need_description",
    "knowledge_source",
    "target_group",
    "plan",
    "success_criteria",
    "order_text",
    "evaluation_method",
    "evaluation_findings",
    "decision_note",
)
FTS = table("measure_fts", column("rowid", Integer))  # the FTS5 index (SQLite)
FTS_NAME = literal_column("measure_fts")  # the index's name, as FTS5 takes it in MATCH, bm25(), highlight()
MARK = ("\x02", "\x03")  # around a matched word; never in stored text (the fields refuse control characters)
LIST_COLUMNS = (
    M.id,
    M.ref,
    M.title,
    M.state,
    M.responsible_unit_id,
    UNIT.c.name.label("unit_name"),
    M.goal_id,
    GOAL.c.title.label("goal_title"),
    M.next_follow_up_at,
    M.last_health,
    M.evaluation_effect,
    M.updated_at,
    M.arena,
    M.version,
)
# What an export shows besides the list's columns (measures.export).
EXPORT_COLUMNS = (M.created_at, M.due_date, M.target_group, M.age_from, M.age_to)


def reading(db: Database) -> AbstractContextManager[Conn]:
    return db.read_rows()


def snapshot(db: Database) -> AbstractContextManager[Conn]:
    """A read transaction that sees one snapshot throughout (an export's many chunks)."""
    return db.read_snapshot()


def is_sqlite(conn: Conn) -> bool:
    return conn.dialect.name == "sqlite"


# ---------------------------------------------------------------- search


def _sqlite_match(terms: Sequence[str], area_id: int | None) -> str:
    """FTS5 query: in the ref, title and texts every term as a quoted prefix («"søknad"*»), all required (terms
    are word characters only); with `area_id`, only that area's measures (its token in the index's `area`
    column, migration 0013)."""
    prefixes = " ".join(f'"{t}"*' for t in terms)
    words = "{ref title body} : (" + prefixes + ")"
    return words if area_id is None else f"area : area{int(area_id)} AND {words}"


SCOPE_BELOW = 0.5  # a search names its area in the FTS query when the area holds less than this share


def _fts_area(conn: Conn, area_id: int) -> int | None:
    """The area to name in the FTS query, or None when it holds most of the database's measures: intersecting
    its list then costs more than it saves (18 % slower for a 100 000-measure area alone; the rows are kept to
    the area by the query's own condition either way). From the tallies: a few rows per area."""
    t = MeasureTally.__table__.c
    mine, every = conn.execute(
        select(func.coalesce(func.sum(case((t.area_id == area_id, t.n), else_=0)), 0), func.coalesce(func.sum(t.n), 0))
    ).one()
    return area_id if every and mine < SCOPE_BELOW * every else None


def _pg_query(terms: Sequence[str]) -> Any:
    text = " & ".join(f"{t}:*" for t in terms)
    return func.to_tsquery(literal_column("'norwegian'::regconfig"), bindparam("l_tsquery", text, type_=String))


def _body() -> Any:
    out: Any = func.coalesce(M.need_description, "")
    for name in TEXTS[1:]:
        out = out + " " + func.coalesce(getattr(M, name), "")
    return out


# ---------------------------------------------------------------- the page


def _sort_key(q: ListQuery, rank: Any) -> tuple[list[Any], list[Any]]:
    """(the key's expressions, the bind types of the keyset values) for the sort in force."""
    nulls = lambda expr: case((expr.is_(None), 1), else_=0)  # noqa: E731
    if q.sort == "rank":
        return [rank, M.id], [Float(), Integer()]
    if q.sort == "id":
        return [M.id], [Integer()]
    if q.sort == "ref":
        return [M.ref, M.id], [String(), Integer()]
    if q.sort == "title":
        return [func.lower(M.title), M.id], [String(), Integer()]
    if q.sort == "state":
        order = case({s: i for i, s in enumerate(q.state_order)}, value=M.state, else_=len(q.state_order))
        return [order, M.id], [Integer(), Integer()]
    if q.sort == "unit":
        return [nulls(UNIT.c.name), func.coalesce(func.lower(UNIT.c.name), ""), M.id], [Integer(), String(), Integer()]
    if q.sort == "goal":
        return [nulls(GOAL.c.title), func.coalesce(func.lower(GOAL.c.title), ""), M.id], [
            Integer(),
            String(),
            Integer(),
        ]
    if q.sort == "follow_up":
        day = M.next_follow_up_at
        return [nulls(day), func.coalesce(day, bindparam("l_no_day", date(1, 1, 1), type_=Date)), M.id], [
            Integer(),
            Date(),
            Integer(),
        ]
    if q.sort in ("health", "effect"):
        column, order_of = (
            (M.last_health, q.health_order) if q.sort == "health" else (M.evaluation_effect, q.effect_order)
        )
        order = case({v: i for i, v in enumerate(order_of)}, value=column, else_=len(order_of))
        return [nulls(column), order, M.id], [Integer(), Integer(), Integer()]
    return [M.updated_at, M.id], [DateTime(timezone=True), Integer()]


def _where(conn: Conn, q: ListQuery, tsq: Any) -> list[Any]:
    f = q.filters
    out: list[Any] = [M.area_id == q.area_id]
    if f.states:
        out.append(M.state.in_(list(f.states)))
    if f.goal_id:
        out.append(M.goal_id == f.goal_id)
    if f.arena:
        out.append(M.arena == f.arena)
    if f.health == "none":
        out.append(M.last_health.is_(None))
    elif f.health:
        out.append(M.last_health == f.health)

    def takes_part(unit_id: int) -> Any:
        part = exists().where(MeasureUnit.measure_id == M.id, MeasureUnit.unit_id == unit_id)
        return or_(M.responsible_unit_id == unit_id, part)

    if f.unit_id:
        out.append(takes_part(f.unit_id))
    if f.my_unit:
        out.append(takes_part(q.member_unit_id) if q.member_unit_id else M.id.is_(None))
    if f.mine:
        out.append(M.created_by_id == q.user_id)
    if q.year_from is not None and q.year_to is not None:
        out.append(and_(M.created_at >= q.year_from, M.created_at < q.year_to))
    return out


def _matching(conn: Conn, q: ListQuery, tsq: Any, fts_area: int | None) -> Any:
    """The search's condition on a measure row (None without search terms)."""
    if not q.terms:
        return None
    if is_sqlite(conn):
        fts = select(FTS.c.rowid).where(FTS_NAME.op("MATCH")(bindparam("l_match", _sqlite_match(q.terms, fts_area))))
        return M.id.in_(fts)
    return literal_column("measure.search").op("@@")(tsq)


@dataclass(frozen=True)
class _Plan:
    """How the rows under a query are read: the conditions of the count, and the FROM, conditions and
    relevance (None: no search) of the rows."""

    count_where: list[Any]
    source: Any
    where: list[Any]
    rank: Any
    fts_area: int | None  # the area named in the FTS query (SQLite, searching a small area), or None


def _plan(conn: Conn, q: ListQuery) -> _Plan:
    """Sorted by relevance on SQLite, the rows join the search's hits, each with its bm25, read once from the
    index (a MATERIALIZED CTE, so the planner cannot turn it into a lookup per measure). A scalar subquery
    per row, as before, ran the whole MATCH again for every hit: 3.5 s for 900 hits among 100 000
    measures, minutes for a word every measure has. Every other sort keeps the search as a condition (`IN`
    the hits, read once). On PostgreSQL the rank is ts_rank of the row's own tsvector."""
    tsq = _pg_query(q.terms) if q.terms and not is_sqlite(conn) else None
    where = _where(conn, q, tsq)
    fts_area = _fts_area(conn, q.area_id) if q.terms and is_sqlite(conn) else None
    matching = _matching(conn, q, tsq, fts_area)
    count_where = where if matching is None else [*where, matching]
    source = MEASURE.outerjoin(UNIT, UNIT.c.id == M.responsible_unit_id).outerjoin(GOAL, GOAL.c.id == M.goal_id)
    if matching is None:
        return _Plan(count_where, source, where, None, fts_area)
    if not is_sqlite(conn):
        # ts_rank is a real (float4): as a double, the key a page ends on comes back exactly (a real would be
        # rounded on its way through Python, and a keyset past rows of equal rank would find them again).
        rank = -cast(func.ts_rank(literal_column("measure.search"), tsq), Double())
        return _Plan(count_where, source, count_where, rank, fts_area)
    if q.sort != "rank":
        return _Plan(count_where, source, count_where, None, fts_area)
    hits = (
        select(FTS.c.rowid.label("hit_id"), func.bm25(FTS_NAME, 10.0, 5.0, 1.0, 0.0).label("hit_rank"))
        .where(FTS_NAME.op("MATCH")(bindparam("l_match2", _sqlite_match(q.terms, fts_area))))
        .cte("hits")
        .prefix_with("MATERIALIZED")
    )
    return _Plan(count_where, source.join(hits, hits.c.hit_id == M.id), where, hits.c.hit_rank, fts_area)


def _rows(
    conn: Conn, q: ListQuery, plan: _Plan, columns: Sequence[Any]
) -> tuple[list[dict[str, Any]], tuple[Any, ...] | None]:
    """(up to `q.limit` rows after `q.after` in the sort's order, the key of the last row when there may be
    more): one statement, the keyset as a row value compared with the last key."""
    key, types = _sort_key(q, plan.rank)
    inner = select(*columns, *[k.label(f"k{i}") for i, k in enumerate(key)]).select_from(plan.source).where(*plan.where)
    ranked = inner.subquery("ranked")
    keys = [ranked.c[f"k{i}"] for i in range(len(key))]
    statement = select(ranked)
    if q.after is not None:
        values = [bindparam(f"l_after{i}", v, type_=t) for i, (v, t) in enumerate(zip(q.after, types, strict=True))]
        row, after = tuple_(*keys), tuple_(*values)
        statement = statement.where(row < after if q.descending else row > after)
    order = [k.desc() if q.descending else k.asc() for k in keys]
    rows = [dict(r) for r in conn.execute(statement.order_by(*order).limit(q.limit + 1)).mappings()]
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    last = tuple(rows[-1][f"k{i}"] for i in range(len(key))) if more and rows else None
    for r in rows:
        for i in range(len(key)):
            r.pop(f"k{i}", None)
    return rows, last


def page(
    conn: Conn, q: ListQuery
) -> tuple[list[dict[str, Any]], int, tuple[Any, ...] | None, dict[int, tuple[str, str]]]:
    """(up to `q.limit` rows after `q.after`, the number of rows matching in all, the key of the last row
    when there may be more, the search's marked words of those rows (`marks`))."""
    plan = _plan(conn, q)
    rows, last = _rows(conn, q, plan, LIST_COLUMNS)
    tallied = _tallied_total(q)
    count = tallied if tallied is not None else select(func.count()).select_from(MEASURE).where(*plan.count_where)
    total = int(conn.execute(count).scalar_one())
    return rows, total, last, marks(conn, q, [r["id"] for r in rows], plan.fts_area)


def _tallied_total(q: ListQuery) -> Any:
    """How many match, from measure_tally (kept by the database, migration 0011: a few rows per area whatever
    it holds) when the list has no search and filters only by state, goal, arena and health, or from
    unit_tally (migration 0014: a row per state) when it filters only by state and one unit's «our
    measures»; else None (the measures matching are counted)."""
    f = q.filters
    if q.terms or f.mine or (q.year_from is not None and q.year_to is not None):
        return None
    if f.my_unit and not q.member_unit_id:
        return None  # no unit: nothing matches, counted
    units = {u for u in (f.unit_id, q.member_unit_id if f.my_unit else None) if u}
    if units:
        if len(units) > 1 or f.goal_id or f.arena or f.health:
            return None
        u = UnitTally.__table__.c
        where = [u.area_id == q.area_id, u.unit_id == units.pop()]
        if f.states:
            where.append(u.state.in_(list(f.states)))
        return select(func.coalesce(func.sum(u.n), 0)).where(*where)
    t = MeasureTally.__table__.c
    where = [t.area_id == q.area_id]
    if f.states:
        where.append(t.state.in_(list(f.states)))
    if f.goal_id:
        where.append(t.goal_id == f.goal_id)
    if f.arena:
        where.append(t.arena == f.arena)
    if f.health == "none":
        where.append(t.last_health == "")
    elif f.health:
        where.append(t.last_health == f.health)
    return select(func.coalesce(func.sum(t.n), 0)).where(*where)


def chunks(conn: Conn, q: ListQuery) -> Iterator[list[dict[str, Any]]]:
    """Every row of the list under `q`, in its order, `q.limit` at a time: the list's own statement, page
    after page by keyset (never OFFSET, so the last chunk costs what the first does), with the columns an
    export adds (EXPORT_COLUMNS). No count. Run it in one snapshot (`snapshot`), or rows changed meanwhile
    may move past the keyset: skipped, or met twice."""
    plan = _plan(conn, q)
    columns = (*LIST_COLUMNS, *EXPORT_COLUMNS)
    while True:
        rows, last = _rows(conn, q, plan, columns)
        if rows:
            yield rows
        if last is None:
            return
        if last == q.after:  # a key that does not move on would read the same rows for ever
            raise RuntimeError(f"the keyset of sort {q.sort!r} did not advance past {last!r}")
        q = replace(q, after=last)


def marks(conn: Conn, q: ListQuery, ids: Sequence[int], fts_area: int | None) -> dict[int, tuple[str, str]]:
    """measure id -> (title with the matched words marked, the best matching passage of its texts, marked), for
    the rows `ids` of a page; `fts_area` as the page's plan chose it (so the choice is read once a page)."""
    if not q.terms or not ids:
        return {}
    start, stop = MARK
    if is_sqlite(conn):
        statement = select(
            FTS.c.rowid,
            func.highlight(FTS_NAME, 1, start, stop),
            func.snippet(FTS_NAME, 2, start, stop, "…", 18),
        ).where(
            FTS_NAME.op("MATCH")(bindparam("l_match", _sqlite_match(q.terms, fts_area))),
            # `+rowid`: the ids filter the hits of one MATCH. As a plain `rowid IN (…)` SQLite hands each id to
            # FTS5, which evaluated the whole query once per id (50 × 2.7 ms on every search page).
            literal_column("+measure_fts.rowid", Integer).in_(list(ids)),
        )
    else:
        tsq = _pg_query(q.terms)
        options = f"StartSel={start}, StopSel={stop}"
        statement = select(
            M.id,
            func.ts_headline(literal_column("'norwegian'::regconfig"), M.title, tsq, options + ", HighlightAll=true"),
            func.ts_headline(
                literal_column("'norwegian'::regconfig"),
                _body(),
                tsq,
                options + ", MaxFragments=1, MaxWords=24, MinWords=10",
            ),
        ).where(M.id.in_(list(ids)))
    return {row[0]: (row[1] or "", row[2] or "") for row in conn.execute(statement)}
