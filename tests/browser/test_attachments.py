"""Files in Chromium (DESIGN.md §14): a coordinator attaches an evaluation report to a measure with htmx (a
progress bar and a status line while it goes, the file in «Vedlegg», the upload in the history, the measure's
version moved on so the next action is not refused with 409), downloads it byte for byte and removes it; the
same without JavaScript; a file of a kind Samordna does not take and a text file with a fødselsnummer come back
with the Norwegian message beside the file field, which has the focus; the minutes attached to a meeting.
axe-core finds no WCAG 2.1 A/AA violation on the measure page with files nor with a refusal."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Locator, Page, Response, expect
from reportlab.pdfgen import canvas

from tests.browser.conftest import BROWSER, Watch, axe_check, field, submit, without_reload
from tests.factories import World, national_id

pytestmark = BROWSER

NO_JS = {"java_script_enabled": False}
REPORT = "Evalueringsrapport natteravner.pdf"
NAME = re.escape(REPORT)
GIF = b"GIF89a\x01\x00\x01\x00\xff\xfe\x00\x00"  # an image, but not a kind Samordna takes
NOT_TAKEN = r"^\W*«bilde\.gif» er ikke en filtype Samordna tar imot"  # \W*: the error's «⚠» (CSS)
# What the status line said while the upload went (the section is swapped afterwards, so it is recorded).
RECORD_STATUS = """() => {
  window.__statuses = [];
  new MutationObserver(() => {
    const status = document.querySelector("#vedlegg .attachments__status");
    const text = status ? status.textContent : "";
    if (text && window.__statuses[window.__statuses.length - 1] !== text) window.__statuses.push(text);
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def pdf(text: str) -> bytes:
    """A real PDF with `text` on its page (the content checks read it)."""
    out = io.BytesIO()
    document = canvas.Canvas(out)
    document.drawString(72, 720, text)
    document.showPage()
    document.save()
    return out.getvalue()


def upload(page: Page, name: str, data: bytes, mime: str = "application/pdf") -> Response:
    """Choose a file in «Legg til en fil» and press «Last opp»; the server's answer to the upload."""
    section = page.locator("#vedlegg")
    section.get_by_label("Legg til en fil").set_input_files(files=[{"name": name, "mimeType": mime, "buffer": data}])
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/attachments")) as answer:
        section.get_by_role("button", name="Last opp").click()
    return answer.value


def download(page: Page, name: str) -> bytes:
    with page.expect_download() as info:
        page.locator("#vedlegg").get_by_role("link", name=name, exact=True).click()
    assert info.value.suggested_filename == name, info.value.suggested_filename
    path = info.value.path()
    assert path is not None
    return Path(path).read_bytes()


def flash(page: Page) -> Locator:
    """The section's confirmation («… er lagt til.», «… er fjernet.»)."""
    return page.locator("#vedlegg .alert--ok[role=status]")


def files(page: Page) -> Locator:
    return page.locator("#vedlegg .attachment")


def version(page: Page) -> int:
    return int(page.locator("#h-record + .facts dt:text-is('Versjon') + dd").inner_text())


def test_a_coordinator_attaches_an_evaluation_report_with_htmx(user: Callable[..., Page], web_world: World) -> None:
    w = web_world
    m = w.advance(w.register(), "in_follow_up")
    report = pdf("Evaluering av natteravner i sentrum: færre hendelser sene helgekvelder.")
    page = user("coordinator")
    page.goto(f"/measures/{m.id}")
    section = page.locator("#vedlegg")
    expect(section).to_contain_text("Ingen vedlegg ennå.")
    file_field = section.get_by_label("Legg til en fil")
    expect(file_field).to_have_accessible_description(re.compile(r"Filtyper: PDF.*Høyst 20 MB\..*Taushetsplikt"))
    before = version(page)

    with without_reload(page):
        page.evaluate(RECORD_STATUS)
        assert upload(page, REPORT, report).status == 200
        expect(flash(page)).to_have_text(f"«{REPORT}» er lagt til.")
        expect(flash(page)).to_be_focused()
        assert page.evaluate("window.__statuses") == ["Laster opp filen …", "Filen kontrolleres …"]
        expect(files(page)).to_have_count(1)
        expect(files(page)).to_contain_text(re.compile(rf"PDF\s*{NAME}\s*\d+ kB · lagt til .* av Coordinator"))
        history = page.locator(".timeline__what").first
        expect(history).to_have_text(re.compile(rf"^Vedlegg lagt til: {NAME} \(\d+ kB\)$"))
        assert version(page) == before + 1
        axe_check(page, "the measure page with a file")

        assert download(page, REPORT) == report

        # The forms on the page carry the new version: the next action is not refused with 409.
        page.locator("#action-report_status summary").click()
        form = page.locator("#action-report_status form")
        field(form, "Status").select_option(label="Går etter planen")
        field(form, "Merknad").fill("Evalueringsrapporten er lagt ved.")
        assert submit(page, form, "Rapporter status").status == 200
        expect(page.locator("#measure-status .alert--ok")).to_contain_text("«Rapporter status» er registrert")

        href = section.get_by_role("link", name=REPORT, exact=True).get_attribute("href")
        with page.expect_response(lambda r: r.request.method == "GET" and r.url.endswith(f"/measures/{m.id}")):
            section.get_by_role("button", name=f"Fjern {REPORT}").click()
        expect(flash(page)).to_have_text(f"«{REPORT}» er fjernet.")
        expect(flash(page)).to_be_focused()
        expect(files(page)).to_have_count(0)
        expect(history).to_have_text(f"Vedlegg fjernet: {REPORT}")
    assert href and page.request.get(href).status == 404  # removed: no longer downloadable


def test_without_javascript_the_forms_post_and_come_back(
    user: Callable[..., Page], web_world: World, watch: Watch
) -> None:
    watch.allow(415)
    w = web_world
    m = w.advance(w.register(), "in_follow_up")
    report = pdf("Evaluering uten skript.")
    page = user("coordinator", **NO_JS)
    page.goto(f"/measures/{m.id}")

    assert upload(page, "bilde.gif", GIF, mime="image/gif").status == 415
    file_field = page.locator("#attachment-file")
    expect(file_field).to_have_attribute("aria-invalid", "true")
    expect(file_field).to_be_focused()  # autofocus: no script needed
    expect(file_field).to_have_accessible_description(re.compile(NOT_TAKEN))

    upload(page, REPORT, report)  # 303 back to the page
    expect(page).to_have_url(re.compile(rf"/measures/{m.id}#vedlegg$"))
    expect(flash(page)).to_have_text(f"«{REPORT}» er lagt til.")
    expect(page.locator("#attachment-file")).not_to_have_attribute("aria-invalid", "true")
    expect(files(page)).to_have_count(1)
    expect(page.locator(".timeline__what").first).to_contain_text(f"Vedlegg lagt til: {REPORT}")
    assert download(page, REPORT) == report

    page.locator("#vedlegg").get_by_role("button", name=f"Fjern {REPORT}").click()
    page.wait_for_url(re.compile(rf"/measures/{m.id}#vedlegg$"))
    expect(flash(page)).to_have_text(f"«{REPORT}» er fjernet.")
    expect(files(page)).to_have_count(0)


def test_a_refused_upload_says_why_beside_the_file_field(
    user: Callable[..., Page], web_world: World, watch: Watch
) -> None:
    watch.allow(415, 422)
    w = web_world
    m = w.advance(w.register(), "in_follow_up")
    page = user("coordinator")
    page.goto(f"/measures/{m.id}")
    file_field = page.locator("#attachment-file")
    with without_reload(page):
        answer = upload(page, "bilde.gif", GIF, mime="image/gif")
        assert answer.status == 415
        expect(file_field).to_be_focused()
        expect(file_field).to_have_attribute("aria-invalid", "true")
        expect(file_field).to_have_accessible_description(re.compile(NOT_TAKEN + r"\. Last opp PDF.*Filtyper:"))
        expect(page.locator("#vedlegg .attachments__progress")).to_be_hidden()
        expect(page.locator("#vedlegg button[type=submit]")).to_be_enabled()

        number = national_id()
        names = f"Deltakere på kurset:\nElev {number}\n".encode()
        assert upload(page, "deltakere.txt", names, mime="text/plain").status == 422
        error = page.locator("#attachment-file-error")
        expect(error).to_contain_text("«deltakere.txt» ser ut til å inneholde et fødselsnummer")
        expect(error).not_to_contain_text(number)
        expect(file_field).to_be_focused()
        expect(file_field).to_have_accessible_description(re.compile(r"^\W*«deltakere\.txt» ser ut til"))
        expect(files(page)).to_have_count(0)
        axe_check(page, "the measure page with a refused upload")


def test_minutes_attached_to_a_meeting(user: Callable[..., Page], web_world: World) -> None:
    w = web_world
    tomorrow = (w.today() + timedelta(days=1)).isoformat()
    data = {"body": "coordination", "title": "Månedsmøte", "day": tomorrow, "start": "13:00", "end": "14:00"}
    meeting = w.samordna.meetings.plan(actor=w.actors["coordinator"], slug="alfa", data=data)
    minutes = pdf("Referat fra månedsmøtet, signert.")
    page = user("coordinator")
    page.goto(f"/meetings/{meeting.id}")
    expect(page.locator("#vedlegg")).to_contain_text("Ingen vedlegg ennå.")
    with without_reload(page):
        assert upload(page, "Signert referat.pdf", minutes).status == 200
        expect(flash(page)).to_have_text("«Signert referat.pdf» er lagt til.")
        expect(files(page)).to_have_count(1)
        assert download(page, "Signert referat.pdf") == minutes

        page.locator("#vedlegg").get_by_role("button", name="Fjern Signert referat.pdf").click()
        expect(flash(page)).to_have_text("«Signert referat.pdf» er fjernet.")
        expect(flash(page)).to_be_focused()
        expect(files(page)).to_have_count(0)
