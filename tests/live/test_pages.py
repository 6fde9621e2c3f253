"""The live pages' markup (DESIGN.md §15), as served: each page listens to its own area's stream and says, in data
attributes for static/js/live.js, which measures it shows at which version and what a change re-reads. The
behaviour itself is tested in Chromium (tests/browser/test_live_pages.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.factories import World
from tests.web_support import WebClient


def _since(world: World) -> int:
    """The newest event's id: what a page read now gives its stream as `since`."""
    return world.samordna.live.latest()


def _root(html: str) -> str:
    """The opening tag of the page's live root."""
    found = re.search(r"<div [^>]*data-live-root[^>]*>", html)
    assert found, "the page has no live root"
    return found.group(0)


def test_the_measure_page_watches_its_own_measure_at_its_version(
    web_world: World, open_browser: Callable[..., WebClient]
) -> None:
    m = web_world.fire("coordination", web_world.register(), "initiate")
    page = open_browser().login("coordinator").get(f"/measures/{m.id}")
    root = _root(page.text)
    # `since`: a change committed between this reading and the stream's listening is replayed, not missed.
    assert f'sse-connect="/areas/alfa/stream?since={_since(web_world)}"' in root
    assert f'data-live-measures="{m.id}"' in root
    assert "data-live-region" not in root  # nothing is replaced: the notice is all it does
    assert f'data-live-measure="{m.id}" data-version="{m.version}"' in page.text
    assert f'href="/measures/{m.id}">Vis endringene</a>' in page.text
    # The measure's own section, as an action swaps it in, carries the version the page now shows.
    block = open_browser().login("coordinator").get(f"/measures/{m.id}", htmx=True)
    assert f'data-version="{m.version}"' in block.text


def test_the_list_rereads_its_results_from_its_own_query(
    web_world: World, open_browser: Callable[..., WebClient]
) -> None:
    web_world.register(title="Leksehjelp")
    page = open_browser().login("coordinator").get("/areas/alfa/measures?q=leksehjelp&state=need_identified")
    root = _root(page.text)
    assert f'sse-connect="/areas/alfa/stream?since={_since(web_world)}"' in root
    assert 'data-live-region="list-results"' in root
    assert 'data-live-url="/areas/alfa/measures?q=leksehjelp&amp;state=need_identified"' in root
    assert "data-live-measures" not in root  # every measure of the area may enter or leave the list
    assert 'id="list-results"' in page.text


def test_the_meeting_views_watch_the_agenda_measures(web_world: World, open_browser: Callable[..., WebClient]) -> None:
    m = web_world.advance(web_world.register(title="Leksehjelp"), "evaluated")
    meetings, coordinator = web_world.samordna.meetings, web_world.actors["coordinator"]
    data = {"body": "steering", "day": web_world.today().isoformat(), "start": "09:00", "end": "11:00"}
    meeting = meetings.plan(actor=coordinator, slug="alfa", data=data)
    client = open_browser().login("coordinator")

    root = _root(client.get(f"/meetings/{meeting.id}").text)
    assert f'data-live-measures="{m.id}"' in root and "data-live-region" not in root

    live = client.get(f"/meetings/{meeting.id}/live?item=1").text
    root = _root(live)
    assert f'data-live-measures="{m.id}"' in root
    assert 'data-live-region="live-facts"' in root
    assert f'data-live-url="/meetings/{meeting.id}/live?item=1"' in root
    assert f'data-live-measure="{m.id}" data-version="{m.version}"' in live
