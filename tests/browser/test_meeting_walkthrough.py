"""A meeting of the steering group from start to finish in Chromium, through the pages a coordinator uses:
plan it on «Møter», open its agenda (generated from the boards: the evaluated measures and the goal's status,
not a closed measure nor one the coordination group still has), add an item of their own and send the
agenda, run the meeting on the projector view recording two decisions (the measures move, and their pages
say the decision was made in the meeting), mark it held and print the minutes. axe-core finds no WCAG 2.1
A/AA violation on any page on the way.

Then the others: a steering member reads the steering group's meetings and minutes and nothing else, with no
form to plan, change or decide anything (a decision or a plan posted with a valid CSRF token is refused, 403);
an executing member sees the faggruppe's and the SLT-samling's meetings, never the steering group's (403).
"""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import BROWSER, axe_check, field, submit
from tests.factories import World

pytestmark = BROWSER

STEERING = "Styringsgruppe (politiråd)"
FREE_ITEM = "Ungdata 2025 for Alfa"


def _plan(world: World, level: str, title: str) -> int:
    """A meeting of another body, planned through the service (the walk plans its own through the form)."""
    tomorrow = (world.today() + timedelta(days=1)).isoformat()  # among the coming meetings at any hour
    data = {"body": level, "title": title, "day": tomorrow, "start": "13:00", "end": "14:00"}
    return world.samordna.meetings.plan(actor=world.actors["coordinator"], slug="alfa", data=data).id


def _csrf_token(page: Page) -> str:
    """The page's CSRF token, as htmx sends it (the body's hx-headers)."""
    headers = page.locator("body").get_attribute("hx-headers") or ""
    found = re.search(r'"x-csrftoken":\s*"([^"]+)"', headers)
    assert found, headers
    return found[1]


def _body_headings(page: Page) -> list[str]:
    """The bodies the «Møter» page shows, by the heading of each body's section."""
    return [
        re.sub(r"\s*·.*$", "", h, flags=re.S).strip() for h in page.locator("section[id^=body-] h2").all_inner_texts()
    ]


def _agenda_titles(page: Page) -> list[str]:
    return [" ".join(t.split()) for t in page.locator("#agenda ol.agenda__items > li h3").all_inner_texts()]


def _open_from_list(page: Page, level: str, meeting_id: int) -> None:
    """Click the meeting on «Møter» in its body's section (among the earlier ones once it has ended)."""
    section = page.locator(f"section#body-{level}")
    link = section.locator(f"a[href='/meetings/{meeting_id}']")
    expect(link).to_have_count(1)
    if not link.is_visible():
        section.locator("summary", has_text="Tidligere møter").click()
    link.click()
    page.wait_for_url(f"**/meetings/{meeting_id}")


def _go_to_item(page: Page, title: str) -> None:
    """Walk the projector view with the arrow keys until the item about `title` is shown."""
    heading = page.locator("#live-heading")
    for _step in range(10):
        if title in heading.inner_text():
            return
        before = page.locator(".live__count").inner_text()
        page.keyboard.press("ArrowRight")
        expect(page.locator(".live__count")).not_to_have_text(before)
    raise AssertionError(f"no item «{title}» on the projector view")


def _decide(page: Page, label: str, values: dict[str, str]) -> None:
    """Open the decision `label` on the projector view, fill it in by its labels and record it."""
    details = page.locator("details.action", has=page.locator("summary", has_text=re.compile(rf"^\s*{label}\s*$")))
    details.locator("summary").click()
    form = details.locator("form")
    for name, value in values.items():
        field(form, name).fill(value)
    response = submit(page, form, label)
    assert response.status == 303, response.status
    expect(page.get_by_role("status")).to_contain_text("Vedtaket er ført i referatet.")
    expect(page.locator(".live__decision")).to_have_text(re.compile(rf"Vedtak:\s*{label}"))
    expect(page.locator("form[action$='/decision']")).to_have_count(0)  # once decided, nothing more to decide


def _no_forms(main: Locator) -> None:
    """Nothing to fill in or send: no form, no field, and no button but «Skriv ut»."""
    expect(main.locator("form")).to_have_count(0)
    expect(main.locator("input, select, textarea")).to_have_count(0)
    expect(main.locator("button:not([data-print])")).to_have_count(0)


def test_a_steering_meeting_from_plan_to_printed_minutes(web_world: World, user, watch) -> None:
    watch.allow(403)
    w = web_world
    library = w.advance(w.register(title="Leksehjelp på biblioteket"), "evaluated")
    walkers = w.advance(w.register(title="Natteravner i sentrum"), "evaluated")
    w.advance(w.register(title="Sommerjobb for ungdom"), "closed")
    w.advance(w.register(title="Fritidsklubb i Nordbyen"), "under_evaluation")
    coordination = _plan(w, "coordination", "Koordineringsmøte")
    _plan(w, "executing", "Faggruppemøte skole")
    _plan(w, "all", "SLT-samling høst")
    today = w.today()

    # ---- the coordinator plans the meeting on «Møter»
    page = user("coordinator", viewport={"width": 1400, "height": 1000})
    axe_check(page, "koordinatorens tavle etter innlogging")
    page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Møter").click()
    expect(page.get_by_role("heading", level=1, name="Møter")).to_be_visible()
    axe_check(page, "møter")
    page.get_by_role("link", name="Planlegg møte").click()
    form = page.locator("#plan-one form")
    field(form, "Organ").select_option(label=STEERING)
    field(form, "Dato").fill(today.isoformat())
    field(form, "Starter (klokkeslett)").fill("09:00")
    field(form, "Slutter (klokkeslett)").fill("11:00")
    field(form, "Sted (valgfritt)").fill("Rådhuset, møterom 2")
    submit(page, form, "Planlegg møtet")
    page.wait_for_url(re.compile(r"/meetings/\d+$"))
    meeting_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("status")).to_contain_text("Møtet er planlagt.")
    axe_check(page, "det nye møtet")
    # it is on the list of the steering group's meetings, and opens from there
    page.get_by_role("link", name="Møter", exact=True).first.click()
    _open_from_list(page, "steering", meeting_id)
    expect(page.get_by_role("heading", level=1)).to_have_text(STEERING)
    expect(page.locator(".meeting__when")).to_contain_text("Rådhuset, møterom 2")
    expect(page.locator(".meeting__when")).to_contain_text("Planlagt")

    # ---- its agenda, generated from the boards
    expect(page.locator("#agenda ol.agenda__items > li")).to_have_count(3)
    titles = _agenda_titles(page)
    assert [t for t in titles if "Leksehjelp" in t or "Natteravner" in t] == [
        f"{library.ref} Leksehjelp på biblioteket",
        f"{walkers.ref} Natteravner i sentrum",
    ], titles
    assert "Redusere rusbruk blant ungdom" in titles, titles  # the active goal's status
    assert not any(t for t in titles if "Sommerjobb" in t or "Fritidsklubb" in t or "Gammelt mål" in t), titles
    for measure in (library, walkers):
        item = page.locator("#agenda li", has=page.locator(f"a[href='/measures/{measure.id}']"))
        expect(item).to_contain_text("Evaluert: venter på beslutning")
    axe_check(page, "møtet med saksliste")

    form = page.locator("#add-item form")
    field(form, "Type sak").select_option(label="Orientering")
    field(form, "Tittel på saken").fill(FREE_ITEM)
    field(form, "Tekst (valgfritt)").fill("Hovedfunn for ungdomsskolene, presentert av SLT-koordinator.")
    submit(page, form, "Legg til saken")
    expect(page.get_by_role("status")).to_contain_text(f"«{FREE_ITEM}» er lagt til.")
    expect(page.locator("#agenda ol.agenda__items > li")).to_have_count(4)
    page.get_by_role("button", name=f"Flytt opp {FREE_ITEM}").click()
    expect(page.get_by_role("status")).to_contain_text("Rekkefølgen er endret.")
    assert _agenda_titles(page)[2] == FREE_ITEM, _agenda_titles(page)
    axe_check(page, "sakslisten med egen sak")

    page.get_by_role("button", name="Send saksliste").click()
    expect(page.get_by_role("status")).to_contain_text("Sakslisten er sendt til")
    expect(page.locator(".meeting__when")).to_contain_text("Saksliste sendt")
    year = today.year % 100
    numbers = page.locator("#agenda .agenda-item__number").all_inner_texts()
    assert len(numbers) == 4 and all(re.fullmatch(rf"Sak \d\d/{year:02d}", n) for n in numbers), numbers
    expect(page.locator("#add-item")).to_have_count(0)  # frozen
    expect(page.locator("#recipients-heading + p")).to_contain_text("Steering")
    expect(page.locator("#recipients-heading + p")).not_to_contain_text("Executing")
    axe_check(page, "sendt saksliste")

    # ---- the meeting on the projector view: attendance and two decisions
    page.get_by_role("link", name="Åpne møtevisningen").click()
    page.wait_for_url(re.compile(rf"/meetings/{meeting_id}/live"))
    expect(page.get_by_text("Sak 1 av 4")).to_be_visible()
    page.get_by_label("Steering: Møtt").check()
    page.get_by_label("Coordinator: Møtt").check()
    page.get_by_label("Gjest (navn) (valgfritt)").fill("Lensmannen i Alfa")
    # Only the steering group's own members are on the list: not the executing or coordination level.
    for outsider in ("Executing", "Coordination", "Viewer"):
        expect(page.get_by_label(f"{outsider}: Møtt")).to_have_count(0)
    page.get_by_role("button", name="Lagre oppmøtet").click()
    expect(page.get_by_role("status")).to_contain_text("Oppmøtet er lagret.")
    axe_check(page, "møtevisningen")

    _go_to_item(page, "Leksehjelp på biblioteket")
    expect(page.locator(".live__facts")).to_contain_text("Evaluert – til behandling")
    _decide(
        page,
        "Avslutte",
        {
            "Vedtak": "Tiltaket avsluttes; målet er nådd.",
            "Notat i referatet (valgfritt)": "Erfaringene tas med videre.",
        },
    )
    expect(page.locator(".live__facts")).to_contain_text("Avsluttet")
    axe_check(page, "møtevisningen etter første vedtak")

    _go_to_item(page, "Natteravner i sentrum")
    due = (today + timedelta(days=365)).isoformat()
    _decide(page, "Videreføre", {"Vedtak": "Videreføres ett år med samme plan.", "Frist": due})
    expect(page.locator(".live__facts")).to_contain_text("I gang – oppfølging")
    axe_check(page, "møtevisningen etter andre vedtak")

    # the measure page tells where the decision was taken
    page.locator(".live__facts").get_by_role("link", name=re.compile("Natteravner i sentrum")).click()
    page.wait_for_url(f"**/measures/{walkers.id}")
    expect(page.get_by_text("I gang – oppfølging").first).to_be_visible()
    decided = page.locator(".timeline__entry").filter(has_text="Videreføre").first
    expect(decided.get_by_role("link", name="Vedtatt i møte")).to_have_attribute("href", f"/meetings/{meeting_id}")
    axe_check(page, "tiltakssiden etter vedtaket")
    decided.get_by_role("link", name="Vedtatt i møte").click()
    page.wait_for_url(f"**/meetings/{meeting_id}")

    # ---- held; the minutes printed
    field(page.locator("form[action$='/hold']"), "Oppsummering i referatet (valgfritt)").fill(
        "Styringsgruppen behandlet to evaluerte tiltak."
    )
    page.get_by_role("button", name="Marker møtet som gjennomført").click()
    expect(page.get_by_role("status")).to_contain_text("Møtet er markert som gjennomført. Referatet er klart.")
    minutes = page.locator("#minutes")
    expect(minutes.get_by_role("heading", name="Referat")).to_be_visible()
    expect(minutes).to_contain_text("Styringsgruppen behandlet to evaluerte tiltak.")
    present = minutes.locator(".facts dt", has_text="Møtt").locator("+ dd")
    for name in ("Coordinator", "Steering", "Lensmannen i Alfa"):
        expect(present).to_contain_text(name)
    lines = minutes.locator(".minutes__decision")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("Vedtak: Avslutte. Tiltaket avsluttes; målet er nådd.")
    expect(lines.nth(1)).to_contain_text("Vedtak: Videreføre. Videreføres ett år med samme plan.")
    expect(lines.nth(0)).to_contain_text("ført av Coordinator")
    expect(minutes).to_contain_text("Erfaringene tas med videre.")  # the note written with the decision
    print_button = page.get_by_role("button", name="Skriv ut")
    expect(print_button).to_be_visible()  # the script shows it, and it opens the browser's print dialogue
    page.evaluate("window.print = function () { window.__samordnaPrinted = true; }")
    print_button.click()
    assert page.evaluate("window.__samordnaPrinted === true"), "«Skriv ut» did not print"
    axe_check(page, "referatet")

    page.emulate_media(media="print")
    expect(page.locator(".site-nav")).to_be_hidden()
    expect(page.locator(".site-user")).to_be_hidden()
    expect(print_button).to_be_hidden()
    expect(page.get_by_role("link", name="Åpne møtevisningen")).to_be_hidden()
    for visible_form in page.locator("main form").all():
        expect(visible_form).to_be_hidden()
    expect(lines.nth(1)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe_check(page, "referatet i utskrift")
    page.emulate_media(media="screen")

    # ---- a steering member: the steering group's meetings and minutes, read only
    steering = user("steering")
    axe_check(steering, "styringsgruppens tavle etter innlogging")
    steering.goto("/areas/alfa/meetings")
    assert _body_headings(steering) == [STEERING, "SLT-samling"], _body_headings(steering)
    main = steering.locator("main")
    expect(main).to_contain_text("SLT-samling høst")
    expect(main).not_to_contain_text("Koordineringsmøte")
    expect(main).not_to_contain_text("Faggruppemøte skole")
    expect(steering.get_by_role("link", name="Planlegg møte")).to_have_count(0)
    _no_forms(main.locator(".meetings"))
    axe_check(steering, "møter for styringsgruppen")

    steering.goto(f"/meetings/{meeting_id}")
    expect(steering.get_by_role("heading", level=1)).to_have_text(STEERING)
    expect(steering.locator("#agenda .agenda-item__number")).to_have_count(4)
    expect(steering.locator("#minutes .minutes__decision")).to_have_count(2)
    expect(steering.get_by_role("link", name="Åpne møtevisningen")).to_have_count(0)
    _no_forms(steering.locator("main article"))
    axe_check(steering, "referatet for styringsgruppen")

    steering.goto(f"/meetings/{meeting_id}/live")
    expect(steering.get_by_text("Sak 1 av 4")).to_be_visible()
    _go_to_item(steering, "Natteravner i sentrum")
    expect(steering.locator(".live__decision")).to_contain_text("Videreføre")
    expect(steering.locator("main form")).to_have_count(0)
    axe_check(steering, "møtevisningen for styringsgruppen")

    token = _csrf_token(steering)
    walkers_item = page.locator("#agenda li", has=page.locator(f"a[href='/measures/{walkers.id}']")).get_attribute("id")
    assert walkers_item and walkers_item.startswith("item-")
    refused = steering.request.post(
        f"/meetings/{meeting_id}/items/{walkers_item.removeprefix('item-')}/decision",
        form={"trigger": "report_status", "version": "999", "health": "on_track", "note": "Går fint."},
        headers={"x-csrftoken": token},
        max_redirects=0,
    )
    assert refused.status == 403, refused.status
    refused = steering.request.post(
        "/areas/alfa/meetings",
        form={"body": "steering", "day": today.isoformat(), "start": "12:00", "end": "13:00"},
        headers={"x-csrftoken": token},
        max_redirects=0,
    )
    assert refused.status == 403, refused.status
    steering.goto(f"/meetings/{coordination}")
    expect(steering.locator("main")).to_contain_text("kan lese møtene til Koordineringsgruppe")
    expect(steering.locator("main")).not_to_contain_text("Koordineringsmøte")
    axe_check(steering, "koordineringsmøtet nektet for styringsgruppen")

    # ---- an executing member: the faggruppe and the SLT-samling, never the steering group
    executing = user("executing")
    axe_check(executing, "utførende tavle etter innlogging")
    executing.goto("/areas/alfa/meetings")
    assert _body_headings(executing) == ["Faggruppe", "SLT-samling"], _body_headings(executing)
    main = executing.locator("main")
    expect(main).to_contain_text("Faggruppemøte skole")
    expect(main).to_contain_text("SLT-samling høst")
    expect(main).not_to_contain_text(STEERING)
    expect(main).not_to_contain_text("Koordineringsmøte")
    _no_forms(main.locator(".meetings"))
    axe_check(executing, "møter for faggruppen")
    executing.get_by_role("link", name="SLT-samling høst").click()
    expect(executing.get_by_role("heading", level=1)).to_have_text("SLT-samling høst")
    _no_forms(executing.locator("main article"))
    axe_check(executing, "SLT-samlingen for faggruppen")

    for url in (f"/meetings/{meeting_id}", f"/meetings/{meeting_id}/live"):
        response = executing.goto(url)
        assert response is not None and response.status == 403, (url, response and response.status)
        expect(executing.locator("main")).to_contain_text(f"kan lese møtene til {STEERING}")
        expect(executing.locator("main")).not_to_contain_text("Natteravner")
        expect(executing.locator("main")).not_to_contain_text("Vedtak")
        axe_check(executing, f"{url} nektet for faggruppen")
