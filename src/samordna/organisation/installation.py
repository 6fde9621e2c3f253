"""Installation administration from the CLI (and the demo): areas, units, users and memberships across areas,
checked and refused with AdminError. The pages of an area go through OrganisationService instead."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlmodel import Session

from samordna.accounts.repository import hash_password
from samordna.domain.vocabulary import AREA_KINDS, ROLES, UNIT_KINDS
from samordna.store.models import Area, Body, Membership, Unit, User

# The bodies every area gets (as migration 0006 gave the areas that existed then); the coordinator renames them.
DEFAULT_BODIES = (
    ("steering", "Styringsgruppe (politiråd)"),
    ("coordination", "Koordineringsgruppe"),
    ("executing", "Faggruppe"),
    ("all", "SLT-samling"),
)


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
    session.add_all(
        Body(area_id=area.id, level=level, name=name, feed_key=secrets.token_urlsafe(24))  # type: ignore[arg-type]
        for level, name in DEFAULT_BODIES
    )
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
