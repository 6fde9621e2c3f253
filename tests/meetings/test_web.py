"""The meetings pages over HTTP (the live server, on SQLite and PostgreSQL): plan, open the agenda, add a free
item, send and print; refusals keep what was typed; who sees what."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from tests.factories import World, national_id
from tests.web_support import WebClient, text_of


def _plan(b: WebClient, world: World, body: str = "coordination") -> int:
    day = (world.today() + timedelta(days=20)).isoformat()
    r = b.post(
        "/areas/alfa/meetings",
        {"body": body, "title": "", "day": day, "start": "09:00", "end": "11:00", "place": "Rådhuset"},
    )
    assert r.status_code == 303, text_of(r.text)
    return int(re.fullmatch(r"/meetings/(\d+)", r.headers["location"])[1])  # type: ignore[index]


def test_the_coordinator_plans_a_meeting_builds_and_sends_its_agenda(
    browser: Callable[[str], WebClient], web_world: World
) -> None:
    need = web_world.register(title="Uro ved kjøpesenteret")
    b = browser("coordinator")
    meeting_id = _plan(b, web_world)
    page = b.get(f"/meetings/{meeting_id}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Koordineringsgruppe" in text and "Uro ved kjøpesenteret" in text and "Nytt behov" in text
    assert f'href="/measures/{need.id}"' in page.text and "Skriv ut" in text
    r = b.post(f"/meetings/{meeting_id}/items", {"kind": "discussion", "title": "Sommerjobber", "text": "Drøfte."})
    assert r.status_code == 303
    version = re.search(r'name="version" value="(\d+)"', b.get(f"/meetings/{meeting_id}").text)[1]  # type: ignore[index]
    r = b.post(f"/meetings/{meeting_id}/send", {"version": version})
    assert r.status_code == 303
    sent = text_of(b.get(f"/meetings/{meeting_id}").text)
    yy = (web_world.today() + timedelta(days=20)).year % 100
    assert f"Sak 01/{yy}" in sent and f"Sak 02/{yy}" in sent and "Sakslisten er låst" in sent
    refused = b.post(f"/meetings/{meeting_id}/items", {"kind": "orientation", "title": "For sent"})
    assert refused.status_code == 409 and "Sakslisten er sendt" in text_of(refused.text)
    listing = b.get("/areas/alfa/meetings")
    assert listing.status_code == 200 and "Saksliste sendt" in text_of(listing.text)


def test_bad_input_is_refused_with_norwegian_messages_and_what_was_typed_kept(
    browser: Callable[[str], WebClient], web_world: World
) -> None:
    b = browser("coordinator")
    r = b.post(
        "/areas/alfa/meetings",
        {
            "body": "coordination",
            "title": "Møte om våren",
            "day": "31.02",
            "start": "9",
            "end": "08:00",
            "place": "Ute",
        },
    )
    assert r.status_code == 422
    text = text_of(r.text)
    assert "Ugyldig dato" in text and "TT:MM" in text and 'value="Møte om våren"' in r.text
    meeting_id = _plan(b, web_world)
    fnr = national_id()
    r = b.post(
        f"/meetings/{meeting_id}/items", {"kind": "decision", "title": f"Gjelder {fnr}", "text": "Tekst beholdes"}
    )
    assert r.status_code == 422 and fnr not in r.text and "Tekst beholdes" in r.text
    assert "fødselsnummer" in text_of(r.text)
    r = b.post(f"/meetings/{meeting_id}/cancel", {"version": "1", "reason": ""})
    assert r.status_code == 422 and "Feltet må fylles ut" in text_of(r.text)
    r = b.post(
        "/areas/alfa/meetings/year",
        [
            ("body", "steering"),
            ("year", "2027"),
            ("nth", "1"),
            ("weekday", "3"),
            ("start", "09:00"),
            ("end", "10:00"),
            ("preview", "1"),
        ],
    )
    assert r.status_code == 200
    preview = text_of(r.text)
    assert "Kristi himmelfartsdag" in preview and "Disse datoene blir møter (11)" in preview


def test_who_sees_which_meetings(browser: Callable[[str], WebClient], web_world: World) -> None:
    coordinator = browser("coordinator")
    steering_id = _plan(coordinator, web_world, "steering")
    executing_id = _plan(coordinator, web_world, "executing")
    steering, executing, viewer = browser("steering"), browser("executing"), browser("viewer")
    assert steering.get(f"/meetings/{steering_id}").status_code == 200
    assert viewer.get(f"/meetings/{steering_id}").status_code == 200
    assert executing.get(f"/meetings/{steering_id}").status_code == 403
    assert executing.get(f"/meetings/{executing_id}").status_code == 200
    assert steering.get(f"/meetings/{executing_id}").status_code == 403
    listing = text_of(executing.get("/areas/alfa/meetings").text)
    assert "Faggruppe" in listing and "Styringsgruppe" not in listing and "Planlegg ett møte" not in listing
    assert steering.post(f"/meetings/{steering_id}/items", {"kind": "orientation", "title": "X"}).status_code == 403
    assert browser("beta_coordinator").get(f"/meetings/{steering_id}").status_code == 404
