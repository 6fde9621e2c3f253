"""measure_tally (migration 0011) equals a full count of the measures after any writes: inserts, changes of
state, goal, arena, health and evaluated effect (one at a time or several in one statement), moves between areas
and deletes, written as SQL straight to the table (the triggers, not the services, keep the tallies). Then the
boards' totals and goal progress read from it agree with the measures; and a board page asked for more cards
than the caps is clamped. unit_tally (migration 0014) equals a full count of «our measures» per unit and state
after any writes to measure and measure_unit, and the boards' unit totals read from it agree with counting."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, literal_column, select, union, update

from samordna.boards import repository as board_repo
from samordna.boards.service import MAX_CARDS, MAX_LIMIT, PAGE_SIZE, BoardFilters
from samordna.store.models import Measure, MeasureTally, MeasureUnit, UnitTally
from tests.bulk import ARENAS, EFFECTS, HEALTHS, STATES, add_measures
from tests.factories import World

M = Measure.__table__
T = MeasureTally.__table__
MU = MeasureUnit.__table__
U = UnitTally.__table__


def full_count(world: World) -> Counter[tuple[Any, ...]]:
    key = (
        M.c.area_id,
        M.c.state,
        func.coalesce(M.c.goal_id, literal_column("0")),
        M.c.arena,
        func.coalesce(M.c.last_health, literal_column("''")),
        func.coalesce(M.c.evaluation_effect, literal_column("''")),
    )
    with world.samordna.db.engine.connect() as conn:
        rows = conn.execute(select(*key, func.count()).group_by(*key)).all()
    return Counter({tuple(r[:6]): r[6] for r in rows})


def tallies(world: World) -> Counter[tuple[Any, ...]]:
    with world.samordna.db.engine.connect() as conn:
        rows = conn.execute(
            select(T.c.area_id, T.c.state, T.c.goal_id, T.c.arena, T.c.last_health, T.c.evaluation_effect, T.c.n)
        ).all()
    assert all(r.n >= 0 for r in rows), rows
    return Counter({tuple(r[:6]): r[6] for r in rows if r[6]})


WRITES = st.lists(
    st.one_of(
        st.tuples(st.just("state"), st.integers(0, 40), st.sampled_from(STATES)),
        st.tuples(st.just("goal"), st.integers(0, 40), st.booleans()),
        st.tuples(st.just("arena"), st.integers(0, 40), st.sampled_from(ARENAS)),
        st.tuples(st.just("health"), st.integers(0, 40), st.sampled_from(HEALTHS)),
        st.tuples(st.just("effect"), st.integers(0, 40), st.sampled_from((None, *EFFECTS))),
        st.tuples(st.just("area"), st.integers(0, 40), st.sampled_from(("alfa", "beta"))),
        st.tuples(st.just("many"), st.integers(0, 40), st.sampled_from(STATES)),
        st.tuples(st.just("delete"), st.integers(0, 40), st.none()),
        st.tuples(st.just("insert"), st.integers(1, 5), st.none()),
    ),
    max_size=25,
)


@pytest.mark.long
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=WRITES)
def test_the_tallies_equal_a_full_count_after_any_writes(world: World, writes: list[tuple[str, int, Any]]) -> None:
    add_measures(world, 30, events=False)  # without events, which the database keeps from DELETE
    goal = world.goals["alfa"]
    for kind, pick, value in writes:
        if kind == "insert":
            add_measures(world, pick, events=False)
            continue
        with world.samordna.db.engine.begin() as conn:
            ids = conn.execute(select(M.c.id).where(M.c.ref.like("BULK%")).order_by(M.c.id)).scalars().all()
            if not ids:
                continue
            one = M.c.id == ids[pick % len(ids)]
            column = {"state": "state", "arena": "arena", "health": "last_health", "effect": "evaluation_effect"}
            if kind == "goal":
                changes: dict[str, Any] = {"goal_id": goal if value else None}
            elif kind == "area":
                changes = {"area_id": world.areas[value], "goal_id": None}
            else:
                changes = {column.get(kind, "state"): value}
            if kind == "many":
                conn.execute(update(M).where(M.c.id <= ids[pick % len(ids)]).values(state=value))
            elif kind == "delete":
                conn.execute(delete(M).where(one))
            else:
                conn.execute(update(M).where(one).values(**changes))
    assert tallies(world) == full_count(world)


def test_the_migration_back_fills_and_the_services_keep_the_tallies(world: World) -> None:
    """A measure registered and moved through the services (the Machine's writes) is tallied like the bulk."""
    add_measures(world, 40)
    need = world.register(goal_id=world.goals["alfa"])
    world.advance(need, "in_follow_up")
    assert tallies(world) == full_count(world)


def test_board_totals_and_goal_progress_match_the_measures(world: World) -> None:
    add_measures(world, 120)
    boards = world.samordna.boards
    coordinator = world.actors["coordinator"]
    for filters in (BoardFilters(), BoardFilters(goal_id=world.goals["alfa"]), BoardFilters(arena="school")):
        view = boards.read_board(actor=coordinator, slug="alfa", board="coordination", filters=filters)
        with world.samordna.db.engine.connect() as conn:
            for column in view.columns:
                query = select(func.count()).where(M.c.area_id == world.areas["alfa"], M.c.state == column.state)
                if filters.goal_id:
                    query = query.where(M.c.goal_id == filters.goal_id)
                if filters.arena:
                    query = query.where(M.c.arena == filters.arena)
                assert column.total == conn.execute(query).scalar_one(), (filters, column.state)
    steering = boards.read_board(actor=world.actors["steering"], slug="alfa", board="steering")
    progress = {p.goal_id: p for p in steering.progress}
    with world.samordna.db.engine.connect() as conn:
        on_goal = conn.execute(select(func.count()).where(M.c.goal_id == world.goals["alfa"])).scalar_one()
    assert progress[world.goals["alfa"]].total.value == on_goal  # type: ignore[union-attr]


# ---------------------------------------------------------------- «our measures» per unit (migration 0014)


def ours_counted(world: World) -> Counter[tuple[Any, ...]]:
    """Every measure once per unit responsible or taking part, counted per (area, unit, state)."""
    ours = union(
        select(M.c.id, M.c.area_id, M.c.responsible_unit_id.label("unit_id"), M.c.state).where(
            M.c.responsible_unit_id.is_not(None)
        ),
        select(M.c.id, M.c.area_id, MU.c.unit_id, M.c.state).join(MU, MU.c.measure_id == M.c.id),
    ).subquery()
    key = (ours.c.area_id, ours.c.unit_id, ours.c.state)
    with world.samordna.db.engine.connect() as conn:
        rows = conn.execute(select(*key, func.count()).group_by(*key)).all()
    return Counter({tuple(r[:3]): r[3] for r in rows})


def unit_tallies(world: World) -> Counter[tuple[Any, ...]]:
    with world.samordna.db.engine.connect() as conn:
        rows = conn.execute(select(U.c.area_id, U.c.unit_id, U.c.state, U.c.n)).all()
    assert all(r.n >= 0 for r in rows), rows
    return Counter({tuple(r[:3]): r[3] for r in rows if r[3]})


UNIT_WRITES = st.lists(
    st.one_of(
        st.tuples(st.just("state"), st.integers(0, 40), st.sampled_from(STATES)),
        st.tuples(st.just("responsible"), st.integers(0, 40), st.integers(0, 20)),
        st.tuples(st.just("join"), st.integers(0, 40), st.integers(0, 20)),
        st.tuples(st.just("leave"), st.integers(0, 40), st.integers(0, 20)),
        st.tuples(st.just("replace"), st.integers(0, 40), st.lists(st.integers(0, 20), max_size=3, unique=True)),
        st.tuples(st.just("area"), st.integers(0, 40), st.sampled_from(("alfa", "beta"))),
        st.tuples(st.just("many"), st.integers(0, 40), st.sampled_from(STATES)),
        st.tuples(st.just("delete"), st.integers(0, 40), st.none()),
        st.tuples(st.just("insert"), st.integers(1, 5), st.none()),
    ),
    max_size=25,
)


@pytest.mark.long
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=UNIT_WRITES)
def test_the_unit_tallies_equal_a_full_count_of_our_measures_after_any_writes(
    world: World, writes: list[tuple[str, int, Any]]
) -> None:
    """Inserts, changes of state (one or many), of responsible unit (to any unit, or none, the one that takes
    part too) and of area, units joining and leaving (one, or all replaced as the services do), and deletes
    (participations first, then the measure, in one transaction): unit_tally equals a full count."""
    add_measures(world, 30, events=False)
    units = sorted(world.units.values())
    choice = [*units, None]
    for kind, pick, value in writes:
        if kind == "insert":
            add_measures(world, pick, events=False)
            continue
        with world.samordna.db.engine.begin() as conn:
            ids = conn.execute(select(M.c.id).where(M.c.ref.like("BULK%")).order_by(M.c.id)).scalars().all()
            if not ids:
                continue
            measure_id = ids[pick % len(ids)]
            one = M.c.id == measure_id
            taking_part = set(conn.execute(select(MU.c.unit_id).where(MU.c.measure_id == measure_id)).scalars())
            if kind == "state":
                conn.execute(update(M).where(one).values(state=value))
            elif kind == "many":
                conn.execute(update(M).where(M.c.id <= measure_id).values(state=value))
            elif kind == "responsible":
                conn.execute(update(M).where(one).values(responsible_unit_id=choice[value % len(choice)]))
            elif kind == "area":
                conn.execute(update(M).where(one).values(area_id=world.areas[value], goal_id=None))
            elif kind == "join":
                unit = units[value % len(units)]
                if unit not in taking_part:
                    conn.execute(insert(MU).values(measure_id=measure_id, unit_id=unit))
            elif kind == "leave":
                if taking_part:
                    unit = sorted(taking_part)[value % len(taking_part)]
                    conn.execute(delete(MU).where(MU.c.measure_id == measure_id, MU.c.unit_id == unit))
            elif kind == "replace":
                conn.execute(delete(MU).where(MU.c.measure_id == measure_id))
                new = sorted({units[v % len(units)] for v in value})
                if new:
                    conn.execute(insert(MU), [{"measure_id": measure_id, "unit_id": u} for u in new])
            elif kind == "delete":
                conn.execute(delete(MU).where(MU.c.measure_id == measure_id))
                conn.execute(delete(M).where(one))
    assert unit_tallies(world) == ours_counted(world)
    # The boards' unit totals (unit_tally) agree with «our measures» counted from the indexes.
    with world.samordna.db.engine.connect() as conn:
        for area in world.areas.values():
            for unit in units:
                read = board_repo.totals(conn, area_id=area, states=STATES, filters=BoardFilters(), unit_id=unit)
                params = {"b_area": area, "b_unit": unit}
                counted = dict.fromkeys(STATES, 0)
                counted.update(conn.execute(board_repo._totals(STATES, (False, False, None, True)), params).all())
                assert read == counted, (area, unit)


def test_two_transactions_writing_crossed_units_both_commit(world: World) -> None:
    """A gives measure 1 to unit 2 and then unit 1 a part in it; B, meanwhile, measure 2 to unit 1 and then unit
    2 a part: the same tally rows in opposite order, across statements. On PostgreSQL the area's advisory lock
    (migration 0014) makes B wait for A instead of deadlocking with it (one of them aborted); on SQLite B waits
    for the write lock. Both commit and the tallies equal the count."""
    add_measures(world, 12, events=False)
    engine = world.samordna.db.engine
    u1, u2 = world.unit("Politiet"), world.unit("Ungdomsskolene")
    with engine.begin() as conn:
        m1, m2 = conn.execute(select(M.c.id).where(M.c.ref.like("BULK%")).order_by(M.c.id).limit(2)).scalars()
        conn.execute(update(M).where(M.c.id.in_([m1, m2])).values(state="initiated", responsible_unit_id=None))
    errors: list[BaseException] = []
    starting = threading.Event()

    def other() -> None:
        try:
            starting.set()
            with engine.begin() as conn:
                conn.execute(update(M).where(M.c.id == m2).values(state="assigned", responsible_unit_id=u1))
                conn.execute(insert(MU).values(measure_id=m2, unit_id=u2))
        except BaseException as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)

    with engine.begin() as conn:
        conn.execute(update(M).where(M.c.id == m1).values(state="assigned", responsible_unit_id=u2))
        thread = threading.Thread(target=other)
        thread.start()
        starting.wait(5)
        time.sleep(0.5)  # B has written measure 2, or waits for A
        conn.execute(insert(MU).values(measure_id=m1, unit_id=u1))
    thread.join(30)
    assert not thread.is_alive() and not errors, errors
    assert unit_tallies(world) == ours_counted(world)


def test_the_migration_back_fills_and_the_services_keep_the_unit_tallies(world: World) -> None:
    """Measures assigned with participating units (the responsible one among them) and reassigned through the
    services are tallied per unit, each measure once."""
    from tests.factories import valid_data

    add_measures(world, 40)
    need = world.advance(world.register(goal_id=world.goals["alfa"]), "initiated")
    both = [world.unit("Politiet"), world.unit("Ungdomsskolene")]
    need = world.fire("coordination", need, "assign", **{**valid_data(world, "assign"), "participating_unit_ids": both})
    assert unit_tallies(world) == ours_counted(world)
    need = world.fire("coordination", need, "reassign", **valid_data(world, "reassign"))
    need = world.fire("executing", need, "start") if "start" in need.allowed_triggers else need
    assert unit_tallies(world) == ours_counted(world)


# ---------------------------------------------------------------- the caps


COORDINATION = ("need_identified", "initiated", "assigned", "in_follow_up", "paused", "under_evaluation")


def test_six_columns_asked_for_500_cards_show_at_most_the_caps(world: World) -> None:
    """Six limit_<state>=500 (the service and the page): each column at most MAX_LIMIT, MAX_CARDS in all,
    every column still its first page; clamped, not refused."""
    add_measures(world, 1_300)  # about 144 in every state
    view = world.samordna.boards.read_board(
        actor=world.actors["coordinator"],
        slug="alfa",
        board="coordination",
        limits=dict.fromkeys(COORDINATION, 500),
    )
    shown = {c.state: len(c.cards) for c in view.columns}
    assert sum(shown.values()) == MAX_CARDS, shown
    assert all(PAGE_SIZE <= n <= MAX_LIMIT for n in shown.values()), shown
    assert all(c.total > MAX_LIMIT for c in view.columns), [c.total for c in view.columns]


def test_the_board_page_clamps_the_limits_it_is_asked_for(web_world: World, open_browser: Any) -> None:
    add_measures(web_world, 1_300)
    b = open_browser().login("coordinator")
    r = b.get("/areas/alfa/boards/coordination?" + urlencode(dict.fromkeys((f"limit_{s}" for s in COORDINATION), 500)))
    assert r.status_code == 200
    cards = r.text.count('data-version="')
    plain = b.get("/areas/alfa/boards/coordination").text.count('data-version="')
    assert plain == 6 * PAGE_SIZE, plain
    assert cards == MAX_CARDS, cards
