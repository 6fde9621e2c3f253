"""The calendar feeds: an .ics per body (its secret key in the query) and per user (the key in the path).
Both parse with `icalendar` and with `vobject`, an independent parser; times are Europe/Oslo with a
VTIMEZONE; a cancelled meeting is STATUS:CANCELLED; a member's feed holds only the bodies they may read;
a renewed key makes the old address answer 404, as a wrong one does, without a hint."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar

from samordna.domain.errors import NotAllowed, NotFound
from tests.calendar.support import add_meeting, body_key
from tests.factories import World
from tests.web_support import WebClient

NOW = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def cal_world(web_world: World) -> World:
    web_world.samordna.clock.source = lambda: NOW
    return web_world


def meetings(world: World) -> dict[str, int]:
    return {
        "coordination": add_meeting(world, "coordination", datetime(2027, 2, 9, 9, 0), title="Koordineringsmøte"),
        "summer": add_meeting(world, "coordination", datetime(2027, 6, 8, 9, 0), title="Sommermøte"),  # CEST
        "cancelled": add_meeting(
            world, "coordination", datetime(2027, 3, 9, 9, 0), state="cancelled", cancel_reason="For få påmeldte"
        ),
        "steering": add_meeting(world, "steering", datetime(2027, 3, 2, 13, 0), title="Politirådet"),
        "executing": add_meeting(world, "executing", datetime(2027, 4, 14, 12, 0), title="Faggruppe skole"),
        "all": add_meeting(world, "all", datetime(2027, 10, 20, 9, 0), title="SLT-samling 2027", hours=6),
        "beta": add_meeting(world, "coordination", datetime(2027, 2, 10, 9, 0), area="beta", title="Betamøte"),
    }


def uids(ics: bytes) -> set[str]:
    return {str(e["uid"]) for e in Calendar.from_ical(ics).walk("VEVENT")}


def test_body_feed_parses_with_both_parsers_in_oslo_time(cal_world: World, open_browser) -> None:
    ids = meetings(cal_world)
    key = body_key(cal_world, "coordination")
    b: WebClient = open_browser()
    r = b.get(f"/areas/alfa/calendar/coordination.ics?key={key}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/calendar")
    assert "set-cookie" not in {k.lower() for k in r.headers if "session" in r.headers.get(k, "")}

    cal = Calendar.from_ical(r.content)
    [tz] = cal.walk("VTIMEZONE")
    assert str(tz["tzid"]) == "Europe/Oslo"
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {f"meeting-{ids[k]}@samordna" for k in ("coordination", "summer", "cancelled")}
    first = events[f"meeting-{ids['coordination']}@samordna"]
    assert first.start == datetime(2027, 2, 9, 9, 0, tzinfo=ZoneInfo("Europe/Oslo"))
    assert first.start.utcoffset().total_seconds() == 3600
    assert str(first["summary"]).startswith("Koordineringsmøte")
    assert str(first["location"]) == "Rådhuset, møterom 1"
    assert str(first["status"]) == "CONFIRMED"
    summer = events[f"meeting-{ids['summer']}@samordna"]
    assert summer.start.utcoffset().total_seconds() == 7200  # summer time, from the VTIMEZONE
    assert str(events[f"meeting-{ids['cancelled']}@samordna"]["status"]) == "CANCELLED"
    assert b"DTSTART;TZID=Europe/Oslo:20270209T090000" in r.content

    parsed = vobject.readOne(r.text)
    found = {v.uid.value: v for v in parsed.vevent_list}
    assert set(found) == set(events)
    v = found[f"meeting-{ids['coordination']}@samordna"]
    assert v.dtstart.value.astimezone(UTC) == datetime(2027, 2, 9, 8, 0, tzinfo=UTC)
    assert v.dtend.value.astimezone(UTC) == datetime(2027, 2, 9, 10, 0, tzinfo=UTC)
    assert found[f"meeting-{ids['summer']}@samordna"].dtstart.value.astimezone(UTC).hour == 7
    assert found[f"meeting-{ids['cancelled']}@samordna"].status.value == "CANCELLED"
    assert parsed.vtimezone.tzid.value == "Europe/Oslo"


def test_the_vtimezone_covers_only_the_feeds_years(cal_world: World) -> None:
    add_meeting(cal_world, "steering", datetime(2027, 3, 2, 13, 0))
    ics = cal_world.samordna.calendar.body_feed(slug="alfa", level="steering", key=body_key(cal_world, "steering"))
    assert len(ics) < 2500
    assert b"2027-01-01 to 2028-01-01" in ics.replace(b"\r\n ", b"")


@pytest.mark.parametrize(
    "url",
    [
        "/areas/alfa/calendar/coordination.ics?key=feil-nokkel-som-er-lang-nok",
        "/areas/alfa/calendar/coordination.ics",
        "/areas/alfa/calendar/coordination?key={key}",
        "/areas/alfa/calendar/steering.ics?key={key}",  # another body's key
        "/areas/beta/calendar/coordination.ics?key={key}",  # another area
        "/areas/alfa/calendar/ingen.ics?key={key}",
        "/calendar/feil-nokkel-som-er-lang-nok.ics",
        "/calendar/{key}.ics",  # a body's key is not a user's
    ],
)
def test_wrong_keys_are_404_with_no_hint(cal_world: World, open_browser, url: str) -> None:
    r = open_browser().get(url.format(key=body_key(cal_world, "coordination")))
    assert r.status_code == 404
    assert b"BEGIN:VCALENDAR" not in r.content and "nøkkel" not in r.text.lower()


def test_renewing_a_body_key_makes_the_old_address_404(cal_world: World, browser) -> None:
    meetings(cal_world)
    old = body_key(cal_world, "coordination")
    b = browser("coordinator")
    assert b.get(f"/areas/alfa/calendar/coordination.ics?key={old}").status_code == 200
    r = b.post("/areas/alfa/arshjul/feeds/coordination/renew")
    assert r.status_code == 303 and r.headers["location"].endswith("#feeds")
    new = body_key(cal_world, "coordination")
    assert new != old
    assert b.get(f"/areas/alfa/calendar/coordination.ics?key={old}").status_code == 404
    assert b.get(f"/areas/alfa/calendar/coordination.ics?key={new}").status_code == 200
    page = b.get(r.headers["location"].split("#")[0]).text
    assert f"key={new}" in page and old not in page and "ny kalenderadresse" in page


def test_only_the_coordinator_renews_a_body_key(cal_world: World) -> None:
    cal = cal_world.samordna.calendar
    for who in ("steering", "coordination", "executing", "viewer"):
        with pytest.raises(NotAllowed):
            cal.renew_body_key(actor=cal_world.actors[who], slug="alfa", level="coordination")
    with pytest.raises(NotFound):
        cal.renew_body_key(actor=cal_world.actors["beta_coordinator"], slug="alfa", level="coordination")
    with pytest.raises(NotFound):
        cal.renew_body_key(actor=cal_world.actors["coordinator"], slug="alfa", level="ingen")


def test_a_users_feed_holds_exactly_the_bodies_they_may_read(cal_world: World) -> None:
    ids = meetings(cal_world)
    cal = cal_world.samordna.calendar
    expected = {
        "coordinator": {"coordination", "summer", "cancelled", "steering", "executing", "all"},
        "steering": {"steering", "all"},
        "coordination": {"coordination", "summer", "cancelled", "all"},
        "executing": {"executing", "all"},
        "viewer": {"steering", "all"},
        "beta_coordinator": {"beta"},
    }
    for who, names in expected.items():
        key = cal.renew_user_key(actor=cal_world.actors[who], slug="beta" if who.startswith("beta") else "alfa")
        ics = cal.user_feed(key=key)
        assert uids(ics) == {f"meeting-{ids[n]}@samordna" for n in names}, who
        assert vobject.readOne(ics.decode()).vevent_list  # the second parser reads it too


def test_renewing_a_users_key_makes_the_old_address_404(cal_world: World, browser) -> None:
    meetings(cal_world)
    b = browser("executing")
    page = b.get("/areas/alfa/arshjul").text
    assert "Lag min kalenderadresse" in page and "/calendar/" not in page.split('id="feeds"')[1].split("<h3")[1]
    r = b.post("/areas/alfa/arshjul/my-feed")
    assert r.status_code == 303
    page = b.get("/areas/alfa/arshjul").text
    first = page.split('id="feed-mine"')[1].split('value="')[1].split('"')[0]
    path = first[first.index("/calendar/") :]
    feed = b.get(path)
    assert feed.status_code == 200 and b"Faggruppe skole" in feed.content and b"Politiradet" not in feed.content
    assert b.post("/areas/alfa/arshjul/my-feed").status_code == 303
    assert b.get(path).status_code == 404
    second = b.get("/areas/alfa/arshjul").text.split('id="feed-mine"')[1].split('value="')[1].split('"')[0]
    assert second != first and b.get(second[second.index("/calendar/") :]).status_code == 200


def test_renewing_needs_the_csrf_token(cal_world: World, browser) -> None:
    b = browser("coordinator")
    old = body_key(cal_world, "coordination")
    r = b.client.post("/areas/alfa/arshjul/feeds/coordination/renew", data={})
    assert r.status_code == 403
    assert body_key(cal_world, "coordination") == old


def test_a_deactivated_users_feed_is_gone(cal_world: World) -> None:
    cal = cal_world.samordna.calendar
    key = cal.renew_user_key(actor=cal_world.actors["viewer"], slug="alfa")
    cal_world.samordna.organisation.set_member_active(
        actor=cal_world.actors["coordinator"],
        slug="alfa",
        membership_id=cal_world.membership_id("viewer"),
        active=False,
    )
    with pytest.raises(NotFound):
        cal.user_feed(key=key)


def test_feed_dates_are_the_oslo_dates(cal_world: World) -> None:
    # 00:30 in Oslo is the evening before in UTC: the feed keeps the Oslo wall time.
    add_meeting(cal_world, "steering", datetime(2027, 5, 1, 0, 30), title="Nattmøte")
    ics = cal_world.samordna.calendar.body_feed(slug="alfa", level="steering", key=body_key(cal_world, "steering"))
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    assert event.start.date() == date(2027, 5, 1) and event.start.hour == 0
