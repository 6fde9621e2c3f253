"""Cross-site request forgery in a real browser: a page on another site posts to the app.

The victim logs in (127.0.0.1, the live server); then, in the same browser context, opens an attacker's
page served by a second server on 127.0.0.2 — another origin and, for cookies, another site. Its own
script file (no inline script) submits a form to the app: a valid-looking «Initier tiltak» on a real
measure, or a log-out. The app must refuse with 403 and change nothing: the measure keeps its version
and state, and the victim stays logged in. Whether the browser withheld the cookies (SameSite=Lax) or
sent them, the attacker cannot know the CSRF token, so the refusal does not depend on the browser.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BROWSER, Watch
from tests.conftest import skip_or_fail
from tests.factories import World, valid_data

pytestmark = BROWSER

ATTACKER_HOST = "127.0.0.2"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Win a prize</title>
<script src="/attack.js" defer></script></head>
<body><h1>Congratulations!</h1>
<form id="attack" method="post" action="{action}">{fields}<button>Claim</button></form>
</body></html>"""

SUBMIT = 'document.addEventListener("DOMContentLoaded", function () { document.getElementById("attack").submit(); });'

FETCH = """document.addEventListener("DOMContentLoaded", function () {
  fetch("%s", {method: "POST", mode: "no-cors", credentials: "include",
               headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "%s"})
    .then(function () { document.title = "sent"; }, function () { document.title = "failed"; });
});"""


class Attacker:
    """A plain http.server (127.0.0.2 unless told) serving one page and its script, both set by the test."""

    def __init__(self, host: str = ATTACKER_HOST) -> None:
        self.files: dict[str, tuple[str, str]] = {}
        self.server = ThreadingHTTPServer((host, 0), partial(_Handler, self))
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def serve(self, *, page: str, script: str) -> str:
        self.files = {"/": ("text/html; charset=utf-8", page), "/attack.js": ("text/javascript", script)}
        return self.url + "/"


class _Handler(BaseHTTPRequestHandler):
    def __init__(self, attacker: Attacker, *args: Any) -> None:
        self.attacker = attacker
        super().__init__(*args)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        found = self.attacker.files.get(urlsplit(self.path).path)
        if found is None:
            self.send_error(404)
            return
        kind, body = found
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:  # quiet
        pass


@pytest.fixture
def attacker() -> Iterator[Attacker]:
    yield from run(ATTACKER_HOST)


@pytest.fixture
def neighbour() -> Iterator[Attacker]:
    """Another origin on the app's own host (another port): the same *site*, so the browser does send
    SameSite=Lax cookies — only the CSRF token stands in the way."""
    yield from run("127.0.0.1")


def run(host: str) -> Iterator[Attacker]:
    try:
        site = Attacker(host)
    except OSError as exc:  # a system without the whole 127.0.0.0/8 on loopback
        skip_or_fail(f"cannot bind {host}: {exc}")
    site.thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


def form_page(action: str, fields: dict[str, Any]) -> str:
    inputs = "".join(
        f'<input type="hidden" name="{escape(str(k))}" value="{escape(str(v))}">' for k, v in fields.items()
    )
    return PAGE.format(action=escape(action), fields=inputs)


def still_logged_in(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/areas/alfa/boards/coordination")
    assert urlsplit(page.url).path == "/areas/alfa/boards/coordination", page.url


def test_a_form_on_another_site_cannot_fire_a_transition(
    user: Callable[..., Page], web_world: World, live_server: Any, attacker: Attacker, watch: Watch
) -> None:
    watch.allow(403)
    w = web_world
    need = w.register()
    page = user("coordinator")  # the victim, logged in on 127.0.0.1
    action = f"{live_server.url}/measures/{need.id}/transitions/initiate"
    url = attacker.serve(page=form_page(action, {**valid_data(w, "initiate"), "version": need.version}), script=SUBMIT)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url == action) as answer:
        page.goto(url)
    response = answer.value
    assert response.status == 403, response.status
    assert response.request.headers.get("origin") == attacker.url  # it really came from the other site
    assert "cookie" not in response.request.all_headers()  # another site: SameSite=Lax withheld them
    expect(page.locator("main")).to_contain_text("Skjemaet er utløpt eller kom fra et annet nettsted")
    after = w.samordna.measures.get(actor=w.actors["coordinator"], measure_id=need.id)
    assert (after.state, after.version) == (need.state, need.version)  # nothing happened
    still_logged_in(page, live_server)
    # The same action from the app's own page goes through: the refusal was the forgery, not the data.
    page.goto(f"{live_server.url}/measures/{need.id}")
    action_box = page.locator("#action-initiate")
    action_box.locator("summary").click()
    action_box.get_by_label("Mål", exact=True).select_option(label="Redusere rusbruk blant ungdom")
    action_box.get_by_label("Plan for tiltaket", exact=True).fill("Plan for høsten.")
    action_box.get_by_label("Suksesskriterier", exact=True).fill("Færre hendelser.")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url == action) as answer:
        action_box.get_by_role("button", name="Initier tiltak", exact=True).click()
    assert answer.value.status == 200, answer.value.status  # htmx: the page's main part, swapped
    assert w.samordna.measures.get(actor=w.actors["coordinator"], measure_id=need.id).version == need.version + 1


def test_a_form_on_another_site_cannot_log_the_victim_out(
    user: Callable[..., Page], live_server: Any, attacker: Attacker, watch: Watch
) -> None:
    watch.allow(403)
    page = user("viewer")
    action = f"{live_server.url}/logout"
    url = attacker.serve(page=form_page(action, {}), script=SUBMIT)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url == action) as answer:
        page.goto(url)
    assert answer.value.status == 403, answer.value.status
    still_logged_in(page, live_server)


def test_a_script_on_another_site_cannot_post_with_the_victims_cookies(
    user: Callable[..., Page], web_world: World, live_server: Any, attacker: Attacker, watch: Watch
) -> None:
    """fetch() with credentials and a form body (a «simple» request, so no CORS preflight stops it)."""
    watch.allow(403)
    w = web_world
    need = w.register()
    page = user("coordinator")
    action = f"{live_server.url}/measures/{need.id}/transitions/decline"
    url = attacker.serve(page=form_page("#", {}), script=FETCH % (action, f"reason=x&version={need.version}"))
    with page.expect_response(lambda r: r.request.method == "POST" and r.url == action) as answer:
        page.goto(url)
    assert answer.value.status == 403, answer.value.status
    expect(page).to_have_title("sent")  # the request left the browser (the answer is opaque to the script)
    after = w.samordna.measures.get(actor=w.actors["coordinator"], measure_id=need.id)
    assert (after.state, after.version) == (need.state, need.version)
    still_logged_in(page, live_server)


def test_a_form_from_another_origin_on_the_same_host_is_refused_by_the_token(
    user: Callable[..., Page], web_world: World, live_server: Any, neighbour: Attacker, watch: Watch
) -> None:
    """Same site, other port: the browser sends the session and CSRF cookies with the forged form, and the
    missing token alone makes the app refuse it."""
    watch.allow(403)
    w = web_world
    need = w.register()
    page = user("coordinator")
    action = f"{live_server.url}/measures/{need.id}/transitions/initiate"
    url = neighbour.serve(page=form_page(action, {**valid_data(w, "initiate"), "version": need.version}), script=SUBMIT)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url == action) as answer:
        page.goto(url)
    response = answer.value
    assert response.status == 403, response.status
    cookies = response.request.all_headers().get("cookie", "")
    assert "samordna_session=" in cookies and "csrftoken=" in cookies, cookies  # sent, and still refused
    after = w.samordna.measures.get(actor=w.actors["coordinator"], measure_id=need.id)
    assert (after.state, after.version) == (need.state, need.version)
    still_logged_in(page, live_server)
