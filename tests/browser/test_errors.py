"""Refused actions in the browser: the message stands beside the field, what the user typed stays in the
form (except a national identity number, which is never shown back), and a form submitted after
someone else changed the measure says so."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Locator, Page, expect

from samordna.domain.confidentiality import GUARD_MESSAGE
from tests.browser.conftest import (
    BROWSER,
    Watch,
    card,
    expect_count,
    expect_in_column,
    field,
    open_card_action,
    submit,
    without_reload,
)
from tests.factories import World, national_id

pytestmark = BROWSER

ORDER = "Utekontakten følger opp gruppen på fredager, med rapport hver måned."


def error_of(page: Page, field_id: str) -> Locator:
    """The message the form shows for a field, found the way assistive technology finds it."""
    control = page.locator(f"#{field_id}")
    expect(control).to_have_attribute("aria-invalid", "true")
    expect(control).to_have_attribute("aria-describedby", re.compile(rf"\b{field_id}-error\b"))
    return page.locator(f"#{field_id}-error")


def test_a_due_date_in_the_past_is_refused_beside_the_field_and_the_order_is_kept(
    user: Callable[..., Page], web_world: World, watch: Watch
) -> None:
    watch.allow(422)
    m = web_world.advance(web_world.register(), "initiated")
    page = user("coordination")
    with without_reload(page):
        form = open_card_action(page, m.id, "Tildel ansvar")
        field(form, "Ansvarlig enhet").select_option(label="Ungdomsskolene")
        field(form, "Bestilling").fill(ORDER)
        field(form, "Frist").fill((web_world.today() - timedelta(days=1)).isoformat())
        field(form, "Oppfølging hver (dager)").fill("14")
        assert submit(page, form, "Tildel ansvar").status == 422

        prefix = f"f{m.id}-assign"
        message = error_of(page, f"{prefix}-due_date")
        expect(message).to_be_visible()
        expect(message).not_to_be_empty()
        # beside the field: in the same .field block as the date input
        expect(page.locator(f".field:has(#{prefix}-due_date) #{prefix}-due_date-error")).to_have_count(1)
        expect(field(form, "Bestilling")).to_have_value(ORDER)
        expect(field(form, "Ansvarlig enhet").locator("option:checked")).to_have_text("Ungdomsskolene")
        expect(field(form, "Oppfølging hver (dager)")).to_have_value("14")
        expect(page.locator(f"#{prefix}-due_date")).to_be_focused()  # focus moves to the first invalid field

        # corrected, the same form goes through
        field(form, "Frist").fill((web_world.today() + timedelta(days=30)).isoformat())
        assert submit(page, form, "Tildel ansvar").status == 200
        expect_in_column(page, m.id, "assigned")
        expect_count(page, "initiated", 0)


def test_a_national_identity_number_gives_the_norwegian_message_and_is_not_shown_back(
    user: Callable[..., Page], web_world: World, watch: Watch
) -> None:
    watch.allow(422)
    number = national_id()
    m = web_world.advance(web_world.register(), "in_follow_up")
    page = user("executing")
    form = open_card_action(page, m.id, "Rapporter status")
    field(form, "Status").select_option(label="Ute av kurs")
    field(form, "Merknad").fill(f"Gutten med fødselsnummer {number} har sluttet å komme.")
    assert submit(page, form, "Rapporter status").status == 422

    message = error_of(page, f"f{m.id}-report_status-note")
    expect(message).to_have_text(GUARD_MESSAGE["nb"])
    note = field(form, "Merknad")
    expect(note).not_to_have_value(re.compile(number))
    expect(note).to_have_value(re.compile(r"^Gutten med fødselsnummer .+ har sluttet å komme\.$"))
    expect(field(form, "Status").locator("option:checked")).to_have_text("Ute av kurs")
    assert number not in page.content()
    expect(card(page, m.id).locator(".badge--off_track")).to_have_count(0)  # nothing was recorded


def test_a_form_sent_after_someone_else_acted_shows_the_conflict(
    user: Callable[..., Page], web_world: World, watch: Watch
) -> None:
    watch.allow(409)
    m = web_world.advance(web_world.register(), "need_identified")
    first = user("coordinator")
    second = user("coordination")
    forms = {}
    for page in (first, second):
        forms[page] = open_card_action(page, m.id, "Initier tiltak")
        field(forms[page], "Mål").select_option(label="Redusere rusbruk blant ungdom")
        field(forms[page], "Plan for tiltaket").fill("Plan skrevet i to nettlesere.")
        field(forms[page], "Suksesskriterier").fill("Færre hendelser.")

    assert submit(first, forms[first], "Initier tiltak").status == 200
    expect_in_column(first, m.id, "initiated")

    with without_reload(second):
        assert submit(second, forms[second], "Initier tiltak").status == 409
        alert = second.locator(f"#card-slot-{m.id} .alert[role='alert']")
        expect(alert).to_contain_text("Noen andre har endret tiltaket mens du fylte ut skjemaet")
        expect(alert).to_contain_text("«Initiert»")
        expect(alert).to_contain_text("Denne handlingen er ikke lenger mulig.")
        expect(alert).to_be_focused()
        # no button to send it again; what was typed is still there to copy
        expect(forms[second].get_by_role("button", name="Initier tiltak")).to_have_count(0)
        expect(field(forms[second], "Plan for tiltaket")).to_have_value("Plan skrevet i to nettlesere.")


def test_a_status_report_sent_on_a_stale_form_can_be_sent_again(
    user: Callable[..., Page], web_world: World, watch: Watch
) -> None:
    """A 409 that leaves the action possible: the form takes the new version and goes through on resend."""
    watch.allow(409)
    m = web_world.advance(web_world.register(), "in_follow_up")
    page = user("executing")
    form = open_card_action(page, m.id, "Rapporter status")
    web_world.fire("coordination", m, "report_status", health="on_track", note="Rapport fra møtet.")
    field(form, "Status").select_option(label="I faresonen")
    field(form, "Merknad").fill("Skrevet før den andre rapporten.")
    with without_reload(page):
        assert submit(page, form, "Rapporter status").status == 409
        expect(form.locator(".alert[role='alert']")).to_contain_text("Se over det du har skrevet og send på nytt.")
        expect(field(form, "Merknad")).to_have_value("Skrevet før den andre rapporten.")
        assert submit(page, form, "Rapporter status").status == 200
        expect(card(page, m.id).locator(".badge--at_risk")).to_be_visible()
