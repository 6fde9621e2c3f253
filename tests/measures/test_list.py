"""The measure list (/areas/{slug}/measures) on SQLite and PostgreSQL: free-text search over every text field,
the index right after every write, filters, every sort, and keyset pages that visit each row exactly once."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samordna.domain.errors import Invalid, NotFound
from samordna.measures.listing import parse_filters
from samordna.measures.views import ListFilters
from tests.factories import MAIN_PATH, World, valid_data

SORTS = ("updated", "id", "ref", "title", "state", "unit", "goal", "follow_up", "health", "effect")


def listing(world: World, who: str = "viewer", limit: int = 50, after: str | None = None, **filters: Any) -> Any:
    return world.samordna.measures.list_page(
        actor=world.actors[who], slug="alfa", filters=ListFilters(**filters), after=after, limit=limit
    )


def titles(page: Any) -> list[str]:
    return [r.title for r in page.rows]


def found(world: World, q: str, **filters: Any) -> set[int]:
    return {r.id for r in listing(world, q=q, **filters).rows}


# ---------------------------------------------------------------- search


def test_search_finds_a_word_of_the_need_description_and_not_a_word_it_lacks(world: World) -> None:
    library = world.register(title="Leksehjelp", need_description="Elever på ungdomstrinnet mangler ro til lekser.")
    walkers = world.register(title="Natteravner", need_description="Uro i sentrum sene helgekvelder.")
    assert found(world, "lekser") == {library.id}
    assert found(world, "helgekvelder") == {walkers.id}
    assert found(world, "skateparken") == set()
    assert found(world, "ungdomstrinnet lekser") == {library.id}  # every word must match
    assert found(world, "ungdomstrinnet helgekvelder") == set()
    assert found(world, "ungdomstr") == {library.id}  # the start of a word is enough
    assert found(world, "LEKSEHJELP") == {library.id}  # case does not matter
    assert found(world, "natteravner", states=("initiated",)) == set()  # the filters still apply
    # The ref is searchable too, and a query of nothing but punctuation is no search at all.
    assert found(world, library.ref) == {library.id}
    assert listing(world, q="«»*-").total == 2 and not listing(world, q="«»*-").searched


def test_a_search_reads_the_areas_hits_only(world: World) -> None:
    """SQLite's search index holds each measure's area (migration 0013): a search matches the area's token with
    its words, so another area's hits are never ranked or counted; a typed word never matches an area."""
    mine = world.register(title="Leksehjelp i Alfa")
    theirs = [world.register(who="beta_coordinator", area="beta", title=f"Leksehjelp {i}") for i in range(3)]
    assert found(world, "leksehjelp") == {mine.id} and listing(world, q="leksehjelp").total == 1
    assert found(world, f"area{world.areas['alfa']}") == set()
    if world.samordna.db.engine.dialect.name != "sqlite":
        return
    from sqlalchemy import text

    from samordna.measures.search import _sqlite_match

    with world.samordna.db.engine.connect() as conn:

        def hits(area: str) -> set[int]:
            query = text("SELECT rowid FROM measure_fts WHERE measure_fts MATCH :q")
            return set(conn.execute(query, {"q": _sqlite_match(["leksehjelp"], world.areas[area])}).scalars())

        assert hits("alfa") == {mine.id} and hits("beta") == {m.id for m in theirs}
        # The index follows a measure's area as the triggers see it change.
        conn.execute(text("UPDATE measure SET area_id = :a WHERE id = :id"), {"a": world.areas["beta"], "id": mine.id})
        assert hits("alfa") == set() and mine.id in hits("beta")
        conn.rollback()


def test_search_covers_every_text_field_and_ranks_the_title_first(world: World) -> None:
    in_text = world.register(title="Foreldremøter", need_description="Foreldre ønsker kurs om gaming.")
    in_title = world.register(title="Gamingkveld på fritidsklubben", need_description="Ungdom samles på klubben.")
    planned = world.fire(
        "coordination",
        world.register(title="Tredje"),
        "initiate",
        **{**valid_data(world, "initiate"), "plan": "Kurs i kildekritikk."},
    )
    assert found(world, "kildekritikk") == {planned.id}
    page = listing(world, q="gaming")
    assert [r.id for r in page.rows] == [in_title.id, in_text.id]  # relevance: the title weighs more
    assert page.sort == "rank" and page.searched
    # The matched words are marked (\x02 … \x03) in the title and in the passage shown.
    first, second = page.rows
    assert "\x02Gamingkveld\x03" in first.marked_title
    assert "\x02gaming\x03" in second.snippet.lower()


def test_norwegian_words(world: World) -> None:
    m = world.register(title="Søknader om midler", need_description="Søknadene til fylket behandles i mars.")
    assert found(world, "søknad") == {m.id}  # a prefix on SQLite, the Norwegian stem on PostgreSQL
    assert found(world, "søknadene") == {m.id}
    assert found(world, "soknad") == set()  # ø is a letter of its own, not an o


def test_the_index_follows_edits_and_transitions(world: World) -> None:
    m = world.register(title="Trygg skolevei", need_description="Mange krysser riksveien uten fotgjengerfelt.")
    assert found(world, "riksveien") == {m.id}
    edited = world.samordna.measures.edit(
        actor=world.actors["coordination"],
        measure_id=m.id,
        version=m.version,
        data={"need_description": "Mange krysser fylkesveien ved butikken."},
    )
    assert found(world, "riksveien") == set() and found(world, "fylkesveien") == {m.id}
    closed = world.advance(edited, "closed")
    # The evaluation's findings and the decision were written by transitions: both are found.
    findings = valid_data(world, "submit_evaluation")["findings"].split()[0]
    assert closed.id in found(world, findings)
    assert closed.id in found(world, valid_data(world, "close")["decision_note"].split()[0])
    assert found(world, "fylkesveien", states=("closed",)) == {m.id}


# ---------------------------------------------------------------- filters


def test_filters(world: World) -> None:
    mine = world.register("executing", title="Meldt av skolen")
    theirs = world.register("coordination", title="Meldt av kultur")
    assigned = world.advance(world.register("coordination", title="Skolen har ansvaret"), "assigned")
    closed = world.advance(world.register("coordination", title="Avsluttet"), "closed")
    executing = world.actors["executing"]
    assert {r.id for r in listing(world, "executing", mine=True).rows} == {mine.id}
    # «My unit»: Ungdomsskolene is responsible for every measure the world's main path assigns.
    assert {r.id for r in listing(world, "executing", my_unit=True).rows} == {assigned.id, closed.id}
    assert {r.id for r in listing(world, "viewer", my_unit=True).rows} == set()  # the viewer has no unit
    assert {r.id for r in listing(world, states=("closed", "assigned")).rows} == {assigned.id, closed.id}
    assert {r.id for r in listing(world, health="none", states=("need_identified",)).rows} == {mine.id, theirs.id}
    assert listing(world, year=world.today().year).total == 4
    assert listing(world, year=world.today().year - 1).total == 0
    assert listing(world, unit_id=world.unit("Ungdomsskolene")).total == 2
    assert executing.user_id == world.user_ids["executing"]
    with pytest.raises(NotFound):
        listing(world, "beta_coordinator")


def test_the_totals_of_our_measures_count_each_measure_once_per_unit(world: World) -> None:
    """The list's total under a unit (unit_tally, migration 0014, when the unit and states are the only filters;
    counted with another filter) equals its rows: the unit responsible or taking part, each measure once."""
    school, police = world.unit("Ungdomsskolene"), world.unit("Politiet")
    for title in ("Ett", "To", "Tre"):
        world.advance(world.register("coordination", title=title), "initiated")
    one, two, three = (r for r in sorted(listing(world, limit=50).rows, key=lambda r: r.id))
    assign = valid_data(world, "assign")
    world.fire("coordination", one, "assign", **{**assign, "participating_unit_ids": [police, school]})
    world.fire("coordination", two, "assign", **{**assign, "participating_unit_ids": [police]})
    world.register("coordination", title="Uten enhet")
    cases = [
        {"unit_id": school},
        {"unit_id": police},
        {"unit_id": police, "states": ("assigned",)},
        {"unit_id": police, "states": ("initiated",)},
        {"unit_id": police, "health": "none"},
        {"my_unit": True},
        {"my_unit": True, "unit_id": school},
        {"my_unit": True, "unit_id": police},
    ]
    for filters in cases:
        page = listing(world, "executing", limit=50, **filters)
        assert page.total == len(page.rows), filters
    assert listing(world, "executing", unit_id=police).total == 2
    assert listing(world, "executing", unit_id=school, states=("assigned",)).total == 2
    assert listing(world, "executing", unit_id=school, states=("initiated",)).total == 0
    assert three.id not in {r.id for r in listing(world, unit_id=police).rows}


def test_the_url_is_parsed_leniently(world: World) -> None:
    states = tuple(world.samordna.measures.workflow.states)
    f = parse_filters(
        {"q": "  natteravner ", "state": ["closed", "nonsense", "closed"], "goal": "²", "unit": "12", "year": "20266"},
        states,
    )
    assert f == ListFilters(q="natteravner", states=("closed",), unit_id=12)
    f = parse_filters({"sort": "title", "dir": "desc", "mine": "1", "health": "none", "arena": "moon"}, states)
    assert (f.sort, f.descending, f.mine, f.health, f.arena) == ("title", True, True, "none", None)
    assert parse_filters({"q": "a\x00b"}, states).q == ""
    assert f.query()["dir"] == "desc" and "arena" not in f.query()
    # Going up is a direction too: the latest change last stays so in every link of the page.
    assert ListFilters(sort="updated", descending=False).query() == {"sort": "updated", "dir": "asc"}


# ---------------------------------------------------------------- sorting and keyset pages


@pytest.fixture
def spread(world: World) -> list[Any]:
    """Measures in many states, units, goals, health and effects (and without), a few days apart."""
    clock = world.samordna.clock
    start = datetime.now(UTC) - timedelta(days=30)
    made = []
    for i, state in enumerate(["need_identified", "initiated", "assigned", "in_follow_up", "evaluated", "closed"] * 2):
        clock.source = lambda i=i: start + timedelta(days=i, hours=i)
        m = world.register(title=f"{'ÆØÅ'[i % 3]}tiltak {i:02d}", arena=("school", "leisure")[i % 2])
        made.append(world.advance(m, state))
    clock.source = lambda: datetime.now(UTC)
    return made


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("descending", [False, True])
def test_every_sort_pages_through_every_row_once(world: World, spread: list[Any], sort: str, descending: bool) -> None:
    whole = listing(world, sort=sort, descending=descending, limit=100)
    assert whole.total == len(spread) and whole.next_after is None
    seen, after = [], None
    while True:
        page = listing(world, sort=sort, descending=descending, limit=5, after=after)
        seen += [r.id for r in page.rows]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == [r.id for r in whole.rows]  # the same order, each once
    if sort == "title":
        keys = [r.title.lower() for r in whole.rows]
        assert keys == sorted(keys, reverse=descending)
    if sort == "follow_up":  # the measures without a follow-up date after those with one, going up
        days = [r.next_follow_up_at for r in whole.rows]
        dated = [d for d in days if d is not None]
        expected = sorted(dated, reverse=descending)
        assert [d for d in days if d is not None] == expected
        assert (days[-1] is None) is (not descending and None in days)


def test_search_pages_through_equal_relevance_once(world: World) -> None:
    """Rows of equal rank are ordered by id, and the rank a page ends on comes back exactly in its key (on
    PostgreSQL ts_rank is a real: read into Python as such, it lost its value and the next page began again)."""
    made = {world.register(title="Leksehjelp", need_description="Samme tekst hver gang.").id for _ in range(7)}
    seen, after = [], None
    for _ in range(10):  # four pages; a key that does not move on would page for ever
        page = listing(world, q="leksehjelp", limit=2, after=after)
        seen += [r.id for r in page.rows]
        if page.next_after is None:
            break
        after = page.next_after
    assert page.sort == "rank" and sorted(seen) == sorted(made) and len(seen) == len(set(seen))


def test_keyset_pages_visit_every_row_once_while_rows_are_added(world: World, spread: list[Any]) -> None:
    existing = {m.id for m in spread}
    seen: list[int] = []
    after = None
    for round_ in range(20):
        page = listing(world, sort="updated", descending=True, limit=4, after=after)
        seen += [r.id for r in page.rows]
        world.register(title=f"Nytt underveis {round_}")  # lands in front of the pages already read
        world.advance(world.register(title=f"Også nytt {round_}"), "initiated")
        if page.next_after is None:
            break
        after = page.next_after
    assert len(seen) == len(set(seen))
    assert existing <= set(seen)


def test_a_page_key_for_another_sort_is_refused(world: World, spread: list[Any]) -> None:
    key = listing(world, sort="title", limit=2).next_after
    with pytest.raises(Invalid):
        listing(world, sort="ref", limit=2, after=key)
    with pytest.raises(Invalid):
        listing(world, sort="title", descending=True, limit=2, after=key)
    for junk in ("", "x", "eyJzIjoidGl0bGUifQ", "eyJzIjoidGl0bGUiLCJkIjpmYWxzZSwiayI6WzEsMl19"):
        if junk:
            with pytest.raises(Invalid):
                listing(world, sort="title", limit=2, after=junk)


# ---------------------------------------------------------------- the index, property-based (full suite)

WORDS = ("kajakk", "sykkelverksted", "leksefri", "matlaging", "gatefotball", "klatrevegg", "fiskekonkurranse")


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(("register", "edit", "advance")), st.sampled_from(WORDS), st.integers(0, 5)),
        min_size=1,
        max_size=8,
    )
)
def test_the_index_is_right_after_every_write(world: World, steps: list[tuple[str, str, int]]) -> None:
    """After any sequence of registrations, edits and transitions, a word finds exactly the measures whose
    text holds it now."""
    from tests.conftest import empty_tables, restore_world

    empty_tables(world.samordna.db)
    restore_world(world.samordna.db)
    measures: list[Any] = []
    for action, word, n in steps:
        if action == "register" or not measures:
            measures.append(world.register(title=f"Tiltak {len(measures)}", need_description=f"Behov for {word}."))
        elif action == "edit":
            i = n % len(measures)
            m = world.samordna.measures.get(actor=world.actors["coordinator"], measure_id=measures[i].id)
            if m.state == "need_identified":
                measures[i] = world.samordna.measures.edit(
                    actor=world.actors["coordination"],
                    measure_id=m.id,
                    version=m.version,
                    data={"need_description": f"Nytt behov: {word}."},
                )
        else:
            i = n % len(measures)
            m = world.samordna.measures.get(actor=world.actors["coordinator"], measure_id=measures[i].id)
            step = next(((trigger, who) for state, trigger, who in MAIN_PATH if state == m.state), None)
            if step is not None:  # one step along the main path, to «closed»
                measures[i] = world.fire(step[1], m, step[0])
        for w in WORDS:
            holding = {
                m.id
                for m in (
                    world.samordna.measures.get(actor=world.actors["coordinator"], measure_id=x.id) for x in measures
                )
                if w in m.need_description
            }
            assert found(world, w) == holding, (w, steps)


# ---------------------------------------------------------------- the page


def test_the_page(browser, web_world: World) -> None:
    web_world.register(title="Natteravner <i>på</i> torget", need_description="Uro blant ungdom på torget.")
    web_world.advance(web_world.register(title="Avsluttet leksehjelp"), "closed")
    b = browser("executing")
    page = b.get("/areas/alfa/measures")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert page.text.count("<h1") == 1 and "Avsluttet leksehjelp" in page.text
    assert 'aria-current="page">Alle tiltak' in page.text
    assert 'aria-sort="descending"' in page.text  # the latest change first
    assert 'aria-sort="descending"><a href="/areas/alfa/measures?sort=updated&amp;dir=asc"' in page.text  # turns
    found_page = b.get("/areas/alfa/measures?q=torget")
    text = found_page.text
    assert "Avsluttet leksehjelp" not in text
    # The title is escaped, and only the matched words are marked.
    assert "Natteravner &lt;i&gt;på&lt;/i&gt; <mark>torget</mark>" in text
    assert "<i>" not in text
    assert "1 tiltak passer søket" in html.unescape(text)
    sorted_page = b.get("/areas/alfa/measures?sort=title&dir=asc").text
    assert sorted_page.index("Avsluttet leksehjelp") < sorted_page.index("Natteravner")
    assert re.search(r'aria-sort="ascending"><a href="/areas/alfa/measures\?sort=title&amp;dir=desc"', sorted_page)
    for junk in ("?state=nope", "?goal=abc", "?year=²", "?sort=colour&dir=sideways", "?unit=99999999999"):
        assert b.get("/areas/alfa/measures" + junk).status_code == 200, junk
    assert b.get("/areas/alfa/measures?after=junk").status_code == 422
    assert browser("beta_coordinator").get("/areas/alfa/measures").status_code == 404
