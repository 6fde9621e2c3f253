"""Every page and API costs the same number of SQL statements whatever the area holds (DESIGN.md §8): each is
requested over an area of a few hundred measures, then again after a few thousand more were added in bulk
(tests.bulk), and the statements counted on the engine must be the same — the three boards, the measure page,
the measure list with and without a search, the API's measure list (its first page and a later one), the
steering report, a meeting's agenda and its projector view, the meetings with the annual wheel and the
notifications. Counts only, no timing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event

from tests.bulk import add_measures
from tests.factories import World
from tests.web_support import WebClient

SMALL = 300
LARGER = 2_700  # added to SMALL: an area ten times larger


@contextmanager
def counted(world: World) -> Iterator[list[str]]:
    """The statements run on the engine meanwhile: not BEGIN, not the session's write (made when the session
    changed, at most once a second), not a pooled connection's ping."""
    seen: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "UPDATE WEB_SESSION", "SELECT 1")):
            seen.append(" ".join(statement.split())[:120])

    engine = world.samordna.db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def _pages(world: World, measure_id: int, meeting_id: int) -> dict[str, tuple[str, str]]:
    """name: (who, URL); the API's later page is found from the first page's Link header."""
    return {
        "coordination board": ("coordinator", "/areas/alfa/boards/coordination"),
        "execution board": ("executing", "/areas/alfa/boards/execution"),
        "execution board, all units": ("coordinator", "/areas/alfa/boards/execution?unit=all"),
        "steering board": ("steering", "/areas/alfa/boards/steering"),
        "measure page": ("coordinator", f"/measures/{measure_id}"),
        "measure list": ("coordinator", "/areas/alfa/measures"),
        "measure list, searched": ("coordinator", "/areas/alfa/measures?q=tiltak"),
        "steering report": ("coordinator", "/areas/alfa/report"),
        "meeting agenda": ("coordinator", f"/meetings/{meeting_id}"),
        "meeting, projector view": ("coordinator", f"/meetings/{meeting_id}/live"),
        "meetings and the annual wheel": ("coordinator", "/areas/alfa/meetings"),
        "notifications": ("coordinator", "/notifications"),
        "API measures": ("coordinator", "/api/v1/areas/alfa/measures?limit=20"),
    }


def _api_next(response: Any) -> str:
    link = response.headers["link"]
    return link[link.index("<") + 1 : link.index(">")]


def _count_all(world: World, browsers: dict[str, WebClient], pages: dict[str, tuple[str, str]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, (who, url) in pages.items():
        b = browsers[who]
        headers = {"Authorization": f"Bearer {world.tokens[who]}"} if url.startswith("/api/") else {}
        first = b.get(url, **headers)  # warm: first-request work (templates, caches) does not count
        assert first.status_code == 200, (name, first.status_code, first.text[:300])
        with counted(world) as seen:
            r = b.get(url, **headers)
        assert r.status_code == 200, (name, r.status_code)
        out[name] = len(seen)
        if name == "API measures":
            later = _api_next(r)
            b.get(later, **headers)
            with counted(world) as seen:
                r = b.get(later, **headers)
            assert r.status_code == 200, r.text[:300]
            out["API measures, a later page"] = len(seen)
    return out


def test_every_page_and_api_costs_the_same_statements_at_ten_times_the_measures(
    web_world: World, open_browser: Callable[..., WebClient]
) -> None:
    world = web_world
    measure = world.register()
    day = (world.today() + timedelta(days=20)).isoformat()
    meeting = world.samordna.meetings.plan(
        actor=world.actors["coordinator"],
        slug="alfa",
        data={"body": "steering", "day": day, "start": "09:00", "end": "11:00", "place": "Rådhuset"},
    )
    browsers = {who: open_browser().login(who) for who in ("coordinator", "executing", "steering")}
    pages = _pages(world, measure.id, meeting.id)

    add_measures(world, SMALL)
    small = _count_all(world, browsers, pages)
    add_measures(world, LARGER)
    large = _count_all(world, browsers, pages)

    assert large == small
    assert all(n > 0 for n in small.values()), small
