"""The digest against a real SMTP server (aiosmtpd, tests/notifications/conftest.py): every member of the test
world gets exactly the items that are theirs — nothing of another unit or area — as a multipart mail whose
every link is absolute and under the configured address; «never» gets no mail (but the notifications); a run
repeated sends nothing new, and the next day only what is new."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import func, select

from samordna.notifications.service import NotificationService
from samordna.services import Services
from samordna.store.models import Notification, OutboxMessage
from tests.factories import World, valid_data
from tests.notifications.conftest import BASE_URL, SmtpServer

MEASURE_LINK = re.compile(re.escape(BASE_URL) + r"/measures/(\d+)")
MEETING_LINK = re.compile(re.escape(BASE_URL) + r"/meetings/(\d+)")


def started(w: World, title: str, days_ago: int, unit: str = "Ungdomsskolene", who: str = "executing") -> Any:
    """A measure of `unit` started `days_ago` (follow-up every 14 days: due in 14 - days_ago days)."""
    real = w.samordna.clock.source
    w.samordna.clock.source = lambda: real() - timedelta(days=days_ago)
    try:
        m = assigned(w, title, unit)
        return w.fire(who, m, "start")
    finally:
        w.samordna.clock.source = real


def assigned(w: World, title: str, unit: str = "Ungdomsskolene") -> Any:
    m = w.advance(w.register(title=title), "initiated")
    return w.fire("coordination", m, "assign", **{**valid_data(w, "assign"), "responsible_unit_id": w.unit(unit)})


def scenario(w: World) -> dict[str, int]:
    """Measures of two units in every state a reminder is about, a decision, meetings, and the other area's."""
    s = w.samordna
    ids = {
        "school_due": started(w, "Skole: oppfølging snart", 10).id,
        "school_overdue": started(w, "Skole: oppfølging forfalt", 20).id,
        "police_due": started(w, "Politi: oppfølging snart", 10, "Politiet", "executing_police").id,
        "school_waiting": assigned(w, "Skole: venter på start").id,
        "police_waiting": assigned(w, "Politi: venter på start", "Politiet").id,
        "school_evaluating": w.advance(w.register(title="Skole: til evaluering"), "under_evaluation").id,
        "school_evaluated": w.advance(w.register(title="Skole: evaluert"), "evaluated").id,
        "school_closed": w.advance(w.register(title="Skole: avsluttet i dag"), "closed").id,
        "school_later": started(w, "Skole: oppfølging om to uker", 0).id,  # due in 14 days: not yet
    }
    beta = w.actors["beta_coordinator"]
    m = s.measures.register_need(
        actor=beta,
        slug="beta",
        data={
            "title": "Beta: oppfølging snart",
            "need_description": "Uro.",
            "knowledge_source": "Ungdata",
            "target_group": "Ungdom",
            "arena": "school",
        },
    )
    real = s.clock.source
    s.clock.source = lambda: real() - timedelta(days=10)
    try:
        for trigger, data in (
            ("initiate", {"goal_id": w.goals["beta"], "plan": "Plan.", "success_criteria": "Færre."}),
            ("assign", {**valid_data(w, "assign"), "responsible_unit_id": w.unit("Skolen", "beta")}),
            ("start", {}),
        ):
            m = s.measures.record_transition(actor=beta, measure_id=m.id, trigger=trigger, version=m.version, data=data)
    finally:
        s.clock.source = real
    ids["beta_due"] = m.id
    coordinator = w.actors["coordinator"]
    for level, days in (("coordination", 3), ("all", 5), ("steering", 20)):
        day = (w.today() + timedelta(days=days)).isoformat()
        meeting = s.meetings.plan(
            actor=coordinator, slug="alfa", data={"body": level, "day": day, "start": "09:00", "end": "10:00"}
        )
        ids[f"meeting_{level}"] = meeting.id
    return ids


def expected(ids: dict[str, int]) -> dict[str, tuple[set[int], set[int]]]:
    """Who gets which measures and meetings (by the rules of notifications/items.py)."""
    school = {ids[k] for k in ("school_due", "school_overdue", "school_waiting", "school_closed")}
    police = {ids["police_due"], ids["police_waiting"]}
    alfa_all = school | police | {ids["school_evaluating"], ids["school_evaluated"]}
    everyone = {ids["meeting_all"]}
    return {
        "executing@example.no": (school, everyone),
        "executing_police@example.no": (police, everyone),
        "coordination@example.no": (set(), everyone | {ids["meeting_coordination"]}),  # Kultur og fritid: none due
        "coordinator@example.no": (alfa_all, everyone | {ids["meeting_coordination"]}),
        "steering@example.no": ({ids["school_evaluated"]}, everyone),
        "viewer@example.no": (set(), everyone),
        "beta_coordinator@example.no": ({ids["beta_due"]}, set()),
    }


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action") and value is not None:
                self.urls.append(value)


def parts(message: Any) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def links(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.urls


def test_each_member_gets_exactly_their_items(
    world: World, smtp_server: SmtpServer, make_mailer: Callable[..., NotificationService]
) -> None:
    ids = scenario(world)
    notifications = make_mailer(smtp_server.url())
    report, delivery = notifications.remind()
    assert delivery.configured and delivery.sent == report.mails == 7 and delivery.failed == 0
    want = expected(ids)
    assert smtp_server.mailbox.recipients() == sorted(want)
    for address, (measures, meetings) in want.items():
        [message] = smtp_server.mailbox.to(address)
        text, html = parts(message)
        assert {int(i) for i in MEASURE_LINK.findall(html)} == measures, address
        assert {int(i) for i in MEETING_LINK.findall(html)} == meetings, address
        assert {int(i) for i in MEASURE_LINK.findall(text)} == measures, address  # the plain part says the same
        assert message["From"] == "SLT Alfa <slt@alfa.kommune.no>"
        assert message["List-Unsubscribe"] == f"<{BASE_URL}/notifications/preferences>"
        assert message.is_multipart() and message.get_content_type() == "multipart/alternative"
    [teacher] = smtp_server.mailbox.to("executing@example.no")
    text, _html = parts(teacher)
    assert "Oppfølgingen forfalt" in text and "Oppfølging innen" in text
    assert "Vedtak: Avslutte" in text and "venter på å bli startet" in text
    assert "Skole: oppfølging om to uker" not in text
    assert "Avsluttes." not in text  # a decision's text never goes out by mail; its name and date do


def test_every_link_is_absolute_and_under_the_base_url(
    world: World, smtp_server: SmtpServer, make_mailer: Callable[..., NotificationService]
) -> None:
    scenario(world)
    make_mailer(smtp_server.url()).remind()
    assert smtp_server.mailbox.messages
    for _sender, _rcpt, message in smtp_server.mailbox.messages:
        _text, html = parts(message)
        urls = links(html)
        assert len(urls) >= 3  # the brand, at least one item, the preferences
        for url in urls:
            assert url.startswith(BASE_URL + "/"), url
        assert f"{BASE_URL}/notifications/preferences" in urls
        assert "<script" not in html.lower() and "<img" not in html.lower()


def test_no_mail_for_never_but_the_notifications_all_the_same(
    world: World, smtp_server: SmtpServer, make_mailer: Callable[..., NotificationService]
) -> None:
    scenario(world)
    notifications = make_mailer(smtp_server.url())
    notifications.set_preferences(
        {
            "executing@example.no": ("never", ["follow_up", "start", "evaluation", "decision", "meeting"], None),
            "executing_police@example.no": ("daily", ["meeting"], "en"),
        }
    )
    report, _delivery = notifications.remind()
    assert report.never == 1
    assert smtp_server.mailbox.to("executing@example.no") == []
    [police] = smtp_server.mailbox.to("executing_police@example.no")
    text, html = parts(police)
    assert not MEASURE_LINK.findall(html) and MEETING_LINK.findall(html)  # meetings only
    assert police["Subject"].startswith("Samordna: 1 reminder") and "MEETINGS IN THE COMING WEEK" in text
    page = notifications.notifications(actor=world.actors["executing"])
    assert {n.kind for n in page.items} == {"follow_up", "start", "decision", "meeting"}


def test_a_repeated_run_sends_nothing_and_the_next_day_only_what_is_new(
    world: World, samordna: Services, smtp_server: SmtpServer, make_mailer: Callable[..., NotificationService]
) -> None:
    ids = scenario(world)
    notifications = make_mailer(smtp_server.url())
    first, _ = notifications.remind()
    sent = len(smtp_server.mailbox.messages)
    again, delivery = notifications.remind()
    assert (again.mails, again.notifications, delivery.sent) == (0, 0, 0)
    assert len(smtp_server.mailbox.messages) == sent
    with samordna.db.read() as s:
        rows = s.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
        notes = s.execute(select(func.count()).select_from(Notification)).scalar_one()
    assert rows == first.mails and notes == first.notifications

    # The next morning: only the teacher has something new (a new measure to start); the rest stay quiet.
    assigned(world, "Skole: nytt tiltak")
    real = samordna.clock.source
    samordna.clock.source = lambda: real() + timedelta(days=1)
    try:
        if samordna.clock.today().weekday() == 0:
            pytest.skip("on a Monday an overdue follow-up is mailed again on purpose")
        next_day, _ = notifications.remind()
    finally:
        samordna.clock.source = real
    new = {r for _f, rcpt, _m in smtp_server.mailbox.messages[sent:] for r in rcpt}
    assert new == {"executing@example.no", "coordinator@example.no"}
    [mail] = [m for _f, rcpt, m in smtp_server.mailbox.messages[sent:] if "executing@example.no" in rcpt]
    text, _ = parts(mail)
    assert "NY: " in text and text.count("NY: ") == 1 and "Skole: nytt tiltak" in text
    assert ids["school_closed"] not in {int(i) for i in MEASURE_LINK.findall(text)}  # a decision is news once


def test_a_weekly_subscriber_hears_on_mondays_only(
    world: World, samordna: Services, smtp_server: SmtpServer, make_mailer: Callable[..., NotificationService]
) -> None:
    scenario(world)
    notifications = make_mailer(smtp_server.url())
    notifications.set_preferences({"executing@example.no": ("weekly", ["follow_up", "start"], None)})
    today = samordna.clock.today()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    tuesday = monday - timedelta(days=6)
    notifications.remind(day=tuesday if tuesday > today else tuesday + timedelta(days=7))
    assert smtp_server.mailbox.to("executing@example.no") == []
    notifications.remind(day=monday)
    assert len(smtp_server.mailbox.to("executing@example.no")) == 1
