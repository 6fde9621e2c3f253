"""The årshjul page and its milestones: the SVG wheel (role="img", titled) and the list by month with the
same meetings; each member sees only the bodies they may read; the coordinator adds, edits and removes
milestones (422 beside the fields with the typed text kept, the confidentiality guard, 403 for others,
404 for another area's)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from samordna.domain import policy
from samordna.domain.confidentiality import GUARD_MESSAGE
from samordna.domain.errors import Invalid, NotAllowed, NotFound
from samordna.store.models import AuditEntry
from tests.calendar.support import add_meeting
from tests.factories import World, national_id
from tests.web_support import text_of

NOW = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
PAGE = "/areas/alfa/arshjul"
MILESTONE = {
    "title": "Ungdata-undersøkelsen",
    "month": 3,
    "day": "",
    "level": "",
    "description": "Skolene gjennomfører",
}


@pytest.fixture
def cal_world(web_world: World) -> World:
    web_world.samordna.clock.source = lambda: NOW
    return web_world


def seed(world: World) -> None:
    add_meeting(world, "coordination", datetime(2027, 2, 9, 9, 0), title="Koordineringsmøte februar")
    add_meeting(world, "steering", datetime(2027, 3, 2, 13, 0), title="Politirådet mars")
    add_meeting(world, "executing", datetime(2027, 4, 14, 12, 0), title="Faggruppe skole")
    add_meeting(world, "all", datetime(2027, 10, 20, 9, 0), title="SLT-samling høst")
    add_meeting(world, "coordination", datetime(2027, 3, 9, 9, 0), title="Avlyst mars", state="cancelled")
    add_meeting(world, "coordination", datetime(2026, 12, 8, 9, 0), title="Forrige år")
    add_meeting(world, "coordination", datetime(2027, 2, 10, 9, 0), area="beta", title="Betamøte")


def test_readable_levels_is_the_one_rule() -> None:
    assert policy.readable_levels("coordinator") == ("steering", "coordination", "executing", "all")
    assert policy.readable_levels("steering") == ("steering", "all")
    assert policy.readable_levels("coordination") == ("coordination", "all")
    assert policy.readable_levels("executing") == ("executing", "all")
    assert policy.readable_levels("viewer") == ("steering", "all")
    assert policy.readable_levels("nobody") == ()


def test_the_page_has_the_wheel_and_the_list(cal_world: World, browser) -> None:
    seed(cal_world)
    cal_world.samordna.calendar.add_milestone(actor=cal_world.actors["coordinator"], slug="alfa", data=MILESTONE)
    r = browser("coordinator").get(f"{PAGE}?year=2027")
    assert r.status_code == 200
    page = r.text
    svg = page[page.index('<svg class="wheel"') : page.index("</svg>", page.index('<svg class="wheel"'))]
    assert 'role="img"' in svg and 'aria-labelledby="wheel-title wheel-desc"' in svg
    assert '<title id="wheel-title">Årshjul 2027 for Alfa kommune</title>' in svg
    assert svg.count('class="wheel__sector') == 12
    assert svg.count("wheel__dot ") == 5 and svg.count("wheel__dot--cancelled") == 1
    assert svg.count('class="wheel__milestone"') == 1
    assert "style=" not in page  # the CSP forbids inline styles
    listing = text_of(page[page.index('id="list-heading"') :])
    for title in ("Koordineringsmøte februar", "Politirådet mars", "Faggruppe skole", "SLT-samling høst"):
        assert title in listing
    assert "09.02. kl. 09:00–11:00" in listing and "(Avlyst)" in listing and "(Planlagt)" in listing
    assert "Forrige år" not in listing and "Betamøte" not in page
    assert "Ungdata-undersøkelsen" in listing
    assert 'aria-current="page">Årshjul</a>' in page
    assert "Abonner fra nettet" in page and "calendar/coordination.ics?key=" in page


@pytest.mark.parametrize(
    ("who", "sees", "hidden"),
    [
        ("steering", {"Politirådet mars", "SLT-samling høst"}, {"Koordineringsmøte februar", "Faggruppe skole"}),
        ("coordination", {"Koordineringsmøte februar", "SLT-samling høst"}, {"Politirådet mars", "Faggruppe skole"}),
        ("executing", {"Faggruppe skole", "SLT-samling høst"}, {"Politirådet mars", "Koordineringsmøte februar"}),
        ("viewer", {"Politirådet mars", "SLT-samling høst"}, {"Koordineringsmøte februar", "Faggruppe skole"}),
    ],
)
def test_a_member_sees_only_the_bodies_they_may_read(cal_world: World, browser, who, sees, hidden) -> None:
    seed(cal_world)
    page = browser(who).get(f"{PAGE}?year=2027").text
    for title in sees:
        assert title in page, (who, title)
    for title in hidden:
        assert title not in page, (who, title)  # neither in the list nor in the wheel's titles
    levels = set(policy.readable_levels(cal_world.actors[who].in_area(cal_world.areas["alfa"]).role))
    feeds = set(re.findall(r"calendar/(\w+)\.ics\?key=", page))
    assert feeds == levels
    assert "Ny milepæl" not in page and "/renew" not in page


def test_year_defaults_to_this_year_and_odd_years_are_ignored(cal_world: World, browser) -> None:
    b = browser("viewer")
    for query in ("", "?year=²", "?year=99999", "?year=-1", "?year=abc"):
        r = b.get(PAGE + query)
        assert r.status_code == 200 and "<h1>Årshjul 2027</h1>" in r.text, query
    assert "<h1>Årshjul 2028</h1>" in b.get(f"{PAGE}?year=2028").text


def test_another_areas_wheel_is_404(cal_world: World, browser) -> None:
    assert browser("beta_coordinator").get(PAGE).status_code == 404
    with pytest.raises(NotFound):
        cal_world.samordna.calendar.wheel(actor=cal_world.actors["beta_coordinator"], slug="alfa")


# ---------------------------------------------------------------- milestones


def audit_kinds(world: World) -> list[str]:
    from sqlalchemy import select

    with world.samordna.db.read() as s:
        return [k for k in s.execute(select(AuditEntry.kind).order_by(AuditEntry.id)).scalars() if "milestone" in k]


def test_milestone_add_edit_remove(cal_world: World, browser) -> None:
    b = browser("coordinator")
    r = b.post(f"{PAGE}/milestones", {**MILESTONE, "day": "15", "level": "coordination"})
    assert r.status_code == 303, text_of(r.text)[:400]
    page = b.get(PAGE).text
    assert "Milepælen «Ungdata-undersøkelsen» er lagt til." in page
    [ms] = cal_world.samordna.calendar.wheel(actor=cal_world.actors["coordinator"], slug="alfa").milestones
    assert (ms.title, ms.month, ms.day, ms.level, ms.description) == (
        "Ungdata-undersøkelsen",
        3,
        15,
        "coordination",
        "Skolene gjennomfører",
    )
    r = b.post(
        f"{PAGE}/milestones/{ms.id}/edit", {**MILESTONE, "title": "Ungdata", "month": "4", "day": "", "level": ""}
    )
    assert r.status_code == 303
    [ms] = cal_world.samordna.calendar.wheel(actor=cal_world.actors["coordinator"], slug="alfa").milestones
    assert (ms.title, ms.month, ms.day, ms.level) == ("Ungdata", 4, None, None)
    r = b.post(f"{PAGE}/milestones/{ms.id}/delete")
    assert r.status_code == 303
    assert "Milepælen «Ungdata» er fjernet." in b.get(PAGE).text
    assert cal_world.samordna.calendar.wheel(actor=cal_world.actors["coordinator"], slug="alfa").milestones == ()
    assert audit_kinds(cal_world) == ["milestone_added", "milestone_changed", "milestone_removed"]


def test_refused_milestone_keeps_what_was_typed(cal_world: World, browser) -> None:
    b = browser("coordinator")
    r = b.post(f"{PAGE}/milestones", {**MILESTONE, "title": "", "month": "13", "description": "Skrevet med omhu"})
    assert r.status_code == 422
    assert "Milepælen ble ikke lagt til" in r.text
    assert "Feltet må fylles ut." in r.text and "Må være mellom 1 og 12." in r.text
    assert "Skrevet med omhu</textarea>" in r.text and 'value="13"' in r.text
    r = b.post(f"{PAGE}/milestones", {**MILESTONE, "month": "2", "day": "30"})
    assert r.status_code == 422 and "Dagen finnes ikke i den måneden: velg en dag fra 1 til 28." in r.text
    r = b.post(f"{PAGE}/milestones", {**MILESTONE, "month": "²"})
    assert r.status_code == 422 and "Må være et heltall." in r.text
    assert audit_kinds(cal_world) == []


def test_the_confidentiality_guard_on_milestone_texts(cal_world: World, browser) -> None:
    b = browser("coordinator")
    number = national_id()
    r = b.post(f"{PAGE}/milestones", {**MILESTONE, "description": f"Gjelder {number}"})
    assert r.status_code == 422
    assert GUARD_MESSAGE["nb"].split(":")[0] in r.text
    assert number not in r.text
    cal = cal_world.samordna.calendar
    with pytest.raises(Invalid) as exc:
        cal.add_milestone(actor=cal_world.actors["coordinator"], slug="alfa", data={**MILESTONE, "title": number})
    assert [e.field for e in exc.value.errors] == ["title"]


def test_refused_edit_opens_its_own_form(cal_world: World, browser) -> None:
    ms = cal_world.samordna.calendar.add_milestone(actor=cal_world.actors["coordinator"], slug="alfa", data=MILESTONE)
    b = browser("coordinator")
    r = b.post(f"{PAGE}/milestones/{ms.id}/edit", {**MILESTONE, "title": "Endret tittel", "day": "32"})
    assert r.status_code == 422
    assert '<details class="inline-edit" open>' in r.text and 'value="Endret tittel"' in r.text


def test_only_the_coordinator_manages_milestones(cal_world: World, browser) -> None:
    cal = cal_world.samordna.calendar
    ms = cal.add_milestone(actor=cal_world.actors["coordinator"], slug="alfa", data=MILESTONE)
    for who in ("steering", "coordination", "executing", "viewer"):
        actor = cal_world.actors[who]
        with pytest.raises(NotAllowed):
            cal.add_milestone(actor=actor, slug="alfa", data=MILESTONE)
        with pytest.raises(NotAllowed):
            cal.edit_milestone(actor=actor, slug="alfa", milestone_id=ms.id, data=MILESTONE)
        with pytest.raises(NotAllowed):
            cal.remove_milestone(actor=actor, slug="alfa", milestone_id=ms.id)
    assert browser("steering").post(f"{PAGE}/milestones/{ms.id}/delete").status_code == 403
    beta = cal_world.actors["beta_coordinator"]
    with pytest.raises(NotFound):
        cal.remove_milestone(actor=beta, slug="alfa", milestone_id=ms.id)
    with pytest.raises(NotFound):  # alfa's milestone under beta's own area
        cal.remove_milestone(actor=beta, slug="beta", milestone_id=ms.id)
    assert len(cal.wheel(actor=cal_world.actors["viewer"], slug="alfa").milestones) == 1
