"""The organisation pages of an area: units, members, goals and the audit log, for its coordinator.

Each public method is one transaction. Access is decided by domain.policy before anything else is
read or written; every change writes its audit entry in the same transaction (never a password or a
national identity number: every free text has passed the confidentiality guard in fields.clean).
All SQL is in organisation.repository; installation administration — areas, users across areas — is
the CLI's (organisation.installation).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from samordna.domain import policy
from samordna.domain.actor import Actor, AreaView, MemberView
from samordna.domain.clock import Clock
from samordna.domain.errors import FieldError, Invalid, NotFound
from samordna.i18n import gettext as _
from samordna.organisation import repository as org
from samordna.organisation.fields import MEMBER_CHANGE_FIELDS, MEMBER_FIELDS, RENAME_FIELDS, UNIT_FIELDS
from samordna.organisation.views import (
    AuditPage,
    GoalView,
    MemberAdded,
    MemberChanged,
    MemberRow,
    MembersPage,
    UnitRow,
    UnitView,
)
from samordna.store.db import Database
from samordna.workflow import FieldDef

# Who may open which page (the header link shows for anyone who may open one of them).
ADMIN_ROLES = policy.ADMINISTER
LOG_PAGE_SIZE = 50
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# One-time passwords: no 0/o, 1/l/i, so they can be read aloud or copied from a screen.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
Tx = Any  # a store session, opened by Database and handed to the repository; the service asks no SQL itself

may_administer = policy.may_administer


# ---------------------------------------------------------------- shared steps


def _area(
    s: Tx, actor: Actor, slug: str, roles: tuple[str, ...], doing: str, *, lock: bool = False
) -> tuple[Any, MemberView]:
    """The area and the actor's membership, or NotFound / NotAllowed: decided before anything else is read."""
    area = org.area_by_slug(s, slug, lock=lock)
    if area is None or actor.in_area(area.id) is None:
        raise NotFound(_("Fant ikke SLT-området."))
    member = policy.member_in(actor, area.id)
    policy.require_role(member, roles, doing)
    return area, member


def _org_area(s: Tx, actor: Actor, slug: str, *, lock: bool = False) -> tuple[Any, MemberView]:
    return _area(s, actor, slug, policy.MANAGE_ORGANISATION, _("administrere enheter og medlemmer"), lock=lock)


def _goal_area(s: Tx, actor: Actor, slug: str) -> tuple[Any, MemberView]:
    return _area(s, actor, slug, policy.MANAGE_GOALS, _("opprette og arkivere mål"))


def _clean(
    s: Tx, area: Any, fields: Iterable[tuple[FieldDef, bool]], data: Mapping[str, Any], today: date
) -> tuple[dict[str, Any], list[FieldError]]:
    return org.clean_values(s, area.id, fields, data, today)


def _audit(s: Tx, area: Any, actor: Actor, kind: str, subject: str, detail: dict[str, Any] | None = None) -> None:
    org.audit(s, area_id=area.id, actor_id=actor.user_id, kind=kind, subject=subject, detail=detail)


def _unit(s: Tx, area: Any, unit_id: int) -> Any:
    unit = org.unit_in(s, area.id, unit_id)
    if unit is None:
        raise NotFound(_("Fant ikke enheten."))
    return unit


def _check_unit_name(s: Tx, area: Any, name: str, errors: list[FieldError], *, except_id: int | None = None) -> None:
    if org.unit_name_taken(s, area.id, name, except_id=except_id):
        errors.append(
            FieldError("name", _("{area} har allerede en enhet som heter «{name}».").format(area=area.name, name=name))
        )


def _membership(s: Tx, area: Any, membership_id: int) -> Any:
    found = org.membership_in(s, area.id, membership_id)
    if found is None:
        raise NotFound(_("Fant ikke medlemmet."))
    return found


def _last_coordinator_error(s: Tx, area: Any, actor: Actor, membership: Any, doing: str) -> str | None:
    """A message when `membership` is the area's last active coordinator; None otherwise.

    An area must keep a coordinator who can manage it: installation administrators work only in the CLI."""
    if membership.role != "coordinator" or not membership.active:
        return None
    if org.other_coordinators(s, membership):
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


def _deactivate_user_if_last(s: Tx, area: Any, actor: Actor, user_id: int) -> bool:
    """After a membership ended: if the user has no active membership left, deactivate them — their
    sessions end and their API tokens stop working at once. Their history (events, reports) stays."""
    user = org.user(s, user_id, lock=True)
    if user is None or org.active_memberships(s, user_id) or not user.active:
        return False
    user.active = False
    tokens = org.revoke_tokens(s, user_id)
    sessions = org.end_sessions(s, user_id)
    _audit(s, area, actor, "user_deactivated", user.email, {"tokens_revoked": tokens, "sessions_ended": sessions})
    return True


class OrganisationService:
    """The organisation of an area (units, members, goals, the audit log), for its coordinator; each
    method one transaction, access decided by the policy before anything is read or written."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def today(self) -> date:
        return self.clock.today()

    # ------------------------------------------------------------ what every member reads

    def areas(self, *, actor: Actor) -> list[AreaView]:
        with self.db.read() as s:
            return org.areas_of(s, actor)

    def units(self, *, actor: Actor, slug: str) -> list[UnitView]:
        with self.db.read() as s:
            return org.units_of(s, org.area_for(s, actor, slug).id)  # type: ignore[arg-type]

    def goals(self, *, actor: Actor, slug: str) -> list[GoalView]:
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
            return org.unit_rows(s, area.id)

    def add_unit(self, *, actor: Actor, slug: str, data: Mapping[str, Any]) -> UnitRow:
        with self.db.write() as s:
            area, _member = _org_area(s, actor, slug, lock=True)
            values, errors = _clean(s, area, UNIT_FIELDS, data, self.today())
            if "name" in values:
                _check_unit_name(s, area, values["name"], errors)
            if errors:
                raise Invalid(errors)
            unit = org.new_unit(s, area_id=area.id, name=values["name"], kind=values["kind"])
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
                org.save(s)
                _audit(s, area, actor, "unit_renamed", new, {"name": [old, new]})
            return org.unit_row(s, unit)

    def set_unit_active(self, *, actor: Actor, slug: str, unit_id: int, active: bool) -> UnitRow:
        """Deactivate (no longer offered in forms; members and measures keep it) or reactivate a unit."""
        with self.db.write() as s:
            area, _member = _org_area(s, actor, slug, lock=True)
            unit = _unit(s, area, unit_id)
            if unit.active != active:
                unit.active = active
                org.save(s)
                _audit(s, area, actor, "unit_reactivated" if active else "unit_deactivated", unit.name)
            return org.unit_row(s, unit)

    def members_page(self, *, actor: Actor, slug: str) -> MembersPage:
        with self.db.read() as s:
            area, _member = _org_area(s, actor, slug)
            return MembersPage(members=org.member_rows(s, area.id), units=org.unit_rows(s, area.id))

    def add_member(self, *, actor: Actor, slug: str, data: Mapping[str, Any]) -> MemberAdded:
        """Add an existing user (by e-mail) or a new one (name and e-mail, with a one-time password)."""
        with self.db.write() as s:
            area, _member = _org_area(s, actor, slug, lock=True)
            values, errors = _clean(s, area, MEMBER_FIELDS, data, self.today())
            email = (values.get("email") or "").lower()
            user = None
            if email and not EMAIL.fullmatch(email):
                errors.append(FieldError("email", _("Skriv en gyldig e-postadresse, for eksempel navn@kommune.no.")))
            elif email and not any(e.field == "email" for e in errors):
                user = org.user_by_email(s, email)
                if user is None and not values.get("name") and not any(e.field == "name" for e in errors):
                    errors.append(
                        FieldError(
                            "name",
                            _("Det finnes ingen bruker med denne e-postadressen. Skriv navnet, så opprettes brukeren."),
                        )
                    )
                if user is not None:
                    existing = org.membership_active(s, area.id, user.id)
                    if existing:
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
                user = org.new_user(s, email=email, name=values["name"], password=password)
            elif not user.active:
                user.active = True
                _audit(s, area, actor, "user_reactivated", user.email)
            membership = org.new_membership(
                s, user_id=user.id, area_id=area.id, role=values["role"], unit_id=values.get("unit_id")
            )
            _audit(
                s,
                area,
                actor,
                "member_added",
                user.email,
                {
                    "role": membership.role,
                    "unit": org.unit_name(s, membership.unit_id),
                    "new_user": password is not None,
                },
            )
            return MemberAdded(member=org.member_row(s, membership), new_user=password is not None, password=password)

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
            user = org.user(s, membership.user_id)
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
                    {"unit": [org.unit_name(s, membership.unit_id), org.unit_name(s, unit_id)]},
                )
                membership.unit_id = unit_id
            org.save(s)
            return org.member_row(s, membership)

    def set_member_active(self, *, actor: Actor, slug: str, membership_id: int, active: bool) -> MemberChanged:
        """Deactivate or reactivate a membership. Deactivating a user's last active membership deactivates
        the user; reactivating a membership reactivates its user (revoked API tokens stay revoked)."""
        with self.db.write() as s:
            area, _member = _org_area(s, actor, slug, lock=True)
            membership = _membership(s, area, membership_id)
            user = org.user(s, membership.user_id)
            email = user.email if user else ""
            if membership.active == active and (not active or (user is not None and user.active)):
                return MemberChanged(org.member_row(s, membership))
            if not active:
                message = _last_coordinator_error(s, area, actor, membership, _("deaktivere"))
                if message:
                    raise Invalid([FieldError("active", message)], message)
                membership.active = False
                org.save(s)
                _audit(
                    s,
                    area,
                    actor,
                    "member_deactivated",
                    email,
                    {"role": membership.role, "unit": org.unit_name(s, membership.unit_id)},
                )
                ended = _deactivate_user_if_last(s, area, actor, membership.user_id)
                return MemberChanged(org.member_row(s, membership), user_deactivated=ended)
            reactivated = False
            if not membership.active:
                membership.active = True
                _audit(s, area, actor, "member_reactivated", email, {"role": membership.role})
            if user is not None and not user.active:
                user.active = True
                reactivated = True
                _audit(s, area, actor, "user_reactivated", email)
            org.save(s)
            return MemberChanged(org.member_row(s, membership), user_reactivated=reactivated)

    def list_goals(self, *, actor: Actor, slug: str) -> list[GoalView]:
        with self.db.read() as s:
            area, _member = _goal_area(s, actor, slug)
            goals = org.goals_of(s, area.id)  # type: ignore[arg-type]
            return sorted(goals, key=lambda g: (not g.active, g.priority, g.id))

    def create_goal(self, *, actor: Actor, slug: str, data: Mapping[str, Any]) -> GoalView:
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

    def set_goal_active(self, *, actor: Actor, slug: str, goal_id: int, active: bool) -> GoalView:
        """Archive (no longer offered for new measures; measures keep it) or bring back a goal."""
        with self.db.write() as s:
            area, _member = _goal_area(s, actor, slug)
            goal = org.goal_in(s, area.id, goal_id)
            if goal is None:
                raise NotFound(_("Fant ikke målet."))
            if goal.active != active:
                goal.active = active
                org.save(s)
                _audit(s, area, actor, "goal_unarchived" if active else "goal_archived", goal.title)
            return org.goal_view(goal)

    def audit_log(self, *, actor: Actor, slug: str, before: int | None = None, limit: int = LOG_PAGE_SIZE) -> AuditPage:
        """The area's audit log, newest first, `limit` entries older than entry `before`."""
        with self.db.read() as s:
            area, _member = _area(s, actor, slug, policy.READ_SECURITY_LOG, _("se loggen over endringer"))
            return org.audit_page(s, area.id, before=before, limit=limit)
