"""Who hears of a change on a live stream (policy.may_follow_measure, LiveService.visible): pure rules, no database."""

from __future__ import annotations

import pytest

from samordna.domain import policy
from samordna.domain.actor import MemberView
from samordna.live.service import Listener, LiveService
from samordna.measures.changes import MeasureChanged

AREA, OTHER_AREA = 1, 2
SCHOOL, POLICE = 10, 20
ME, SOMEONE = 100, 200


def member(role: str, unit_id: int | None = None, area_id: int = AREA) -> MemberView:
    return MemberView(area_id, f"a{area_id}", "Område", role, unit_id, None)


def change(*, area_id: int = AREA, units: tuple[int, ...] = (SCHOOL,), registered_by: int = SOMEONE) -> MeasureChanged:
    return MeasureChanged(
        event_id=1,
        area_id=area_id,
        measure_id=5,
        ref="EKS-2026-001",
        kind="start",
        from_state="assigned",
        to_state="in_follow_up",
        version=4,
        units=units,
        registered_by=registered_by,
        actor_id=SOMEONE,
        actor_name="Kari",
    )


@pytest.mark.parametrize("role", ["coordinator", "coordination", "steering", "viewer"])
def test_every_other_role_of_the_area_hears_of_every_measure(role: str) -> None:
    for units in ((), (SCHOOL,), (POLICE,)):
        assert policy.may_follow_measure(member(role, POLICE), user_id=ME, units=units, registered_by=SOMEONE)


def test_an_executing_member_hears_of_their_units_measures_only() -> None:
    school = member("executing", SCHOOL)
    assert policy.may_follow_measure(school, user_id=ME, units=(SCHOOL,), registered_by=SOMEONE)
    assert policy.may_follow_measure(school, user_id=ME, units=(POLICE, SCHOOL), registered_by=SOMEONE)
    assert not policy.may_follow_measure(school, user_id=ME, units=(POLICE,), registered_by=SOMEONE)
    assert not policy.may_follow_measure(school, user_id=ME, units=(), registered_by=SOMEONE)


def test_an_executing_member_hears_of_the_needs_they_registered() -> None:
    for unit in (SCHOOL, None):
        assert policy.may_follow_measure(member("executing", unit), user_id=ME, units=(POLICE,), registered_by=ME)
    assert not policy.may_follow_measure(member("executing", None), user_id=ME, units=(), registered_by=SOMEONE)


def test_no_membership_hears_nothing() -> None:
    assert not policy.may_follow_measure(None, user_id=ME, units=(SCHOOL,), registered_by=ME)


def test_the_service_keeps_each_stream_to_its_own_area() -> None:
    live = LiveService(db=None, accounts=None)  # type: ignore[arg-type]  # visible() reads nothing
    coordinator = Listener(user_id=ME, member=member("coordinator"))
    assert live.visible(coordinator, change())
    assert not live.visible(coordinator, change(area_id=OTHER_AREA))
    school = Listener(user_id=ME, member=member("executing", SCHOOL))
    police = Listener(user_id=ME, member=member("executing", POLICE))
    # A card leaving the school's hands (reassigned to the police) is news to both units.
    reassigned = change(units=(POLICE, SCHOOL))
    assert live.visible(school, reassigned) and live.visible(police, reassigned)
    assert not live.visible(police, change(units=(SCHOOL,)))


def test_a_change_survives_its_json() -> None:
    c = change(units=(POLICE, SCHOOL))
    assert MeasureChanged.from_json(c.to_json()) == c
