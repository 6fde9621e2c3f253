"""The demo area's reminders: each demo user's notifications and mail hold exactly their own items — the follow-
ups and starts of their unit (all of them for the coordinator), read here straight from the measures — and
nothing of another unit; the demo's preferences hold (the reader chose never: no mail)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from samordna.demo import SLUG, load_demo
from samordna.notifications.service import NotificationService
from samordna.services import Services
from samordna.store.models import Area, Measure, Membership, Notification, OutboxMessage, Unit, User
from tests.notifications.conftest import BASE_URL, SmtpServer
from tests.notifications.test_digest import MEASURE_LINK, parts

pytestmark = pytest.mark.slow


def test_each_demo_user_gets_exactly_their_own(
    samordna: Services, smtp_server: SmtpServer, make_mailer: Callable[..., NotificationService]
) -> None:
    load_demo(samordna, io.StringIO())
    today = samordna.clock.today()
    horizon = today + timedelta(days=7)
    with samordna.db.read() as s:
        area_id = s.execute(select(Area.id).where(Area.slug == SLUG)).scalar_one()
        measures = s.execute(
            select(Measure.id, Measure.state, Measure.responsible_unit_id, Measure.next_follow_up_at).where(
                Measure.area_id == area_id
            )
        ).all()
        people = s.execute(
            select(User.id, User.email, Membership.role, Unit.name, Membership.unit_id)
            .join(Membership, Membership.user_id == User.id)
            .outerjoin(Unit, Unit.id == Membership.unit_id)
        ).all()
        notes = s.execute(select(Notification.user_id, Notification.kind, Notification.measure_id)).all()
        outbox = {r[0]: r[1] for r in s.execute(select(OutboxMessage.user_id, OutboxMessage.recipient))}

    def due(unit_id: int | None) -> set[int]:
        return {
            m[0]
            for m in measures
            if m[1] == "in_follow_up" and m[3] is not None and m[3] <= horizon and unit_id in (None, m[2])
        }

    def waiting(unit_id: int | None) -> set[int]:
        return {m[0] for m in measures if m[1] == "assigned" and unit_id in (None, m[2])}

    unit_of = {m[0]: m[2] for m in measures}
    for user_id, email, role, _unit, unit_id in people:
        mine = [(k, m) for u, k, m in notes if u == user_id]
        follow_ups = {m for k, m in mine if k == "follow_up"}
        starts = {m for k, m in mine if k == "start"}
        if role == "coordinator":
            assert follow_ups == due(None) and starts == waiting(None), email
        elif role == "executing":
            assert follow_ups == due(unit_id) and starts == waiting(unit_id), email
        elif role == "coordination":  # chose no «start» items
            assert follow_ups == due(unit_id) and not starts, email
        else:  # steering and the reader: no follow-ups, nothing to start
            assert not follow_ups and not starts, email
        if role in ("executing", "coordination"):
            assert all(unit_of[m] == unit_id for k, m in mine if m is not None and k != "decision"), email
        if role == "viewer":
            assert {k for k, _m in mine} <= {"meeting"} and user_id not in outbox, email  # «never»

    # The outbox's mails, sent: each to its user once, every measure in it one of the user's notifications.
    delivery = make_mailer(smtp_server.url()).deliver()
    assert delivery.sent == len(outbox) >= 2
    for user_id, address in outbox.items():
        [message] = smtp_server.mailbox.to(address)
        _text, html = parts(message)
        linked = {int(i) for i in MEASURE_LINK.findall(html.replace("http://127.0.0.1:8000", BASE_URL))}
        assert linked <= {m for u, _k, m in notes if u == user_id}, address
