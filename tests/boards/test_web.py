"""The three level boards over real HTTP (httpx against the live server): pages for each role,
filters in the URL, «Vis flere», a card's action form, and actions that swap only what changed."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import event

from samordna.domain.confidentiality import GUARD_MESSAGE
from tests.boards.test_service import bulk_measures
from tests.factories import World, national_id, valid_data
from tests.web_support import Form, WebClient

BOARDS = ("coordination", "execution", "steering")
ROLES = ("coordinator", "steering", "coordination", "executing", "viewer")


def card_post(b: WebClient, url: str, data: Form, htmx: bool = True, page: str | None = None) -> httpx.Response:
    """A card's form: with htmx it targets the card slot, from the board at `page` (hx-current-url)."""
    if not htmx:
        return b.post(url, data)
    headers = {"hx-target": "card-slot"}
    if page:
        headers["hx-current-url"] = str(b.client.base_url.join(page))
    return b.post(url, data, htmx=True, **headers)


def board_url(board: str, area: str = "alfa") -> str:
    return f"/areas/{area}/boards/{board}"


def action_url(board: str, measure_id: int, trigger: str) -> str:
    return f"{board_url(board)}/cards/{measure_id}/actions/{trigger}"


def cards_in(page: str, state: str) -> list[int]:
    """Card ids of one column, in order."""
    start = page.index(f'id="cards-{state}"')
    end = page.index("</ul>", start)
    return [int(i) for i in re.findall(r'<li id="measure-(\d+)"', page[start:end])]


def count_of(page: str, state: str) -> int:
    match = re.search(rf'<span class="column__count" id="column-count-{state}"[^>]*>(\d+)<', page)
    assert match, f"no count for {state}"
    return int(match.group(1))


# ---------------------------------------------------------------- pages


@pytest.mark.parametrize("who", ROLES)
def test_every_board_renders_for_every_role(browser, web_world: World, who: str) -> None:
    web_world.advance(web_world.register(title="Til styringsgruppen"), "evaluated")
    web_world.register(title="Nytt behov")
    b = browser(who)
    for board in BOARDS:
        r = b.get(board_url(board))
        assert r.status_code == 200, r.text
        assert r.headers["cache-control"] == "no-store"
        assert r.text.count("<h1") == 1
        assert 'aria-current="page"' in r.text
        # «Meld behov» is one click away, for everyone who may register a need.
        assert ('href="/areas/alfa/measures/new"' in r.text) is (who != "viewer")
    steering = b.get(board_url("steering")).text
    assert "Til styringsgruppen" in steering and "Mål og fremdrift" in steering
    assert "færre enn 5" in steering  # one measure per goal: never shown as a number
    decisions = 'hx-get="/areas/alfa/boards/steering/cards/' in steering
    assert decisions is (who in ("steering", "coordinator"))


def test_not_logged_in_goes_to_login(live_server, web_world: World) -> None:
    with httpx.Client(base_url=live_server.url, follow_redirects=False) as client:
        r = client.get(board_url("execution") + "?arena=school")
        assert r.status_code == 303
        assert r.headers["location"] == "/login?next=/areas/alfa/boards/execution%3Farena%3Dschool"
        r = client.get(board_url("coordination"), headers={"hx-request": "true"})
        assert r.headers.get("hx-redirect") == "/login"


def test_another_area_is_not_found(browser, web_world: World) -> None:
    theirs = web_world.register(who="beta_coordinator", area="beta")
    b = browser("coordinator")
    assert b.get(board_url("coordination", area="beta")).status_code == 404
    assert b.get(board_url("kitchen")).status_code == 404
    assert b.get(action_url("coordination", theirs.id, "initiate"), htmx=True).status_code == 404
    r = card_post(b, action_url("coordination", theirs.id, "initiate"), valid_data(web_world, "initiate"))
    assert r.status_code == 404
    # beta's own coordinator does not find alfa's measure through beta's board either
    ours = web_world.register()
    other = browser("beta_coordinator")
    assert other.get(f"/areas/beta/boards/coordination/cards/{ours.id}/actions/initiate", htmx=True).status_code == 404


def test_cards_show_what_matters_and_overdue_in_words(browser, web_world: World) -> None:
    m = web_world.advance(web_world.register(title="Natteravner"), "in_follow_up")
    samordna = web_world.samordna
    real = samordna.clock.source
    from datetime import timedelta

    samordna.clock.source = lambda: real() + timedelta(days=30)  # the samordna fixture restores the clock
    page = browser("executing").get(board_url("execution")).text
    card = page[page.index(f'<li id="measure-{m.id}"') :]
    card = card[: card.index("</li>")]
    assert 'class="card card--overdue"' in card
    assert ">Forfalt<" in card
    assert m.ref in card and f'href="/measures/{m.id}"' in card
    assert "Ungdomsskolene" in card and "Redusere rusbruk blant ungdom" in card
    assert "Neste oppfølging" in card
    # Without JS every action button is a link to the measure page.
    assert re.search(rf'<a class="button button--small" href="/measures/{m.id}" hx-get=', card)
    assert 'aria-expanded="false"' in card and f'aria-controls="card-slot-{m.id}"' in card


# ---------------------------------------------------------------- filters and «Vis flere»


def test_filters_live_in_the_url(browser, web_world: World) -> None:
    school = web_world.register(title="Skoletiltak", arena="school")
    night = web_world.register(title="Utelivstiltak", arena="nightlife")
    b = browser("coordinator")
    page = b.get(board_url("coordination") + "?arena=school&goal=&unit=&health=").text
    assert cards_in(page, "need_identified") == [school.id]
    assert '<option value="school" selected>' in page
    assert count_of(page, "need_identified") == 1
    assert '<form class="filters" method="get" action="/areas/alfa/boards/coordination"' in page
    assert 'hx-push-url="true"' in page

    # htmx asks for the board body only; the URL it pushes keeps only the filters that are set.
    url = board_url("coordination") + "?arena=nightlife&goal=&unit=&health="
    r = b.get(url, htmx=True, **{"hx-target": "board-body"})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert r.text.lstrip().startswith('<div id="board-body"')
    assert "<html" not in r.text
    assert r.headers["hx-push-url"] == "/areas/alfa/boards/coordination?arena=nightlife"
    assert cards_in(r.text, "need_identified") == [night.id]
    # A history restore gets the whole page.
    r = b.get(board_url("coordination"), htmx=True, **{"hx-target": "board-body", "hx-history-restore-request": "true"})
    assert "<html" in r.text


def test_vis_flere_loads_the_next_cards_of_a_column(browser, web_world: World) -> None:
    bulk_measures(web_world, [{"state": "need_identified", "arena": "school"} for _ in range(25)])
    bulk_measures(web_world, [{"state": "need_identified", "arena": "digital"} for _ in range(3)])
    b = browser("coordination")
    page = b.get(board_url("coordination") + "?arena=school").text
    first = cards_in(page, "need_identified")
    assert len(first) == 20 and count_of(page, "need_identified") == 25
    more = page[page.index('id="column-more-need_identified"') :]
    more = html.unescape(more[: more.index("</div>")])
    # Without JS: a link to the board with a longer column; with htmx: the next cards, appended.
    assert 'href="/areas/alfa/boards/coordination?arena=school&limit_need_identified=40#column-need_identified"' in more
    assert 'hx-get="/areas/alfa/boards/coordination/columns/need_identified?arena=school"' in more
    assert "hx-include=\"#cards-need_identified input[name='shown']\"" in more
    assert 'hx-swap="beforeend"' in more

    longer = b.get(board_url("coordination") + "?arena=school&limit_need_identified=40").text
    assert len(cards_in(longer, "need_identified")) == 25 and 'id="column-more-need_identified">' in longer

    query = urlencode([("arena", "school"), *[("shown", i) for i in first]])
    r = b.get(f"{board_url('coordination')}/columns/need_identified?{query}", htmx=True)
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    rest = [int(i) for i in re.findall(r'<li id="measure-(\d+)"', r.text)]
    assert len(rest) == 5 and not set(rest) & set(first)
    assert 'id="column-more-need_identified" hx-swap-oob="true"' in r.text
    assert "Vis flere" not in r.text  # nothing more to load

    r = b.get(f"{board_url('coordination')}/columns/need_identified?{query}")  # without htmx
    assert r.status_code == 303
    assert r.headers["location"].endswith("limit_need_identified=40#column-need_identified")


# ---------------------------------------------------------------- a card's actions


def test_card_action_form_opens_in_place(browser, web_world: World) -> None:
    need = web_world.register()
    b = browser("coordination")
    r = b.get(action_url("coordination", need.id, "initiate"), htmx=True)
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert "<html" not in r.text
    assert r.text.lstrip().startswith(f'<form id="card-form-{need.id}"')
    assert f'hx-post="{action_url("coordination", need.id, "initiate")}"' in r.text
    assert f'hx-target="#card-slot-{need.id}"' in r.text
    assert f'<input type="hidden" name="version" value="{need.version}">' in r.text
    for name in ("goal_id", "plan", "success_criteria"):
        assert f'name="{name}"' in r.text
    assert f'data-close-form="card-slot-{need.id}"' in r.text and "Avbryt" in r.text
    assert "Taushetsplikt" in r.text

    # A trigger without fields still gets a one-click confirmation.
    assigned = web_world.advance(web_world.register(), "assigned")
    r = browser("executing").get(action_url("execution", assigned.id, "start"), htmx=True)
    assert r.status_code == 200
    assert "Bekreft" in r.text and ">Start tiltaket</button>" in r.text

    # Without htmx the same form is a page of its own.
    r = b.get(action_url("coordination", need.id, "initiate"))
    assert r.status_code == 200 and "<html" in r.text
    assert f'action="{action_url("coordination", need.id, "initiate")}"' in r.text


def test_action_form_for_a_trigger_the_user_may_not_fire(browser, web_world: World) -> None:
    need = web_world.register()
    r = browser("viewer").get(action_url("coordination", need.id, "initiate"), htmx=True)
    assert r.status_code == 403 and "kan bare gjøres av" in html.unescape(r.text)
    r = browser("coordinator").get(action_url("coordination", need.id, "start"), htmx=True)
    assert r.status_code == 409 and "Behov avdekket" in html.unescape(r.text)
    assert browser("coordinator").get(action_url("coordination", need.id, "fly"), htmx=True).status_code == 404


def test_accepted_action_moves_the_card_and_updates_the_counts(browser, web_world: World) -> None:
    need, other = web_world.register(title="Første behov"), web_world.register(title="Andre behov")
    b = browser("coordination")
    page = b.get(board_url("coordination")).text
    assert count_of(page, "need_identified") == 2 and count_of(page, "initiated") == 0

    r = card_post(
        b,
        action_url("coordination", need.id, "initiate"),
        {"version": need.version, **valid_data(web_world, "initiate")},
        page=board_url("coordination"),
    )
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["hx-retarget"] == f"#measure-{need.id}" and r.headers["hx-reswap"] == "outerHTML"
    body = r.text
    # The old card goes (no main content), the card appears at the top of «Initiert».
    assert body.lstrip().startswith('<ul hx-swap-oob="afterbegin:#cards-initiated">')
    assert body.count(f'<li id="measure-{need.id}"') == 1
    assert count_of(body, "need_identified") == 1 and count_of(body, "initiated") == 1
    assert 'id="column-count-need_identified" hx-swap-oob="true"' in body
    assert "Tildel ansvar" in body  # the next action on the moved card
    assert "har nå status «Initiert»" in html.unescape(body)
    page = b.get(board_url("coordination")).text
    assert cards_in(page, "initiated") == [need.id] and cards_in(page, "need_identified") == [other.id]


def test_accepted_action_that_stays_in_the_column_re_renders_the_card(browser, web_world: World) -> None:
    m = web_world.advance(web_world.register(), "in_follow_up")
    b = browser("executing")
    r = card_post(
        b,
        action_url("execution", m.id, "report_status"),
        {"version": m.version, "health": "at_risk", "note": "Færre deltakere enn ventet."},
        page=board_url("execution"),
    )
    assert r.status_code == 200, r.text
    card = r.text.lstrip().split(">", 1)[0]  # the card itself, at its new version (what live.js compares)
    assert card.startswith(f'<li id="measure-{m.id}"') and f'data-version="{m.version + 1}"' in card
    assert "I faresonen" in r.text and "afterbegin" not in r.text
    assert count_of(r.text, "in_follow_up") == 1


def test_accepted_action_that_leaves_the_board_removes_the_card(browser, web_world: World) -> None:
    m = web_world.advance(web_world.register(), "under_evaluation")
    b = browser("coordinator")
    r = card_post(
        b,
        action_url("coordination", m.id, "submit_evaluation"),
        {"version": m.version, **valid_data(web_world, "submit_evaluation")},
        page=board_url("coordination"),
    )
    assert r.status_code == 200, r.text
    assert f'<li id="measure-{m.id}"' not in r.text
    assert count_of(r.text, "under_evaluation") == 0
    assert "vises ikke lenger på denne tavla" in html.unescape(r.text)


def test_accepted_action_on_the_execution_board_and_a_filtered_board(browser, web_world: World) -> None:
    m = web_world.advance(web_world.register(arena="school"), "assigned")
    b = browser("executing")
    page = board_url("execution") + "?arena=digital"  # the card is not on the filtered page...
    r = card_post(b, action_url("execution", m.id, "start"), {"version": m.version}, page=page)
    assert r.status_code == 200
    assert f'<li id="measure-{m.id}"' not in r.text  # ...so it is not put there either
    assert count_of(r.text, "assigned") == 0 and count_of(r.text, "in_follow_up") == 0

    m2 = web_world.advance(web_world.register(arena="school"), "assigned")
    r = card_post(b, action_url("execution", m2.id, "start"), {"version": m2.version}, page=board_url("execution"))
    assert 'hx-swap-oob="afterbegin:#cards-in_follow_up"' in r.text
    assert count_of(r.text, "assigned") == 0 and count_of(r.text, "in_follow_up") == 2


def test_steering_decides_in_place(browser, web_world: World) -> None:
    m = web_world.advance(web_world.register(), "evaluated")
    b = browser("coordinator")
    form = b.get(action_url("steering", m.id, "close"), htmx=True).text
    assert 'name="meeting_date"' in form and 'name="decision_note"' in form
    r = card_post(
        b,
        action_url("steering", m.id, "close"),
        {"version": m.version, "decision_note": "Avsluttes."},
        page=board_url("steering"),
    )
    assert r.status_code == 422 and 'name="meeting_date"' in r.text  # the coordinator must give the meeting date
    r = card_post(
        b,
        action_url("steering", m.id, "close"),
        {"version": m.version, "decision_note": "Avsluttes.", "meeting_date": web_world.today().isoformat()},
        page=board_url("steering"),
    )
    assert r.status_code == 200 and count_of(r.text, "evaluated") == 0


def test_without_js_an_accepted_post_goes_back_to_the_board(browser, web_world: World) -> None:
    need = web_world.register()
    r = card_post(
        browser("coordination"),
        action_url("coordination", need.id, "initiate"),
        {"version": need.version, **valid_data(web_world, "initiate")},
        htmx=False,
    )
    assert r.status_code == 303 and r.headers["location"] == board_url("coordination")


# ---------------------------------------------------------------- refused actions


def test_refused_422_returns_the_form_with_the_message_beside_the_field(browser, web_world: World) -> None:
    need = web_world.register()
    b = browser("coordination")
    r = card_post(
        b,
        action_url("coordination", need.id, "initiate"),
        {"version": need.version, "plan": "En plan <med> tegn & mer", "goal_id": web_world.goals["alfa"]},
        page=board_url("coordination"),
    )
    assert r.status_code == 422
    assert "hx-retarget" not in r.headers  # the form goes back into the card's slot
    assert r.text.lstrip().startswith(f'<form id="card-form-{need.id}"')
    assert "En plan &lt;med&gt; tegn &amp; mer</textarea>" in r.text
    error = re.search(
        rf'<p class="error" id="f{need.id}-initiate-success_criteria-error">([^<]+)</p>\s*<textarea id="f{need.id}-'
        rf'initiate-success_criteria" name="success_criteria" required aria-invalid="true"',
        r.text,
    )
    assert error, r.text
    assert f'<option value="{web_world.goals["alfa"]}" selected>' in r.text
    assert f'name="version" value="{need.version}"' in r.text

    # Without JS: the same form as a page, with the same message.
    r = card_post(
        b, action_url("coordination", need.id, "initiate"), {"version": need.version, "plan": "Plan"}, htmx=False
    )
    assert r.status_code == 422 and "<html" in r.text and 'aria-invalid="true"' in r.text


def test_refused_national_identity_number_is_not_echoed(browser, web_world: World) -> None:
    need = web_world.register()
    number = national_id()
    r = card_post(
        browser("coordination"),
        action_url("coordination", need.id, "initiate"),
        {"version": need.version, **valid_data(web_world, "initiate"), "plan": f"Eleven {number} trenger hjelp."},
        page=board_url("coordination"),
    )
    assert r.status_code == 422
    assert GUARD_MESSAGE["nb"] in html.unescape(r.text)
    assert number not in r.text and number[6:] not in r.text


def test_refused_409_shows_the_current_state_and_keeps_the_text(browser, web_world: World) -> None:
    need = web_world.register()
    web_world.fire("coordinator", need, "initiate")  # someone else was quicker
    b = browser("coordination")
    r = card_post(
        b,
        action_url("coordination", need.id, "decline"),
        {"version": need.version, "reason": "Dekkes av skolens eget arbeid."},
        page=board_url("coordination"),
    )
    assert r.status_code == 409
    text = html.unescape(r.text)
    assert "Noen andre har endret tiltaket" in text and "«Initiert»" in text
    assert "Dekkes av skolens eget arbeid.</textarea>" in r.text
    assert "ikke lenger mulig" in text and ">Ikke prioriter</button>" not in r.text

    # Still possible: the form now carries the version the user has seen, so sending again works.
    m = web_world.advance(web_world.register(), "in_follow_up")
    web_world.fire("executing", m, "report_status")
    r = card_post(
        b,
        action_url("coordination", m.id, "pause"),
        {"version": m.version, "reason": "Venter på midler."},
        page=board_url("coordination"),
    )
    assert r.status_code == 409 and f'name="version" value="{m.version + 1}"' in r.text
    r = card_post(
        b,
        action_url("coordination", m.id, "pause"),
        {"version": m.version + 1, "reason": "Venter på midler."},
        page=board_url("coordination"),
    )
    assert r.status_code == 200, r.text


def test_refused_403_names_who_may_and_keeps_the_text(browser, web_world: World) -> None:
    m = web_world.advance(web_world.register(), "in_follow_up")
    r = card_post(
        browser("viewer"),
        action_url("coordination", m.id, "report_status"),
        {"version": m.version, "health": "on_track", "note": "Alt går fint."},
        page=board_url("coordination"),
    )
    assert r.status_code == 403
    text = html.unescape(r.text)
    assert "«Rapporter status» kan bare gjøres av" in text and "koordineringsgruppen" in text
    assert "Alt går fint.</textarea>" in r.text
    assert '<option value="on_track" selected>' in r.text


def test_post_without_csrf_token_is_refused(browser, web_world: World) -> None:
    need = web_world.register()
    b = browser("coordination")
    r = b.client.post(
        action_url("coordination", need.id, "initiate"),
        data={"version": need.version, **valid_data(web_world, "initiate")},
        headers={"hx-request": "true"},
    )
    assert r.status_code == 403
    assert (
        web_world.samordna.measures.get(actor=web_world.actors["coordination"], measure_id=need.id).state
        == "need_identified"
    )


# ---------------------------------------------------------------- one transaction per card action


def test_an_accepted_card_action_touches_the_measures_in_one_transaction(browser, web_world: World) -> None:
    """Over HTTP: the log-in's session and actor are read as for every page, but the action itself — the
    transition, the card's new place and the counts — is one transaction (BEGINs counted on the engine)."""
    need = web_world.register()
    b = browser("coordination")
    b.get(board_url("coordination"))
    transactions: list[list[str]] = []

    def on_begin(conn):  # type: ignore[no-untyped-def]
        transactions.append([])

    def on_statement(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if transactions:
            transactions[-1].append(statement)

    engine = web_world.samordna.db.engine
    event.listen(engine, "begin", on_begin)
    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        r = card_post(
            b,
            action_url("coordination", need.id, "initiate"),
            {"version": need.version, **valid_data(web_world, "initiate")},
            page=board_url("coordination"),
        )
    finally:
        event.remove(engine, "begin", on_begin)
        event.remove(engine, "before_cursor_execute", on_statement)
    assert r.status_code == 200, r.text
    # Apart from the log-in's reads (the session, the actor; and the session's write when it changed), one
    # transaction: the transition (its own statements run on the DBAPI cursor, unseen here) and, in the
    # same transaction, the card's new place and the counts.
    login = [t for t in transactions if t and ("web_session" in t[0] or "user_account" in t[0])]
    action = [t for t in transactions if t not in login]
    assert len(login) >= 2 and len(action) == 1, transactions
    assert any("GROUP BY measure_tally.state" in s for s in action[0])  # the counts, from the tallies
    assert 'hx-swap-oob="afterbegin:#cards-initiated"' in r.text


# ---------------------------------------------------------------- the language keeps the board's filters


def test_choosing_a_language_keeps_the_board_and_its_filters(browser, web_world: World) -> None:
    b = browser("coordinator")
    goal = web_world.goals["alfa"]
    url = board_url("coordination") + f"?goal={goal}&arena=school"
    page = b.get(url).text
    match = re.search(r'<input type="hidden" id="lang-next" name="next" value="([^"]*)"', page)
    assert match, "no language form"
    target = html.unescape(match.group(1))
    assert target == url
    r = b.post("/language", {"lang": "nn", "next": target})
    assert r.status_code == 303 and r.headers["location"] == url
    page = b.get(r.headers["location"]).text
    assert '<html lang="nn">' in page and f'<option value="{goal}" selected>' in page
    assert '<option value="school" selected>' in page

    # After a filter change by htmx (the header is not re-rendered), the language form learns the new URL.
    r = b.get(board_url("coordination") + "?arena=digital", htmx=True, **{"hx-target": "board-body"})
    assert r.status_code == 200
    assert (
        f'<input type="hidden" id="lang-next" name="next" value="{board_url("coordination")}?arena=digital"'
        ' hx-swap-oob="true">'
    ) in r.text


# ---------------------------------------------------------------- «Behov vi har meldt»


def test_executing_staff_find_the_needs_they_registered_on_their_board(browser, web_world: World) -> None:
    web_world.register(title="Leksehjelp på biblioteket")  # by «executing» (Ungdomsskolene)
    web_world.fire("coordination", web_world.register(title="Skatepark"), "decline")
    web_world.register(who="executing_police", title="Politiets eget behov")
    page = browser("executing").get(board_url("execution")).text
    text = html.unescape(page)
    start = page.index('id="column-registered"')
    section = html.unescape(page[start : page.index("</section>", start)])
    assert "Behov vi har meldt" in section
    assert "Leksehjelp på biblioteket" in section and "Skatepark" in section
    assert "Ikke prioritert" in section  # the state, since the section mixes them
    assert "Politiets eget behov" not in text
    assert count_of(page, "registered") == 2
    assert 'href="#column-registered"' in page


def test_needs_we_registered_count_up_to_a_thousand_and_then_say_over(browser, web_world: World) -> None:
    """«Behov vi har meldt» stops counting after boards.COUNT_CAP (its cost then follows the page, not what the
    unit has registered in all): 1 001 needs read «over 1 000», and «Vis flere» still pages on."""
    uid = web_world.user_ids["executing"]
    bulk_measures(web_world, [{"state": "need_identified", "created_by_id": uid} for _ in range(1_000)])
    b = browser("executing")
    page = b.get(board_url("execution")).text
    assert count_of(page, "registered") == 1_000 and len(cards_in(page, "registered")) == 20
    bulk_measures(web_world, [{"state": "initiated", "created_by_id": uid}])
    page = b.get(board_url("execution")).text
    count = re.search(r'id="column-count-registered"[^>]*>([^<]*)<', page)
    assert count and html.unescape(count.group(1)) == "over 1\u00a0000", count
    assert len(cards_in(page, "registered")) == 20
    more = page[page.index('id="column-more-registered"') :]
    assert "Vis flere" in more[: more.index("</div>")]
