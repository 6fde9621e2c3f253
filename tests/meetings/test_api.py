"""The meetings API (DESIGN.md §11) over real HTTP with bearer tokens: plan, read with the agenda, add a
free item; the same error shapes as the rest of the API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.api.support import Api, assert_error, field_errors
from tests.factories import World
from tests.meetings.test_decisions import CLOSE, sent_meeting

OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
def api(live_server, world: World) -> Iterator[Api]:
    client = Api(live_server.url, world)
    yield client
    client.close()


def next_year_at(world: World, month: int, day: int, hour: int) -> datetime:
    return datetime(world.today().year + 1, month, day, hour, tzinfo=OSLO)


def test_plan_a_meeting_read_it_and_add_a_free_item(api: Api, world: World) -> None:
    starts = next_year_at(world, 3, 9, 9)
    r = api.post("/areas/alfa/meetings", {"body": "coordination", "starts_at": starts.isoformat(), "place": "Rådhuset"})
    assert r.status_code == 201, r.text
    meeting = r.json()
    assert meeting["body"]["level"] == "coordination" and meeting["state"] == "planned" and meeting["version"] == 1
    assert datetime.fromisoformat(meeting["starts_at"]) == starts
    assert datetime.fromisoformat(meeting["ends_at"]) == starts + timedelta(hours=2)  # two hours when not given
    assert meeting["place"] == "Rådhuset" and meeting["title"]  # the body's name when no title is given

    listed = api.get("/areas/alfa/meetings").json()
    assert [m["id"] for m in listed] == [meeting["id"]]

    r = api.post(f"/meetings/{meeting['id']}/items", {"kind": "discussion", "title": "Uro i sentrum"})
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "discussion" and r.json()["number"] is None  # numbered when the agenda is sent

    one = api.get(f"/meetings/{meeting['id']}").json()
    assert one["agenda_frozen"] is False
    assert [i["title"] for i in one["agenda"] if i["kind"] == "discussion"] == ["Uro i sentrum"]


def test_plan_refusals_have_the_api_shapes(api: Api, world: World) -> None:
    starts = next_year_at(world, 3, 9, 9)
    naive = starts.replace(tzinfo=None).isoformat()
    r = api.post("/areas/alfa/meetings", {"body": "coordination", "starts_at": naive})
    assert_error(r, 422)
    assert "starts_at" in field_errors(r)

    later = {
        "body": "coordination",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(days=1)).isoformat(),
    }
    assert "ends_at" in field_errors(api.post("/areas/alfa/meetings", later))

    assert "body" in field_errors(api.post("/areas/alfa/meetings", {"body": "ingen", "starts_at": starts.isoformat()}))
    assert_error(api.post("/areas/alfa/meetings", {"body": "steering", "starts_at": 20270309}), 422)  # not a time
    assert_error(
        api.post("/areas/alfa/meetings", {"body": "steering", "starts_at": starts.isoformat()}, "executing"), 403
    )
    assert_error(api.post("/areas/ingensteds/meetings", {"body": "steering", "starts_at": starts.isoformat()}), 404)
    assert api.get("/areas/alfa/meetings").json() == []  # nothing planned by any refusal


def test_a_member_reads_only_the_bodies_of_their_level(api: Api, world: World) -> None:
    for body in ("steering", "coordination", "executing", "all"):
        r = api.post("/areas/alfa/meetings", {"body": body, "starts_at": next_year_at(world, 4, 6, 9).isoformat()})
        assert r.status_code == 201, r.text
    seen = {
        who: {m["body"]["level"] for m in api.get("/areas/alfa/meetings", who).json()}
        for who in ("coordinator", "executing", "steering")
    }
    assert seen["coordinator"] == {"steering", "coordination", "executing", "all"}
    assert seen["executing"] == {"executing", "all"}
    assert seen["steering"] == {"steering", "all"}
    steering = next(m for m in api.get("/areas/alfa/meetings").json() if m["body"]["level"] == "steering")
    assert_error(api.get(f"/meetings/{steering['id']}", "executing"), 403)
    assert_error(api.get("/meetings/987654"), 404)


def test_a_decision_over_the_api_fires_the_transition_with_the_meeting(api: Api, world: World) -> None:
    evaluated = world.advance(world.register(title="Evaluert"), "evaluated")
    agenda = sent_meeting(world)
    path = f"/meetings/{agenda.meeting.id}/decisions"
    decision = {"measure_id": evaluated.id, "trigger": "close", "version": evaluated.version, "data": CLOSE}

    stale = api.post(path, {**decision, "version": evaluated.version - 1})
    assert_error(stale, 409)
    assert_error(api.post(path, decision, "executing"), 403)  # executing staff do not read the steering group
    off_agenda = world.register(title="Ikke på sakslisten")
    assert "measure_id" in field_errors(api.post(path, {**decision, "measure_id": off_agenda.id}))
    assert api.measure(evaluated.id)["state"] == "evaluated"  # nothing written by any refusal

    r = api.post(path, {**decision, "note": "Enstemmig."})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "closed" and r.json()["version"] == evaluated.version + 1
    assert api.events(evaluated.id)[-1]["meeting_id"] == agenda.meeting.id
    line = next(
        i for i in api.get(f"/meetings/{agenda.meeting.id}").json()["agenda"] if i["measure_id"] == evaluated.id
    )
    assert (line["decision"], line["note"]) == ("close", "Enstemmig.")
