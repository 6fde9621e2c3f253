"""The measure page and «Meld behov» over real HTTP: a logged-in browser session, with and without htmx."""

from __future__ import annotations

import html
import re
import shutil
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from samordna.app import create_app
from samordna.domain.confidentiality import GUARD_MESSAGE
from samordna.services import Services
from samordna.settings import Settings
from samordna.web.i18n import fmt_date
from tests.factories import World, national_id, valid_data
from tests.web_support import WebClient, text_of


def actions_in(page: str) -> set[str]:
    return set(re.findall(r'<form method="post" action="/measures/\d+/transitions/(\w+)"', page))


def section(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return page[start:]


# ---------------------------------------------------------------- the page


def test_measure_page_shows_every_field_and_the_timeline_newest_first(browser, web_world: World) -> None:
    w = web_world
    m = w.register(age_from=14, age_to=18)
    m = w.advance(m, "in_follow_up")
    m = w.fire("executing", m, "report_status", health="at_risk", note="Færre frivillige enn planlagt.")
    r = browser("coordinator").get(f"/measures/{m.id}")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    page = r.text
    assert page.count("<h1") == 1
    assert f"<title>{m.ref} Natteravner i sentrum – Samordna</title>" in page
    text = text_of(page)
    for expected in (
        m.ref,
        "Natteravner i sentrum",
        "I gang – oppfølging",
        "Uro blant ungdom i sentrum sene helgekvelder.",
        "Politiets statistikk",
        "Ungdom 14–18 år",
        "14–18 år",
        "Uteliv",
        "Redusere rusbruk blant ungdom",
        "Plan for høsten.",
        "Færre hendelser.",
        "Ungdomsskolene",
        "Gjennomfør tiltaket innen fristen.",
        fmt_date(m.due_date),
        "hver 14. dag",
        fmt_date(m.next_follow_up_at),
        "I faresonen",
        "Beskrivelse av behovet",
        "Kunnskapsgrunnlag",
        "Målgruppe",
        "Arena",
        "Ansvarlig enhet",
        "Kontaktperson",
        "Deltakende enheter",
        "Bestilling",
        "Frist",
        "Neste oppfølging",
        "Effekt",
        "Evalueringsmetode",
        "Funn",
        "Anbefaling",
        "Vedtak i styringsgruppen",
        "Opprettet",
        "Sist endret",
    ):
        assert expected in text, expected
    assert "Forfalt" not in text  # the follow-up is in the future

    timeline = text_of(section(page, "h-timeline"))
    order = ["Rapporter status", "Start tiltaket", "Tildel ansvar", "Initier tiltak", "Behov meldt"]
    positions = [timeline.index(label) for label in order]
    assert positions == sorted(positions), timeline
    assert "Færre frivillige enn planlagt." in timeline
    assert "Initiert → Ansvar tildelt" in timeline
    assert "Executing" in timeline and "Coordination" in timeline  # who


def test_overdue_follow_up_is_said_in_words(browser, web_world: World, samordna: Services) -> None:
    w = web_world
    m = w.advance(w.register(), "in_follow_up")
    real = samordna.clock.source
    samordna.clock.source = lambda: real() + timedelta(days=30)  # the fixture puts the real clock back
    page = browser("coordinator").get(f"/measures/{m.id}").text
    assert 'class="badge badge--overdue">Forfalt<' in page


@pytest.mark.parametrize(
    ("who", "expected", "can_edit"),
    [
        ("coordinator", {"reassign", "report_status", "pause", "request_evaluation"}, True),
        ("coordination", {"reassign", "report_status", "pause", "request_evaluation"}, True),
        ("executing", {"report_status", "request_evaluation"}, False),  # member of the responsible unit
        ("executing_police", set(), False),  # neither responsible nor participating
        ("steering", set(), False),
        ("viewer", set(), False),
    ],
)
def test_page_offers_exactly_the_forms_the_role_may_use(browser, web_world: World, who, expected, can_edit) -> None:
    m = web_world.advance(web_world.register(), "in_follow_up")
    page = browser(who).get(f"/measures/{m.id}").text
    assert actions_in(page) == expected
    assert (
        set(web_world.samordna.measures.get(actor=web_world.actors[who], measure_id=m.id).allowed_triggers) == expected
    )
    assert (f'action="/measures/{m.id}/edit"' in page) is can_edit
    for trigger in expected:
        block = section(page, f"action-{trigger}")
        assert "<details" in block[:200] and "<summary>" in block[:300]
        assert f'hx-post="/measures/{m.id}/transitions/{trigger}"' in block[:800]
        assert f'hx-target="#action-{trigger}"' in block[:800]
        assert f'name="version" value="{m.version}"' in block[:1500]
        assert 'name="_csrf_token"' in block[:1500]
    if not expected and not can_edit:
        assert "Du har ingen handlinger på dette tiltaket nå." in page


def test_steering_decides_evaluated_measures_with_labelled_fields(browser, web_world: World) -> None:
    m = web_world.advance(web_world.register(), "evaluated")
    steering = browser("steering").get(f"/measures/{m.id}").text
    assert actions_in(steering) == {"extend", "adjust", "close"}
    assert '<label for="f-close-decision_note">Vedtak</label>' in steering
    # Only the coordinator must give the meeting date (recording a decision made in the meeting).
    assert '<label for="f-close-meeting_date">Møtedato i styringsgruppen <span class="hint">(valgfritt)' in steering
    assert 'id="f-close-meeting_date" name="meeting_date" required' not in steering
    coordinator = browser("coordinator").get(f"/measures/{m.id}").text
    assert '<label for="f-close-meeting_date">Møtedato i styringsgruppen</label>' in coordinator
    assert 'type="date" id="f-close-meeting_date" name="meeting_date" required' in coordinator


# ---------------------------------------------------------------- firing triggers


def initiate_data(w: World, m) -> dict:  # type: ignore[no-untyped-def]
    return {"version": m.version, **valid_data(w, "initiate")}


def test_fire_without_js_redirects_then_page_shows_the_new_state(browser, web_world: World) -> None:
    m = web_world.register()
    b = browser("coordination")
    r = b.post(f"/measures/{m.id}/transitions/initiate", initiate_data(web_world, m))
    assert r.status_code == 303
    assert r.headers["location"] == f"/measures/{m.id}"
    page = b.get(f"/measures/{m.id}").text
    assert "«Initier tiltak» er registrert. Tiltaket har nå status «Initiert»." in page
    assert 'class="badge badge--state"><span class="visually-hidden">Status: </span>Initiert<' in page
    assert actions_in(page) == {"assign"}
    assert "er registrert" not in b.get(f"/measures/{m.id}").text  # the message is shown once
    assert web_world.samordna.measures.get(actor=web_world.actors["coordination"], measure_id=m.id).state == "initiated"


def test_fire_with_htmx_returns_the_main_block(browser, web_world: World) -> None:
    m = web_world.register()
    r = browser("coordination").post(f"/measures/{m.id}/transitions/initiate", initiate_data(web_world, m), htmx=True)
    assert r.status_code == 200
    assert r.headers["hx-retarget"] == "#measure-main"
    assert r.headers["hx-reswap"] == "outerHTML"
    assert r.headers["cache-control"] == "no-store"
    body = r.text.strip()
    assert body.startswith('<div id="measure-main"')
    assert "<html" not in body and '<header class="site-header' not in body
    assert "Initiert" in body and "data-autofocus" in body
    assert actions_in(body) == {"assign"}


def test_checkbox_groups_keep_every_value(browser, web_world: World) -> None:
    w = web_world
    m = w.advance(w.register(), "initiated")
    data = [(k, v) for k, v in valid_data(w, "assign").items()] + [
        ("version", m.version),
        ("participating_unit_ids", w.unit("Politiet")),
        ("participating_unit_ids", w.unit("Kultur og fritid")),
        ("contact_user_id", w.user_ids["executing"]),
    ]
    b = browser("coordinator")
    assert b.post(f"/measures/{m.id}/transitions/assign", data).status_code == 303
    after = w.samordna.measures.get(actor=w.actors["coordinator"], measure_id=m.id)
    assert sorted(after.participating_unit_ids) == sorted([w.unit("Politiet"), w.unit("Kultur og fritid")])
    text = text_of(b.get(f"/measures/{m.id}").text)
    assert "Kultur og fritid, Politiet" in text or "Politiet, Kultur og fritid" in text
    assert "Kontaktperson Executing" in text


def test_refused_422_keeps_what_was_typed_and_puts_the_message_beside_the_field(browser, web_world: World) -> None:
    m = web_world.register()
    b = browser("coordination")
    typed = {"version": m.version, "plan": "Vår plan <for> høsten & vinteren", "success_criteria": ""}
    for htmx in (False, True):
        r = b.post(f"/measures/{m.id}/transitions/initiate", typed, htmx=htmx)
        assert r.status_code == 422
        assert r.headers["cache-control"] == "no-store"
        body = r.text
        assert "Vår plan &lt;for&gt; høsten &amp; vinteren</textarea>" in body
        error = re.search(r'<p class="error" id="f-initiate-success_criteria-error">([^<]+)</p>', body)
        assert error and error.group(1) == "Feltet må fylles ut."
        assert re.search(
            r'<textarea id="f-initiate-success_criteria"[^>]*aria-invalid="true"'
            r'[^>]*aria-describedby="f-initiate-success_criteria-error f-initiate-success_criteria-count"',
            body,
        )
        assert 'id="f-initiate-goal_id-error"' in body
        if htmx:
            assert body.strip().startswith('<div class="action" id="action-initiate">')
            assert "<html" not in body
        else:
            assert body.count("<h1") == 1 and "Natteravner i sentrum" in body
            assert re.search(r'id="action-initiate">\s*<details open>', body)
            assert '<a href="#action-initiate">«Initier tiltak» ble ikke utført.' in body
    assert (
        web_world.samordna.measures.get(actor=web_world.actors["coordination"], measure_id=m.id).state
        == "need_identified"
    )


def test_stale_version_409_says_someone_else_changed_it_and_keeps_the_note(browser, web_world: World) -> None:
    w = web_world
    m = w.advance(w.register(), "in_follow_up")
    w.fire("executing", m, "report_status")  # someone else reports first: version moves on
    now = w.samordna.measures.get(actor=w.actors["coordinator"], measure_id=m.id)
    b = browser("coordinator")
    typed = {"version": m.version, "health": "off_track", "note": "Lite oppmøte i november."}
    for htmx in (False, True):
        r = b.post(f"/measures/{m.id}/transitions/report_status", typed, htmx=htmx)
        assert r.status_code == 409
        text = text_of(r.text)
        assert "Noen andre har endret tiltaket mens du fylte ut skjemaet." in text
        assert "Det har nå status «I gang – oppfølging»." in text
        assert "Se over det du har skrevet og send på nytt." in text
        assert "Lite oppmøte i november.</textarea>" in r.text
        assert '<option value="off_track" selected>' in r.text
        assert f'name="version" value="{now.version}"' in r.text  # send again: now on the current version
    # The state moved on: the form says so and offers no button.
    m2 = w.register()
    w.fire("coordination", m2, "decline")
    r = b.post(f"/measures/{m2.id}/transitions/initiate", initiate_data(w, m2), htmx=True)
    assert r.status_code == 409
    assert "Det har nå status «Ikke prioritert»." in r.text
    assert "Denne handlingen er ikke lenger mulig." in r.text
    # The refused action's form (not the page's other forms, such as the upload of a file) offers no button.
    action = re.search(r'<div class="action" id="action-initiate">.*?</form>', r.text, re.S)
    assert action is not None, r.text
    assert "Denne handlingen er ikke lenger mulig." in action[0]
    assert 'type="submit"' not in action[0]


def test_role_that_may_not_gets_403_naming_who_may(browser, web_world: World) -> None:
    w = web_world
    m = w.advance(w.register(), "in_follow_up")
    b = browser("executing_police")
    typed = {"version": m.version, "health": "on_track", "note": "Alt vel."}
    r = b.post(f"/measures/{m.id}/transitions/report_status", typed, htmx=True)
    assert r.status_code == 403
    assert "«Rapporter status» kan bare gjøres av" in r.text
    assert "Alt vel.</textarea>" in r.text
    r = b.post(f"/measures/{m.id}/transitions/report_status", typed)
    assert r.status_code == 403
    assert "kan bare gjøres av" in r.text and r.text.count("<h1") == 1
    r = browser("viewer").post(f"/measures/{m.id}/transitions/pause", {"version": m.version, "reason": "x"})
    assert r.status_code == 403
    assert w.samordna.measures.get(actor=w.actors["coordinator"], measure_id=m.id).version == m.version


def test_national_identity_number_is_refused_and_never_echoed(browser, web_world: World) -> None:
    m = web_world.register()
    number = national_id()
    formatted = f"{number[:6]} {number[6:]}"
    b = browser("coordination")
    for htmx in (False, True):
        data = {**initiate_data(web_world, m), "plan": f"Følge opp eleven med fnr {formatted} tett."}
        r = b.post(f"/measures/{m.id}/transitions/initiate", data, htmx=htmx)
        assert r.status_code == 422
        assert GUARD_MESSAGE["nb"] in html.unescape(r.text)
        assert number not in r.text and formatted not in r.text and number[6:] not in r.text
        assert "Følge opp eleven med fnr [\u2026] tett.</textarea>" in r.text
        assert "Taushetsplikt: beskriv grupper, aldri enkeltpersoner." in r.text


# ---------------------------------------------------------------- edit


def test_edit_description(browser, web_world: World) -> None:
    m = web_world.register()
    b = browser("coordinator")
    data = {
        "version": m.version,
        "title": "Natteravner i sentrum og på stasjonen",
        "need_description": "Uro.",
        "knowledge_source": "Politiets statistikk",
        "target_group": "Ungdom 14–18 år",
        "arena": "nightlife",
        "age_from": "",
        "age_to": "",
        "goal_id": "",
    }
    r = b.post(f"/measures/{m.id}/edit", data)
    assert r.status_code == 303
    page = b.get(f"/measures/{m.id}").text
    assert "<h1>Natteravner i sentrum og på stasjonen</h1>" in page
    timeline = section(page, "h-timeline")
    assert "Beskrivelsen endret" in timeline
    assert "<del>Natteravner i sentrum</del>" in timeline
    assert "<ins>Natteravner i sentrum og på stasjonen</ins>" in timeline
    assert "Tidligere tekst</summary>Uro blant ungdom i sentrum sene helgekvelder." in timeline
    r = b.post(f"/measures/{m.id}/edit", {**data, "title": ""}, htmx=True)
    assert r.status_code == 422 and 'id="f-edit-title-error"' in r.text


# ---------------------------------------------------------------- «Meld behov»


NEW_NEED = {
    "title": "Trygg vei hjem fra ungdomsklubben",
    "need_description": "Ungdom går hjem alene sent på kvelden.",
    "knowledge_source": "Ungdata",
    "target_group": "Ungdom 13–16 år",
    "arena": "neighbourhood",
    "age_from": "13",
    "age_to": "16",
    "goal_id": "",
}


def test_register_need(browser, web_world: World) -> None:
    b = browser("executing")
    r = b.get("/areas/alfa/measures/new")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert '<h1 id="need-heading">Meld behov</h1>' in r.text
    assert "Taushetsplikt: beskriv grupper, aldri enkeltpersoner." in r.text
    assert 'action="/areas/alfa/measures"' in r.text
    r = b.post("/areas/alfa/measures", NEW_NEED)
    assert r.status_code == 303
    target = r.headers["location"]
    assert re.fullmatch(r"/measures/\d+", target)
    page = b.get(target).text
    assert "<h1>Trygg vei hjem fra ungdomsklubben</h1>" in page
    assert "er meldt som ALF-" in page and "Behov avdekket" in page

    r = b.post("/areas/alfa/measures", {**NEW_NEED, "title": "Med htmx"}, htmx=True)
    assert r.status_code == 201 and re.fullmatch(r"/measures/\d+", r.headers["hx-redirect"])


def test_refused_need_keeps_everything_typed(browser, web_world: World) -> None:
    b = browser("executing")
    typed = {**NEW_NEED, "knowledge_source": "", "age_from": "17"}
    for htmx in (False, True):
        r = b.post("/areas/alfa/measures", typed, htmx=htmx)
        assert r.status_code == 422
        assert 'value="Trygg vei hjem fra ungdomsklubben"' in r.text
        assert "Ungdom går hjem alene sent på kvelden.</textarea>" in r.text
        assert '<option value="neighbourhood" selected>' in r.text
        assert 'id="need-knowledge_source-error">Feltet må fylles ut.' in r.text
        assert "«Alder til» kan ikke være lavere enn «Alder fra»." in html.unescape(r.text)
        if htmx:
            assert r.text.strip().startswith('<section id="need-form"')
        else:
            assert r.text.count("<h1") == 1 and "<html" in r.text
    number = national_id()
    r = b.post("/areas/alfa/measures", {**NEW_NEED, "need_description": f"Gjelder {number}."})
    assert r.status_code == 422 and number not in r.text


def test_viewer_may_not_register_a_need(browser, web_world: World) -> None:
    b = browser("viewer")
    r = b.get("/areas/alfa/measures/new")
    assert r.status_code == 403
    assert "Du har bare lesetilgang i Alfa kommune." in html.unescape(r.text)
    r = b.post("/areas/alfa/measures", NEW_NEED)
    assert r.status_code == 403
    assert web_world.samordna.measures.find(actor=web_world.actors["coordinator"], slug="alfa") == []


# ---------------------------------------------------------------- where one may not go


def test_another_areas_measure_is_a_404_page(browser, web_world: World) -> None:
    theirs = web_world.register(who="beta_coordinator", area="beta")
    b = browser("coordinator")
    r = b.get(f"/measures/{theirs.id}")
    assert r.status_code == 404 and "<h1>Fant ikke det du ba om.</h1>" in r.text
    assert theirs.title not in r.text
    r = b.post(f"/measures/{theirs.id}/transitions/initiate", {"version": 1})
    assert r.status_code == 404
    assert b.get("/measures/999999").status_code == 404
    assert b.get("/areas/beta/measures/new").status_code == 404


def test_not_logged_in_goes_to_login(live_server, web_world: World) -> None:
    m = web_world.register()
    with httpx.Client(base_url=live_server.url, follow_redirects=False) as client:
        r = client.get(f"/measures/{m.id}")
        assert r.status_code == 303 and r.headers["location"] == f"/login?next=/measures/{m.id}"
        r = client.get("/areas/alfa/measures/new")
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


# ---------------------------------------------------------------- forms follow the workflow file


def test_a_field_added_to_the_workflow_file_appears_in_its_form(
    web_world: World, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "workflows"
    shutil.copytree(settings.workflows_dir, folder)
    path = folder / "measure.toml"
    source = path.read_text(encoding="utf-8")
    marker = "# ---------------------------------------------------------------- transitions\n"
    field = (
        '[fields.budget]\ntype = "integer"\nmin = 0\nmax = 10000000\n'
        'label = { nb = "Budsjett i kroner", nn = "Budsjett i kroner", en = "Budget (NOK)" }\n\n' + marker
    )
    source = source.replace(marker, field, 1)
    source = source.replace(
        'required = ["goal_id", "plan", "success_criteria"]\n',
        'required = ["goal_id", "plan", "success_criteria"]\noptional = ["budget"]\n',
        1,
    )
    path.write_text(source, encoding="utf-8")
    custom = Settings(database_url=settings.database_url, secret_key=settings.secret_key, workflows_dir=folder)
    samordna = Services.build(custom)
    m = web_world.register()
    try:
        with TestClient(app=create_app(custom, services=samordna)) as client:
            token = WebClient(client).login("coordinator").token
            page = client.get(f"/measures/{m.id}").text
            label = '<label for="f-initiate-budget">Budsjett i kroner <span class="hint">(valgfritt)</span></label>'
            assert label in page
            assert re.search(
                r'<input type="number" inputmode="numeric" id="f-initiate-budget" name="budget" '
                r'min="0" max="10000000"',
                page,
            )
            data = {**initiate_data(web_world, m), "budget": "-5"}
            r = client.post(f"/measures/{m.id}/transitions/initiate", data=data, headers={"x-csrftoken": token})
            assert r.status_code == 422 and 'id="f-initiate-budget-error"' in r.text
            r = client.post(
                f"/measures/{m.id}/transitions/initiate",
                data={**data, "budget": "25000"},
                headers={"x-csrftoken": token},
                follow_redirects=False,
            )
            assert r.status_code == 303
            timeline = text_of(section(client.get(f"/measures/{m.id}").text, "h-timeline"))
            assert "Budsjett i kroner 25000" in timeline
    finally:
        samordna.db.dispose()


def test_adjust_takes_the_health_badge_off_the_page_and_the_card(browser, web_world: World) -> None:
    """«Justere» sends the measure back to «Initiert»: its last health and next follow-up go with it."""
    w = web_world
    m = w.advance(w.register(), "in_follow_up")
    m = w.fire("executing", m, "report_status", health="off_track", note="Ute av kurs.")
    m = w.fire("coordination", w.fire("executing", m, "request_evaluation"), "submit_evaluation")
    b = browser("steering")
    assert "badge--off_track" in section(b.get(f"/measures/{m.id}").text, "measure-main").split("</header>")[0]
    r = b.post(f"/measures/{m.id}/transitions/adjust", [("decision_note", "Ny plan."), ("version", m.version)])
    assert r.status_code == 303
    page = b.get(f"/measures/{m.id}").text
    head = section(page, "measure-main").split("</header>")[0]
    assert "Initiert" in head and "badge--off_track" not in head
    follow = text_of(section(page, "h-follow").split("</section>")[0])
    assert "Neste oppfølging Ikke angitt" in follow and "Ingen rapport ennå" in follow
    board = browser("coordinator").get("/areas/alfa/boards/coordination").text
    card = board[board.index(f'<li id="measure-{m.id}"') :]
    card = card[: card.index("</li>")]
    assert "badge--off_track" not in card and "Neste oppfølging" not in card


# ---------------------------------------------------------------- a 409 shows the measure as it is now


def head_of(page: str) -> str:
    return section(page, "measure-main").split("</header>")[0]


def test_stale_version_409_with_htmx_refreshes_the_whole_measure_section(browser, web_world: World) -> None:
    """The header, the state, the fields and every form around the refused one come back as they are now;
    the refused form keeps what was typed and carries the new version, so sending it again is accepted."""
    w = web_world
    m = w.advance(w.register(), "in_follow_up")  # the coordinator opens the page at this version
    w.fire("executing", m, "report_status", health="off_track", note="Ingen frivillige i helgen.")  # someone else
    now = w.samordna.measures.get(actor=w.actors["coordinator"], measure_id=m.id)
    b = browser("coordinator")
    typed = {"version": m.version, "health": "at_risk", "note": "Færre deltakere enn ventet."}
    r = b.post(f"/measures/{m.id}/transitions/report_status", typed, htmx=True)
    assert r.status_code == 409
    assert r.headers["hx-retarget"] == "#measure-main" and r.headers["hx-reswap"] == "outerHTML"
    assert r.headers["cache-control"] == "no-store"
    body = r.text.strip()
    assert body.startswith('<div id="measure-main"') and "<html" not in body
    assert 'class="badge badge--off_track"' in head_of(body)  # the header as it is now
    assert "Ingen frivillige i helgen." in text_of(section(body, "h-timeline"))  # and the history
    assert f"<dt>Versjon</dt>\n          <dd>{now.version}</dd>" in body
    status = text_of(section(body, "measure-status").split("</div>")[0])
    assert "«Rapporter status» ble ikke utført. Se meldingen ved skjemaet." in status
    form = section(body, "action-report_status").split("</form>")[0]
    assert re.search(r'id="action-report_status">\s*<details open>', body)
    assert "Noen andre har endret tiltaket mens du fylte ut skjemaet." in text_of(form)
    assert "Se over det du har skrevet og send på nytt." in text_of(form)
    assert "Færre deltakere enn ventet.</textarea>" in form  # what was typed
    assert '<option value="at_risk" selected>' in form
    assert f'name="version" value="{now.version}"' in form and 'type="submit"' in form
    for trigger in actions_in(body):  # every other form is on the new version as well
        assert f'name="version" value="{now.version}"' in section(body, f"action-{trigger}")[:1500]
    again = b.post(f"/measures/{m.id}/transitions/report_status", {**typed, "version": now.version}, htmx=True)
    assert again.status_code == 200
    assert w.samordna.measures.get(actor=w.actors["coordinator"], measure_id=m.id).last_health == "at_risk"


def test_409_after_the_state_moved_on_shows_the_new_state_and_no_button(browser, web_world: World) -> None:
    w = web_world
    m = w.advance(w.register(), "in_follow_up")
    w.fire("coordination", m, "pause", reason="Venter på midler.")
    b = browser("coordinator")
    typed = {"version": m.version, "health": "on_track", "note": "Alt går fint."}
    for htmx in (True, False):
        r = b.post(f"/measures/{m.id}/transitions/report_status", typed, htmx=htmx)
        assert r.status_code == 409
        assert "Satt på vent" in head_of(r.text)
        assert actions_in(r.text) == {"reassign", "resume", "report_status"}  # the refused one is shown, and why
        form = section(r.text, "action-report_status").split("</form>")[0]
        assert "Det har nå status «Satt på vent». Denne handlingen er ikke lenger mulig." in text_of(form)
        assert "Alt går fint.</textarea>" in form and 'type="submit"' not in form
        assert 'type="submit"' in section(r.text, "action-resume").split("</form>")[0]


def test_stale_edit_409_refreshes_the_header_and_keeps_the_typed_description(browser, web_world: World) -> None:
    w = web_world
    m = w.register()
    w.samordna.measures.edit(
        actor=w.actors["coordination"], measure_id=m.id, version=m.version, data={"title": "Natteravner i helgene"}
    )
    b = browser("coordinator")
    typed = {
        "version": m.version,
        "title": "Natteravner i sentrum hver fredag",
        "need_description": "Uro.",
        "knowledge_source": "Politiets statistikk",
        "target_group": "Ungdom 14–18 år",
        "arena": "nightlife",
    }
    r = b.post(f"/measures/{m.id}/edit", typed, htmx=True)
    assert r.status_code == 409 and r.headers["hx-retarget"] == "#measure-main"
    assert "<h1>Natteravner i helgene</h1>" in head_of(r.text)
    form = section(r.text, "action-edit").split("</form>")[0]
    assert 'value="Natteravner i sentrum hver fredag"' in form
    assert f'name="version" value="{m.version + 1}"' in form
    assert "Noen andre har endret tiltaket mens du fylte ut skjemaet." in text_of(form)


# ---------------------------------------------------------------- the contact person is of the chosen unit


def assign_form(page: str) -> str:
    return section(page, "action-assign").split("</form>")[0]


def test_contact_person_options_name_their_unit(browser, web_world: World) -> None:
    w = web_world
    m = w.advance(w.register(), "initiated")
    form = assign_form(browser("coordinator").get(f"/measures/{m.id}").text)
    select = re.search(r'<select id="f-assign-contact_user_id"[^>]*>', form)
    assert select and 'data-of-unit="f-assign-responsible_unit_id"' in select.group(0)
    assert 'id="f-assign-responsible_unit_id"' in form
    for who, unit in (
        ("executing", "Ungdomsskolene"),
        ("executing_police", "Politiet"),
        ("coordination", "Kultur og fritid"),
    ):
        assert f'<option value="{w.user_ids[who]}" data-unit="{w.unit(unit)}">' in form
    contact = form[select.start() : form.index("</select>", select.start())]
    assert contact.count("<option") == 4  # «Velg …» and the three members of a unit: no unit, no contact person


def test_contact_person_of_another_unit_is_refused_and_nothing_is_lost(browser, web_world: World) -> None:
    w = web_world
    m = w.advance(w.register(), "initiated")
    b = browser("coordinator")
    typed = {
        **valid_data(w, "assign"),
        "version": m.version,
        "responsible_unit_id": w.unit("Politiet"),
        "contact_user_id": w.user_ids["executing"],  # a member of Ungdomsskolene
    }
    for htmx in (False, True):
        r = b.post(f"/measures/{m.id}/transitions/assign", typed, htmx=htmx)
        assert r.status_code == 422
        form = assign_form(r.text)
        error = re.search(r'<p class="error" id="f-assign-contact_user_id-error">([^<]+)</p>', form)
        assert error and error.group(1) == "Kontaktpersonen må være medlem av den ansvarlige enheten."
        assert f'<option value="{w.unit("Politiet")}" selected>' in form
        assert f'<option value="{w.user_ids["executing"]}" data-unit="{w.unit("Ungdomsskolene")}" selected>' in form
        assert "Gjennomfør tiltaket innen fristen.</textarea>" in form
    after = w.samordna.measures.get(actor=w.actors["coordinator"], measure_id=m.id)
    assert after.state == "initiated" and after.version == m.version
    r = b.post(f"/measures/{m.id}/transitions/assign", {**typed, "contact_user_id": w.user_ids["executing_police"]})
    assert r.status_code == 303
    after = w.samordna.measures.get(actor=w.actors["coordinator"], measure_id=m.id)
    assert (after.responsible_unit_id, after.contact_user_id) == (w.unit("Politiet"), w.user_ids["executing_police"])


def test_a_refused_unit_is_the_only_message_about_the_contact_person(browser, web_world: World) -> None:
    w = web_world
    m = w.advance(w.register(), "initiated")
    typed = {
        **valid_data(w, "assign"),
        "version": m.version,
        "responsible_unit_id": w.unit("Skolen", area="beta"),  # another area's unit
        "contact_user_id": w.user_ids["executing"],
    }
    r = browser("coordinator").post(f"/measures/{m.id}/transitions/assign", typed, htmx=True)
    assert r.status_code == 422
    assert 'id="f-assign-responsible_unit_id-error">Velg en aktiv enhet i dette SLT-området.<' in r.text
    assert 'id="f-assign-contact_user_id-error"' not in r.text


# ---------------------------------------------------------------- the service says what the page offers


def test_the_service_says_which_forms_the_page_offers_and_with_which_fields(web_world: World) -> None:
    w = web_world
    m = w.advance(w.register(), "evaluated")
    measures = w.samordna.measures
    for who, meeting_date_required in (("steering", False), ("coordinator", True)):
        found = measures.page(actor=w.actors[who], measure_id=m.id)
        assert [f.trigger for f in found.forms] == found.measure.allowed_triggers == ["extend", "adjust", "close"]
        close = next(f for f in found.forms if f.trigger == "close")
        assert {f.name: required for f, required in close.fields} == {
            "decision_note": True,
            "meeting_date": meeting_date_required,
        }
        # The choices are read only for a form with a goal, unit or member field: the coordinator's «Endre
        # beskrivelse» (its goal); steering gets no such form.
        assert (found.choices == {}) is (found.edit is None) is (who == "steering")
    assert measures.page(actor=w.actors["viewer"], measure_id=m.id).forms == ()
    initiated = w.advance(w.register(), "initiated")
    found = measures.page(actor=w.actors["coordinator"], measure_id=initiated.id)
    assert found.edit is not None and [f.trigger for f in found.forms] == ["assign"]
    members = {c.user_id for c in found.choices["members"]}
    assert members == {w.user_ids[k] for k in ("coordination", "executing", "executing_police")}
    assert [f.name for f, _required in measures.form_fields(trigger="assign")] == [
        "responsible_unit_id",
        "order_text",
        "due_date",
        "follow_up_days",
        "contact_user_id",
        "participating_unit_ids",
    ]
