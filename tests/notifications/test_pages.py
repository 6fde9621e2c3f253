"""«Varsler», the preferences page and the coordinator's view of who is reached, through the browser's routes:
the header's unread count, read once the list is opened, preferences saved and refused, and who sees what."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from samordna.services import Services
from tests.factories import World
from tests.web_support import WebClient, text_of


def _due_items(world: World) -> None:
    """A running measure of Ungdomsskolene with a follow-up within the week, and one waiting to be started."""
    w = world
    real = w.samordna.clock.source
    w.samordna.clock.source = lambda: real() - timedelta(days=10)  # started 10 days ago: follow-up in 4 days
    try:
        w.advance(w.register(title="Natteravner i sentrum"), "in_follow_up")
    finally:
        w.samordna.clock.source = real
    w.advance(w.register(title="Leksehjelp med mat"), "assigned")
    w.samordna.notifications.compose()


def test_the_header_counts_unread_and_the_list_reads_them(
    web_world: World, open_browser: Callable[..., WebClient]
) -> None:
    _due_items(web_world)
    teacher = open_browser().login("executing")
    board = teacher.get("/areas/alfa/boards/execution")
    assert board.status_code == 200
    assert "Varsler 2 uleste" in text_of(board.text)

    page = teacher.get("/notifications")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "2 nye varsler siden sist." in text
    assert "Natteravner i sentrum" in text and "Oppfølging innen" in text
    assert "Leksehjelp med mat" in text and "venter på å bli startet" in text
    assert 'href="/measures/' in page.text

    again = text_of(teacher.get("/notifications").text)
    assert "nye varsler" not in again and "Natteravner i sentrum" in again
    assert "uleste" not in text_of(teacher.get("/areas/alfa/boards/execution").text)


def test_another_units_member_sees_none_of_it(web_world: World, open_browser: Callable[..., WebClient]) -> None:
    _due_items(web_world)
    police = open_browser().login("executing_police")
    text = text_of(police.get("/notifications").text)
    assert "Natteravner" not in text and "Leksehjelp" not in text
    assert "Ingen varsler ennå" in text


def test_preferences_are_saved_and_refused(web_world: World, open_browser: Callable[..., WebClient]) -> None:
    teacher = open_browser().login("executing")
    page = teacher.get("/notifications/preferences")
    assert page.status_code == 200
    assert 'value="daily" checked' in page.text

    saved = teacher.post(
        "/notifications/preferences",
        [("digest", "weekly"), ("kinds", "follow_up"), ("kinds", "meeting"), ("language", "nn")],
    )
    assert saved.status_code == 303
    page = teacher.get("/notifications/preferences")
    assert "Innstillingene for varsler er lagret." in text_of(page.text)
    assert 'value="weekly" checked' in page.text and 'value="follow_up" checked' in page.text
    assert 'value="start" checked' not in page.text and '<option value="nn" selected' in page.text

    refused = teacher.post(
        "/notifications/preferences", [("digest", "hourly"), ("kinds", "gossip"), ("language", "sv")]
    )
    assert refused.status_code == 422
    text = text_of(refused.text)
    assert "Velg daglig, ukentlig eller aldri." in text and "Velg bokmål, nynorsk eller engelsk." in text
    prefs = web_world.samordna.notifications.preferences(actor=web_world.actors["executing"])
    assert (prefs.digest, prefs.kinds, prefs.language) == ("weekly", ("follow_up", "meeting"), "nn")


def test_the_coordinator_sees_who_receives_nothing(web_world: World, open_browser: Callable[..., WebClient]) -> None:
    samordna: Services = web_world.samordna
    samordna.notifications.set_preferences(
        {"viewer@example.no": ("never", list(), None), "steering@example.no": ("weekly", [], None)}
    )
    page = open_browser().login("coordinator").get("/areas/alfa/notifications")
    assert page.status_code == 200
    text = text_of(page.text)
    assert text.count("Får ingen e-post") == 2
    assert text.index("Viewer") < text.index("Executing Police")  # those reached by nothing first
    assert "E-post er ikke satt opp" in text
    assert open_browser().login("executing").get("/areas/alfa/notifications").status_code == 403
    assert open_browser().login("beta_coordinator").get("/areas/alfa/notifications").status_code == 404
