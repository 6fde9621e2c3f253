"""The boards' queries use the indexes of migration 0004 (SQLite's EXPLAIN QUERY PLAN): every column is an
index walk in the board's order that stops after the page, and the totals and the goal progress come from
measure_tally's key (migration 0011) under every filter but the unit's, and unit_tally's (migration 0014)
under the unit's alone — never a scan of the area's measures, never a sort of them. The steering group's
decisions walk ix_event_trigger_at. Plans only."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text

from samordna.boards.service import BoardFilters
from tests.factories import World


def _plans(world: World, read: Any) -> list[list[str]]:
    """The query plan of every statement `read()` runs."""
    statements: list[tuple[str, Any]] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    engine = world.samordna.db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        read()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    with engine.connect() as conn:
        return [
            [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)] for sql, params in statements
        ]


def _measure_lines(plans: list[list[str]]) -> list[str]:
    return [line for plan in plans for line in plan if " measure " in f" {line} " or "measure USING" in line]


pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def sqlite_world(world: World) -> World:
    assert world.samordna.db.engine.dialect.name == "sqlite"  # the sqlite_only mark keeps PostgreSQL out
    return world


@pytest.mark.parametrize(
    "filters",
    [
        BoardFilters(),
        BoardFilters(goal_id=1),
        BoardFilters(health="at_risk"),
        BoardFilters(health="none"),
        BoardFilters(arena="school"),
    ],
    ids=["none", "goal", "health", "no-health", "arena"],
)
def test_coordination_board_walks_the_board_index_and_counts_the_tallies(
    sqlite_world: World, filters: BoardFilters
) -> None:
    world = sqlite_world
    plans = _plans(
        world,
        lambda: world.samordna.boards.read_board(
            actor=world.actors["coordinator"], slug="alfa", board="coordination", filters=filters
        ),
    )
    lines = _measure_lines(plans)
    assert lines, "no query on measure"
    assert all(line.startswith("SEARCH measure USING") for line in lines), lines  # never a scan
    walks = [line for line in lines if "next_follow_up_at" in line]
    assert len(walks) == 12 and all("INDEX ix_measure_board" in line for line in walks), lines  # 6 columns × 2
    # The totals: from the tallies' primary key, not from measure.
    assert len(lines) == 12, lines
    tally = [line for plan in plans for line in plan if "measure_tally" in line]
    assert tally and all(line.startswith("SEARCH measure_tally USING") for line in tally), tally


def test_execution_board_and_next_page_use_the_board_index(sqlite_world: World) -> None:
    world = sqlite_world
    plans = _plans(
        world, lambda: world.samordna.boards.read_board(actor=world.actors["executing"], slug="alfa", board="execution")
    )
    plans += _plans(
        world,
        lambda: world.samordna.boards.read_column(
            actor=world.actors["coordinator"], slug="alfa", board="coordination", state="in_follow_up", shown=[1, 2, 3]
        ),
    )
    lines = _measure_lines(plans)
    assert lines and not any(line.startswith("SCAN measure") for line in lines), lines


def test_goal_progress_and_decisions_read_no_measure_of_the_area(sqlite_world: World) -> None:
    world = sqlite_world
    plans = _plans(
        world,
        lambda: world.samordna.boards.read_board(actor=world.actors["steering"], slug="alfa", board="steering"),
    )
    flat = [line for plan in plans for line in plan]
    assert any(line.startswith("SEARCH measure_tally USING") for line in flat), flat
    assert not any(line.startswith("SCAN measure") for line in flat), flat
    # The decisions: a walk of ix_event_trigger_at per trigger, each measure found by its key.
    assert any("ix_event_trigger_at" in line for line in flat), flat
    assert not any("ix_measure_area" in line for line in flat), flat


def test_the_index_is_the_migrated_one(sqlite_world: World) -> None:
    with sqlite_world.samordna.db.engine.connect() as conn:
        columns = [r[2] for r in conn.execute(text("PRAGMA index_info('ix_measure_board')"))]
    assert columns[:5] == ["area_id", "state", "next_follow_up_at", "updated_at", "id"]


def test_needs_we_registered_walk_the_registrant_index(sqlite_world: World) -> None:
    """«Behov vi har meldt»: a walk of ix_measure_registrant per registrant (covering, in the page's order, no
    sort) and a count over the same index: never the area's changes one by one (ix_measure_area_updated),
    which SQLite's planner chose, without statistics, when the index lacked the id."""
    world = sqlite_world
    plans = _plans(
        world, lambda: world.samordna.boards.read_board(actor=world.actors["executing"], slug="alfa", board="execution")
    )
    registered = [plan for plan in plans if any("ix_measure_registrant" in line for line in plan)]
    assert len(registered) == 1, plans
    lines = registered[0]
    walks = [line for line in lines if "ix_measure_registrant" in line]
    assert len(walks) >= 2 and all("COVERING INDEX" in line for line in walks), lines  # a walk and the count
    assert not any("ix_measure_area_updated" in line or line.startswith("SCAN measure") for line in lines), lines


def test_the_registrant_index_is_the_migrated_one(sqlite_world: World) -> None:
    with sqlite_world.samordna.db.engine.connect() as conn:
        columns = [r[2] for r in conn.execute(text("PRAGMA index_info('ix_measure_registrant')"))]
    assert columns == ["area_id", "created_by_id", "updated_at", "id", "state"]


@pytest.mark.parametrize("after", [False, True], ids=["first", "next"])
def test_the_api_pages_in_id_order_walk_the_area_id_index(sqlite_world: World, after: bool) -> None:
    """The API's default order (id): every page, the first too, walks ix_measure_area_id and stops after the
    page. Without it, the first page read the area's every measure and sorted them (125 ms at 100 000)."""
    from samordna.measures.views import ListFilters

    world = sqlite_world
    for _ in range(3):
        world.register(title="Et behov")
    measures = world.samordna.measures
    cursor = None
    if after:
        first = measures.list_page(
            actor=world.actors["coordinator"], slug="alfa", filters=ListFilters(sort="id"), limit=1
        )
        cursor = first.next_after
        assert cursor
    plans = _plans(
        world,
        lambda: measures.list_page(
            actor=world.actors["coordinator"],
            slug="alfa",
            filters=ListFilters(sort="id"),
            after=cursor,
            limit=2,
            full=True,
        ),
    )
    page = [plan for plan in plans if any("list_unit" in line for line in plan)]
    assert len(page) == 1, plans
    assert any("ix_measure_area_id" in line for line in page[0]), page
    assert not any("TEMP B-TREE" in line for line in page[0]), page


def test_our_measures_totals_read_the_unit_tallies_not_measure(sqlite_world: World) -> None:
    """The execution board of a member of a unit (locked to «our measures») and a coordination board filtered
    on a unit alone take their totals from unit_tally's key (migration 0014): every statement on measure is a
    column's walk of ix_measure_board (or the registrants' index), none counts the unit's measures."""
    world = sqlite_world
    plans = _plans(
        world, lambda: world.samordna.boards.read_board(actor=world.actors["executing"], slug="alfa", board="execution")
    )
    plans += _plans(
        world,
        lambda: world.samordna.boards.read_board(
            actor=world.actors["coordinator"],
            slug="alfa",
            board="coordination",
            filters=BoardFilters(unit_id=world.unit("Politiet")),
        ),
    )
    flat = [line for plan in plans for line in plan]
    tally = [line for line in flat if "unit_tally" in line]
    assert len(tally) == 2 and all(line.startswith("SEARCH unit_tally USING") for line in tally), flat
    lines = _measure_lines(plans)
    assert not any(line.startswith("SCAN measure") for line in lines), lines
    # No count over the unit's measures: neither the list of its participations nor ix_measure_area_unit.
    assert not any("ix_measure_area_unit" in line or "LIST SUBQUERY" in line for line in flat), flat
