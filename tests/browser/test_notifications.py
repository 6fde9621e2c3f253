"""Reminders in Chromium: «Varsler» with its unread count, the preferences form (also refused) and the
coordinator's overview pass axe; the digest mail's HTML renders in Chromium with every link under the
configured address and passes axe too. SAMORDNA_SCREENSHOT_DIR=docs/screenshots saves the digest as
digest.png (the README's picture)."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import os
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from samordna.notifications.service import NotificationService
from tests.browser.conftest import BROWSER, Watch, axe_check
from tests.factories import World
from tests.notifications.conftest import BASE_URL
from tests.notifications.test_digest import scenario

pytestmark = BROWSER


def test_varsler_and_the_preferences(user: Callable[..., Page], web_world: World, watch: Watch) -> None:
    scenario(web_world)
    web_world.samordna.notifications.compose()
    page = user("executing")
    badge = page.locator(".notify-link__count")
    expect(badge).to_contain_text("5")
    axe_check(page, "a board with the unread count")
    page.locator(".notify-link").click()
    expect(page.locator("h1")).to_have_text("Varsler")
    expect(page.locator(".notice--new")).to_have_count(5)
    expect(page.locator(".notice--urgent")).to_have_count(1)  # the overdue follow-up
    expect(page.locator(".notify-link__count")).to_have_count(0)  # read once the list is open
    axe_check(page, "Varsler")

    page.goto("/notifications/preferences")
    axe_check(page, "the preferences")
    page.get_by_label("Ukentlig: mandag morgen").check()
    page.get_by_label("Vedtak om enhetens tiltak").uncheck()
    page.get_by_role("button", name="Lagre").click()
    expect(page.locator(".alert--ok")).to_have_text("Innstillingene for varsler er lagret.")
    expect(page.get_by_label("Ukentlig: mandag morgen")).to_be_checked()
    expect(page.get_by_label("Vedtak om enhetens tiltak")).not_to_be_checked()
    axe_check(page, "the preferences saved")

    watch.allow(422)
    page.evaluate("document.querySelector('#digest-weekly').value = 'hourly'")
    page.get_by_role("button", name="Lagre").click()
    expect(page.locator("#digest-error")).to_have_text("Velg daglig, ukentlig eller aldri.")
    axe_check(page, "the preferences refused")


def test_the_coordinators_overview(user: Callable[..., Page], web_world: World) -> None:
    web_world.samordna.notifications.set_preferences({"viewer@example.no": ("never", ["meeting"], None)})
    page = user("coordinator")
    page.goto("/areas/alfa/admin/members")
    page.get_by_role("link", name="Varsler", exact=True).last.click()
    expect(page.locator("h1")).to_have_text("Hvem får varsler")
    expect(page.locator(".badge--inactive")).to_have_count(1)
    axe_check(page, "who gets notifications")


def test_the_digest_renders_in_chromium(chromium: Browser, web_world: World) -> None:
    scenario(web_world)
    s = web_world.samordna
    settings = dataclasses.replace(s.settings, base_url=BASE_URL, mail_from="SLT Alfa <slt@alfa.kommune.no>")
    mailer = NotificationService(db=s.db, clock=s.clock, workflow=s.workflow, settings=settings)
    mailer.compose()
    row = next(r for r in mailer.outbox(limit=20)[1] if r.recipient == "executing@example.no")
    _row, raw = mailer.outbox_message(message_id=row.id)
    message = email.message_from_string(raw, policy=email.policy.default)
    html = message.get_body(preferencelist=("html",)).get_content()

    context = chromium.new_context(viewport={"width": 700, "height": 900}, locale="nb-NO")
    try:
        page = context.new_page()
        page.route("**/*", lambda route: route.abort())  # a mail loads nothing: every request would be a leak
        page.set_content(html)
        expect(page.locator("h1")).to_contain_text("Samordna: 5 påminnelser")
        expect(page.locator("h2")).to_have_text(
            ["Oppfølging", "Venter på oppstart", "Vedtak siden sist", "Møter den neste uka"]
        )
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        assert hrefs and all(h.startswith(BASE_URL + "/") for h in hrefs), hrefs
        axe_check(page, "the digest mail")
        directory = os.environ.get("SAMORDNA_SCREENSHOT_DIR")
        if directory:
            Path(directory).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(directory) / "digest.png"), full_page=True)
    finally:
        context.close()
