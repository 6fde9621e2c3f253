"""The organisation services (services.admin): units, members, goals and the audit log of an area —
each change with its audit entry, the refusals (422 fields, 403 roles, 404 other areas), and what
deactivating a user's last membership ends at once (sessions, API tokens)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import insert, select

from samordna.accounts.repository import load_actor, verify_password
from samordna.domain.confidentiality import GUARD_MESSAGE
from samordna.domain.errors import Invalid, NotAllowed, NotAuthenticated, NotFound
from samordna.organisation import service as admin
from samordna.organisation.service import OrganisationService as Org
from samordna.store.models import ApiToken, AuditEntry, Event, User, WebSession
from tests.factories import World, national_id


def audit(world: World, kind: str | None = None) -> list[dict[str, Any]]:
    """The audit entries (oldest first), optionally of one kind, with their detail decoded."""
    table = AuditEntry.__table__
    with world.samordna.db.read() as s:
        query = select(table).order_by(table.c.id)
        if kind:
            query = query.where(table.c.kind == kind)
        return [{**r, "detail": json.loads(r["detail"])} for r in s.execute(query).mappings()]


def errors_of(exc: pytest.ExceptionInfo[Invalid]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


def user(world: World, who: str) -> User:
    with world.samordna.db.read() as s:
        return s.execute(select(User).where(User.id == world.user_ids[who])).scalar_one()


def refresh(world: World, who: str) -> None:
    """Reload an actor's memberships after a change (a real request loads them anew)."""
    with world.samordna.db.read() as s:
        world.actors[who] = load_actor(s, s.get(User, world.user_ids[who]))


def call(world: World, fn: Any, who: str = "coordinator", slug: str = "alfa", **kw: Any) -> Any:
    return fn(world.samordna.organisation, actor=world.actors[who], slug=slug, **kw)


# ---------------------------------------------------------------- units


def test_add_unit_lists_it_and_audits_it(world: World) -> None:
    row = call(world, Org.add_unit, data={"name": "  Barnevernet ", "kind": "municipal"})
    assert (row.name, row.kind, row.active, row.members) == ("Barnevernet", "municipal", True, 0)
    names = [u.name for u in call(world, Org.list_units)]
    assert "Barnevernet" in names and "Skolen" not in names  # beta's unit is not alfa's
    [entry] = audit(world, "unit_added")
    assert entry["area_id"] == world.areas["alfa"]
    assert entry["actor_id"] == world.user_ids["coordinator"]
    assert entry["subject"] == "Barnevernet"
    assert entry["detail"] == {"kind": "municipal"}


def test_unit_counts_active_members(world: World) -> None:
    units = {u.name: u for u in call(world, Org.list_units)}
    assert units["Ungdomsskolene"].members == 1
    assert units["Politiet"].members == 1


@pytest.mark.parametrize("name", ["Politiet", "politiet", " POLITIET "])
def test_unit_names_are_unique_per_area_whatever_the_case(world: World, name: str) -> None:
    with pytest.raises(Invalid) as exc:
        call(world, Org.add_unit, data={"name": name, "kind": "police"})
    assert exc.value.status == 422
    assert "allerede en enhet" in errors_of(exc)["name"]
    assert audit(world) == []


def test_the_same_unit_name_may_exist_in_another_area(world: World) -> None:
    row = call(world, Org.add_unit, who="beta_coordinator", slug="beta", data={"name": "Politiet", "kind": "police"})
    assert row.name == "Politiet"


def test_add_unit_validates_every_field_and_guards_national_ids(world: World) -> None:
    number = national_id()
    with pytest.raises(Invalid) as exc:
        call(world, Org.add_unit, data={"name": f"Enhet for {number}", "kind": "castle"})
    errors = errors_of(exc)
    assert errors["name"] == GUARD_MESSAGE["nb"]
    assert "Ugyldig valg" in errors["kind"]
    with pytest.raises(Invalid) as exc:
        call(world, Org.add_unit, data={"name": "", "kind": "police"})
    assert errors_of(exc) == {"name": "Feltet må fylles ut."}
    with pytest.raises(Invalid) as exc:
        call(world, Org.add_unit, data={"name": "x" * 201, "kind": "police"})
    assert "for lang" in errors_of(exc)["name"]
    assert audit(world) == []


def test_rename_unit_audits_old_and_new_name(world: World) -> None:
    unit_id = world.unit("Politiet")
    row = call(world, Org.rename_unit, unit_id=unit_id, data={"name": "Politiet Vest"})
    assert row.name == "Politiet Vest"
    [entry] = audit(world, "unit_renamed")
    assert entry["subject"] == "Politiet Vest"
    assert entry["detail"] == {"name": ["Politiet", "Politiet Vest"]}
    # The same name again changes nothing and writes nothing.
    call(world, Org.rename_unit, unit_id=unit_id, data={"name": "Politiet Vest"})
    assert len(audit(world, "unit_renamed")) == 1


def test_rename_unit_refuses_another_units_name_but_allows_a_new_case(world: World) -> None:
    with pytest.raises(Invalid) as exc:
        call(world, Org.rename_unit, unit_id=world.unit("Politiet"), data={"name": "ungdomsskolene"})
    assert "allerede en enhet" in errors_of(exc)["name"]
    row = call(world, Org.rename_unit, unit_id=world.unit("Politiet"), data={"name": "POLITIET"})
    assert row.name == "POLITIET"


def test_deactivate_and_reactivate_unit(world: World) -> None:
    unit_id = world.unit("Politiet")
    row = call(world, Org.set_unit_active, unit_id=unit_id, active=False)
    assert row.active is False
    offered = world.samordna.organisation.form_choices(actor=world.actors["coordinator"], slug="alfa")["units"]
    assert unit_id not in [u.id for u in offered]
    call(world, Org.set_unit_active, unit_id=unit_id, active=False)  # again: nothing changes
    assert [e["subject"] for e in audit(world, "unit_deactivated")] == ["Politiet"]
    assert call(world, Org.set_unit_active, unit_id=unit_id, active=True).active is True
    assert [e["subject"] for e in audit(world, "unit_reactivated")] == ["Politiet"]


# ---------------------------------------------------------------- who may


ORG_CALLS = [
    (Org.list_units, {}),
    (Org.add_unit, {"data": {"name": "Ny", "kind": "other"}}),
    (Org.rename_unit, {"unit_id": 0, "data": {"name": "Ny"}}),
    (Org.set_unit_active, {"unit_id": 0, "active": False}),
    (Org.members_page, {}),
    (Org.add_member, {"data": {"email": "ny@example.no", "name": "Ny", "role": "viewer"}}),
    (Org.change_member, {"membership_id": 0, "data": {"role": "viewer"}}),
    (Org.set_member_active, {"membership_id": 0, "active": False}),
    (Org.audit_log, {}),
]


@pytest.mark.parametrize("who", ["steering", "coordination", "executing", "viewer"])
@pytest.mark.parametrize("fn,kw", ORG_CALLS, ids=[fn.__name__ for fn, _ in ORG_CALLS])
def test_only_the_coordinator_manages_the_organisation(world: World, who: str, fn: Any, kw: dict) -> None:
    kw = {
        k: (world.unit("Politiet") if k == "unit_id" else world.membership_id("viewer") if k == "membership_id" else v)
        for k, v in kw.items()
    }
    with pytest.raises(NotAllowed) as exc:
        call(world, fn, who=who, **kw)
    assert exc.value.status == 403
    assert exc.value.message.startswith("Bare SLT-koordinator kan ")
    assert exc.value.allowed_roles == ("coordinator",)
    assert audit(world) == []


GOAL_CALLS = [
    (Org.list_goals, {}),
    (Org.create_goal, {"data": {"title": "Mål", "period_from": 2026, "period_to": 2027}}),
    (Org.set_goal_active, {"goal_id": 0, "active": False}),
]


@pytest.mark.parametrize("who", ["coordination", "executing", "viewer"])
@pytest.mark.parametrize("fn,kw", GOAL_CALLS, ids=[fn.__name__ for fn, _ in GOAL_CALLS])
def test_only_steering_and_the_coordinator_manage_goals(world: World, who: str, fn: Any, kw: dict) -> None:
    kw = {k: (world.goals["alfa"] if k == "goal_id" else v) for k, v in kw.items()}
    with pytest.raises(NotAllowed) as exc:
        call(world, fn, who=who, **kw)
    doing = "opprette mål" if fn.__name__ == "create_goal" else "opprette og arkivere mål"
    assert exc.value.message == f"Bare styringsgruppen og SLT-koordinator kan {doing}."
    assert audit(world) == []


@pytest.mark.parametrize("fn,kw", ORG_CALLS + GOAL_CALLS, ids=[fn.__name__ for fn, _ in ORG_CALLS + GOAL_CALLS])
def test_another_area_does_not_exist(world: World, fn: Any, kw: dict) -> None:
    kw = {k: (1 if k in ("unit_id", "membership_id", "goal_id") else v) for k, v in kw.items()}
    with pytest.raises(NotFound):
        call(world, fn, who="beta_coordinator", slug="alfa", **kw)
    with pytest.raises(NotFound):
        call(world, fn, slug="no-such-area", **kw)


def test_objects_of_another_area_are_not_found_through_ones_own(world: World) -> None:
    beta_unit = world.unit("Skolen", "beta")
    beta_member = world.membership_id("beta_coordinator", "beta")
    with pytest.raises(NotFound):
        call(world, Org.rename_unit, unit_id=beta_unit, data={"name": "Overtatt"})
    with pytest.raises(NotFound):
        call(world, Org.set_unit_active, unit_id=beta_unit, active=False)
    with pytest.raises(NotFound):
        call(world, Org.change_member, membership_id=beta_member, data={"role": "viewer"})
    with pytest.raises(NotFound):
        call(world, Org.set_member_active, membership_id=beta_member, active=False)
    with pytest.raises(NotFound):
        call(world, Org.set_goal_active, goal_id=world.goals["beta"], active=False)
    assert audit(world) == []


def test_may_administer(world: World) -> None:
    area = world.areas["alfa"]
    assert {
        who
        for who in ("coordinator", "steering", "coordination", "executing", "viewer")
        if admin.may_administer(world.actors[who].in_area(area))
    } == {"coordinator", "steering"}
    assert not admin.may_administer(None)


# ---------------------------------------------------------------- members


def test_members_page_lists_everyone_with_role_unit_and_state(world: World) -> None:
    view = call(world, Org.members_page)
    by_email = {m.email: m for m in view.members}
    assert "beta_coordinator@example.no" not in by_email
    executing = by_email["executing@example.no"]
    assert (executing.role, executing.unit_name, executing.active, executing.user_active) == (
        "executing",
        "Ungdomsskolene",
        True,
        True,
    )
    assert by_email["viewer@example.no"].unit_id is None
    assert {u.name for u in view.units} == {"Ungdomsskolene", "Politiet", "Kultur og fritid"}


def test_add_a_new_user_gives_a_one_time_password_never_logged(world: World) -> None:
    added = call(
        world,
        Org.add_member,
        data={
            "email": " Ny.Person@Example.NO ",
            "name": "Ny Person",
            "role": "executing",
            "unit_id": world.unit("Politiet"),
        },
    )
    assert added.new_user and added.password
    assert (added.member.email, added.member.name, added.member.role, added.member.unit_name) == (
        "ny.person@example.no",
        "Ny Person",
        "executing",
        "Politiet",
    )
    stored = world.samordna.accounts.log_in("ny.person@example.no", added.password, ip="127.0.0.1")
    assert stored is not None and stored.actor.in_area(world.areas["alfa"]).role == "executing"
    [entry] = audit(world, "member_added")
    assert entry["subject"] == "ny.person@example.no"
    assert entry["detail"] == {"role": "executing", "unit": "Politiet", "new_user": True}
    with world.samordna.db.read() as s:
        row = s.execute(select(User).where(User.email == "ny.person@example.no")).scalar_one()
        assert row.password_hash != added.password and verify_password(row.password_hash, added.password)
        logged = json.dumps([{**r} for r in s.execute(select(AuditEntry.__table__)).mappings()], default=str)
    assert added.password not in logged


def test_one_time_passwords_differ_and_are_readable() -> None:
    passwords = {admin.one_time_password() for _ in range(50)}
    assert len(passwords) == 50
    for p in passwords:
        assert len(p) == 19 and p.count("-") == 3
        assert not set(p.replace("-", "")) & set("01ilo")


def test_add_an_existing_user_from_another_area(world: World) -> None:
    added = call(world, Org.add_member, data={"email": "BETA_COORDINATOR@example.no", "name": "", "role": "viewer"})
    assert not added.new_user and added.password is None
    assert added.member.name == "Beta Coordinator"  # keeps their name
    refresh(world, "beta_coordinator")
    assert world.actors["beta_coordinator"].in_area(world.areas["alfa"]).role == "viewer"
    [entry] = audit(world, "member_added")
    assert entry["detail"] == {"role": "viewer", "unit": None, "new_user": False}


def test_add_member_refusals(world: World) -> None:
    number = national_id()
    cases = [
        ({"email": "not-an-address", "name": "X", "role": "viewer"}, "email", "gyldig e-postadresse"),
        ({"email": "nobody@example.no", "name": "", "role": "viewer"}, "name", "Skriv navnet"),
        ({"email": "nobody@example.no", "name": "X", "role": "admin"}, "role", "Ugyldig valg"),
        (
            {"email": "nobody@example.no", "name": "X", "role": "viewer", "unit_id": world.unit("Skolen", "beta")},
            "unit_id",
            "aktiv enhet i dette SLT-området",
        ),
        ({"email": "viewer@example.no", "name": "", "role": "viewer"}, "email", "allerede medlem"),
        ({"email": "nobody@example.no", "name": f"Person {number}", "role": "viewer"}, "name", GUARD_MESSAGE["nb"]),
        ({"email": "", "name": "X", "role": ""}, "email", "Feltet må fylles ut."),
    ]
    for data, field, words in cases:
        with pytest.raises(Invalid) as exc:
            call(world, Org.add_member, data=data)
        assert words in errors_of(exc).get(field, ""), (data, errors_of(exc))
    with world.samordna.db.read() as s:
        assert s.execute(select(User).where(User.email == "nobody@example.no")).first() is None
    assert audit(world) == []


def test_add_member_refuses_an_inactive_membership_and_points_to_reactivation(world: World) -> None:
    call(world, Org.set_member_active, membership_id=world.membership_id("viewer"), active=False)
    with pytest.raises(Invalid) as exc:
        call(world, Org.add_member, data={"email": "viewer@example.no", "role": "viewer"})
    assert "deaktivert medlemskap" in errors_of(exc)["email"]


def test_change_role_and_unit_audits_each(world: World) -> None:
    mid = world.membership_id("executing")
    row = call(
        world,
        Org.change_member,
        membership_id=mid,
        data={"role": "coordination", "unit_id": world.unit("Politiet")},
    )
    assert (row.role, row.unit_name) == ("coordination", "Politiet")
    [role] = audit(world, "member_role_changed")
    assert role["subject"] == "executing@example.no"
    assert role["detail"] == {"role": ["executing", "coordination"]}
    [unit] = audit(world, "member_unit_changed")
    assert unit["detail"] == {"unit": ["Ungdomsskolene", "Politiet"]}
    call(world, Org.change_member, membership_id=mid, data={"role": "coordination", "unit_id": ""})
    assert audit(world, "member_unit_changed")[-1]["detail"] == {"unit": ["Politiet", None]}
    assert len(audit(world, "member_role_changed")) == 1


def test_change_member_refusals(world: World) -> None:
    mid = world.membership_id("executing")
    with pytest.raises(Invalid) as exc:
        call(world, Org.change_member, membership_id=mid, data={"role": "boss", "unit_id": ""})
    assert "Ugyldig valg" in errors_of(exc)["role"]
    with pytest.raises(Invalid) as exc:
        call(
            world,
            Org.change_member,
            membership_id=mid,
            data={"role": "executing", "unit_id": world.unit("Skolen", "beta")},
        )
    assert "unit_id" in errors_of(exc)
    assert audit(world) == []


def test_a_member_keeps_a_deactivated_unit_until_it_is_changed(world: World) -> None:
    call(world, Org.set_unit_active, unit_id=world.unit("Ungdomsskolene"), active=False)
    mid = world.membership_id("executing")
    row = call(
        world,
        Org.change_member,
        membership_id=mid,
        data={"role": "coordination", "unit_id": world.unit("Ungdomsskolene")},
    )
    assert (row.role, row.unit_name, row.unit_active) == ("coordination", "Ungdomsskolene", False)
    call(world, Org.set_unit_active, unit_id=world.unit("Politiet"), active=False)
    with pytest.raises(Invalid):  # but cannot be moved into another deactivated unit
        call(
            world,
            Org.change_member,
            membership_id=mid,
            data={"role": "coordination", "unit_id": world.unit("Politiet")},
        )


def test_the_last_coordinator_cannot_leave_or_step_down(world: World) -> None:
    own = world.membership_id("coordinator")
    with pytest.raises(Invalid) as exc:
        call(world, Org.set_member_active, membership_id=own, active=False)
    assert exc.value.status == 422
    assert "eneste aktive SLT-koordinatoren i Alfa kommune" in exc.value.message
    with pytest.raises(Invalid) as exc:
        call(world, Org.change_member, membership_id=own, data={"role": "steering", "unit_id": ""})
    assert "eneste aktive SLT-koordinatoren" in errors_of(exc)["role"]
    assert user(world, "coordinator").active
    assert audit(world) == []


def test_with_a_second_coordinator_the_first_may_step_down(world: World) -> None:
    call(
        world,
        Org.change_member,
        membership_id=world.membership_id("steering"),
        data={"role": "coordinator", "unit_id": ""},
    )
    row = call(
        world,
        Org.change_member,
        membership_id=world.membership_id("coordinator"),
        data={"role": "steering", "unit_id": ""},
    )
    assert row.role == "steering"
    refresh(world, "steering")
    # The new coordinator is now the last one: their own membership is protected in turn.
    with pytest.raises(Invalid):
        call(world, Org.set_member_active, who="steering", membership_id=world.membership_id("steering"), active=False)


def add_session(world: World, key: str, data: dict[str, Any]) -> None:
    with world.samordna.db.write() as s:
        s.execute(insert(WebSession.__table__).values(key=key, data=json.dumps(data).encode(), expires_at=None))


def session_keys(world: World) -> set[str]:
    with world.samordna.db.read() as s:
        return set(s.execute(select(WebSession.key)).scalars())


def test_deactivating_the_last_membership_deactivates_the_user_at_once(world: World) -> None:
    m = world.register("executing")  # history that must survive
    uid = world.user_ids["executing"]
    add_session(world, "s-executing", {"uid": uid, "lang": "nb"})
    add_session(world, "s-viewer", {"uid": world.user_ids["viewer"]})
    add_session(world, "s-garbage", {"x": 1})
    assert world.samordna.accounts.actor_for_token(token=world.tokens["executing"]).user_id == uid

    changed = call(world, Org.set_member_active, membership_id=world.membership_id("executing"), active=False)
    assert changed.user_deactivated and not changed.member.active

    assert user(world, "executing").active is False
    assert world.samordna.accounts.actor_for_user(user_id=uid) is None  # page_for() turns every request away
    with pytest.raises(NotAuthenticated):
        world.samordna.accounts.actor_for_token(token=world.tokens["executing"])
    with world.samordna.db.read() as s:
        assert not any(s.execute(select(ApiToken.active).where(ApiToken.user_id == uid)).scalars())
        assert s.execute(select(Event.actor_id).where(Event.measure_id == m.id)).scalars().all() == [uid]
    assert session_keys(world) == {"s-viewer", "s-garbage"}
    [member] = audit(world, "member_deactivated")
    assert member["subject"] == "executing@example.no"
    assert member["detail"] == {"role": "executing", "unit": "Ungdomsskolene"}
    [gone] = audit(world, "user_deactivated")
    assert gone["detail"] == {"tokens_revoked": 1, "sessions_ended": 1}
    # The measure page still names who registered it.
    assert (
        world.samordna.measures.events(actor=world.actors["coordinator"], measure_id=m.id)[0].actor["name"]
        == "Executing"
    )


def test_a_user_with_another_membership_stays_active(world: World) -> None:
    call(
        world,
        Org.add_member,
        who="beta_coordinator",
        slug="beta",
        data={"email": "executing@example.no", "role": "viewer"},
    )
    changed = call(world, Org.set_member_active, membership_id=world.membership_id("executing"), active=False)
    assert not changed.user_deactivated
    assert user(world, "executing").active
    assert world.samordna.accounts.actor_for_token(token=world.tokens["executing"]).in_area(world.areas["alfa"]) is None
    assert audit(world, "user_deactivated") == []


def test_reactivating_brings_the_user_back_but_not_their_tokens(world: World) -> None:
    mid = world.membership_id("viewer")
    call(world, Org.set_member_active, membership_id=mid, active=False)
    changed = call(world, Org.set_member_active, membership_id=mid, active=True)
    assert changed.user_reactivated and changed.member.active and changed.member.user_active
    assert user(world, "viewer").active
    with pytest.raises(NotAuthenticated):
        world.samordna.accounts.actor_for_token(token=world.tokens["viewer"])
    assert [e["kind"] for e in audit(world)] == [
        "member_deactivated",
        "user_deactivated",
        "member_reactivated",
        "user_reactivated",
    ]
    call(world, Org.set_member_active, membership_id=mid, active=True)  # again: nothing changes
    assert len(audit(world)) == 4


def test_adding_a_deactivated_user_elsewhere_reactivates_them(world: World) -> None:
    call(world, Org.set_member_active, membership_id=world.membership_id("viewer"), active=False)
    added = call(
        world,
        Org.add_member,
        who="beta_coordinator",
        slug="beta",
        data={"email": "viewer@example.no", "role": "viewer"},
    )
    assert added.member.user_active and added.password is None
    assert [e["kind"] for e in audit(world) if e["area_id"] == world.areas["beta"]] == [
        "user_reactivated",
        "member_added",
    ]


# ---------------------------------------------------------------- goals


@pytest.mark.parametrize("who", ["steering", "coordinator"])
def test_create_goal_audits_it(world: World, who: str) -> None:
    goal = call(
        world,
        Org.create_goal,
        who=who,
        data={
            "title": "Trygge skoleveier",
            "description": "Færre hendelser.",
            "period_from": 2026,
            "period_to": 2029,
            "priority": 2,
        },
    )
    assert (goal.title, goal.period_from, goal.period_to, goal.priority, goal.active) == (
        "Trygge skoleveier",
        2026,
        2029,
        2,
        True,
    )
    assert goal.id in [g.id for g in call(world, Org.list_goals, who=who)]
    [entry] = audit(world, "goal_created")
    assert entry["actor_id"] == world.user_ids[who]
    assert entry["subject"] == "Trygge skoleveier"
    assert entry["detail"] == {"period": [2026, 2029], "priority": 2}


def test_goals_through_the_api_service_are_audited_too(world: World) -> None:
    world.samordna.organisation.create_goal(
        actor=world.actors["steering"], slug="alfa", data={"title": "Via API", "period_from": 2026, "period_to": 2027}
    )
    assert [e["subject"] for e in audit(world, "goal_created")] == ["Via API"]


def test_create_goal_refusals(world: World) -> None:
    number = national_id()
    with pytest.raises(Invalid) as exc:
        call(world, Org.create_goal, data={"title": f"Mål for {number}", "period_from": 2027, "period_to": 2026})
    assert errors_of(exc)["title"] == GUARD_MESSAGE["nb"]
    with pytest.raises(Invalid) as exc:
        call(world, Org.create_goal, data={"title": "Mål", "period_from": 2027, "period_to": 2026})
    assert "før «Fra år»" in errors_of(exc)["period_to"]
    assert audit(world) == []


def test_archive_and_unarchive_goal(world: World) -> None:
    gid = world.goals["alfa"]
    assert call(world, Org.set_goal_active, goal_id=gid, active=False).active is False
    assert gid not in [
        g.id for g in world.samordna.organisation.form_choices(actor=world.actors["coordinator"], slug="alfa")["goals"]
    ]
    call(world, Org.set_goal_active, goal_id=gid, active=False)  # again: nothing changes
    assert call(world, Org.set_goal_active, who="steering", goal_id=gid, active=True).active is True
    assert [(e["kind"], e["subject"]) for e in audit(world)] == [
        ("goal_archived", "Redusere rusbruk blant ungdom"),
        ("goal_unarchived", "Redusere rusbruk blant ungdom"),
    ]
    goals = call(world, Org.list_goals)
    assert [g.active for g in goals] == sorted([g.active for g in goals], reverse=True)  # archived last


# ---------------------------------------------------------------- the log


def test_audit_log_newest_first_with_names_and_pages(world: World) -> None:
    for i in range(5):
        call(world, Org.add_unit, data={"name": f"Enhet {i}", "kind": "other"})
    call(world, Org.add_unit, who="beta_coordinator", slug="beta", data={"name": "Beta-enhet", "kind": "other"})
    first = call(world, Org.audit_log, limit=3)
    assert [e.subject for e in first.entries] == ["Enhet 4", "Enhet 3", "Enhet 2"]
    assert {e.actor_name for e in first.entries} == {"Coordinator"}
    assert first.entries[0].at.tzinfo is not None
    assert first.older == first.entries[-1].id
    rest = call(world, Org.audit_log, limit=3, before=first.older)
    assert [e.subject for e in rest.entries] == ["Enhet 1", "Enhet 0"]
    assert rest.older is None
