"""Areas, units, users, memberships and goals: the organisation of SLT areas."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlmodel import Session

from samordna.accounts.repository import hash_password
from samordna.domain.actor import Actor, AreaView
from samordna.domain.errors import FieldError, Invalid, NotAllowed, NotFound
from samordna.domain.vocabulary import AREA_KINDS, ROLES, UNIT_KINDS, role_list
from samordna.fields import Wanted, clean
from samordna.i18n import gettext as _
from samordna.store.models import Area, Goal, Membership, Unit, User
from samordna.workflow import FieldDef, Label

GOAL_ROLES = ("steering", "coordinator")


@dataclass(frozen=True)
class UnitView:
    id: int
    name: str
    kind: str
    active: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GoalView:
    id: int
    title: str
    description: str
    period_from: int
    period_to: int
    priority: int
    active: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _f(name: str, type_: str, nb: str, **kw: Any) -> FieldDef:
    return FieldDef(
        name=name,
        type=type_,
        label=Label(nb=nb, nn=nb, en=name),
        help=None,
        store=name,
        options=(),
        option_labels={},
        min=kw.get("min"),
        max=kw.get("max"),
        rule=None,
        of_unit=None,
    )


GOAL_FIELDS = (
    (_f("title", "text", "Tittel"), True),
    (_f("description", "longtext", "Beskrivelse"), False),
    (_f("period_from", "integer", "Fra år", min=2000, max=2100), True),
    (_f("period_to", "integer", "Til år", min=2000, max=2100), True),
    (_f("priority", "integer", "Prioritet", min=1, max=9), False),
)


def area_for(session: Session, actor: Actor, slug: str) -> Area:
    area = session.execute(select(Area).where(Area.slug == slug)).scalar_one_or_none()
    if area is None or actor.in_area(area.id) is None:  # type: ignore[arg-type]
        raise NotFound(_("Fant ikke SLT-området."))
    return area


def areas_of(session: Session, actor: Actor) -> list[AreaView]:
    if not actor.memberships:
        return []
    rows = session.execute(select(Area).where(Area.id.in_(list(actor.memberships))).order_by(Area.name))
    out = []
    for area in rows.scalars():
        m = actor.memberships[area.id]  # type: ignore[index]
        out.append(AreaView(area.id, area.slug, area.name, area.kind, area.language, m.role, m.unit_id))  # type: ignore[arg-type]
    return out


# Asked on every board: only the columns a view shows, as plain rows (no ORM objects to build).
UNITS_OF = (
    select(Unit.id, Unit.name, Unit.kind, Unit.active).where(Unit.area_id == bindparam("area_id")).order_by(Unit.name)
)
GOALS_OF = (
    select(Goal.id, Goal.title, Goal.description, Goal.period_from, Goal.period_to, Goal.priority, Goal.active)
    .where(Goal.area_id == bindparam("area_id"))
    .order_by(Goal.priority, Goal.id)
)


def units_of(session: Session | Connection, area_id: int) -> list[UnitView]:
    return [UnitView(*row) for row in session.execute(UNITS_OF, {"area_id": area_id})]


def goals_of(session: Session | Connection, area_id: int) -> list[GoalView]:
    return [GoalView(*row) for row in session.execute(GOALS_OF, {"area_id": area_id})]


def create_goal(session: Session, *, actor: Actor, area: Area, data: Mapping[str, Any], today) -> GoalView:  # type: ignore[no-untyped-def]
    member = actor.in_area(area.id)  # type: ignore[arg-type]
    if member is None:
        raise NotFound(_("Fant ikke SLT-området."))
    if member.role not in GOAL_ROLES:
        raise NotAllowed(
            _("Bare {roles} kan opprette mål.").format(roles=role_list(GOAL_ROLES)), allowed_roles=GOAL_ROLES
        )
    values, errors = clean(
        session=session,
        area_id=area.id,
        wanted=[Wanted(f, r) for f, r in GOAL_FIELDS],
        data=data,  # type: ignore[arg-type]
        today=today,
    )
    if not errors and values["period_from"] > values["period_to"]:
        errors.append(FieldError("period_to", _("«Til år» kan ikke være før «Fra år».")))
    if errors:
        raise Invalid(errors)
    goal = Goal(
        area_id=area.id,  # type: ignore[arg-type]
        title=values["title"],
        description=values.get("description") or "",
        period_from=values["period_from"],
        period_to=values["period_to"],
        priority=values.get("priority") or 1,
        created_by_id=actor.user_id,
    )
    session.add(goal)
    session.flush()
    return GoalView(goal.id, goal.title, goal.description, goal.period_from, goal.period_to, goal.priority, True)  # type: ignore[arg-type]


# ---------------------------------------------------------------- administration (CLI)


class AdminError(Exception):
    """A refused administrative command; the message is shown as it is."""


def area_code(slug: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """The prefix of the area's measure refs (EKS-2026-014): unique, since refs are unique across areas.

    «eksempelvik» → EKS; «oslo-grorud» → OSL, or OGR (the parts' initials) when OSL is taken, then OSL2…
    """
    letters = re.sub(r"[^a-z]", "", slug.lower())
    parts = [p for p in re.split(r"[^a-z]+", slug.lower()) if p]
    candidates = [(letters[:3] or "SLT").upper()]
    if len(parts) > 1:
        candidates.append((parts[0][0] + parts[-1][:2]).upper())
        candidates.append("".join(p[0] for p in parts)[:4].upper())
    for code in candidates:
        if code not in taken:
            return code
    n = 2
    while f"{candidates[0]}{n}" in taken:
        n += 1
    return f"{candidates[0]}{n}"


def add_area(session: Session, *, slug: str, name: str, kind: str = "municipality", language: str = "nb") -> Area:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", slug):
        raise AdminError("Slug må være små bokstaver, tall og bindestrek (2–63 tegn).")
    if kind not in AREA_KINDS:
        raise AdminError(f"Ukjent type område: {kind} (velg {', '.join(AREA_KINDS)}).")
    if session.execute(select(Area).where(Area.slug == slug)).scalar_one_or_none():
        raise AdminError(f"Området {slug} finnes allerede.")
    taken = set(session.execute(select(Area.code)).scalars())
    area = Area(slug=slug, name=name, kind=kind, language=language, code=area_code(slug, taken))
    session.add(area)
    session.flush()
    return area


def get_area(session: Session, slug: str) -> Area:
    area = session.execute(select(Area).where(Area.slug == slug)).scalar_one_or_none()
    if area is None:
        raise AdminError(f"Fant ikke området {slug}.")
    return area


def add_unit(session: Session, *, area: Area, name: str, kind: str = "municipal") -> Unit:
    if kind not in UNIT_KINDS:
        raise AdminError(f"Ukjent type enhet: {kind} (velg {', '.join(UNIT_KINDS)}).")
    if session.execute(select(Unit).where(Unit.area_id == area.id, Unit.name == name)).scalar_one_or_none():
        raise AdminError(f"Enheten {name} finnes allerede i {area.slug}.")
    unit = Unit(area_id=area.id, name=name, kind=kind)  # type: ignore[arg-type]
    session.add(unit)
    session.flush()
    return unit


def add_user(session: Session, *, email: str, name: str, password: str | None) -> User:
    email = email.strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise AdminError(f"Ugyldig e-postadresse: {email}")
    if session.execute(select(User).where(User.email == email)).scalar_one_or_none():
        raise AdminError(f"Brukeren {email} finnes allerede.")
    user = User(email=email, name=name, password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    return user


def add_member(session: Session, *, area: Area, user: User, role: str, unit_name: str | None) -> Membership:
    if role not in ROLES:
        raise AdminError(f"Ukjent rolle: {role} (velg {', '.join(ROLES)}).")
    unit_id = None
    if unit_name:
        unit = session.execute(select(Unit).where(Unit.area_id == area.id, Unit.name == unit_name)).scalar_one_or_none()
        if unit is None:
            raise AdminError(f"Fant ikke enheten {unit_name} i {area.slug}.")
        unit_id = unit.id
    existing = session.execute(
        select(Membership).where(Membership.user_id == user.id, Membership.area_id == area.id)
    ).scalar_one_or_none()
    if existing:
        existing.role, existing.unit_id, existing.active = role, unit_id, True
        return existing
    membership = Membership(user_id=user.id, area_id=area.id, role=role, unit_id=unit_id)  # type: ignore[arg-type]
    session.add(membership)
    session.flush()
    return membership


@dataclass(frozen=True)
class MemberChoice:
    user_id: int
    name: str
    role: str
    unit_id: int | None


def members_of(session: Session, area_id: int) -> list[MemberChoice]:
    rows = session.execute(
        select(User.id, User.name, Membership.role, Membership.unit_id)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.area_id == area_id, Membership.active, User.active)
        .order_by(User.name)
    ).all()
    return [MemberChoice(*r) for r in rows]
