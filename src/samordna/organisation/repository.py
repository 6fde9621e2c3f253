"""Areas, units, users, memberships and goals: the organisation of SLT areas."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from samordna.accounts.repository import find_user, hash_password
from samordna.domain.actor import Actor, AreaView
from samordna.domain.clock import aware
from samordna.domain.errors import FieldError, Invalid, NotAllowed, NotFound
from samordna.domain.vocabulary import role_list
from samordna.fields import Wanted, clean
from samordna.i18n import gettext as _
from samordna.organisation.fields import GOAL_FIELDS
from samordna.organisation.installation import (  # noqa: F401 (the CLI, the demo and tests call them here)
    AdminError,
    add_area,
    add_member,
    add_unit,
    add_user,
    area_code,
    get_area,
)
from samordna.organisation.views import AuditPage, AuditRow, GoalView, MemberChoice, MemberRow, UnitRow, UnitView
from samordna.store.audit import ATTEMPT, record_audit
from samordna.store.models import ApiToken, Area, AuditEntry, Goal, Membership, Unit, User, WebSession, utcnow
from samordna.workflow import FieldDef

GOAL_ROLES = ("steering", "coordinator")


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


def members_of(session: Session, area_id: int) -> list[MemberChoice]:
    rows = session.execute(
        select(User.id, User.name, Membership.role, Membership.unit_id)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.area_id == area_id, Membership.active, User.active)
        .order_by(User.name)
    ).all()
    return [MemberChoice(*r) for r in rows]


# ---------------------------------------------------------------- the organisation pages (OrganisationService)


def area_by_slug(session: Session, slug: str, *, lock: bool = False) -> Area | None:
    """The area; `lock` serialises organisation changes in one area (PostgreSQL; SQLite's BEGIN IMMEDIATE
    already does)."""
    query = select(Area).where(Area.slug == slug)
    return session.execute(query.with_for_update() if lock else query).scalar_one_or_none()


def clean_values(
    session: Session, area_id: int, fields: Iterable[tuple[FieldDef, bool]], data: Mapping[str, Any], today: date
) -> tuple[dict[str, Any], list[FieldError]]:
    return clean(session=session, area_id=area_id, wanted=[Wanted(f, r) for f, r in fields], data=data, today=today)


def audit(
    session: Session, *, area_id: int, actor_id: int, kind: str, subject: str, detail: dict[str, Any] | None = None
) -> None:
    record_audit(session, kind=kind, area_id=area_id, actor_id=actor_id, subject=subject, detail=detail)


def save(session: Session, *rows: Any) -> None:
    """Add the new rows and write the changes, so that their ids are known."""
    session.add_all(rows)
    session.flush()


def unit_rows(session: Session, area_id: int) -> list[UnitRow]:
    counts = dict(
        session.execute(
            select(Membership.unit_id, func.count())
            .join(User, User.id == Membership.user_id)
            .where(Membership.area_id == area_id, Membership.active, User.active, Membership.unit_id.is_not(None))
            .group_by(Membership.unit_id)
        ).all()
    )
    units = session.execute(select(Unit).where(Unit.area_id == area_id)).scalars()
    rows = [UnitRow(u.id, u.name, u.kind, u.active, counts.get(u.id, 0)) for u in units]  # type: ignore[arg-type]
    return sorted(rows, key=lambda u: (not u.active, u.name.casefold()))


def unit_row(session: Session, unit: Unit) -> UnitRow:
    return next(u for u in unit_rows(session, unit.area_id) if u.id == unit.id)


def unit_in(session: Session, area_id: int, unit_id: int) -> Unit | None:
    unit = session.get(Unit, unit_id)
    return unit if unit is not None and unit.area_id == area_id else None


def unit_name_taken(session: Session, area_id: int, name: str, *, except_id: int | None = None) -> bool:
    query = select(Unit.id).where(Unit.area_id == area_id, func.lower(Unit.name) == name.lower())
    if except_id is not None:
        query = query.where(Unit.id != except_id)
    return session.execute(query).first() is not None


def unit_name(session: Session, unit_id: int | None) -> str | None:
    return (
        None if unit_id is None else session.execute(select(Unit.name).where(Unit.id == unit_id)).scalar_one_or_none()
    )


def member_rows(session: Session, area_id: int, membership_id: int | None = None) -> list[MemberRow]:
    query = (
        select(
            Membership.id,
            User.id,
            User.name,
            User.email,
            Membership.role,
            Membership.unit_id,
            Unit.name,
            func.coalesce(Unit.active, True),
            Membership.active,
            User.active,
        )
        .join(User, User.id == Membership.user_id)
        .outerjoin(Unit, Unit.id == Membership.unit_id)
        .where(Membership.area_id == area_id)
    )
    if membership_id is not None:
        query = query.where(Membership.id == membership_id)
    rows = [MemberRow(*(bool(v) if i in (7, 8, 9) else v for i, v in enumerate(r))) for r in session.execute(query)]
    return sorted(rows, key=lambda m: (not (m.active and m.user_active), m.name.casefold(), m.email))


def member_row(session: Session, membership: Membership) -> MemberRow:
    return member_rows(session, membership.area_id, membership.id)[0]


def membership_in(session: Session, area_id: int, membership_id: int) -> Membership | None:
    """The membership, locked for the change, if it belongs to the area."""
    query = select(Membership).where(Membership.id == membership_id).with_for_update()
    found = session.execute(query).scalar_one_or_none()
    return found if found is not None and found.area_id == area_id else None


def membership_active(session: Session, area_id: int, user_id: int) -> bool | None:
    """Whether the user's membership of the area is active; None without one."""
    row = session.execute(
        select(Membership.active).where(Membership.user_id == user_id, Membership.area_id == area_id)
    ).first()
    return None if row is None else bool(row[0])


def other_coordinators(session: Session, membership: Membership) -> int:
    """The area's other active coordinators (active users) besides `membership`."""
    return session.execute(
        select(func.count())
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.area_id == membership.area_id,
            Membership.role == "coordinator",
            Membership.active,
            User.active,
            Membership.id != membership.id,
        )
    ).scalar_one()


def user(session: Session, user_id: int, *, lock: bool = False) -> User | None:
    query = select(User).where(User.id == user_id)
    return session.execute(query.with_for_update() if lock else query).scalar_one_or_none()


def user_by_email(session: Session, email: str) -> User | None:
    return find_user(session, email)


def new_user(session: Session, *, email: str, name: str, password: str) -> User:
    """Insert the user; if someone added the same e-mail a moment ago (another area), use theirs."""
    user = User(email=email, name=name, password_hash=hash_password(password))
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        found = find_user(session, email)
        if found is None:
            raise
        return found
    return user


def new_membership(session: Session, *, user_id: int, area_id: int, role: str, unit_id: int | None) -> Membership:
    membership = Membership(user_id=user_id, area_id=area_id, role=role, unit_id=unit_id)
    save(session, membership)
    return membership


def new_unit(session: Session, *, area_id: int, name: str, kind: str) -> Unit:
    unit = Unit(area_id=area_id, name=name, kind=kind)
    save(session, unit)
    return unit


def active_memberships(session: Session, user_id: int) -> int:
    return session.execute(
        select(func.count()).select_from(Membership).where(Membership.user_id == user_id, Membership.active)
    ).scalar_one()


def revoke_tokens(session: Session, user_id: int) -> int:
    """Stop the user's API tokens at once; how many were active."""
    query = update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.active).values(active=False)
    return session.execute(query).rowcount


def end_sessions(session: Session, user_id: int) -> int:
    """Delete the user's browser sessions (Litestar stores them as JSON with our `uid`)."""
    keys = []
    for key, data in session.execute(select(WebSession.key, WebSession.data)).all():
        try:
            stored = json.loads(bytes(data))
        except (ValueError, TypeError):
            continue
        if isinstance(stored, dict) and stored.get("uid") == user_id:
            keys.append(key)
    if keys:
        session.execute(delete(WebSession).where(WebSession.key.in_(keys)))
    return len(keys)


def goal_in(session: Session, area_id: int, goal_id: int) -> Goal | None:
    """The goal, locked for the change, if it belongs to the area."""
    goal = session.execute(select(Goal).where(Goal.id == goal_id).with_for_update()).scalar_one_or_none()
    return goal if goal is not None and goal.area_id == area_id else None


def goal_view(goal: Goal) -> GoalView:
    return GoalView(
        goal.id,  # type: ignore[arg-type]
        goal.title,
        goal.description,
        goal.period_from,
        goal.period_to,
        goal.priority,
        goal.active,
    )


def audit_page(session: Session, area_id: int, *, before: int | None, limit: int) -> AuditPage:
    """The area's audit log, newest first, `limit` entries older than entry `before`."""
    table = AuditEntry.__table__
    query = (
        select(table.c.id, table.c.at, table.c.kind, User.name, table.c.subject, table.c.detail)
        .outerjoin(User, User.id == table.c.actor_id)
        .where(
            # The area's own entries, and the log-ins/log-outs (no area) of its members.
            (table.c.area_id == area_id)
            | (
                table.c.area_id.is_(None)
                & table.c.actor_id.in_(select(Membership.user_id).where(Membership.area_id == area_id))
            )
        )
        .where(table.c.kind != ATTEMPT)  # a log-in shows as its outcome
        .order_by(table.c.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(table.c.id < before)
    rows = session.execute(query).all()
    entries = [
        AuditRow(r[0], aware(r[1]) if r[1] else utcnow(), r[2], r[3], r[4], json.loads(r[5] or "{}"))
        for r in rows[:limit]
    ]
    return AuditPage(entries=entries, older=entries[-1].id if len(rows) > limit else None)
