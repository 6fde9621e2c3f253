"""The steering group's decision log across measures (on the steering board and at
/areas/{slug}/boards/steering/decisions): every extend, adjust or close on the area's measures, newest first,
with the meeting and case number when the decision was recorded from an agenda; by year, a page at a time."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from samordna.boards import service as boards_service
from samordna.boards.service import decision_triggers
from samordna.domain.errors import NotFound
from tests.factories import World
from tests.meetings.test_decisions import decide, item_for, sent_meeting

LOG = "/areas/alfa/boards/steering/decisions"
NOT_A_LOG = "/areas/alfa/boards/coordination/decisions"


def test_the_decision_triggers_come_from_the_workflow(world: World) -> None:
    assert decision_triggers(world.samordna.workflows["measure"]) == ("extend", "adjust", "close")


def test_the_log_lists_decisions_across_measures_with_their_meeting_newest_first(world: World) -> None:
    in_meeting = world.advance(world.register(title="Leksehjelp"), "evaluated")
    outside = world.advance(world.register(title="Natteravner"), "evaluated")
    world.advance(world.register(title="Under oppfølging"), "in_follow_up")  # no decision: not in the log
    agenda = sent_meeting(world)
    decide(world, agenda, item_for(agenda, in_meeting.id), in_meeting, data={"decision_note": "Målet er nådd."})
    world.fire("steering", outside, "adjust", decision_note="Justeres til færre kvelder.")

    log = world.samordna.boards.decision_log(actor=world.actors["viewer"], slug="alfa")
    assert [(d.measure_title, d.trigger) for d in log.decisions] == [("Natteravner", "adjust"), ("Leksehjelp", "close")]
    latest, earlier = log.decisions
    assert latest.note == "Justeres til færre kvelder." and latest.meeting_id is None and latest.case == ""
    assert latest.measure_state == "initiated"
    assert earlier.note == "Målet er nådd." and earlier.meeting_id == agenda.meeting.id
    assert earlier.case == item_for(agenda, in_meeting.id).label and earlier.case.startswith("Sak ")
    assert earlier.meeting_day == world.today() and earlier.actor_name
    assert log.years == (world.today().year,) and log.next_after is None

    board = world.samordna.boards.read_board(actor=world.actors["steering"], slug="alfa", board="steering")
    assert [d.event_id for d in board.decisions] == [d.event_id for d in log.decisions]
    assert (
        world.samordna.boards.read_board(actor=world.actors["steering"], slug="alfa", board="coordination").decisions
        == ()
    )


def test_another_area_sees_none_of_it(world: World) -> None:
    world.advance(world.register(), "closed")
    with pytest.raises(NotFound):
        world.samordna.boards.decision_log(actor=world.actors["beta_coordinator"], slug="alfa")
    assert world.samordna.boards.decision_log(actor=world.actors["beta_coordinator"], slug="beta").decisions == ()


def test_pages_by_key_and_filters_by_year(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(boards_service, "DECISIONS_PER_PAGE", 2)
    samordna, clock = world.samordna, world.samordna.clock
    real = clock.source
    last_year = datetime(world.today().year - 1, 6, 15, 10, tzinfo=UTC)
    clock.source = lambda: last_year  # the samordna fixture restores the clock
    old = world.advance(world.register(title="I fjor"), "closed")
    clock.source = real
    titles = ["Første", "Andre", "Tredje"]
    for title in titles:
        world.advance(world.register(title=title), "closed")

    boards, viewer = samordna.boards, world.actors["viewer"]
    first = boards.decision_log(actor=viewer, slug="alfa")
    assert [d.measure_title for d in first.decisions] == ["Tredje", "Andre"]
    second = boards.decision_log(actor=viewer, slug="alfa", after=first.next_after)
    assert [d.measure_title for d in second.decisions] == ["Første", "I fjor"]
    assert second.next_after is None
    assert first.years == (world.today().year, world.today().year - 1)

    this_year = boards.decision_log(actor=viewer, slug="alfa", year=world.today().year, after=first.next_after)
    assert [d.measure_title for d in this_year.decisions] == ["Første"]
    before = boards.decision_log(actor=viewer, slug="alfa", year=world.today().year - 1)
    assert [d.measure_id for d in before.decisions] == [old.id] and before.year == world.today().year - 1
    # A year without decisions, and a key that is not one, show the first page of every year.
    assert boards.decision_log(actor=viewer, slug="alfa", year=1999).year is None
    for junk in ("x", "2026-13-01~4", "~", "2026-01-01T00:00:00+00:00~z"):
        assert boards.decision_log(actor=viewer, slug="alfa", after=junk).decisions == first.decisions


def test_the_steering_board_and_the_log_page_show_the_decisions(browser, web_world: World) -> None:
    evaluated = web_world.advance(web_world.register(title="Leksehjelp"), "evaluated")
    agenda = sent_meeting(web_world)
    decide(web_world, agenda, item_for(agenda, evaluated.id), evaluated, data={"decision_note": "Målet er nådd."})
    case = item_for(agenda, evaluated.id).label
    for who in ("steering", "viewer", "executing"):
        b = browser(who)
        board = b.get("/areas/alfa/boards/steering").text
        assert "Siste vedtak" in board and "Målet er nådd." in board and f'href="{LOG}"' in board
        page = b.get(LOG)
        assert page.status_code == 200 and page.text.count("<h1") == 1
        assert f'href="/meetings/{agenda.meeting.id}"' in page.text and case in page.text
        assert f'href="/measures/{evaluated.id}"' in page.text
    b = browser("steering")
    assert "Målet er nådd." in b.get(LOG + f"?year={web_world.today().year}").text
    for junk in ("?year=abc", "?year=²", "?after=zz~1", "?year=99999999999"):
        r = b.get(LOG + junk)
        assert r.status_code == 200 and "Målet er nådd." in r.text, junk
    assert browser("beta_coordinator").get(LOG).status_code == 404
    assert b.get(NOT_A_LOG).status_code == 404


def test_a_board_without_decisions_says_so(browser, web_world: World) -> None:
    page = browser("steering").get("/areas/alfa/boards/steering").text
    assert "Styringsgruppen har ikke fattet vedtak ennå." in page
    assert not re.search(r'class="decision-log__entry"', page)
    assert "Ingen vedtak her." in browser("steering").get(LOG).text
