"""Sending the outbox to a real SMTP server: a server that is down and then up gets every message exactly once;
a 5xx to DATA is retried with backoff; a 550 for one recipient fails that message only; after the last attempt
a message is failed and the coordinator sees it; without SMTP the outbox only fills; STARTTLS, TLS and a log-in
work; two senders at once never send one message twice."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from samordna.notifications.service import BACKOFF, MAX_ATTEMPTS, NotificationService
from samordna.services import Services
from samordna.settings import SmtpSettings
from tests.factories import World
from tests.notifications.conftest import SmtpServer
from tests.notifications.test_digest import scenario

EVERYONE = 7  # the test world's members, each with something due in the scenario


def later(samordna: Services, delta: timedelta) -> Callable[[], None]:
    """Move the services' clock on by `delta`; returns how to move it back."""
    real = samordna.clock.source
    samordna.clock.source = lambda: real() + delta
    return lambda: setattr(samordna.clock, "source", real)


def test_without_smtp_the_outbox_fills_and_nothing_is_sent(
    world: World, make_mailer: Callable[..., NotificationService]
) -> None:
    scenario(world)
    notifications = make_mailer(None)
    report, delivery = notifications.remind()
    assert report.mails == EVERYONE and not delivery.configured
    counts, rows = notifications.outbox()
    assert counts == {"pending": EVERYONE} and all(r.attempts == 0 for r in rows)


def test_a_server_that_is_down_then_up_gets_every_message_once(
    world: World, samordna: Services, make_mailer: Callable[..., NotificationService]
) -> None:
    scenario(world)
    server = SmtpServer()  # not started: the port refuses connections
    notifications = make_mailer(server.url())
    report, delivery = notifications.remind()
    assert report.mails == EVERYONE
    assert delivery.sent == 0 and delivery.stopped  # one batch tried, then the pass stops
    counts, rows = notifications.outbox(limit=50)
    assert counts == {"pending": EVERYONE}
    assert notifications.deliver().sent == 0  # the retry is not due yet: nobody knocks again at once

    server.start()
    try:
        back = later(samordna, BACKOFF[0] + timedelta(seconds=1))
        try:
            assert notifications.deliver().sent == EVERYONE
            assert notifications.deliver().sent == 0
        finally:
            back()
        assert sorted(server.mailbox.recipients()) == sorted(r.recipient for r in rows)
        assert len(server.mailbox.messages) == EVERYONE
        assert notifications.outbox()[0] == {"sent": EVERYONE}
    finally:
        server.stop()


def test_a_5xx_to_data_is_retried_with_backoff(
    world: World, samordna: Services, smtp_server: SmtpServer, make_mailer: Callable[..., NotificationService]
) -> None:
    scenario(world)
    smtp_server.mailbox.data_errors = ["554 5.3.0 Transaction failed: try again later"] * 2
    notifications = make_mailer(smtp_server.url())
    _report, delivery = notifications.remind()
    assert (delivery.sent, delivery.retried, delivery.failed) == (EVERYONE - 2, 2, 0)
    counts, rows = notifications.outbox(status="pending")
    assert counts == {"sent": EVERYONE - 2, "pending": 2}
    assert all("554" in (r.last_error or "") and r.attempts == 1 for r in rows)
    back = later(samordna, BACKOFF[0] + timedelta(seconds=1))
    try:
        assert notifications.deliver().sent == 2
    finally:
        back()
    assert len(smtp_server.mailbox.messages) == EVERYONE and len(set(smtp_server.mailbox.recipients())) == EVERYONE


def test_a_550_for_one_recipient_fails_that_message_only(
    world: World, samordna: Services, smtp_server: SmtpServer, make_mailer: Callable[..., NotificationService]
) -> None:
    scenario(world)
    smtp_server.mailbox.refuse["viewer@example.no"] = "550 5.1.1 No such mailbox here"
    notifications = make_mailer(smtp_server.url())
    _report, delivery = notifications.remind()
    assert (delivery.sent, delivery.failed, delivery.retried) == (EVERYONE - 1, 1, 0)
    counts, [failed] = notifications.outbox(status="failed")
    assert counts == {"sent": EVERYONE - 1, "failed": 1}
    assert failed.recipient == "viewer@example.no" and failed.attempts == 1 and "550" in (failed.last_error or "")
    reach = notifications.reach(actor=world.actors["coordinator"], slug="alfa")
    assert [r.recipient for r in reach.failed] == ["viewer@example.no"]
    assert next(m for m in reach.members if m.email == "viewer@example.no").failed == 1
    assert reach.members[0].email == "viewer@example.no"  # the coordinator sees it first
    assert "viewer@example.no" not in smtp_server.mailbox.recipients()


def test_a_4xx_for_a_recipient_is_retried_until_the_last_attempt_fails_it(
    world: World, samordna: Services, smtp_server: SmtpServer, make_mailer: Callable[..., NotificationService]
) -> None:
    scenario(world)
    smtp_server.mailbox.refuse["viewer@example.no"] = "451 4.2.0 Mailbox busy"
    notifications = make_mailer(smtp_server.url())
    notifications.remind()
    waited = timedelta()
    for attempt in range(1, MAX_ATTEMPTS):
        _counts, [row] = notifications.outbox(status="pending")
        assert row.attempts == attempt
        waited += BACKOFF[attempt - 1] + timedelta(seconds=1)
        back = later(samordna, waited)
        try:
            notifications.deliver()
        finally:
            back()
    counts, [failed] = notifications.outbox(status="failed")
    assert failed.attempts == MAX_ATTEMPTS and "451" in (failed.last_error or "")
    assert counts == {"sent": EVERYONE - 1, "failed": 1}


def test_two_senders_at_once_send_each_message_once(
    world: World, smtp_server: SmtpServer, make_mailer: Callable[..., NotificationService]
) -> None:
    scenario(world)
    make_mailer(None).compose()
    senders = [make_mailer(smtp_server.url()) for _ in range(4)]
    start = threading.Barrier(len(senders))
    results: list[int] = []

    def send(service: NotificationService) -> None:
        start.wait()
        results.append(service.deliver().sent)

    threads = [threading.Thread(target=send, args=(s,)) for s in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(results) == EVERYONE
    assert len(smtp_server.mailbox.recipients()) == len(set(smtp_server.mailbox.recipients())) == EVERYONE


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # aiosmtpd, on implicit TLS
@pytest.mark.parametrize(("tls", "scheme"), [("starttls", "smtp+starttls"), ("implicit", "smtps")])
def test_starttls_and_tls_with_a_log_in(
    world: World, certificate: tuple, make_mailer: Callable[..., NotificationService], tls: str, scheme: str
) -> None:
    # Each mode its own world and the same day: what a second day mails depends on the weekday (Monday mails
    # overdue follow-ups again), which a test run on any day must not.
    scenario(world)
    server = SmtpServer(tls=tls, cert=certificate, auth=True).start()
    try:
        url = server.url(scheme, login=True, query=f"cafile={certificate[0]}")
        assert SmtpSettings.parse(url).username == "samordna"
        report, delivery = make_mailer(url).remind(day=world.today() + timedelta(days=1))
        assert report.mails >= 1 and delivery.sent == report.mails == len(server.mailbox.messages), tls
    finally:
        server.stop()


def test_a_wrong_password_is_retried_not_lost(
    world: World, certificate: tuple, make_mailer: Callable[..., NotificationService]
) -> None:
    scenario(world)
    server = SmtpServer(tls="starttls", cert=certificate, auth=True).start()
    try:
        url = server.url("smtp+starttls", login=True, query=f"cafile={certificate[0]}").replace("hemmelig", "feil")
        _report, delivery = make_mailer(url).remind()
        assert delivery.sent == 0 and delivery.stopped and "535" in delivery.stopped
        assert make_mailer(url).outbox()[0] == {"pending": EVERYONE}
    finally:
        server.stop()
