"""Cross-site scripting: hostile text in every field a person can write, rendered in a real browser.

Each payload of CORPUS goes into every free-text field of a measure (need, plan, order, reasons, notes,
evaluation, decision), into a goal (title and description), a unit's name and a member's name — through
the services, as the API and the forms would store them. Then the three boards, the measure pages (with
their timelines and prefilled forms), the organisation pages, the audit log and the workflow page are
opened in Chromium, and htmx fragments (a card's action form) are swapped in.

On every page: no dialog opened, nothing the text could have become exists (no event-handler or htmx
attribute, no javascript: URL, no script but the app's own, no iframe/img/object, no svg but the
workflow diagram), htmx fetched nothing the text asked for (/logout), the harness saw no CSP
violation or script error — and the text is there, shown literally («{{7*7}}», not 49).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BROWSER, Watch, card, open_card_action
from tests.factories import World

pytestmark = BROWSER

CORPUS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg onload=alert(1)>",
    "' onmouseover='alert(1)",
    '<a href="javascript:alert(1)">x</a>',
    '<div hx-get="/logout" hx-trigger="load">x</div>',
    '<div hx-on:click="alert(1)">x</div>',
    "{{7*7}}",
    "</textarea><script>alert(1)</script>",
    "<iframe src=javascript:alert(1)>",
]

# Everything on the page that hostile text could have turned into (the app's own markup has none of it).
INJECTED = """(workflowPage) => {
  const found = [];
  const show = (el) => el.outerHTML.slice(0, 160);
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase(), value = a.value.trim().toLowerCase();
      if (name.startsWith("on") || name.includes("hx-on") || name.startsWith("data-hx-on")) found.push(show(el));
      if (/^(data-)?hx-(get|post|put|patch|delete)$/.test(name) && value.includes("/logout")) found.push(show(el));
      const url = ["href", "src", "action", "formaction", "xlink:href", "data"].includes(name);
      if (url && value.startsWith("javascript:")) found.push(show(el));
    }
  }
  for (const el of document.querySelectorAll("script")) {
    if (!el.src || new URL(el.src).origin !== location.origin || !new URL(el.src).pathname.startsWith("/static/"))
      found.push(show(el));
  }
  for (const el of document.querySelectorAll("iframe, img, object, embed, frame, base, meta[http-equiv]"))
    found.push(show(el));
  const diagrams = workflowPage ? document.querySelectorAll("main svg.workflow-diagram").length : 0;
  if (document.querySelectorAll("svg").length !== diagrams) found.push("an <svg> beyond the workflow diagram");
  return found;
}"""


@dataclass
class Hostile:
    """What each payload was put into: the ids of the measures, goals, units and members it names."""

    running: dict[str, int] = field(default_factory=dict)  # full path, back in follow-up: execution board
    needs: dict[str, int] = field(default_factory=dict)  # registered only: coordination board
    evaluated: dict[str, int] = field(default_factory=dict)  # awaiting a decision: steering board
    declined: dict[str, int] = field(default_factory=dict)


@dataclass
class Writer:
    """The coordinator writing `text` into every field of measures, naming a hostile goal, unit, member."""

    world: World
    text: str
    goal: int
    unit: int
    member: int  # a user id

    def fire(self, m: Any, trigger: str, **data: Any) -> Any:
        return self.world.fire("coordinator", m, trigger, **data)

    def register(self, **extra: Any) -> Any:
        t = self.text
        return self.world.register(
            "coordinator", title=t, need_description=t, knowledge_source=t, target_group=t, **extra
        )

    def to_running(self, m: Any, contact: bool) -> Any:
        """With `contact`, the hostile unit (and member as contact) first, then Ungdomsskolene; else the
        other way round, so the hostile unit's name ends up on the card."""
        w, t = self.world, self.text
        due = (w.today() + timedelta(days=60)).isoformat()
        schools = w.unit("Ungdomsskolene")
        first, then = (self.unit, schools) if contact else (schools, self.unit)
        m = self.fire(m, "initiate", goal_id=self.goal, plan=t, success_criteria=t)
        m = self.fire(
            m,
            "assign",
            responsible_unit_id=first,
            order_text=t,
            due_date=due,
            follow_up_days=14,
            participating_unit_ids=[w.unit("Politiet")],
            **({"contact_user_id": self.member} if contact else {}),
        )
        m = self.fire(m, "reassign", responsible_unit_id=then, reason=t)
        m = self.fire(m, "start")
        return self.fire(m, "report_status", health="at_risk", note=t)

    def to_evaluated(self, m: Any) -> Any:
        t = self.text
        m = self.fire(m, "request_evaluation", note=t)
        return self.fire(m, "submit_evaluation", effect="partly", method=t, findings=t, recommendation="extend")

    def the_whole_way(self) -> Any:
        """Every trigger with text (pause, evaluation, a decision), back in follow-up."""
        w, t = self.world, self.text
        m = self.to_running(self.register(goal_id=self.goal), contact=True)
        m = self.to_evaluated(self.fire(self.fire(m, "pause", reason=t), "resume"))
        due = (w.today() + timedelta(days=365)).isoformat()
        return self.fire(m, "extend", decision_note=t, due_date=due, meeting_date=w.today().isoformat())


def fill_with(world: World, corpus: list[str]) -> Hostile:
    """Every text field of the app, once per payload, through the services (the API's and forms' path)."""
    s, coordinator, year = world.samordna, world.actors["coordinator"], world.today().year
    out = Hostile()
    for i, text in enumerate(corpus):
        goal = s.organisation.create_goal(
            actor=coordinator,
            slug="alfa",
            data={"title": text, "description": text, "period_from": year, "period_to": year + 2},
        )
        unit = s.organisation.add_unit(actor=coordinator, slug="alfa", data={"name": text, "kind": "municipal"})
        member = s.organisation.add_member(
            actor=coordinator,
            slug="alfa",
            data={"email": f"xss{i}@example.no", "name": text, "role": "executing", "unit_id": unit.id},
        ).member
        writer = Writer(world, text, goal.id, unit.id, member.user_id)
        out.running[text] = writer.the_whole_way().id
        out.evaluated[text] = writer.to_evaluated(writer.to_running(writer.register(), contact=False)).id
        out.needs[text] = writer.register().id
        out.declined[text] = writer.fire(writer.register(), "decline", reason=text).id
    return out


# ---------------------------------------------------------------- checking a page


class Guard:
    """Fails on a dialog, and remembers every request, so a fetch the text asked for is seen."""

    def __init__(self, page: Page) -> None:
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        page.on("dialog", self._dialog)
        page.on("request", lambda r: self.requests.append(f"{r.method} {urlsplit(r.url).path}"))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def check(self, page: Page, what: str, *, workflow: bool = False) -> None:
        page.wait_for_load_state("load")
        page.wait_for_timeout(50)  # let htmx process the page (hx-trigger="load" would fire now)
        injected = page.evaluate(INJECTED, workflow)
        assert not injected, f"{what}: markup from user text:\n  " + "\n  ".join(injected)
        assert not self.dialogs, f"{what}: a dialog opened: {self.dialogs}"
        fetched = [r for r in self.requests if r.endswith("/logout")]
        assert not fetched, f"{what}: the page asked for {fetched}"


def shows_literally(page: Page, texts: list[str], where: str = "main") -> None:
    """Every text is visible as typed (escaped, not interpreted)."""
    shown = page.locator(where).inner_text()
    missing = [t for t in texts if t not in shown]
    assert not missing, f"not shown literally on {page.url}: {missing}"


# ---------------------------------------------------------------- the test


def test_hostile_text_stays_text_on_every_page(user: Callable[..., Page], web_world: World, watch: Watch) -> None:
    hostile = fill_with(web_world, CORPUS)
    page = user("coordinator")
    guard = Guard(page)
    guard.check(page, "the board after log-in")

    boards = {"coordination": hostile.needs, "execution": hostile.running, "steering": hostile.evaluated}
    for board, measures in boards.items():
        page.goto(f"/areas/alfa/boards/{board}")
        guard.check(page, f"the {board} board")
        for text, measure_id in measures.items():
            expect(card(page, measure_id).locator(".card__title")).to_have_text(text)
        if board != "coordination":  # goal and unit names on the cards and in the filters
            shows_literally(page, CORPUS)

    # An action form swapped into a card by htmx: goal titles as options, the measure's values in fields.
    page.goto("/areas/alfa/boards/coordination")
    for text, measure_id in list(hostile.needs.items())[:3]:
        form = open_card_action(page, measure_id, "Initier tiltak")
        guard.check(page, f"the «Initier tiltak» form of {text!r}")
        assert form.get_by_label("Mål", exact=True).locator("option", has_text=CORPUS[7]).count() == 1
    page.goto("/areas/alfa/boards/steering")
    text, measure_id = next(iter(hostile.evaluated.items()))
    open_card_action(page, measure_id, "Videreføre")
    guard.check(page, "the «Videreføre» form on the steering board")

    declined = list(hostile.declined.items())[:2]
    for text, measure_id in [*hostile.running.items(), *declined]:
        page.goto(f"/measures/{measure_id}")
        guard.check(page, f"the measure page of {text!r}")
        expect(page.locator("h1")).to_have_text(text)
        times = page.locator("main").inner_text().count(text)
        if (text, measure_id) in declined:
            assert times >= 5, (text, times)  # the need's four fields and the reason
            continue
        assert times >= 15, (text, times)  # every field, the timeline's entries, goal, units, contact
        # The edit form (closed <details>) holds the text as the value of its fields, unchanged.
        edit = page.locator("#action-edit form")
        expect(edit.locator("[name=title]")).to_have_value(text)
        expect(edit.locator("[name=need_description]")).to_have_value(text)

    for tab in ("units", "members", "goals", "log"):
        page.goto(f"/areas/alfa/admin/{tab}")
        guard.check(page, f"the admin page {tab}")
        shows_literally(page, CORPUS)

    page.goto("/workflows/measure")
    guard.check(page, "the workflow page", workflow=True)
    assert page.locator("main svg.workflow-diagram").count() == (1 if shutil.which("dot") else 0)  # Graphviz

    page.goto(f"/measures/{hostile.running['{{7*7}}']}")
    assert page.title().startswith("ALF-") and "{{7*7}}" in page.title()  # the <title>, too

    # Still logged in: no payload reached /logout.
    page.goto("/areas/alfa/boards/coordination")
    assert urlsplit(page.url).path == "/areas/alfa/boards/coordination"
    assert not [r for r in guard.requests if "/logout" in r]


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'])
def test_hostile_text_typed_into_a_form_comes_back_as_text(
    user: Callable[..., Page], web_world: World, watch: Watch, payload: str
) -> None:
    """The same through the browser's own forms: a need registered with hostile text, and a refused form
    (422) that shows what was typed back — the place where escaping is most often forgotten."""
    watch.allow(422)
    page = user("coordinator")
    guard = Guard(page)
    page.goto("/areas/alfa/measures/new")
    form = page.locator("main form")
    form.get_by_label("Tittel", exact=True).fill(payload)
    form.get_by_label("Beskrivelse av behovet", exact=True).fill(payload)
    form.get_by_role("button", name="Meld behov").click()  # no knowledge source or target group: 422
    # The refused form must be back (swapped in) before typing on, or the swap would undo the typing.
    expect(form.locator("[aria-invalid=true]").first).to_be_visible()
    expect(form.get_by_label("Tittel", exact=True)).to_have_value(payload)
    guard.check(page, "the refused need form")
    form = page.locator("main form")
    form.get_by_label("Kunnskapsgrunnlag", exact=True).fill(payload)
    form.get_by_label("Målgruppe", exact=True).fill(payload)
    form.get_by_label("Arena", exact=True).select_option(label="Skole")
    form.get_by_role("button", name="Meld behov").click()
    page.wait_for_url(lambda url: urlsplit(url).path.startswith("/measures/"))
    guard.check(page, "the new measure's page")
    expect(page.locator("h1")).to_have_text(payload)
