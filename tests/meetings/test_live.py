"""The meeting over HTTP (on SQLite and PostgreSQL): the projector view walks the items, a steering decision
recorded from it closes the measure and shows in the minutes and on the measure page; a refused decision is
shown in place with what was typed; held, the minutes are printable; readers follow without forms."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.factories import World, national_id
from tests.web_support import WebClient, text_of


def _sent_steering_meeting(world: World) -> tuple[int, int]:
    meetings, coordinator = world.samordna.meetings, world.actors["coordinator"]
    data = {"body": "steering", "day": world.today().isoformat(), "start": "09:00", "end": "11:00"}
    meeting = meetings.plan(actor=coordinator, slug="alfa", data=data)
    opened = meetings.agenda(actor=coordinator, meeting_id=meeting.id)
    sent = meetings.send_agenda(actor=coordinator, meeting_id=meeting.id, version=opened.meeting.version)
    return meeting.id, sent.items[0].id


def test_the_coordinator_runs_the_meeting_on_the_projector_view(
    browser: Callable[[str], WebClient], web_world: World
) -> None:
    evaluated = web_world.advance(web_world.register(title="Leksehjelp på biblioteket"), "evaluated")
    meeting_id, item_id = _sent_steering_meeting(web_world)
    b = browser("coordinator")
    live = b.get(f"/meetings/{meeting_id}/live")
    assert live.status_code == 200
    text = text_of(live.text)
    assert "Sak 1 av 2" in text and "Leksehjelp på biblioteket" in text and "Neste sak" in text
    for label in ("Videreføre", "Justere", "Avslutte"):
        assert label in text
    assert 'name="meeting_date"' not in live.text  # the meeting is the date
    assert "Styringsgruppe" in text_of(b.get(f"/meetings/{meeting_id}/live?item=2").text)
    # Refused: the decision text names a person's national identity number — shown in place, the rest kept.
    url = f"/meetings/{meeting_id}/items/{item_id}/decision"
    form = {"trigger": "close", "version": str(evaluated.version), "item": "1", "note": "Notat beholdes"}
    refused = b.post(url, {**form, "decision_note": f"Gjelder {national_id()}"})
    assert refused.status_code == 422
    assert "Vedtaket ble ikke ført" in text_of(refused.text) and "Notat beholdes" in refused.text
    stale = b.post(url, {**form, "version": str(evaluated.version - 1), "decision_note": "Avsluttes."})
    assert stale.status_code == 409 and "Avsluttes." in stale.text
    done = b.post(url, {**form, "decision_note": "Avsluttes; målet er nådd."})
    assert done.status_code == 303 and done.headers["location"].endswith("?item=1")
    assert "Vedtak: Avslutte" in text_of(b.get(f"/meetings/{meeting_id}/live?item=1").text)
    measure_page = b.get(f"/measures/{evaluated.id}")
    assert f'href="/meetings/{meeting_id}"' in measure_page.text and "Vedtatt i møte" in text_of(measure_page.text)
    # Attendance, then held: the minutes on the meeting page.
    uid = web_world.user_ids["steering"]
    r = b.post(f"/meetings/{meeting_id}/attendance", {f"status_{uid}": "present", "guest": "Ordfører", "item": "1"})
    assert r.status_code == 303
    version = re.search(
        r'action="/meetings/\d+/hold".*?name="version" value="(\d+)"', b.get(f"/meetings/{meeting_id}").text, re.S
    )[1]  # type: ignore[index]
    assert b.post(f"/meetings/{meeting_id}/hold", {"version": version, "summary": "Godt møte."}).status_code == 303
    minutes = text_of(b.get(f"/meetings/{meeting_id}").text)
    assert "Referat" in minutes and "Godt møte." in minutes and "Ordfører" in minutes and "Vedtak: Avslutte" in minutes


def test_readers_follow_the_projector_view_without_forms(browser: Callable[[str], WebClient], web_world: World) -> None:
    web_world.advance(web_world.register(title="Evaluert tiltak"), "evaluated")
    meeting_id, item_id = _sent_steering_meeting(web_world)
    b = browser("steering")
    live = b.get(f"/meetings/{meeting_id}/live")
    assert live.status_code == 200 and "/decision" not in live.text and "Evaluert tiltak" in text_of(live.text)
    refused = b.post(f"/meetings/{meeting_id}/items/{item_id}/note", {"note": "Nei"})
    assert refused.status_code == 403
    assert browser("executing").get(f"/meetings/{meeting_id}/live").status_code == 403
