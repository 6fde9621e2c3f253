"""The boards' queries use the indexes of migration 0004 (SQLite's EXPLAIN QUERY PLAN): every column is an
index walk in the board's order that stops after the page, and the totals come from the index alone,
under every filter — never a scan of the area's measures, never a sort of them. Plans only, no timing."""

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
def test_coordination_board_walks_and_counts_the_board_index(sqlite_world: World, filters: BoardFilters) -> None:
    world = sqlite_world
    lines = _measure_lines(
        _plans(
            world,
            lambda: world.samordna.boards.read_board(
                actor=world.actors["coordinator"], slug="alfa", board="coordination", filters=filters
            ),
        )
    )
    assert lines, "no query on measure"
    assert all(line.startswith("SEARCH measure USING") for line in lines), lines  # never a scan
    walks = [line for line in lines if "next_follow_up_at" in line]
    assert len(walks) == 12 and all("INDEX ix_measure_board" in line for line in walks), lines  # 6 columns × 2
    # The totals: from an index alone (the board index, or the goal index under the goal filter).
    assert any("COVERING INDEX" in line for line in lines), lines


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


def test_goal_progress_is_counted_from_the_goal_index(sqlite_world: World) -> None:
    world = sqlite_world
    lines = _measure_lines(
        _plans(
            world,
            lambda: world.samordna.boards.read_board(actor=world.actors["steering"], slug="alfa", board="steering"),
        )
    )
    assert any("COVERING INDEX ix_measure_area_goal" in line for line in lines), lines
    assert not any(line.startswith("SCAN measure") for line in lines), lines


def test_the_index_is_the_migrated_one(sqlite_world: World) -> None:
    with sqlite_world.samordna.db.engine.connect() as conn:
        columns = [r[2] for r in conn.execute(text("PRAGMA index_info('ix_measure_board')"))]
    assert columns[:5] == ["area_id", "state", "next_follow_up_at", "updated_at", "id"]
