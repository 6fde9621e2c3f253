"""The live stream over real HTTP (GET /areas/{slug}/stream on a uvicorn server): a change made through the API
reaches the streams of those who may see it, and no other; a reconnecting page gets what it missed; a refused
write says nothing; the stream needs its session and ends with it.

Nothing is proved by waiting for silence: that a stream did NOT get a change is shown by a later change on the
same stream arriving first (a stream gets its area's changes in the order they were published)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import text

from tests.api.support import Api, measure_in
from tests.conftest import LiveServer
from tests.factories import World, valid_data
from tests.live.support import SSE
from tests.web_support import WebClient

pytestmark = pytest.mark.slow


@pytest.fixture
def api(live_server: LiveServer, world: World) -> Iterator[Api]:
    client = Api(live_server.url, world)
    yield client
    client.close()


def _latest_event_id(world: World) -> int:
    with world.samordna.db.read() as s:
        return int(s.execute(text("SELECT coalesce(max(id), 0) FROM event")).scalar_one())


@pytest.fixture
def stream(live_server: LiveServer, web_world: World) -> Iterator[Callable[..., SSE]]:
    """`stream("coordinator")`: that member logged in, with their area's stream open; all closed at the end."""
    opened: list[tuple[WebClient, SSE]] = []

    def open_as(who: str, area: str = "alfa", **headers: str) -> SSE:
        browser = WebClient.live(live_server.url).login(who)
        before = _latest_event_id(web_world)
        sse = SSE(live_server.url, f"/areas/{area}/stream", cookies=browser.client.cookies, headers=headers)
        if not {h.lower() for h in headers} & {"last-event-id"}:
            # A change committed before the stream listened may still be on its way (PostgreSQL delivers the
            # NOTIFY of a listener already open in the server): harmless to a page, which reads its board again,
            # but not the change a test waits for.
            sse.after = before
        opened.append((browser, sse))
        sse.browser = browser  # type: ignore[attr-defined]
        return sse

    yield open_as
    for browser, sse in opened:
        sse.close()
        browser.close()


def test_a_transition_reaches_the_area_and_no_one_else(api: Api, world: World, stream: Callable[..., SSE]) -> None:
    m = measure_in(world, "assigned")  # Ungdomsskolene is responsible
    coordinator = stream("coordinator")
    police = stream("executing_police")  # an executing member of another unit than the measure's
    beta = stream("beta_coordinator", "beta")  # another area
    assert coordinator.status == police.status == beta.status == 200
    assert coordinator.headers is not None and coordinator.headers["content-type"].startswith("text/event-stream")

    r = api.fire("executing", m.id, "start", m.version)
    assert r.status_code == 200, r.text
    got = coordinator.next()
    event_id = api.events(m.id)[-1]["id"]
    assert got["id"] == str(event_id)
    assert got["data"] == {
        "measure": m.id,
        "ref": m.ref,
        "kind": "start",
        "from": "assigned",
        "to": "in_follow_up",
        "version": m.version + 1,
        "actor": "Executing",
    }

    # Later changes the police and beta may see arrive first: they never got the school's.
    police_need = world.register("executing_police")
    assert police.next()["data"]["measure"] == police_need.id
    beta_need = world.register("beta_coordinator", area="beta")
    assert beta.next()["data"]["measure"] == beta_need.id
    assert coordinator.next()["data"]["measure"] == police_need.id  # the coordinator sees the whole area


def test_a_refused_write_says_nothing(api: Api, world: World, stream: Callable[..., SSE]) -> None:
    coordinator = stream("coordinator")
    m = world.register()
    assert coordinator.next()["data"]["kind"] == "create"
    stale = api.fire("coordination", m.id, "initiate", m.version - 1, valid_data(world, "initiate"))
    invalid = api.fire("coordination", m.id, "initiate", m.version, {})
    assert (stale.status_code, invalid.status_code) == (409, 422)
    ok = api.fire("coordination", m.id, "initiate", m.version, valid_data(world, "initiate"))
    assert ok.status_code == 200, ok.text
    got = coordinator.next()
    assert (got["data"]["kind"], got["id"]) == ("initiate", str(api.events(m.id)[-1]["id"]))


def test_a_reconnect_gets_what_it_missed(world: World, stream: Callable[..., SSE]) -> None:
    first = world.register()
    executing_need = world.fire("coordination", first, "initiate")
    other = world.register("executing_police")  # not the school's: the school's member may not hear of it
    last_seen = str(_event_ids(world, first.id)[0])
    world.fire("coordination", world.register("coordination"), "decline")

    coordinator = stream("coordinator", **{"Last-Event-ID": last_seen})
    kinds = [coordinator.next()["data"]["kind"] for _ in range(4)]
    assert kinds == ["initiate", "create", "create", "decline"]

    school = stream("executing", **{"Last-Event-ID": last_seen})
    got = school.next()
    assert (got["data"]["measure"], got["data"]["kind"]) == (executing_need.id, "initiate")
    news = world.register()  # live again: the replay held nothing more for the school (not `other`'s, not the decline)
    assert school.next()["data"]["measure"] == news.id
    assert other.id != news.id


def test_a_board_page_gives_its_stream_the_moment_it_was_read(
    live_server: LiveServer, web_world: World, world: World
) -> None:
    """A change committed after the page was read and before its stream listens is replayed from `since`."""
    browser = WebClient.live(live_server.url).login("coordinator")
    page = browser.get("/areas/alfa/boards/coordination").text
    found = re.search(r'sse-connect="(/areas/alfa/stream\?since=(\d+))"', page)
    assert found and int(found.group(2)) == _latest_event_id(world)
    between = world.register()  # the page does not show it, and its stream is not listening yet
    sse = SSE(live_server.url, found.group(1), cookies=browser.client.cookies)
    try:
        got = sse.next()
        assert (got["data"]["measure"], got["data"]["kind"]) == (between.id, "create")
    finally:
        sse.close()
        browser.close()


def test_too_much_missed_asks_the_page_to_refresh(world: World, stream: Callable[..., SSE]) -> None:
    first = world.register()
    for _ in range(3):
        world.register()
    live = world.samordna.live
    live.replay_limit = 2
    try:
        coordinator = stream("coordinator", **{"Last-Event-ID": str(_event_ids(world, first.id)[0])})
        assert coordinator.next("refresh")["data"] == {}
    finally:
        live.replay_limit = type(live)(db=live.db, accounts=live.accounts).replay_limit
    after = world.register()  # and it goes on live
    assert coordinator.next()["data"]["measure"] == after.id


def test_heartbeats_keep_an_idle_stream_open(stream: Callable[..., SSE]) -> None:
    coordinator = stream("coordinator")
    comments = 0
    while comments < 3:
        got = coordinator.queue.get(timeout=15)
        assert not got.get("closed") and "event" not in got, got
        comments += "comment" in got
    assert comments == 3


def test_the_stream_ends_with_its_session(world: World, stream: Callable[..., SSE]) -> None:
    coordinator = stream("coordinator")
    browser: WebClient = coordinator.browser  # type: ignore[attr-defined]
    assert browser.post("/logout").status_code == 303
    events = [e.get("event") for e in coordinator.until_closed()]
    assert events[-1] == "session-ended"
    assert "measure" not in events


def test_the_stream_needs_a_session_and_a_membership(live_server: LiveServer, web_world: World) -> None:
    with httpx.Client(base_url=live_server.url, timeout=10) as anonymous:
        r = anonymous.get("/areas/alfa/stream")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    browser = WebClient.live(live_server.url).login("coordinator")
    try:
        assert browser.get("/areas/beta/stream").status_code == 404
        assert browser.get("/areas/nowhere/stream").status_code == 404
    finally:
        browser.close()


def _event_ids(world: World, measure_id: int) -> list[int]:
    return [e.id for e in world.samordna.measures.events(actor=world.actors["coordinator"], measure_id=measure_id)]
