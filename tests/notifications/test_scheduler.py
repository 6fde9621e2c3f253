"""The scheduler: the next 07:00 in Oslo across the changes of summer time, one process of many takes the day
(the database lock), a lock whose holder died runs out, and the app starts and stops its task with its lifespan."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from litestar.testing import TestClient

from samordna.app import create_app
from samordna.domain.clock import Clock
from samordna.notifications.scheduler import seconds_until_next
from samordna.notifications.service import NotificationService
from samordna.services import Services
from tests.factories import World
from tests.notifications.test_digest import scenario

OSLO = Clock("Europe/Oslo")


def test_the_next_seven_oclock_in_oslo() -> None:
    winter = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)  # 06:00 in Oslo: an hour to go
    assert seconds_until_next(winter, OSLO) == 3600
    assert seconds_until_next(datetime(2026, 12, 7, 6, 0, tzinfo=UTC), OSLO) == 24 * 3600  # just ran: tomorrow
    # The night summer time begins (29 March 2026) is 23 hours long: 07:00 CEST is 05:00 UTC.
    assert seconds_until_next(datetime(2026, 3, 28, 6, 0, tzinfo=UTC), OSLO) == 23 * 3600
    # ... and the night it ends (25 October 2026) 25 hours.
    assert seconds_until_next(datetime(2026, 10, 24, 5, 0, tzinfo=UTC), OSLO) == 25 * 3600
    assert seconds_until_next(winter, OSLO, time(0, 0)) == 18 * 3600  # SAMORDNA_REMIND_AT=00:00


def test_one_of_many_processes_takes_the_day(world: World, make_mailer: Callable[..., NotificationService]) -> None:
    scenario(world)
    services = [make_mailer(None) for _ in range(4)]
    start = threading.Barrier(len(services))
    reports: list[object] = []

    def run(service: NotificationService, n: int) -> None:
        start.wait()
        reports.append(service.scheduled_run(holder=f"process-{n}"))

    threads = [threading.Thread(target=run, args=(s, n)) for n, s in enumerate(services)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    done = [r for r in reports if r is not None]
    assert len(reports) == 4 and len(done) == 1 and done[0].mails == 7  # type: ignore[attr-defined]
    assert services[0].done_day() == world.today()
    assert services[0].scheduled_run(holder="late") is None  # the day is done


def test_a_dead_holders_lock_runs_out(
    world: World, samordna: Services, make_mailer: Callable[..., NotificationService]
) -> None:
    from samordna.notifications import repository as repo

    notifications = make_mailer(None)
    now = samordna.clock.now()
    with repo.writing(samordna.db) as conn:  # a process took the day and died
        assert repo.try_lock(conn, "remind", holder="dead", now=now, until=now + timedelta(hours=2), day=world.today())
    assert notifications.scheduled_run(holder="alive") is None
    real = samordna.clock.source
    samordna.clock.source = lambda: real() + timedelta(hours=2, minutes=1)
    try:
        if samordna.clock.today() == world.today():
            assert notifications.scheduled_run(holder="alive") is not None
    finally:
        samordna.clock.source = real


def test_the_app_starts_and_stops_the_scheduler(samordna: Services) -> None:
    settings = dataclasses.replace(samordna.settings, scheduler=True, remind_at=time(23, 59))
    app = create_app(settings, services=samordna)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        scheduler = app.state.scheduler
        assert scheduler.task is not None and not scheduler.task.done()
        task = scheduler.task
    assert scheduler.task is None and task.done()
    assert create_app(samordna.settings, services=samordna).state.get("scheduler") is None
