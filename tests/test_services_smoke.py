"""A first run through the service: register a need and take it through its whole life."""

from tests.factories import World


def test_main_path(world: World) -> None:
    m = world.register()
    assert m.state == "need_identified" and m.version == 1 and m.ref.startswith("ALF-")
    m = world.advance(m, "closed")
    assert m.state == "closed"
    events = world.samordna.measure_events(world.actors["coordinator"], m.id)
    assert [e.trigger for e in events] == ["create", "initiate", "assign", "start", "request_evaluation",
                                           "submit_evaluation", "close"]
    assert [e.version for e in events] == list(range(1, 8))
