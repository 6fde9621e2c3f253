"""Board reads (services.boards): a constant number of SQL statements per board, most urgent cards
first, filters, «Vis flere» pages, the execution board's «our measures» and the steering summary's
small-number protection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import event, insert

from samordna.boards import service as boards
from samordna.boards.service import BoardFilters
from samordna.domain.errors import NotFound
from samordna.store.models import Measure, MeasureUnit
from tests.factories import World, valid_data

MEASURE = Measure.__table__
_refs = count(1)

# Every non-final state, so each board has cards in every column.
STATES = ("need_identified", "initiated", "assigned", "in_follow_up", "paused", "under_evaluation", "evaluated")
ARENAS = ("school", "leisure", "digital", "neighbourhood")
HEALTHS = (None, "on_track", "at_risk", "off_track")


# ---------------------------------------------------------------- helpers


def bulk_measures(world: World, specs: list[dict[str, Any]], area: str = "alfa") -> list[int]:
    """Insert measures straight into the store (one statement), bypassing the workflow: fast set-up."""
    now = datetime.now(UTC)
    uid = world.user_ids["coordinator"]
    rows = []
    participating: list[tuple[int, list[int]]] = []
    for i, spec in enumerate(specs):
        spec = dict(spec)
        units = spec.pop("participating", [])
        row = {
            "area_id": world.areas[area],
            "ref": f"T-{next(_refs):07d}",
            "title": f"Tiltak {i}",
            "need_description": "Beskrivelse.",
            "knowledge_source": "Ungdata",
            "target_group": "Ungdom 13–16 år",
            "arena": "school",
            "state": "need_identified",
            "version": 1,
            "created_at": now,
            "updated_at": now - timedelta(minutes=i),
            "created_by_id": uid,
            "updated_by_id": uid,
            **spec,
        }
        rows.append(row)
        participating.append((i, units))
    keys = {k for row in rows for k in row}
    rows = [{k: row.get(k) for k in keys} for row in rows]  # one statement needs the same keys in every row
    with world.samordna.db.write() as s:
        ids = list(s.execute(insert(MEASURE).returning(MEASURE.c.id, sort_by_parameter_order=True), rows).scalars())
        links = [{"measure_id": ids[i], "unit_id": u} for i, units in participating for u in units]
        if links:
            s.execute(insert(MeasureUnit), links)
    return ids


def spread(world: World, n: int) -> list[dict[str, Any]]:
    """n measures over every state, unit, goal, arena and health, some overdue, some shared with units."""
    today = world.today()
    units = [world.unit("Ungdomsskolene"), world.unit("Politiet"), world.unit("Kultur og fritid")]
    specs = []
    for i in range(n):
        state = STATES[i % len(STATES)]
        assigned = STATES.index(state) >= STATES.index("assigned")
        specs.append(
            {
                "state": state,
                "title": f"Tiltak {i}",
                "arena": ARENAS[i % len(ARENAS)],
                "goal_id": world.goals["alfa"] if i % 3 else None,
                "responsible_unit_id": units[i % len(units)] if assigned else None,
                "next_follow_up_at": today + timedelta(days=(i % 11) - 5) if assigned else None,
                "last_health": HEALTHS[i % len(HEALTHS)] if assigned else None,
                "evaluation_effect": "partly" if state == "evaluated" else None,
                "evaluation_recommendation": "extend" if state == "evaluated" else None,
                "participating": [units[(i + 1) % len(units)]] if assigned and i % 2 else [],
            }
        )
    return specs


@contextmanager
def count_queries(world: World) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = world.samordna.db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def ids(column: Any) -> list[int]:
    return [c.id for c in column.cards]


# ---------------------------------------------------------------- constant number of queries


@pytest.mark.parametrize(
    ("board", "who"),
    [
        ("coordination", "coordinator"),
        ("coordination", "executing"),
        ("execution", "executing"),
        ("execution", "coordination"),
        ("steering", "steering"),
        ("steering", "coordinator"),
    ],
)
def test_board_costs_the_same_number_of_queries_for_20_and_2000_measures(world: World, board: str, who: str) -> None:
    bulk_measures(world, spread(world, 20))
    actor = world.actors[who]
    with count_queries(world) as small:
        view_small = world.samordna.boards.read_board(actor=actor, slug="alfa", board=board)
    bulk_measures(world, spread(world, 1980))
    with count_queries(world) as large:
        view_large = world.samordna.boards.read_board(actor=actor, slug="alfa", board=board)

    cards_small = sum(len(c.cards) for c in view_small.columns)
    cards_large = sum(len(c.cards) for c in view_large.columns)
    assert cards_small > 0 and cards_large > cards_small
    assert sum(c.total for c in view_large.columns) > 100
    print(f"{board}/{who}: {len(small)} statements for {cards_small} cards, {len(large)} for {cards_large}")
    assert len(small) == len(large), (small, large)
    assert len(large) <= 8, large
    # Only the columns a card shows: never the long texts of the measure.
    card_query = next(q for q in large if "union all" in q.lower())
    assert "need_description" not in card_query and "order_text" not in card_query


def test_column_page_and_placement_cost_a_constant_number_of_queries(world: World) -> None:
    bulk_measures(world, spread(world, 70))
    actor = world.actors["coordinator"]
    first = world.samordna.boards.read_board(actor=actor, slug="alfa", board="coordination").column("need_identified")
    assert first is not None
    with count_queries(world) as small:
        world.samordna.boards.read_column(
            actor=actor, slug="alfa", board="coordination", state="need_identified", shown=ids(first)
        )
        world.samordna.boards.place_card(actor=actor, slug="alfa", board="coordination", measure_id=first.cards[0].id)
    bulk_measures(world, spread(world, 1400))
    with count_queries(world) as large:
        world.samordna.boards.read_column(
            actor=actor, slug="alfa", board="coordination", state="need_identified", shown=ids(first)
        )
        world.samordna.boards.place_card(actor=actor, slug="alfa", board="coordination", measure_id=first.cards[0].id)
    assert len(small) == len(large)


# ---------------------------------------------------------------- columns and order


def test_columns_follow_the_workflow(world: World) -> None:
    wf = world.samordna.workflow
    assert boards.board_states(wf, "coordination") == (
        "need_identified",
        "initiated",
        "assigned",
        "in_follow_up",
        "paused",
        "under_evaluation",
    )
    assert boards.board_states(wf, "execution") == ("assigned", "in_follow_up", "under_evaluation")
    assert boards.board_states(wf, "steering") == ("evaluated",)
    with pytest.raises(NotFound):
        boards.board_states(wf, "kitchen")


def test_most_urgent_first_overdue_then_next_follow_up_then_oldest_change(world: World) -> None:
    today = world.today()
    now = datetime.now(UTC)
    spec = {"state": "in_follow_up", "responsible_unit_id": world.unit("Ungdomsskolene")}
    m = bulk_measures(
        world,
        [
            {**spec, "title": "neste uke", "next_follow_up_at": today + timedelta(days=7)},
            {**spec, "title": "uten dato", "next_follow_up_at": None},
            {**spec, "title": "forfalt i går", "next_follow_up_at": today - timedelta(days=1)},
            {
                **spec,
                "title": "i morgen, nylig endret",
                "next_follow_up_at": today + timedelta(days=1),
                "updated_at": now,
            },
            {**spec, "title": "forfalt for ti dager siden", "next_follow_up_at": today - timedelta(days=10)},
            {
                **spec,
                "title": "i morgen, endret for lenge siden",
                "next_follow_up_at": today + timedelta(days=1),
                "updated_at": now - timedelta(days=30),
            },
            {**spec, "title": "i dag", "next_follow_up_at": today},
        ],
    )
    column = world.samordna.boards.read_board(
        actor=world.actors["coordinator"], slug="alfa", board="coordination"
    ).column("in_follow_up")
    assert column is not None
    assert [c.title for c in column.cards] == [
        "forfalt for ti dager siden",
        "forfalt i går",
        "i dag",
        "i morgen, endret for lenge siden",
        "i morgen, nylig endret",
        "neste uke",
        "uten dato",
    ]
    overdue = {c.id for c in column.cards if c.overdue}
    assert overdue == {m[2], m[4]}
    assert all(c.next_follow_up_at is not None for c in column.cards[:6])


def test_states_without_follow_up_are_never_overdue_and_oldest_change_comes_first(world: World) -> None:
    today = world.today()
    now = datetime.now(UTC)
    bulk_measures(
        world,
        [
            {
                "state": "under_evaluation",
                "title": "ny",
                "next_follow_up_at": today - timedelta(days=40),
                "updated_at": now,
            },
            {
                "state": "under_evaluation",
                "title": "gammel",
                "next_follow_up_at": today - timedelta(days=40),
                "updated_at": now - timedelta(days=3),
            },
        ],
    )
    column = world.samordna.boards.read_board(
        actor=world.actors["coordinator"], slug="alfa", board="coordination"
    ).column("under_evaluation")
    assert column is not None
    assert [c.title for c in column.cards] == ["gammel", "ny"]
    assert not any(c.overdue for c in column.cards)
    assert all(c.next_follow_up_at is None for c in column.cards)  # only shown while being followed up


# ---------------------------------------------------------------- filters


def test_filters_by_goal_unit_arena_and_health(world: World) -> None:
    school, police = world.unit("Ungdomsskolene"), world.unit("Politiet")
    goal = world.goals["alfa"]
    a, b, c, d = bulk_measures(
        world,
        [
            {
                "state": "in_follow_up",
                "arena": "school",
                "goal_id": goal,
                "responsible_unit_id": school,
                "last_health": "on_track",
            },
            {
                "state": "in_follow_up",
                "arena": "digital",
                "goal_id": None,
                "responsible_unit_id": police,
                "last_health": "at_risk",
                "participating": [school],
            },
            {"state": "initiated", "arena": "school", "goal_id": goal},
            {"state": "assigned", "arena": "leisure", "responsible_unit_id": police},
        ],
    )
    samordna, actor = world.samordna, world.actors["coordinator"]

    def shown(**filters: Any) -> set[int]:
        view = samordna.boards.read_board(
            actor=actor, slug="alfa", board="coordination", filters=BoardFilters(**filters)
        )
        return {card.id for col in view.columns for card in col.cards}

    assert shown() == {a, b, c, d}
    assert shown(goal_id=goal) == {a, c}
    assert shown(arena="school") == {a, c}
    assert shown(unit_id=school) == {a, b}  # responsible or taking part
    assert shown(unit_id=police) == {b, d}
    assert shown(health="at_risk") == {b}
    assert shown(health="none") == {c, d}
    assert shown(goal_id=goal, arena="school", health="on_track") == {a}
    assert shown(arena="not-an-arena", health="bad") == {a, b, c, d}  # nonsense is no filter

    view = samordna.boards.read_board(
        actor=actor, slug="alfa", board="coordination", filters=BoardFilters(arena="school")
    )
    totals = {col.state: col.total for col in view.columns}
    assert totals["in_follow_up"] == 1 and totals["initiated"] == 1 and totals["assigned"] == 0


def test_execution_board_shows_our_measures(world: World) -> None:
    school, police, culture = world.unit("Ungdomsskolene"), world.unit("Politiet"), world.unit("Kultur og fritid")
    ours, shared, theirs, culture_m = bulk_measures(
        world,
        [
            {"state": "assigned", "responsible_unit_id": school},
            {"state": "in_follow_up", "responsible_unit_id": police, "participating": [school]},
            {"state": "in_follow_up", "responsible_unit_id": police},
            {"state": "under_evaluation", "responsible_unit_id": culture},
        ],
    )
    samordna = world.samordna

    def shown(who: str, **filters: Any) -> set[int]:
        view = samordna.boards.read_board(
            actor=world.actors[who], slug="alfa", board="execution", filters=BoardFilters(**filters)
        )
        return {card.id for col in view.columns for card in col.cards}

    # An executing member sees the own unit's measures, whatever the filter says.
    assert shown("executing") == {ours, shared}
    assert shown("executing", unit_id=police) == {ours, shared}
    assert shown("executing", all_units=True) == {ours, shared}
    assert shown("executing_police") == {shared, theirs}
    # Coordinator and viewer (no unit) see every unit, with a unit filter.
    assert shown("coordinator") == {ours, shared, theirs, culture_m}
    assert shown("viewer", unit_id=school) == {ours, shared}
    # A coordination member with a unit starts with the own unit and may choose all.
    assert shown("coordination") == {culture_m}
    assert shown("coordination", all_units=True) == {ours, shared, theirs, culture_m}
    assert shown("coordination", unit_id=police) == {shared, theirs}

    view = samordna.boards.read_board(actor=world.actors["executing"], slug="alfa", board="execution")
    assert view.unit_locked and view.unit_id == school
    by_id = {card.id: card for col in view.columns for card in col.cards}
    assert "start" in by_id[ours].allowed_triggers  # responsible unit
    assert by_id[shared].allowed_triggers == ("report_status",)  # taking part: may report, not request evaluation


# ---------------------------------------------------------------- «Vis flere»


def test_first_page_then_the_next_ones(world: World) -> None:
    bulk_measures(world, [{"state": "need_identified", "title": f"Behov {i:02d}"} for i in range(45)])
    samordna, actor = world.samordna, world.actors["coordinator"]
    column = samordna.boards.read_board(actor=actor, slug="alfa", board="coordination").column("need_identified")
    assert column is not None
    assert len(column.cards) == boards.PAGE_SIZE and column.total == 45 and column.has_more

    second = samordna.boards.read_column(
        actor=actor, slug="alfa", board="coordination", state="need_identified", shown=ids(column)
    )
    assert len(second.cards) == 20 and second.has_more
    third = samordna.boards.read_column(
        actor=actor, slug="alfa", board="coordination", state="need_identified", shown=ids(column) + ids(second)
    )
    assert len(third.cards) == 5 and not third.has_more
    everything = ids(column) + ids(second) + ids(third)
    assert len(set(everything)) == 45

    # The pages follow the board's order.
    longer = samordna.boards.read_board(
        actor=actor, slug="alfa", board="coordination", limits={"need_identified": 45}
    ).column("need_identified")
    assert longer is not None and ids(longer) == everything and not longer.has_more
    assert (
        len(samordna.boards.read_board(actor=actor, slug="alfa", board="coordination").column("initiated").cards) == 0
    )  # type: ignore[union-attr]


def test_next_page_skips_cards_already_on_the_page(world: World) -> None:
    """A card moved into the column on the page is not shown twice by «Vis flere»."""
    bulk_measures(world, [{"state": "initiated"} for _ in range(30)])
    samordna, actor = world.samordna, world.actors["coordinator"]
    column = samordna.boards.read_board(actor=actor, slug="alfa", board="coordination").column("initiated")
    assert column is not None
    # A card from beyond the first page arrives on the page (inserted at the top of the column).
    arrived = samordna.boards.read_column(
        actor=actor, slug="alfa", board="coordination", state="initiated", shown=ids(column), limit=1
    ).cards[0]
    rest = samordna.boards.read_column(
        actor=actor, slug="alfa", board="coordination", state="initiated", shown=[arrived.id, *ids(column)]
    )
    assert arrived.id not in ids(rest) and len(rest.cards) == 9 and not rest.has_more


def test_unknown_column_and_foreign_area_are_not_found(world: World) -> None:
    samordna = world.samordna
    with pytest.raises(NotFound):
        samordna.boards.read_column(
            actor=world.actors["coordinator"], slug="alfa", board="coordination", state="closed"
        )
    with pytest.raises(NotFound):
        samordna.boards.read_board(actor=world.actors["coordinator"], slug="beta", board="coordination")


# ---------------------------------------------------------------- steering


def test_steering_board_shows_evaluations_and_decisions(world: World) -> None:
    (m,) = bulk_measures(
        world,
        [
            {
                "state": "evaluated",
                "evaluation_effect": "achieved",
                "evaluation_method": "Spørreskjema",
                "evaluation_findings": "Færre hendelser",
                "evaluation_recommendation": "close",
            },
        ],
    )
    steering = world.samordna.boards.read_board(actor=world.actors["steering"], slug="alfa", board="steering")
    (card,) = steering.columns[0].cards
    assert card.id == m and card.evaluation is not None
    e = card.evaluation
    assert (e.effect, e.method, e.findings) == ("achieved", "Spørreskjema", "Færre hendelser")
    assert e.recommendation == "close"
    assert card.allowed_triggers == ("extend", "adjust", "close")
    viewer = world.samordna.boards.read_board(actor=world.actors["viewer"], slug="alfa", board="steering")
    assert viewer.columns[0].cards[0].allowed_triggers == ()


def test_goal_progress_never_shows_counts_below_five(world: World) -> None:
    goal = world.goals["alfa"]
    specs = (
        [{"state": "need_identified", "goal_id": goal}] * 6
        + [{"state": "in_follow_up", "goal_id": goal, "last_health": "on_track"}] * 5
        + [{"state": "in_follow_up", "goal_id": goal, "last_health": "off_track"}] * 2
        + [{"state": "closed", "goal_id": goal, "evaluation_effect": "achieved", "last_health": "off_track"}] * 1
    )
    bulk_measures(world, specs)
    view = world.samordna.boards.read_board(actor=world.actors["steering"], slug="alfa", board="steering")
    (progress,) = [g for g in view.progress if g.goal_id == goal]
    groups = dict(progress.by_group)
    # 14 minus the shown 6 and 7 would say that one measure is closed, declined or being evaluated.
    assert progress.total.value is None and progress.total.hidden == "at_least"
    assert groups["planning"].value == 6 and groups["running"].value == 7
    assert groups["closed"].value is None and groups["closed"].hidden == "fewer"
    assert groups["declined"].value is None  # zero is below five too
    health = dict(progress.by_health)
    assert health["on_track"].value == 5
    assert health["off_track"].value is None  # 2 running; the closed one does not count
    assert dict(progress.by_effect)["achieved"].value is None
    for g in view.progress:
        for c in (g.total, *[c for _, c in g.by_group + g.by_health + g.by_effect]):
            assert c.value is None or c.value >= boards.MIN_COUNT
    # The inactive goal without measures is left out.
    assert world.goals["alfa_inactive"] not in {g.goal_id for g in view.progress}


def test_goal_total_is_hidden_when_it_would_reveal_one_small_group(world: World) -> None:
    goal = world.goals["alfa"]
    specs = (
        [{"state": "need_identified", "goal_id": goal}] * 5
        + [{"state": "in_follow_up", "goal_id": goal}] * 5
        + [{"state": "evaluated", "goal_id": goal}] * 5
        + [{"state": "closed", "goal_id": goal}] * 5
        + [{"state": "declined", "goal_id": goal}] * 2
    )
    bulk_measures(world, specs)
    view = world.samordna.boards.read_board(actor=world.actors["steering"], slug="alfa", board="steering")
    (progress,) = [g for g in view.progress if g.goal_id == goal]
    assert dict(progress.by_group)["declined"].hidden == "fewer"
    assert progress.total.value is None and progress.total.hidden == "at_least"


# ---------------------------------------------------------------- after an action


def test_place_card_after_a_transition(world: World) -> None:
    samordna = world.samordna
    need = world.register()
    world.register()
    actor = world.actors["coordinator"]
    before = samordna.boards.place_card(actor=actor, slug="alfa", board="coordination", measure_id=need.id)
    assert before.card is not None and before.card.state == "need_identified"
    assert before.counts["need_identified"] == 2 and before.counts["initiated"] == 0
    initiated = world.fire("coordination", need, "initiate")
    after = samordna.boards.place_card(actor=actor, slug="alfa", board="coordination", measure_id=initiated.id)
    assert after.card is not None and after.card.state == "initiated" and after.card.version == 2
    assert after.counts["need_identified"] == 1 and after.counts["initiated"] == 1
    # Not on the steering board; filtered out of this view.
    assert samordna.boards.place_card(actor=actor, slug="alfa", board="steering", measure_id=need.id).card is None
    hidden = samordna.boards.place_card(
        actor=actor, slug="alfa", board="coordination", measure_id=need.id, filters=BoardFilters(arena="school")
    )
    assert hidden.card is None and hidden.counts["initiated"] == 0


# ---------------------------------------------------------------- an action on a card


@contextmanager
def count_transactions(world: World) -> Iterator[list[str]]:
    """Every transaction begun on the engine (SQLAlchemy's «begin» event), with the first statement in it."""
    begun: list[str] = []

    def on_begin(conn):  # type: ignore[no-untyped-def]
        begun.append("BEGIN")

    engine = world.samordna.db.engine
    event.listen(engine, "begin", on_begin)
    try:
        yield begun
    finally:
        event.remove(engine, "begin", on_begin)


def test_an_accepted_card_action_is_one_transaction_that_also_places_the_card(world: World) -> None:
    need, other = world.register(), world.register()
    actor = world.actors["coordination"]
    with count_transactions(world) as begun, count_queries(world) as statements:
        moved = world.samordna.boards.submit_action(
            actor=actor,
            slug="alfa",
            board="coordination",
            measure_id=need.id,
            trigger="initiate",
            version=need.version,
            data=valid_data(world, "initiate"),
        )
    assert isinstance(moved, boards.CardMoved)
    assert len(begun) == 1, begun
    # (The transition's own statements run on the DBAPI cursor, unseen here: samordna.store.prepared.)
    assert any("GROUP BY" in s.upper() for s in statements)  # the counts, in that same transaction
    assert moved.before_state == "need_identified" and moved.measure.state == "initiated"
    assert moved.placement.card is not None and moved.placement.card.state == "initiated"
    assert moved.placement.card.version == 2 and "assign" in moved.placement.card.allowed_triggers
    assert moved.placement.counts["need_identified"] == 1 and moved.placement.counts["initiated"] == 1
    assert other.id != need.id


def test_a_refused_card_action_writes_nothing_and_gives_the_form_back(world: World) -> None:
    need = world.register()
    samordna = world.samordna

    def submit(who: str, trigger: str, version: int | None, data: dict[str, Any]) -> Any:
        return samordna.boards.submit_action(
            actor=world.actors[who],
            slug="alfa",
            board="coordination",
            measure_id=need.id,
            trigger=trigger,
            version=version,
            data=data,
        )

    invalid = submit("coordination", "initiate", need.version, {"plan": "Bare en plan."})
    assert isinstance(invalid, boards.ActionForm) and invalid.status == 422
    assert {e.field for e in invalid.errors} >= {"success_criteria"}
    assert invalid.measure.state == "need_identified" and not invalid.changed
    refused = submit("viewer", "initiate", need.version, valid_data(world, "initiate"))
    assert (
        isinstance(refused, boards.ActionForm)
        and refused.status == 403
        and "kan bare gjøres av" in refused.errors[0].message
    )
    missing = submit("coordination", "initiate", None, valid_data(world, "initiate"))
    assert isinstance(missing, boards.ActionForm) and missing.status == 400
    world.fire("coordinator", need, "initiate")  # someone else was quicker
    stale = submit("coordination", "decline", need.version, {"reason": "Dekkes av andre."})
    assert isinstance(stale, boards.ActionForm) and stale.status == 409 and stale.changed
    assert stale.measure.state == "initiated" and stale.measure.version == 2 and not stale.still_possible
    events = samordna.measures.events(actor=world.actors["coordinator"], measure_id=need.id)
    assert [e.trigger for e in events] == ["create", "initiate"]  # nothing written by the refusals
    with pytest.raises(NotFound):
        submit("coordination", "fly", need.version, {})


def test_the_action_form_says_who_may_and_what_the_state_allows(world: World) -> None:
    need = world.register()
    samordna = world.samordna

    def form(who: str, trigger: str, board: str = "coordination") -> Any:
        return samordna.boards.action_form(
            actor=world.actors[who], slug="alfa", board=board, measure_id=need.id, trigger=trigger
        )

    opened = form("coordination", "initiate")
    assert opened.status == 200 and not opened.errors
    assert {f.name for f, _ in opened.fields} >= {"goal_id", "plan", "success_criteria"}
    assert opened.choices["goals"]  # the goal field offers the area's active goals
    assert form("viewer", "initiate").status == 403
    assert form("coordinator", "start").status == 409
    theirs = world.register(who="beta_coordinator", area="beta")
    with pytest.raises(NotFound):
        samordna.boards.action_form(
            actor=world.actors["coordinator"],
            slug="alfa",
            board="coordination",
            measure_id=theirs.id,
            trigger="initiate",
        )


# ---------------------------------------------------------------- «Behov vi har meldt»


def test_execution_board_shows_the_needs_we_registered(world: World) -> None:
    samordna = world.samordna
    mine = world.register(title="Mitt behov")  # executing, Ungdomsskolene
    police = world.register(who="executing_police", title="Politiets behov")
    coordinators = world.register(who="coordinator", title="Koordinatorens behov")
    initiated = world.fire("coordination", world.register(title="Initiert behov"), "initiate")
    declined = world.fire("coordination", world.register(title="Avslått behov"), "decline")
    assigned = world.advance(world.register(title="Tildelt"), "assigned")  # now one of «our measures»

    def registered(who: str, **kw: Any) -> list[str]:
        view = samordna.boards.read_board(actor=world.actors[who], slug="alfa", board="execution", **kw)
        assert view.registered is not None
        assert view.registered.total == len(view.registered.cards)
        return [c.title for c in view.registered.cards]

    assert set(registered("executing")) == {"Mitt behov", "Initiert behov", "Avslått behov"}
    assert registered("executing_police") == ["Politiets behov"]
    assert registered("coordinator") == ["Koordinatorens behov"]  # no unit: the own needs
    view = samordna.boards.read_board(actor=world.actors["executing"], slug="alfa", board="execution")
    assert view.registered is not None
    cards = {c.id: c for c in view.registered.cards}
    assert cards[declined.id].state == "declined" and cards[initiated.id].state == "initiated"
    assert all(c.allowed_triggers == () for c in cards.values())  # to find them; actions are elsewhere
    assert assigned.id not in cards and assigned.id in {c.id for col in view.columns for c in col.cards}
    assert mine.id in cards and police.id not in cards and coordinators.id not in cards
    # The filters of the board apply (the unit filter is about «us»).
    assert registered("executing", filters=BoardFilters(arena="digital")) == []

    # A declined need stays for DECLINED_DAYS days after the decision.
    later = datetime.now(UTC) + timedelta(days=boards.DECLINED_DAYS + 1)
    samordna.clock.source = lambda: later
    assert "Avslått behov" not in registered("executing")


def test_needs_we_registered_page_on_and_cost_no_more_queries(world: World) -> None:
    actor = world.actors["executing"]
    uid = world.user_ids["executing"]
    bulk_measures(world, [{"state": "need_identified", "created_by_id": uid} for _ in range(3)])
    bulk_measures(world, spread(world, 20))
    with count_queries(world) as small:
        view = world.samordna.boards.read_board(actor=actor, slug="alfa", board="execution")
    bulk_measures(world, [{"state": "need_identified", "created_by_id": uid} for _ in range(40)])
    bulk_measures(world, spread(world, 380))
    with count_queries(world) as large:
        view = world.samordna.boards.read_board(actor=actor, slug="alfa", board="execution")
    assert len(small) == len(large) <= 8, large
    assert view.registered is not None and view.registered.total == 43 and view.registered.has_more
    first = [c.id for c in view.registered.cards]
    assert len(first) == boards.PAGE_SIZE
    rest = world.samordna.boards.read_column(
        actor=actor, slug="alfa", board="execution", state=boards.REGISTERED, shown=first, limit=30
    )
    assert len(rest.cards) == 23 and not rest.has_more and not set(first) & {c.id for c in rest.cards}
    longer = world.samordna.boards.read_board(
        actor=actor, slug="alfa", board="execution", limits={boards.REGISTERED: 50}
    ).registered
    assert longer is not None and len(longer.cards) == 43
    with pytest.raises(NotFound):
        world.samordna.boards.read_column(
            actor=actor, slug="alfa", board="coordination", state=boards.REGISTERED, shown=first
        )
