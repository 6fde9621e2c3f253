"""A first run through the service: register a need and take it through its whole life."""

from tests.factories import World


def test_main_path(world: World) -> None:
    m = world.register()
    assert m.state == "need_identified" and m.version == 1 and m.ref.startswith("ALF-")
    m = world.advance(m, "closed")
    assert m.state == "closed"
    events = world.samordna.measures.events(actor=world.actors["coordinator"], measure_id=m.id)
    assert [e.trigger for e in events] == [
        "create",
        "initiate",
        "assign",
        "start",
        "request_evaluation",
        "submit_evaluation",
        "close",
    ]
    assert [e.version for e in events] == list(range(1, 8))


def test_areas_with_the_same_prefix_get_distinct_ref_codes(world: World) -> None:
    from samordna.organisation import repository as org
    from samordna.organisation.repository import area_code

    assert area_code("eksempelvik") == "EKS"
    assert area_code("oslo-grorud", {"OSL"}) == "OGR"
    assert area_code("oslo", {"OSL"}) == "OSL2"
    with world.samordna.db.write() as s:
        first = org.add_area(s, slug="alfa-nord", name="Alfa nord")
        second = org.add_area(s, slug="alfa-sor", name="Alfa sør")
    # «alfa» already has ALF: the two new areas and their refs must not collide with it or each other.
    codes = {"ALF", first.code, second.code}
    assert len(codes) == 3
