"""Browser harness: one Debian Chromium per session driven by Playwright for Python, a fresh browser
context per user in every test, the live server (tests/conftest.py) over the test world.

Engine: the browser suite runs on SQLite only. Every module sets `pytestmark = BROWSER`, which marks
its tests `browser` and parametrizes `engine_name` with "sqlite" alone; the same pages run over
PostgreSQL in the HTTP tests (tests/<room>/test_web*.py), and browsers on both engines would double the
slowest part of the suite for no new coverage of the browser side.

Every page a test opens is watched (`Watch`): a console error, an uncaught exception, a Content
Security Policy violation (a `securitypolicyviolation` listener added as an init script — CDP injects
it outside the page's CSP — and Chromium's own console report) or a 5xx answer fails the test.
HTTP 4xx answers a test provokes on purpose are allowed with `watch.allow(422)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Response,
    expect,
    sync_playwright,
)

from tests.conftest import skip_or_fail
from tests.factories import World
from tests.web_support import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000  # a step that takes longer than this is broken, not slow
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("securitypolicyviolation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});
"""
DUPLICATE_IDS = """() => {
  const seen = new Set(), twice = new Set();
  for (const el of document.querySelectorAll("[id]")) { (seen.has(el.id) ? twice : seen).add(el.id); }
  return [...twice];
}"""
FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")

BROWSER = [pytest.mark.browser, pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)]

_axe = Axe()


# ---------------------------------------------------------------- watching pages


class Watch:
    """Collects what must never happen on a page: console errors, script errors, CSP violations, 5xx."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.allowed: set[int] = set()

    def allow(self, *statuses: int) -> None:
        """HTTP statuses this test provokes on purpose (Chromium logs every 4xx as a console error)."""
        self.allowed.update(statuses)

    def attach(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught error on {page.url}: {error}"))
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or "securitypolicyviolation" in text:
            self.problems.append(f"CSP violation on {message.page.url if message.page else '?'}: {text}")
            return
        if message.type != "error":
            return
        failed = FAILED_LOAD.search(text)
        if failed:
            status = int(failed.group(1))
            url = message.location.get("url", "")
            if status >= 500 or status in self.allowed or urlsplit(url).path == "/favicon.ico":
                return  # 5xx: reported by _response with its URL; /favicon.ico: the app serves none
            text = f"{text} ({url})"
        self.problems.append(f"console error: {text}")

    def _response(self, response: Response) -> None:
        if response.status >= 500:
            self.problems.append(f"{response.status} from {response.request.method} {response.url}")

    def check(self) -> None:
        problems, self.problems = self.problems, []
        if problems:
            pytest.fail("The browser reported problems:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """A test whose pages reported problems fails (teardown checks again for anything that came late)."""
    result = yield
    watch = getattr(item, "funcargs", {}).get("watch")
    if isinstance(watch, Watch):
        watch.check()
    return result


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        skip_or_fail(f"Chromium not installed at {CHROMIUM}")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def new_context(
    chromium: Browser, live_server: Any, web_world: World, watch: Watch
) -> Iterator[Callable[..., BrowserContext]]:
    """Open a browser context on the live server (one per user); all close, and are checked, at teardown."""
    opened: list[BrowserContext] = []

    def open_context(**options: Any) -> BrowserContext:
        options = {"base_url": live_server.url, "locale": "nb-NO", "timezone_id": "Europe/Oslo", **options}
        context = chromium.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_LISTENER)
        context.on("page", watch.attach)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()
    watch.check()


@pytest.fixture
def user(new_context: Callable[..., BrowserContext]) -> Callable[..., Page]:
    """`user("executing")`: a page in a new context, logged in as that member of the test world."""

    def log_in_as(who: str, **options: Any) -> Page:
        return login(new_context(**options), f"{who}@example.no", PASSWORD)

    return log_in_as


# ---------------------------------------------------------------- helpers


def login(context: BrowserContext, email: str, password: str) -> Page:
    """Log in through the form; the page ends on the board of the user's role."""
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("E-postadresse").fill(email)
    page.get_by_label("Passord").fill(password)
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url(lambda url: urlsplit(url).path != "/login")
    return page


def axe_check(page: Page, what: str = "", unique_ids: bool = True) -> None:
    """axe-core on the page as it is now: no WCAG 2.1 A/AA violation, and (unless told) no id used twice."""
    violations = _axe.run(page, options=AXE_OPTIONS).response["violations"]
    duplicates = page.evaluate(DUPLICATE_IDS) if unique_ids else []
    if duplicates:  # WCAG 2.1 4.1.1; axe 4.x no longer checks it, and an htmx swap can easily break it
        violations.append(
            {
                "id": "duplicate-id",
                "impact": "serious",
                "help": "id attribute values must be unique",
                "helpUrl": "https://www.w3.org/TR/WCAG21/#parsing",
                "nodes": [{"target": [f"[id='{d}']"], "failureSummary": "used more than once"} for d in duplicates],
            }
        )
    if not violations:
        return
    lines = [f"axe found {len(violations)} WCAG 2.1 A/AA violation(s) on {what or page.url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:8]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {' '.join(map(str, node['target']))}: {summary[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    pytest.fail("\n".join(lines), pytrace=False)


@contextmanager
def without_reload(page: Page) -> Iterator[None]:
    """The block's actions must be served by htmx: a page load would wipe this window property."""
    page.evaluate("window.__samordnaMarker = 'still here'")
    yield
    assert page.evaluate("window.__samordnaMarker") == "still here", "the page was reloaded: htmx did not swap"


def card(page: Page, measure_id: int) -> Locator:
    return page.locator(f"#measure-{measure_id}")


def expect_count(page: Page, state: str, n: int) -> None:
    """The column's count badge («3 tiltak»)."""
    expect(page.locator(f"#column-count-{state}")).to_have_text(re.compile(rf"^\s*{n}\b"))


def expect_in_column(page: Page, measure_id: int, state: str) -> None:
    expect(page.locator(f"#cards-{state} > #measure-{measure_id}")).to_be_visible()


def open_card_action(page: Page, measure_id: int, action: str) -> Locator:
    """Click an action on a card: its form opens in the card's slot (htmx GET). Returns the form."""
    with page.expect_response(lambda r: r.request.method == "GET" and "/actions/" in r.url) as answer:
        card(page, measure_id).locator(".card__actions").get_by_role("link", name=action).click()
    assert answer.value.status == 200, answer.value.status
    form = page.locator(f"#card-slot-{measure_id} form")
    expect(form).to_be_visible()
    return form


def submit(page: Page, form: Locator, button: str) -> Response:
    """Press the form's submit button and wait for the server's answer (a POST)."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        form.get_by_role("button", name=button, exact=True).click()
    return answer.value


def field(form: Locator, label: str) -> Locator:
    return form.get_by_label(label, exact=True)


def fill_need(form: Locator, title: str) -> None:
    """The «Meld behov» form, filled in by its labels as a person would."""
    field(form, "Tittel").fill(title)
    field(form, "Beskrivelse av behovet").fill("Mange elever på mellomtrinnet er alene etter skoletid.")
    field(form, "Kunnskapsgrunnlag").fill("Ungdata 2025 og skolens observasjoner")
    field(form, "Målgruppe").fill("Elever 10–13 år")
    field(form, "Arena").select_option(label="Skole")
