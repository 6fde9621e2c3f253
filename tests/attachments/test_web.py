"""The attachment routes of the browser without a browser: httpx over real HTTP, logged in through the log-in
form, the CSRF token in the form (before the file, as the page's form sends it) or, for htmx, in the header.

A form without JavaScript gets 303 back to the page's «Vedlegg»; a refusal shows the page again with the message
beside the file field and the status of the refusal; htmx gets the measure page's main block (retargeted) or the
meeting's section. A missing or foreign CSRF token is refused before a byte of the file is written."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from samordna.attachments import upload as upload_module
from tests.api.support import measure_in
from tests.attachments import files
from tests.attachments.support import empty_data_dir, rows, temporary_files
from tests.factories import World
from tests.web_support import WebClient, text_of

CSRF_REFUSED = "Skjemaet er utløpt eller kom fra et annet nettsted."


@pytest.fixture
def browser_as(browser: Callable[[str], WebClient], web_world: World) -> Callable[[str], WebClient]:
    empty_data_dir(web_world.samordna)
    return browser


def send_file(
    b: WebClient,
    url: str,
    filename: str,
    data: bytes,
    *,
    htmx: bool = False,
    token: str | None = "own",
) -> httpx.Response:
    """The page's upload form: without JavaScript the token is a field before the file; htmx sends it as the
    X-CSRFToken header (and the field too, as the form has it). `token`: "own", None (left out) or another value."""
    value = b.token if token == "own" else token
    fields = {"_csrf_token": value} if value is not None else {}
    headers = {"hx-request": "true", "x-csrftoken": value} if htmx and value is not None else {}
    if htmx and value is None:
        headers = {"hx-request": "true"}
    return b.client.post(
        url, data=fields, files={"file": (filename, data, "application/octet-stream")}, headers=headers
    )


def file_error(page: str) -> str:
    """The message beside the file field, and that the field is marked invalid and points at it."""
    found = re.search(r'<p class="error" id="attachment-file-error">(.*?)</p>', page, re.S)
    assert found is not None, text_of(page)[:2000]
    field = re.search(r'<input type="file" id="attachment-file"[^>]*>', page, re.S)
    assert field is not None
    assert 'aria-invalid="true"' in field[0] and "attachment-file-error" in field[0]
    return text_of(found[1]).strip()


def meeting(world: World, level: str = "all") -> int:
    day = (world.today() + timedelta(days=14)).isoformat()
    data = {"body": level, "day": day, "start": "09:00", "end": "11:00"}
    return world.samordna.meetings.plan(actor=world.actors["coordinator"], slug="alfa", data=data).id


# ---------------------------------------------------------------- without JavaScript


def test_the_plain_form_answers_303_and_the_page_lists_the_file_with_a_flash(
    browser_as: Callable[[str], WebClient], web_world: World
) -> None:
    m = web_world.register()
    b = browser_as("coordinator")
    data = files.pdf(["Evaluering"])
    r = send_file(b, f"/measures/{m.id}/attachments", "Evalueringsrapport Ås.pdf", data)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/measures/{m.id}#vedlegg"
    made = rows(web_world.samordna)
    assert len(made) == 1 and made[0]["filename"] == "Evalueringsrapport Ås.pdf"
    page = b.get(f"/measures/{m.id}")
    assert page.status_code == 200
    link = f'<a class="attachment__name" href="/attachments/{made[0]["id"]}" download>Evalueringsrapport Ås.pdf</a>'
    assert link in page.text
    flash = '<p class="alert alert--ok" role="status" data-autofocus>«Evalueringsrapport Ås.pdf» er lagt til.</p>'
    assert flash in page.text
    assert "er lagt til." not in b.get(f"/measures/{m.id}").text  # the flash is shown once
    download = b.get(f"/attachments/{made[0]['id']}")
    assert download.status_code == 200 and download.content == data
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith('attachment; filename="Evalueringsrapport _s.pdf";')


def test_the_meeting_form_answers_303_and_the_meeting_page_lists_the_file(
    browser_as: Callable[[str], WebClient], web_world: World
) -> None:
    held = meeting(web_world)
    b = browser_as("coordinator")
    r = send_file(b, f"/meetings/{held}/attachments", "Signert referat.pdf", files.pdf(["Referat"]))
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/meetings/{held}#vedlegg"
    page = b.get(f"/meetings/{held}").text
    assert "Signert referat.pdf</a>" in page and "«Signert referat.pdf» er lagt til." in page


@pytest.mark.parametrize(
    ("filename", "data", "status", "message"),
    [
        (
            "Rapport.pdf",
            files.zip_of({"a.txt": "Ikke en PDF"}),
            415,
            "«Rapport.pdf» er ikke en filtype Samordna tar imot. Last opp PDF, Word (DOCX),",
        ),
        (
            "Deltakere.docx",
            files.docx(["Liste"], table_cells=[["Ola", files.national_id()]]),
            422,
            "«Deltakere.docx» ser ut til å inneholde et fødselsnummer eller D-/H-nummer (tabell 1).",
        ),
        ("Tom.txt", b"", 422, "Filen er tom."),
    ],
    ids=["415", "422-guard", "422-empty"],
)
def test_a_refused_upload_shows_the_page_with_the_message_beside_the_file_field(
    browser_as: Callable[[str], WebClient], web_world: World, filename: str, data: bytes, status: int, message: str
) -> None:
    m = web_world.register()
    b = browser_as("coordinator")
    r = send_file(b, f"/measures/{m.id}/attachments", filename, data)
    assert r.status_code == status
    assert r.text.count("<h1") == 1 and f"{m.ref}" in r.text  # the whole measure page
    assert file_error(r.text).startswith(message)
    assert files.national_id() not in r.text
    assert rows(web_world.samordna) == [] and temporary_files(web_world.samordna) == []
    # With htmx: the section alone, the same message and status.
    r = send_file(b, f"/measures/{m.id}/attachments", filename, data, htmx=True)
    assert r.status_code == status
    assert r.text.lstrip().startswith('<section class="panel attachments" id="vedlegg"')
    assert file_error(r.text).startswith(message)


def test_a_file_over_the_cap_is_413_beside_the_file_field(
    browser_as: Callable[[str], WebClient], web_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_world.samordna.attachments, "max_upload_bytes", 1024 * 1024)
    m = web_world.register()
    b = browser_as("coordinator")
    r = send_file(b, f"/measures/{m.id}/attachments", "Stor.txt", files.txt("a" * (1024 * 1024 + 1)))
    assert r.status_code == 413
    assert file_error(r.text) == "Filen er for stor. Største tillatte størrelse er 1 MB."
    assert rows(web_world.samordna) == [] and temporary_files(web_world.samordna) == []


def test_a_refused_upload_on_a_meeting_shows_the_meeting_page(
    browser_as: Callable[[str], WebClient], web_world: World
) -> None:
    """(This was a 500: the page got the section's values twice.)"""
    held = meeting(web_world)
    b = browser_as("coordinator")
    r = send_file(b, f"/meetings/{held}/attachments", "Rapport.pdf", b"Ikke en PDF")
    assert r.status_code == 415
    assert "«Rapport.pdf» er ikke en filtype" in file_error(r.text)
    r = send_file(browser_as("steering"), f"/meetings/{held}/attachments", "Notat.txt", files.txt())
    assert r.status_code == 403  # the error page says why (there is no file field to show it beside)
    assert "Bare SLT-koordinator kan legge til vedlegg på et møte." in text_of(r.text)
    r = send_file(browser_as("steering"), f"/meetings/{held}/attachments", "Notat.txt", files.txt(), htmx=True)
    assert r.status_code == 403 and "Bare SLT-koordinator kan legge til vedlegg på et møte." in r.text


# ---------------------------------------------------------------- CSRF


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the upload reader opens to write (the live server runs in this process)."""
    seen: list[Path] = []
    real_open = open

    def spy(path: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(Path(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(upload_module, "open", spy, raising=False)
    return seen


@pytest.mark.parametrize(
    ("htmx", "token"),
    [(False, None), (False, "foreign"), (True, None), (True, "foreign")],
    ids=["form-none", "form-foreign", "htmx-none", "htmx-foreign"],
)
def test_a_missing_or_foreign_csrf_token_is_refused_before_the_file_is_written(
    browser_as: Callable[[str], WebClient],
    web_world: World,
    open_browser: Callable[..., WebClient],
    opened: list[Path],
    htmx: bool,
    token: str | None,
) -> None:
    m = web_world.register()
    b = browser_as("coordinator")
    value = open_browser(peer="198.51.100.7").token if token == "foreign" else None
    assert value != b.token
    r = send_file(b, f"/measures/{m.id}/attachments", "Rapport.pdf", files.pdf(["x"]) * 50, htmx=htmx, token=value)
    assert r.status_code == 403
    if not htmx:
        assert CSRF_REFUSED in text_of(r.text)
    assert opened == []  # not a byte of the file written
    assert rows(web_world.samordna) == [] and temporary_files(web_world.samordna) == []
    # The same browser with its own token is let through.
    assert send_file(b, f"/measures/{m.id}/attachments", "Rapport.pdf", files.pdf(["x"]), htmx=htmx).status_code in (
        200,
        303,
    )
    assert opened and opened[-1].parent == web_world.samordna.attachments.storage.tmp_dir


# ---------------------------------------------------------------- htmx


def test_an_htmx_upload_on_a_measure_answers_the_pages_main_block(
    browser_as: Callable[[str], WebClient], web_world: World
) -> None:
    m = web_world.register()
    b = browser_as("coordinator")
    r = send_file(b, f"/measures/{m.id}/attachments", "Notat.txt", files.txt(), htmx=True)
    assert r.status_code == 200, r.text
    assert r.headers["hx-retarget"] == "#measure-main"
    assert r.headers["hx-reswap"] == "outerHTML"
    assert "<html" not in r.text and 'id="measure-main"' in r.text
    made = rows(web_world.samordna)[0]
    assert f'<a class="attachment__name" href="/attachments/{made["id"]}" download>Notat.txt</a>' in r.text
    assert "«Notat.txt» er lagt til." in r.text
    # The block carries the version after the file's event, so the page's forms are not stale.
    now = web_world.samordna.measures.get(actor=web_world.actors["coordinator"], measure_id=m.id)
    assert now.version == m.version + 1
    assert f'name="version" value="{now.version}"' in r.text
    assert f'name="version" value="{m.version}"' not in r.text


def test_an_htmx_upload_on_a_meeting_answers_the_section_alone(
    browser_as: Callable[[str], WebClient], web_world: World
) -> None:
    held = meeting(web_world)
    r = send_file(browser_as("coordinator"), f"/meetings/{held}/attachments", "Referat.txt", files.txt(), htmx=True)
    assert r.status_code == 200, r.text
    assert "hx-retarget" not in r.headers
    assert r.text.lstrip().startswith('<section class="panel attachments" id="vedlegg"')
    assert "Referat.txt</a>" in r.text and "«Referat.txt» er lagt til." in r.text


# ---------------------------------------------------------------- who may


def test_executing_staff_of_a_unit_that_has_the_measure_may_upload_from_the_page(
    browser_as: Callable[[str], WebClient], web_world: World
) -> None:
    m = measure_in(web_world, "in_follow_up")  # Ungdomsskolene responsible
    police = browser_as("executing_police")
    page = police.get(f"/measures/{m.id}").text
    assert 'id="attachment-file"' not in page  # no form for a unit that has nothing to do with it
    r = send_file(police, f"/measures/{m.id}/attachments", "Notat.txt", files.txt())
    assert r.status_code == 403  # the error page says why (there is no file field to show it beside)
    assert (
        "Bare SLT-koordinator og koordineringsgruppen eller en ansatt i en enhet som har eller deltar i tiltaket kan "
        "legge til vedlegg." in text_of(r.text)
    )
    assert rows(web_world.samordna) == []
    school = browser_as("executing")
    assert 'id="attachment-file"' in school.get(f"/measures/{m.id}").text
    r = send_file(school, f"/measures/{m.id}/attachments", "Skolens notat.txt", files.txt())
    assert r.status_code == 303, r.text


def test_download_and_removal_are_authorised_like_the_measure(
    browser_as: Callable[[str], WebClient], web_world: World, open_browser: Callable[..., WebClient]
) -> None:
    m = measure_in(web_world, "in_follow_up", participating_unit_ids=[web_world.unit("Politiet")])
    school = browser_as("executing")
    assert send_file(school, f"/measures/{m.id}/attachments", "Skolens notat.txt", files.txt()).status_code == 303
    made = rows(web_world.samordna)[0]
    url = f"/attachments/{made['id']}"
    # Reading: everyone in alfa; not another area; not without logging in.
    assert browser_as("viewer").get(url).status_code == 200
    assert browser_as("beta_coordinator").get(url).status_code == 404
    anonymous = open_browser(peer="198.51.100.9").get(url)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    # Removing: not another unit's staff, nor a viewer; whoever added it may.
    for who in ("executing_police", "viewer"):
        r = browser_as(who).post(f"{url}/remove")
        assert r.status_code == 403, who
        assert (
            "Bare den som la til vedlegget, eller SLT-koordinator og koordineringsgruppen, kan fjerne det."
            in text_of(r.text)
        )
    assert browser_as("beta_coordinator").post(f"{url}/remove").status_code == 404
    r = school.post(f"{url}/remove")
    assert r.status_code == 303 and r.headers["location"] == f"/measures/{m.id}#vedlegg"
    page = school.get(f"/measures/{m.id}").text
    assert "«Skolens notat.txt» er fjernet." in page and f'href="{url}"' not in page
    assert school.get(url).status_code == 404


def test_a_coordinator_removes_a_file_someone_else_added(
    browser_as: Callable[[str], WebClient], web_world: World
) -> None:
    m = web_world.register()  # by «executing», who may add files to the need they registered
    assert (
        send_file(browser_as("executing"), f"/measures/{m.id}/attachments", "Notat.txt", files.txt()).status_code == 303
    )
    made = rows(web_world.samordna)[0]
    coordinator = browser_as("coordinator")
    assert f'action="/attachments/{made["id"]}/remove"' in coordinator.get(f"/measures/{m.id}").text
    assert coordinator.post(f"/attachments/{made['id']}/remove").status_code == 303
    assert rows(web_world.samordna)[0]["removed_by_id"] == web_world.user_ids["coordinator"]
