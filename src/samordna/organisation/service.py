"""The organisation pages of an area: units, members, goals and the audit log, for its coordinator.

Each public function is one transaction. Access is decided by services.policy before anything is
read or written; every change writes its AuditEntry in the same transaction (never a password or a
national identity number: every free text has passed the confidentiality guard in validation.clean).
Installation administration — areas, users across areas — stays in the CLI (services.org).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from samordna.accounts.repository import find_user, hash_password
from samordna.domain import policy
from samordna.domain.actor import Actor, MemberView
from samordna.domain.clock import Clock, aware
from samordna.domain.errors import FieldError, Invalid, NotFound
from samordna.domain.vocabulary import ROLE_LABELS, ROLES, UNIT_KINDS
from samordna.fields import Wanted, clean
from samordna.i18n import gettext as _
from samordna.organisation import repository as org
from samordna.store.audit import ATTEMPT, record_audit
from samordna.store.db import Database
from samordna.store.models import ApiToken, Area, AuditEntry, Goal, Membership, Unit, User, WebSession, utcnow
from samordna.workflow import FieldDef, Label

# Who may open which page (the header link shows for anyone who may open one of them).
ADMIN_ROLES = policy.ADMINISTER
LOG_PAGE_SIZE = 50
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# One-time passwords: no 0/o, 1/l/i, so they can be read aloud or copied from a screen.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


# ---------------------------------------------------------------- field definitions (forms and validation)


def _field(name: str, type_: str, nb: str, nn: str, en: str, **kw: Any) -> FieldDef:
    return FieldDef(
        name=name,
        type=type_,
        label=Label(nb=nb, nn=nn, en=en),
        help=kw.get("help"),
        store=None,
        options=kw.get("options", ()),
        option_labels=kw.get("option_labels", {}),
    )


UNIT_KIND_LABELS = {
    "municipal": Label(nb="Kommunal", nn="Kommunal", en="Municipal"),
    "police": Label(nb="Politi", nn="Politi", en="Police"),
    "voluntary": Label(nb="Frivillig", nn="Frivillig", en="Voluntary"),
    "business": Label(nb="Næringsliv", nn="Næringsliv", en="Business"),
    "state": Label(nb="Statlig", nn="Statleg", en="State"),
    "other": Label(nb="Annet", nn="Anna", en="Other"),
}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


ROLE_OPTION_LABELS = {
    role: Label(**{lang: _capital(ROLE_LABELS[role][lang]) for lang in ("nb", "nn", "en")}) for role in ROLES
}

UNIT_NAME = _field("name", "text", "Navn på enheten", "Namn på eininga", "Name of the unit")
UNIT_KIND = _field("kind", "enum", "Type", "Type", "Kind", options=UNIT_KINDS, option_labels=UNIT_KIND_LABELS)
ROLE = _field("role", "enum", "Rolle", "Rolle", "Role", options=ROLES, option_labels=ROLE_OPTION_LABELS)
UNIT = _field(
    "unit_id",
    "unit",
    "Enhet",
    "Eining",
    "Unit",
    help=Label(
        nb="Koordineringsgruppen og utførende nivå hører vanligvis til en enhet.",
        nn="Koordineringsgruppa og utførande nivå høyrer vanlegvis til ei eining.",
        en="Coordination and executing members usually belong to a unit.",
    ),
)

UNIT_FIELDS = ((UNIT_NAME, True), (UNIT_KIND, True))
RENAME_FIELDS = ((UNIT_NAME, True),)
MEMBER_FIELDS = (
    (_field("email", "text", "E-postadresse", "E-postadresse", "E-mail address"), True),
    (
        _field(
            "name",
            "text",
            "Navn",
            "Namn",
            "Name",
            help=Label(
                nb="Bare for nye brukere. En bruker som finnes fra før, beholder navnet sitt.",
                nn="Berre for nye brukarar. Ein brukar som finst frå før, held på namnet sitt.",
                en="Only for new users. An existing user keeps their name.",
            ),
        ),
        False,
    ),
    (ROLE, True),
    (UNIT, False),
)
MEMBER_CHANGE_FIELDS = ((ROLE, True), (UNIT, False))
GOAL_FIELDS = org.GOAL_FIELDS


# ---------------------------------------------------------------- views


@dataclass(frozen=True)
class UnitRow:
    id: int
    name: str
    kind: str
    active: bool
    members: int  # active members of the unit


@dataclass(frozen=True)
class MemberRow:
    id: int  # the membership
    user_id: int
    name: str
    email: str
    role: str
    unit_id: int | None
    unit_name: str | None
    unit_active: bool
    active: bool  # the membership
    user_active: bool


@dataclass(frozen=True)
class MembersPage:
    members: list[MemberRow]
    units: list[UnitRow]


@dataclass(frozen=True)
class MemberAdded:
    member: MemberRow
    new_user: bool
    password: str | None  # a new user's one-time password: shown once, stored only as its hash


@dataclass(frozen=True)
class MemberChanged:
    member: MemberRow
    user_deactivated: bool = False
    user_reactivated: bool = False


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    kind: str
    actor_name: str | None
    subject: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditRow]
    older: int | None  # `before` for the next page, or None at the oldest entry


# ---------------------------------------------------------------- shared steps


may_administer = policy.may_administer


def _area(
    s: Session, actor: Actor, slug: str, roles: tuple[str, ...], doing: str, *, lock: bool = False
) -> tuple[Area, MemberView]:
    """The area and the actor's membership, or NotFound / NotAllowed. `lock` serialises organisation
    changes in one area (PostgreSQL; SQLite's BEGIN IMMEDIATE already does)."""
    query = select(Area).where(Area.slug == slug)
    area = s.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if area is None or actor.in_area(area.id) is None:  # type: ignore[arg-type]
        raise NotFound(_("Fant ikke SLT-området."))
    member = policy.member_in(actor, area.id)  # type: ignore[arg-type]
    policy.require_role(member, roles, doing)
    return area, member


def _org_area(s: Session, actor: Actor, slug: str, *, lock: bool = False) -> tuple[Area, MemberView]:
    return _area(s, actor, slug, policy.MANAGE_ORGANISATION, _("administrere enheter og medlemmer"), lock=lock)


def _goal_area(s: Session, actor: Actor, slug: str) -> tuple[Area, MemberView]:
    return _area(s, actor, slug, policy.MANAGE_GOALS, _("opprette og arkivere mål"))


def _clean(
    s: Session, area: Area, fields: Iterable[tuple[FieldDef, bool]], data: Mapping[str, Any], today: date
) -> tuple[dict[str, Any], list[FieldError]]:
    return clean(session=s, area_id=area.id, wanted=[Wanted(f, r) for f, r in fields], data=data, today=today)  # type: ignore[arg-type]


def _audit(s: Session, area: Area, actor: Actor, kind: str, subject: str, detail: dict[str, Any] | None = None) -> None:
    record_audit(s, kind=kind, area_id=area.id, actor_id=actor.user_id, subject=subject, detail=detail)


# ---------------------------------------------------------------- units


def _unit_rows(s: Session, area_id: int) -> list[UnitRow]:
    counts = dict(
        s.execute(
            select(Membership.unit_id, func.count())
            .join(User, User.id == Membership.user_id)
            .where(Membership.area_id == area_id, Membership.active, User.active, Membership.unit_id.is_not(None))
            .group_by(Membership.unit_id)
        ).all()
    )
    units = s.execute(select(Unit).where(Unit.area_id == area_id)).scalars()
    rows = [UnitRow(u.id, u.name, u.kind, u.active, counts.get(u.id, 0)) for u in units]  # type: ignore[arg-type]
    return sorted(rows, key=lambda u: (not u.active, u.name.casefold()))


def _unit(s: Session, area: Area, unit_id: int) -> Unit:
    unit = s.get(Unit, unit_id)
    if unit is None or unit.area_id != area.id:
        raise NotFound(_("Fant ikke enheten."))
    return unit


def _unit_row(s: Session, unit: Unit) -> UnitRow:
    return next(u for u in _unit_rows(s, unit.area_id) if u.id == unit.id)


def _check_unit_name(
    s: Session, area: Area, name: str, errors: list[FieldError], *, except_id: int | None = None
) -> None:
    query = select(Unit.id).where(Unit.area_id == area.id, func.lower(Unit.name) == name.lower())
    if except_id is not None:
        query = query.where(Unit.id != except_id)
    if s.execute(query).first():
        errors.append(
            FieldError("name", _("{area} har allerede en enhet som heter «{name}».").format(area=area.name, name=name))
        )


# ---------------------------------------------------------------- members


def _member_query(area_id: int) -> Any:
    return (
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


def _member_rows(s: Session, area_id: int, membership_id: int | None = None) -> list[MemberRow]:
    query = _member_query(area_id)
    if membership_id is not None:
        query = query.where(Membership.id == membership_id)
    rows = [MemberRow(*(bool(v) if i in (7, 8, 9) else v for i, v in enumerate(r))) for r in s.execute(query).all()]
    return sorted(rows, key=lambda m: (not (m.active and m.user_active), m.name.casefold(), m.email))


def _membership(s: Session, area: Area, membership_id: int) -> Membership:
    found = s.execute(select(Membership).where(Membership.id == membership_id).with_for_update()).scalar_one_or_none()
    if found is None or found.area_id != area.id:
        raise NotFound(_("Fant ikke medlemmet."))
    return found


def _member_row(s: Session, area: Area, membership: Membership) -> MemberRow:
    return _member_rows(s, area.id, membership.id)[0]  # type: ignore[arg-type]


def _unit_name(s: Session, unit_id: int | None) -> str | None:
    return None if unit_id is None else s.execute(select(Unit.name).where(Unit.id == unit_id)).scalar_one_or_none()


def _last_coordinator_error(s: Session, area: Area, actor: Actor, membership: Membership, doing: str) -> str | None:
    """A message when `membership` is the area's last active coordinator; None otherwise.

    An area must keep a coordinator who can manage it: installation administrators work only in the CLI."""
    if membership.role != "coordinator" or not membership.active:
        return None
    others = s.execute(
        select(func.count())
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.area_id == area.id,
            Membership.role == "coordinator",
            Membership.active,
            User.active,
            Membership.id != membership.id,
        )
    ).scalar_one()
    if others:
        return None
    if membership.user_id == actor.user_id:
        return _(
            "Du er den eneste aktive SLT-koordinatoren i {area}, og kan ikke {doing} ditt eget medlemskap. "
            "Gi først et annet medlem rollen SLT-koordinator."
        ).format(area=area.name, doing=doing)
    return _(
        "Dette er den eneste aktive SLT-koordinatoren i {area}. Gi først et annet medlem rollen SLT-koordinator."
    ).format(area=area.name)


def one_time_password() -> str:
    """Four groups of four readable characters (about 79 bits): xxxx-xxxx-xxxx-xxxx."""
    return "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _i in range(4)) for _j in range(4))


def _new_user(s: Session, *, email: str, name: str, password: str) -> User:
    """Insert the user; if someone added the same e-mail a moment ago (another area), use theirs."""
    user = User(email=email, name=name, password_hash=hash_password(password))
    try:
        with s.begin_nested():
            s.add(user)
            s.flush()
    except IntegrityError:
        found = find_user(s, email)
        if found is None:
            raise
        return found
    return user


def _end_sessions(s: Session, user_id: int) -> int:
    """Delete the user's browser sessions (Litestar stores them as JSON with our `uid`)."""
    keys = []
    for key, data in s.execute(select(WebSession.key, WebSession.data)).all():
        try:
            stored = json.loads(bytes(data))
        except (ValueError, TypeError):
            continue
        if isinstance(stored, dict) and stored.get("uid") == user_id:
            keys.append(key)
    if keys:
        s.execute(delete(WebSession).where(WebSession.key.in_(keys)))
    return len(keys)


def _deactivate_user_if_last(s: Session, area: Area, actor: Actor, user_id: int) -> bool:
    """After a membership ended: if the user has no active membership left, deactivate them — their
    sessions end and their API tokens stop working at once. Their history (events, reports) stays."""
    user = s.execute(select(User).where(User.id == user_id).with_for_update()).scalar_one()
    left = s.execute(
        select(func.count()).select_from(Membership).where(Membership.user_id == user_id, Membership.active)
    ).scalar_one()
    if left or not user.active:
        return False
    user.active = False
    tokens = s.execute(
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.active).values(active=False)
    ).rowcount
    sessions = _end_sessions(s, user_id)
    _audit(s, area, actor, "user_deactivated", user.email, {"tokens_revoked": tokens, "sessions_ended": sessions})
    return True


# ---------------------------------------------------------------- goals


# ---------------------------------------------------------------- the audit log


class OrganisationService:
    """The organisation of an area (units, members, goals, the audit log), for its coordinator; each
    method one transaction, access decided by the policy before anything is read or written."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def today(self) -> date:
        return self.clock.today()

    # ------------------------------------------------------------ what every member reads

    def areas(self, *, actor: Actor) -> list[org.AreaView]:
        with self.db.read() as s:
            return org.areas_of(s, actor)

    def units(self, *, actor: Actor, slug: str) -> list[org.UnitView]:
        with self.db.read() as s:
            return org.units_of(s, org.area_for(s, actor, slug).id)  # type: ignore[arg-type]

    def goals(self, *, actor: Actor, slug: str) -> list[org.GoalView]:
        with self.db.read() as s:
            return org.goals_of(s, org.area_for(s, actor, slug).id)  # type: ignore[arg-type]

    def form_choices(self, *, actor: Actor, slug: str) -> dict[str, list[Any]]:
        """What the area's forms offer: active goals, active units, members (one read)."""
        with self.db.read() as s:
            area_id = org.area_for(s, actor, slug).id
            return {
                "goals": [g for g in org.goals_of(s, area_id) if g.active],  # type: ignore[arg-type]
                "units": [u for u in org.units_of(s, area_id) if u.active],  # type: ignore[arg-type]
                "members": org.members_of(s, area_id),  # type: ignore[arg-type]
            }

    def list_units(self, *, actor: Actor, slug: str) -> list[UnitRow]:
        with self.db.read() as s:
            area, _member = _org_area(s, actor, slug)
            return _unit_rows(s, area.id)  # type: ignore[arg-type]

    def add_unit(self, *, actor: Actor, slug: str, data: Mapping[str, Any]) -> UnitRow:
        with self.db.write() as s:
            area, _member = _org_area(s, actor, slug, lock=True)
            values, errors = _clean(s, area, UNIT_FIELDS, data, self.today())
            if "name" in values:
                _check_unit_name(s, area, values["name"], errors)
            if errors:
                raise Invalid(errors)
            unit = Unit(area_id=area.id, name=values["name"], kind=values["kind"])  # type: ignore[arg-type]
            s.add(unit)
            s.flush()
            _audit(s, area, actor, "unit_added", unit.name, {"kind": unit.kind})
            return UnitRow(unit.id, unit.name, unit.kind, True, 0)  # type: ignore[arg-type]

    def rename_unit(self, *, actor: Actor, slug: str, unit_id: int, data: Mapping[str, Any]) -> UnitRow:
        with self.db.write() as s:
            area, _member = _org_area(s, actor, slug, lock=True)
            unit = _unit(s, area, unit_id)
            values, errors = _clean(s, area, RENAME_FIELDS, data, self.today())
            if "name" in values:
                _check_unit_name(s, area, values["name"], errors, except_id=unit.id)
            if errors:
                raise Invalid(errors)
            old, new = unit.name, values["name"]
            if new != old:
                unit.name = new
                s.flush()
                _audit(s, area, actor, "unit_renamed", new, {"name": [old, new]})
            return _unit_row(s, unit)

    def set_unit_active(self, *, actor: Actor, slug: str, unit_id: int, active: bool) -> UnitRow:
        """Deactivate (no longer offered in forms; members and measures keep it) or reactivate a unit."""
        with self.db.write() as s:
            area, _member = _org_area(s, actor, slug, lock=True)
            unit = _unit(s, area, unit_id)
            if unit.active != active:
                unit.active = active
                s.flush()
                _audit(s, area, actor, "unit_reactivated" if active else "unit_deactivated", unit.name)
            return _unit_row(s, unit)

    def members_page(self, *, actor: Actor, slug: str) -> MembersPage:
        with self.db.read() as s:
            area, _member = _org_area(s, actor, slug)
            return MembersPage(members=_member_rows(s, area.id), units=_unit_rows(s, area.id))  # type: ignore[arg-type]

    def add_member(self, *, actor: Actor, slug: str, data: Mapping[str, Any]) -> MemberAdded:
        """Add an existing user (by e-mail) or a new one (name and e-mail, with a one-time password)."""
        with self.db.write() as s:
            area, _member = _org_area(s, actor, slug, lock=True)
            values, errors = _clean(s, area, MEMBER_FIELDS, data, self.today())
            email = (values.get("email") or "").lower()
            user: User | None = None
            if email and not EMAIL.fullmatch(email):
                errors.append(FieldError("email", _("Skriv en gyldig e-postadresse, for eksempel navn@kommune.no.")))
            elif email and not any(e.field == "email" for e in errors):
                user = find_user(s, email)
                if user is None and not values.get("name") and not any(e.field == "name" for e in errors):
                    errors.append(
                        FieldError(
                            "name",
                            _("Det finnes ingen bruker med denne e-postadressen. Skriv navnet, så opprettes brukeren."),
                        )
                    )
                if user is not None:
                    existing = s.execute(
                        select(Membership.active).where(Membership.user_id == user.id, Membership.area_id == area.id)
                    ).first()
                    if existing is not None and existing[0]:
                        errors.append(
                            FieldError(
                                "email", _("{email} er allerede medlem av {area}.").format(email=email, area=area.name)
                            )
                        )
                    elif existing is not None:
                        errors.append(
                            FieldError(
                                "email",
                                _(
                                    "{email} har et deaktivert medlemskap i {area}. Aktiver det i listen over medlemmer."  # noqa: E501
                                ).format(email=email, area=area.name),
                            )
                        )
            if errors:
                raise Invalid(errors)
            password = None
            if user is None:
                password = one_time_password()
                user = _new_user(s, email=email, name=values["name"], password=password)
            elif not user.active:
                user.active = True
                _audit(s, area, actor, "user_reactivated", user.email)
            membership = Membership(
                user_id=user.id, area_id=area.id, role=values["role"], unit_id=values.get("unit_id")
            )  # type: ignore[arg-type]
            s.add(membership)
            s.flush()
            _audit(
                s,
                area,
                actor,
                "member_added",
                user.email,
                {
                    "role": membership.role,
                    "unit": _unit_name(s, membership.unit_id),
                    "new_user": password is not None,
                },
            )
            return MemberAdded(
                member=_member_row(s, area, membership), new_user=password is not None, password=password
            )

    def change_member(self, *, actor: Actor, slug: str, membership_id: int, data: Mapping[str, Any]) -> MemberRow:
        """Change a member's role and unit. The current unit may be kept even after it was deactivated."""
        with self.db.write() as s:
            area, _member = _org_area(s, actor, slug, lock=True)
            membership = _membership(s, area, membership_id)
            keep_unit = str(data.get("unit_id") or "").strip() == str(membership.unit_id or "")
            fields = MEMBER_CHANGE_FIELDS[:1] if keep_unit else MEMBER_CHANGE_FIELDS
            values, errors = _clean(
                s, area, fields, {k: v for k, v in data.items() if not (keep_unit and k == "unit_id")}, self.today()
            )
            role = values.get("role", membership.role)
            unit_id = membership.unit_id if keep_unit else values.get("unit_id")
            if role != membership.role and role != "coordinator":
                message = _last_coordinator_error(s, area, actor, membership, _("endre rollen på"))
                if message:
                    errors.append(FieldError("role", message))
            if errors:
                raise Invalid(errors)
            user = s.get(User, membership.user_id)
            subject = user.email if user else ""
            if role != membership.role:
                _audit(s, area, actor, "member_role_changed", subject, {"role": [membership.role, role]})
                membership.role = role
            if unit_id != membership.unit_id:
                _audit(
                    s,
                    area,
                    actor,
                    "member_unit_changed",
                    subject,
                    {"unit": [_unit_name(s, membership.unit_id), _unit_name(s, unit_id)]},
                )
                membership.unit_id = unit_id
            s.flush()
            return _member_row(s, area, membership)

    def set_member_active(self, *, actor: Actor, slug: str, membership_id: int, active: bool) -> MemberChanged:
        """Deactivate or reactivate a membership. Deactivating a user's last active membership deactivates
        the user; reactivating a membership reactivates its user (revoked API tokens stay revoked)."""
        with self.db.write() as s:
            area, _member = _org_area(s, actor, slug, lock=True)
            membership = _membership(s, area, membership_id)
            user = s.get(User, membership.user_id)
            email = user.email if user else ""
            if membership.active == active and (not active or (user is not None and user.active)):
                return MemberChanged(_member_row(s, area, membership))
            if not active:
                message = _last_coordinator_error(s, area, actor, membership, _("deaktivere"))
                if message:
                    raise Invalid([FieldError("active", message)], message)
                membership.active = False
                s.flush()
                _audit(
                    s,
                    area,
                    actor,
                    "member_deactivated",
                    email,
                    {"role": membership.role, "unit": _unit_name(s, membership.unit_id)},
                )
                ended = _deactivate_user_if_last(s, area, actor, membership.user_id)
                return MemberChanged(_member_row(s, area, membership), user_deactivated=ended)
            reactivated = False
            if not membership.active:
                membership.active = True
                _audit(s, area, actor, "member_reactivated", email, {"role": membership.role})
            if user is not None and not user.active:
                user.active = True
                reactivated = True
                _audit(s, area, actor, "user_reactivated", email)
            s.flush()
            return MemberChanged(_member_row(s, area, membership), user_reactivated=reactivated)

    def list_goals(self, *, actor: Actor, slug: str) -> list[org.GoalView]:
        with self.db.read() as s:
            area, _member = _goal_area(s, actor, slug)
            goals = org.goals_of(s, area.id)  # type: ignore[arg-type]
            return sorted(goals, key=lambda g: (not g.active, g.priority, g.id))

    def create_goal(self, *, actor: Actor, slug: str, data: Mapping[str, Any]) -> org.GoalView:
        """The one way to create a goal (the goal page and the API): checked, validated and audited."""
        with self.db.write() as s:
            area, _member = _area(s, actor, slug, policy.MANAGE_GOALS, _("opprette mål"))
            goal = org.create_goal(s, actor=actor, area=area, data=data, today=self.today())
            _audit(
                s,
                area,
                actor,
                "goal_created",
                goal.title,
                {"period": [goal.period_from, goal.period_to], "priority": goal.priority},
            )
            return goal

    def set_goal_active(self, *, actor: Actor, slug: str, goal_id: int, active: bool) -> org.GoalView:
        """Archive (no longer offered for new measures; measures keep it) or bring back a goal."""
        with self.db.write() as s:
            area, _member = _goal_area(s, actor, slug)
            goal = s.execute(select(Goal).where(Goal.id == goal_id).with_for_update()).scalar_one_or_none()
            if goal is None or goal.area_id != area.id:
                raise NotFound(_("Fant ikke målet."))
            if goal.active != active:
                goal.active = active
                s.flush()
                _audit(s, area, actor, "goal_unarchived" if active else "goal_archived", goal.title)
            return org.GoalView(
                goal.id,
                goal.title,
                goal.description,
                goal.period_from,
                goal.period_to,  # type: ignore[arg-type]
                goal.priority,
                goal.active,
            )

    def audit_log(self, *, actor: Actor, slug: str, before: int | None = None, limit: int = LOG_PAGE_SIZE) -> AuditPage:
        """The area's audit log, newest first, `limit` entries older than entry `before`."""
        table = AuditEntry.__table__
        with self.db.read() as s:
            area, _member = _area(s, actor, slug, policy.READ_SECURITY_LOG, _("se loggen over endringer"))
            query = (
                select(table.c.id, table.c.at, table.c.kind, User.name, table.c.subject, table.c.detail)
                .outerjoin(User, User.id == table.c.actor_id)
                .where(
                    # The area's own entries, and the log-ins/log-outs (no area) of its members.
                    (table.c.area_id == area.id)
                    | (
                        table.c.area_id.is_(None)
                        & table.c.actor_id.in_(select(Membership.user_id).where(Membership.area_id == area.id))
                    )
                )
                .where(table.c.kind != ATTEMPT)  # a log-in shows as its outcome
                .order_by(table.c.id.desc())
                .limit(limit + 1)
            )
            if before is not None:
                query = query.where(table.c.id < before)
            rows = s.execute(query).all()
        entries = [
            AuditRow(r[0], aware(r[1]) if r[1] else utcnow(), r[2], r[3], r[4], json.loads(r[5] or "{}"))
            for r in rows[:limit]
        ]
        return AuditPage(entries=entries, older=entries[-1].id if len(rows) > limit else None)
