"""Test data: two SLT areas with units, goals, one member per role, tokens; helpers to move measures;
national identity numbers for the confidentiality guard."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from samordna.accounts.repository import create_token, load_actor
from samordna.domain.actor import Actor
from samordna.domain.confidentiality import is_national_id
from samordna.measures.service import MeasureView
from samordna.organisation import repository as org
from samordna.services import Services
from samordna.store.models import Goal, Membership, User

# name in the world -> (area, role, unit)
MEMBERS = {
    "coordinator": ("alfa", "coordinator", None),
    "steering": ("alfa", "steering", None),
    "coordination": ("alfa", "coordination", "Kultur og fritid"),
    "executing": ("alfa", "executing", "Ungdomsskolene"),
    "executing_police": ("alfa", "executing", "Politiet"),
    "viewer": ("alfa", "viewer", None),
    "beta_coordinator": ("beta", "coordinator", None),
}

NEED = {
    "title": "Natteravner i sentrum",
    "need_description": "Uro blant ungdom i sentrum sene helgekvelder.",
    "knowledge_source": "Politiets statistikk",
    "target_group": "Ungdom 14–18 år",
    "arena": "nightlife",
}


@dataclass
class World:
    samordna: Services
    areas: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)  # "alfa:Politiet" -> id
    goals: dict[str, int] = field(default_factory=dict)  # "alfa", "alfa_inactive", "beta"
    actors: dict[str, Actor] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)

    def unit(self, name: str, area: str = "alfa") -> int:
        return self.units[f"{area}:{name}"]

    def today(self) -> date:
        return self.samordna.clock.today()

    def membership_id(self, who: str, area: str = "alfa") -> int:
        """The id of `who`'s membership in `area`."""
        user_id, area_id = self.user_ids[who], self.areas[area]
        with self.samordna.db.read() as s:
            query = select(Membership.id).where(Membership.user_id == user_id, Membership.area_id == area_id)
            return s.execute(query).scalar_one()

    def register(self, who: str = "executing", area: str = "alfa", **overrides: Any) -> MeasureView:
        return self.samordna.measures.register_need(actor=self.actors[who], slug=area, data={**NEED, **overrides})

    def fire(self, who: str, m: MeasureView, trigger: str, **data: Any) -> MeasureView:
        return self.samordna.measures.record_transition(
            actor=self.actors[who],
            measure_id=m.id,
            trigger=trigger,
            version=m.version,
            data=data or valid_data(self, trigger),
        )

    def advance(self, m: MeasureView, to_state: str) -> MeasureView:
        """Take a measure along the main path until it reaches `to_state`."""
        for state, trigger, who in MAIN_PATH:
            if m.state == to_state:
                return m
            assert m.state == state, (m.state, state)
            m = self.fire(who, m, trigger)
        assert m.state == to_state
        return m


MAIN_PATH = [
    ("need_identified", "initiate", "coordination"),
    ("initiated", "assign", "coordination"),
    ("assigned", "start", "executing"),
    ("in_follow_up", "request_evaluation", "executing"),
    ("under_evaluation", "submit_evaluation", "coordination"),
    ("evaluated", "close", "steering"),
]


def valid_data(world: World, trigger: str) -> dict[str, Any]:
    """Data that satisfies every requirement of `trigger` for its usual actor."""
    today = world.today()
    return {
        "initiate": {
            "goal_id": world.goals["alfa"],
            "plan": "Plan for høsten.",
            "success_criteria": "Færre hendelser.",
        },
        "decline": {"reason": "Dekkes av andre tiltak."},
        "assign": {
            "responsible_unit_id": world.unit("Ungdomsskolene"),
            "order_text": "Gjennomfør tiltaket innen fristen.",
            "due_date": (today + timedelta(days=60)).isoformat(),
            "follow_up_days": 14,
        },
        "reassign": {"responsible_unit_id": world.unit("Politiet"), "reason": "Politiet tar over."},
        "start": {},
        "report_status": {"health": "on_track", "note": "Godt oppmøte."},
        "pause": {"reason": "Venter på midler."},
        "resume": {},
        "request_evaluation": {"note": "Perioden er over."},
        "submit_evaluation": {
            "effect": "partly",
            "method": "Spørreundersøkelse.",
            "findings": "Bedre trygghet.",
            "recommendation": "extend",
        },
        "extend": {"decision_note": "Videreføres ett år.", "due_date": (today + timedelta(days=365)).isoformat()},
        "adjust": {"decision_note": "Justeres med ny plan."},
        "close": {"decision_note": "Avsluttes."},
    }[trigger]


def build_world(samordna: Services) -> World:
    world = World(samordna=samordna)
    with samordna.db.write() as s:
        for slug, name in (("alfa", "Alfa kommune"), ("beta", "Beta bydel")):
            area = org.add_area(s, slug=slug, name=name, kind="municipality" if slug == "alfa" else "district")
            world.areas[slug] = area.id
        for slug, unit, kind in (
            ("alfa", "Ungdomsskolene", "municipal"),
            ("alfa", "Politiet", "police"),
            ("alfa", "Kultur og fritid", "municipal"),
            ("beta", "Skolen", "municipal"),
        ):
            area = org.get_area(s, slug)
            world.units[f"{slug}:{unit}"] = org.add_unit(s, area=area, name=unit, kind=kind).id
        for key, (slug, title, active) in {
            "alfa": ("alfa", "Redusere rusbruk blant ungdom", True),
            "alfa_inactive": ("alfa", "Gammelt mål", False),
            "beta": ("beta", "Trygg bydel", True),
        }.items():
            goal = Goal(area_id=world.areas[slug], title=title, period_from=2025, period_to=2028, active=active)
            s.add(goal)
            s.flush()
            world.goals[key] = goal.id
        for who, (slug, role, unit) in MEMBERS.items():
            user = org.add_user(s, email=f"{who}@example.no", name=who.replace("_", " ").title(), password=None)
            org.add_member(s, area=org.get_area(s, slug), user=user, role=role, unit_name=unit)
            world.user_ids[who] = user.id
            world.tokens[who] = create_token(s, user_id=user.id, name="test")
        s.flush()
        for who, user_id in world.user_ids.items():
            user = s.execute(select(User).where(User.id == user_id)).scalar_one()
            world.actors[who] = load_actor(s, user)
    return world


def national_id(born: date = date(1985, 3, 14)) -> str:
    """A valid-looking fødselsnummer (correct check digits) for `born`."""
    stem = born.strftime("%d%m%y")
    for serial in range(100, 1000):
        for tail in range(100):
            candidate = f"{stem}{serial:03d}{tail:02d}"
            if is_national_id(candidate):
                return candidate
    raise AssertionError("no national id found")
