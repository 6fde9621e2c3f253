"""Who may see and do what — the one place that decides, used by pages, htmx partials and the API.

Every decision starts from the actor's membership in the object's area: no membership means the
object does not exist for them (404, never 403). Within an area the role decides, and for some
triggers the unit (DESIGN.md §1 and §3; the triggers' rules come from the workflow file).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from samordna.domain.actor import Actor, MemberView
from samordna.domain.errors import NotAllowed, NotFound
from samordna.domain.vocabulary import role_list
from samordna.i18n import gettext as _

REGISTER_NEED = ("steering", "coordinator", "coordination", "executing")
EDIT_MEASURE = ("coordinator", "coordination")
MANAGE_GOALS = ("steering", "coordinator")
MANAGE_ORGANISATION = ("coordinator",)
READ_SECURITY_LOG = ("coordinator",)
EXPORT_AREA = ("coordinator",)  # the whole area as one JSON document (DESIGN.md §12), every member named
PLAN_MEETINGS = ("coordinator",)  # the coordinator is secretary for every body (DESIGN.md §11)
# The bodies whose meetings each role may read: its own level's and the SLT-samling («all»); viewers (often
# elected officials being briefed) read the steering group's.
READ_MEETINGS: dict[str, tuple[str, ...]] = {
    "coordinator": ("steering", "coordination", "executing", "all"),
    "steering": ("steering", "all"),
    "coordination": ("coordination", "all"),
    "executing": ("executing", "all"),
    "viewer": ("steering", "all"),
}
# Who gets a body's agenda when it is sent: the members of its level, and the coordinator.
AGENDA_RECIPIENTS: dict[str, tuple[str, ...]] = {
    "steering": ("steering", "coordinator"),
    "coordination": ("coordination", "coordinator"),
    "executing": ("executing", "coordinator"),
    "all": ("steering", "coordinator", "coordination", "executing", "viewer"),
}
ADMINISTER = tuple(dict.fromkeys(MANAGE_GOALS + MANAGE_ORGANISATION))  # who sees «Administrasjon»
MANAGE_CALENDAR = ("coordinator",)  # milestones of the annual wheel, renewing a body's calendar address
# Files on a measure (DESIGN.md §14): coordination on any measure; an executing member on the measures their unit
# is responsible for or takes part in, and on the needs they registered. Files on a meeting: its secretary.
ATTACH_TO_MEASURE = ("coordinator", "coordination")
ATTACH_TO_MEETING = PLAN_MEETINGS
SEE_REACH = ("coordinator",)  # who gets reminders and whose mails failed (DESIGN.md §13)

LEVELS = ("steering", "coordination", "executing", "all")  # the bodies that meet, by level (DESIGN.md §11)


def member_in(actor: Actor, area_id: int, *, what: str = "tiltaket") -> MemberView:
    """The actor's membership in the area, or NotFound: another area's objects do not exist for them."""
    member = actor.in_area(area_id)
    if member is None:
        raise NotFound(f"Fant ikke {what}.")
    return member


def require_role(member: MemberView, roles: tuple[str, ...], doing: str) -> None:
    """NotAllowed naming the roles that may, unless the member has one of them."""
    if member.role not in roles:
        message = _("Bare {roles} kan {doing}.").format(roles=role_list(roles), doing=doing)
        raise NotAllowed(message, allowed_roles=roles)


def may(member: MemberView | None, roles: tuple[str, ...]) -> bool:
    return member is not None and member.role in roles


def permitted_rule(td: Any, member: MemberView, responsible_unit_id: int | None, participating: list[int]) -> Any:
    """The allow rule of transition `td` that lets `member` fire it, or None (role and unit only; the
    rule's `requires` then makes extra fields required for that member)."""
    for rule in td.allow:
        if rule.role != member.role:
            continue
        if rule.unit == "responsible" and (member.unit_id is None or member.unit_id != responsible_unit_id):
            continue
        if rule.unit == "involved" and (
            member.unit_id is None or member.unit_id not in {responsible_unit_id, *participating}
        ):
            continue
        return rule
    return None


def may_edit_measure(member: MemberView, *, actor_id: int, created_by_id: int, in_initial_state: bool) -> bool:
    """Coordination edits any measure; whoever registered a need may edit it until it is triaged."""
    return member.role in EDIT_MEASURE or (created_by_id == actor_id and in_initial_state)


def may_attach_to_measure(
    member: MemberView, *, actor_id: int, created_by_id: int, responsible_unit_id: int | None, participating: list[int]
) -> bool:
    """Whether the member may add a file to the measure (and remove the files they added)."""
    if member.role in ATTACH_TO_MEASURE or created_by_id == actor_id:
        return True
    return (
        member.role == "executing"
        and member.unit_id is not None
        and (member.unit_id == responsible_unit_id or member.unit_id in participating)
    )


def may_remove_attachment(member: MemberView, *, actor_id: int, added_by_id: int, roles: tuple[str, ...]) -> bool:
    """Whoever added a file may remove it, and so may the roles that manage the files of its measure or meeting."""
    return added_by_id == actor_id or member.role in roles


def allowed_triggers(workflow: Any, member: MemberView, row: Mapping[str, Any], participating: list[int]) -> list[str]:
    """The triggers `member` may fire on the measure `row` now: the state's triggers whose rule lets them."""
    out = []
    for trigger in workflow.allowed_triggers(row["state"]):
        td = workflow.transition(row["state"], trigger)
        if td and permitted_rule(td, member, row["responsible_unit_id"], participating):
            out.append(trigger)
    return out


def may_follow_measure(
    member: MemberView | None, *, user_id: int, units: tuple[int, ...] | list[int], registered_by: int
) -> bool:
    """Whether a member hears of a change to a measure of their area on the live streams (DESIGN.md §15): what
    their boards show them. Every member of the area but an executing one; an executing member hears of the
    measures of their unit (responsible or taking part, before or after the change: a card leaving their board
    is news too) and of the needs they registered themselves — never of another unit's measure. `member` is the
    membership in the measure's area (None: another area, nothing at all)."""
    if member is None:
        return False
    if member.role != "executing":
        return True
    return registered_by == user_id or (member.unit_id is not None and member.unit_id in units)


def may_read_meetings_of(member: MemberView | None, level: str) -> bool:
    """Whether the member may read the meetings (and agendas) of the body at `level`."""
    return member is not None and level in READ_MEETINGS.get(member.role, ())


def may_administer(member: MemberView | None) -> bool:
    """Whether the member may use any of the organisation or goal pages."""
    return may(member, ADMINISTER)


def readable_levels(role: str) -> tuple[str, ...]:
    """The body levels whose meetings a member with `role` may read (in LEVELS order; none for an unknown role)."""
    return READ_MEETINGS.get(role, ())
