"""What a form says back in the browser: the limit of a text field counted as you type, a text over it
refused with the message beside the field (never cut), an old success banner gone when a later action is
refused, and no Content Security Policy violation when a refused form comes back."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Locator, Page, expect

from samordna.domain.confidentiality import GUARD_MESSAGE
from tests.browser.conftest import BROWSER, Watch, field, open_card_action, submit, without_reload
from tests.factories import World, national_id

pytestmark = BROWSER

TOO_LONG = "Teksten er for lang (høyst 200 tegn)."
CSP_EVENTS = """() => {
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", e => window.__cspViolations.push(e.violatedDirective));
}"""


def open_action(page: Page, trigger: str) -> Locator:
    """Open an action's <details> on the measure page; returns its form."""
    page.locator(f"#action-{trigger} summary").click()
    form = page.locator(f"#action-{trigger} form")
    expect(form).to_be_visible()
    return form


def test_the_title_shows_its_limit_counts_as_you_type_and_is_refused_not_cut(
    user: Callable[..., Page], web_world: World, watch: Watch
) -> None:
    watch.allow(422)
    m = web_world.register()  # «Natteravner i sentrum»: 21 characters
    page = user("coordinator")
    page.goto(f"/measures/{m.id}")
    form = open_action(page, "edit")
    title = field(form, "Tittel")
    counter, live = page.locator("#f-edit-title-count"), page.locator("#f-edit-title-count-live")
    expect(counter).to_have_text("21 av 200 tegn")
    expect(title).to_have_attribute("aria-describedby", "f-edit-title-count")
    expect(live).to_have_attribute("aria-live", "polite")

    title.fill("Natteravner i sentrum fredag og lørdag kl.")
    expect(counter).to_have_text("42 av 200 tegn")
    expect(live).to_have_text("42 av 200 tegn")  # spoken once typing pauses

    pasted = ("Trygg skolevei " * 667)[:10_000]  # a paste a browser's maxlength would cut to 200, saying nothing
    title.fill(pasted)
    assert len(title.input_value()) == len(pasted)
    expect(counter).to_have_text(re.compile(r"^10\s000 av 200 tegn – 9\s800 for mange$"))
    expect(counter).to_have_class(re.compile(r"\bcounter--over\b"))

    with without_reload(page):
        assert submit(page, form, "Endre beskrivelse").status == 422
        form = page.locator("#action-edit form")
        expect(page.locator("#f-edit-title-error")).to_have_text(TOO_LONG)
        expect(field(form, "Tittel")).to_have_value(pasted)  # every character is still there
        expect(field(form, "Tittel")).to_be_focused()
        expect(page.locator("#f-edit-title-count")).to_have_text(re.compile(r"^10\s000 av 200 tegn"))
    expect(page.locator("h1")).to_have_text("Natteravner i sentrum")


def test_an_old_success_banner_goes_when_a_later_action_is_refused(
    user: Callable[..., Page], web_world: World, watch: Watch
) -> None:
    watch.allow(422)
    m = web_world.advance(web_world.register(), "in_follow_up")
    page = user("executing")
    page.goto(f"/measures/{m.id}")
    status = page.locator("#measure-status")
    with without_reload(page):
        form = open_action(page, "report_status")
        field(form, "Status").select_option(label="Går etter planen")
        field(form, "Merknad").fill("Godt oppmøte i høstferien.")
        assert submit(page, form, "Rapporter status").status == 200
        expect(status.locator(".alert--ok")).to_contain_text("«Rapporter status» er registrert")

        form = open_action(page, "report_status")
        field(form, "Status").select_option(label="Ute av kurs")
        field(form, "Merknad").fill(f"Gutten med fødselsnummer {national_id()} har sluttet å komme.")
        assert submit(page, form, "Rapporter status").status == 422
        expect(page.locator("#f-report_status-note-error")).to_have_text(GUARD_MESSAGE["nb"])
        expect(status.locator(".alert--ok")).to_have_count(0)
        expect(page.locator(".alert--ok")).to_have_count(0)
        expect(status.locator(".alert--error")).to_have_text(
            "«Rapporter status» ble ikke utført. Se meldingen ved skjemaet."
        )
        expect(field(page.locator("#action-report_status form"), "Merknad")).to_be_focused()


def test_a_refused_form_with_a_resized_text_box_comes_back_without_csp_violations(
    user: Callable[..., Page], web_world: World, watch: Watch
) -> None:
    """The browser keeps a text box's dragged size in a style attribute; htmx used to copy it onto the
    returned form with setAttribute, which `style-src 'self'` refuses."""
    watch.allow(422)
    m = web_world.advance(web_world.register(), "in_follow_up")
    page = user("executing")
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.evaluate(CSP_EVENTS)
    with without_reload(page):
        form = open_card_action(page, m.id, "Rapporter status")
        field(form, "Status").select_option(label="Ute av kurs")
        note = field(form, "Merknad")
        note.fill(f"Gutten med fødselsnummer {national_id()} har sluttet å komme.")
        note.evaluate("box => { box.style.height = '180px'; }")  # what dragging the resize handle does
        assert submit(page, form, "Rapporter status").status == 422
        message = page.locator(f"#f{m.id}-report_status-note-error")
        expect(message).to_have_text(GUARD_MESSAGE["nb"])
        note = field(page.locator(f"#card-slot-{m.id} form"), "Merknad")
        expect(note).to_be_focused()
        page.wait_for_timeout(100)  # htmx settles 20 ms after the swap: where the attribute was copied
        assert note.evaluate("box => box.getBoundingClientRect().height") == 180  # the size is kept
    assert page.evaluate("window.__cspViolations") == []
    assert not [text for text in messages if "Content Security Policy" in text or "securitypolicyviolation" in text]
