"""Interface language: complete nn/en catalogues, the language chosen per user and per area, messages
from the services in the chosen language, Norwegian dates."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from sqlalchemy import select, update

from samordna.domain.confidentiality import GUARD_MESSAGE
from samordna.i18n import LANGUAGES, TRANSLATIONS_DIR, current_lang, gettext
from samordna.store.models import Area, User
from samordna.web.i18n import fmt_date, fmt_datetime
from tests.factories import World, national_id
from tests.web_support import WebClient, text_of

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


# ---------------------------------------------------------------- the catalogues


def source_msgids() -> set[str]:
    """Every message id in the sources, extracted the way `make messages` does (babel.cfg)."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map):
        for part in message if isinstance(message, tuple) else (message,):
            if part:
                ids.add(part)
    return ids


@pytest.fixture(scope="module")
def msgids() -> set[str]:
    ids = source_msgids()
    assert len(ids) > 150, "extraction found too few messages: is babel.cfg right?"
    return ids


def test_extraction_covers_services_domain_and_templates(msgids: set[str]) -> None:
    assert "Fant ikke tiltaket." in msgids  # services/measures.py
    assert "Må være mellom {min} og {max}." in msgids  # services/validation.py, an N_() table
    assert "Noen felt må rettes." in msgids  # domain/errors.py
    assert "Koordineringstavle" in msgids  # web/boards.py
    assert "Hopp til hovedinnholdet" in msgids  # templates/base.html
    assert "detail" not in msgids  # no stray ids from dynamic gettext calls


@pytest.mark.parametrize("lang", ["nn", "en"])
def test_catalogue_is_complete_without_fuzzy_entries_and_keeps_placeholders(lang: str, msgids: set[str]) -> None:
    with (TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    entries = {}  # every id, singular and plural, to its entry
    for m in catalog:
        for part in m.id if isinstance(m.id, tuple) else (m.id,):
            if part:
                entries[part] = m
    missing = sorted(msgids - set(entries))
    assert not missing, f"{lang}: not in the catalogue (run `make messages`): {missing}"
    problems = []
    for entry in {id(entries[msgid]): entries[msgid] for msgid in sorted(msgids)}.values():
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        for n, translated in enumerate(strings):
            source = ids[min(n, len(ids) - 1)]  # msgstr[0] answers the singular, the others the plural
            if not translated or not translated.strip():
                problems.append(f"untranslated: {source!r}")
            elif sorted(PLACEHOLDER.findall(translated)) != sorted(PLACEHOLDER.findall(source)):
                problems.append(f"placeholders differ: {source!r} -> {translated!r}")
    assert not catalog.fuzzy, f"{lang}: the catalogue header is marked fuzzy"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("nb", "Må være mellom 7 og 180."), ("nn", "Må vere mellom 7 og 180."), ("en", "Must be between 7 and 180.")],
)
def test_services_translate_then_format(lang: str, expected: str) -> None:
    from samordna.fields import message_for

    token = current_lang.set(lang)
    try:
        assert message_for("range", min=7, max=180) == expected
    finally:
        current_lang.reset(token)


def test_unknown_language_falls_back_to_bokmal() -> None:
    token = current_lang.set("nn")
    try:
        assert gettext("Ikke i noen katalog.") == "Ikke i noen katalog."
    finally:
        current_lang.reset(token)
    assert set(LANGUAGES) == {"nb", "nn", "en"}


# ---------------------------------------------------------------- dates


def test_dates_are_norwegian_in_bokmal() -> None:
    assert current_lang.get() == "nb"
    assert fmt_date(date(2026, 11, 22)) == "22. nov. 2026"
    assert fmt_date(datetime(2026, 11, 22, 23, 30, tzinfo=UTC)) == "23. nov. 2026"  # Oslo time
    assert fmt_datetime(datetime(2026, 11, 22, 13, 5, tzinfo=UTC)) == "22. nov. 2026 kl. 14:05"


@pytest.mark.parametrize(("lang", "expected"), [("nn", "22. nov. 2026 kl. 14:05"), ("en", "22 Nov 2026 at 14:05")])
def test_dates_in_the_other_languages(lang: str, expected: str) -> None:
    token = current_lang.set(lang)
    try:
        assert fmt_datetime(datetime(2026, 11, 22, 13, 5, tzinfo=UTC)) == expected
    finally:
        current_lang.reset(token)


# ---------------------------------------------------------------- through HTTP


def choose(b: WebClient, lang: str, next_: str = "/") -> httpx.Response:
    r = b.post("/language", {"lang": lang, "next": next_})
    assert r.status_code == 303 and r.headers["location"] == next_
    return r


def h1(page: str) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert found, "no h1"
    return text_of(found.group(1)).strip()


BOARD = "/areas/alfa/boards/coordination"


def test_bokmal_is_the_default(browser) -> None:  # type: ignore[no-untyped-def]
    page = browser("coordinator").get(BOARD).text
    assert '<html lang="nb">' in page
    assert h1(page) == "Koordineringstavle"
    assert "Behov avdekket" in text_of(page)


def test_board_in_nynorsk_and_english_after_choosing(browser, web_world: World) -> None:  # type: ignore[no-untyped-def]
    b = browser("coordinator")
    choose(b, "nn", BOARD)
    page = b.get(BOARD).text
    text = text_of(page)
    assert '<html lang="nn">' in page
    assert h1(page) == "Koordineringstavle"
    for expected in (
        "Alle tiltak under arbeid, frå behov til evaluering.",
        "Behov avdekt",
        "Alle einingar",
        "Hopp til hovudinnhaldet",
        "Byt språk",
    ):
        assert expected in text, expected
    assert "Behov avdekket" not in text and "Alle enheter" not in text

    choose(b, "en", BOARD)
    page = b.get(BOARD).text
    text = text_of(page)
    assert '<html lang="en">' in page
    assert h1(page) == "Coordination board"
    for expected in (
        "All measures in progress, from need to evaluation.",
        "Need identified",
        "All units",
        "Skip to main content",
        "Change language",
    ):
        assert expected in text, expected


def test_measure_page_labels_from_the_workflow_follow_the_language(browser, web_world: World) -> None:  # type: ignore[no-untyped-def]
    m = web_world.register()
    b = browser("coordination")
    choose(b, "nn")
    text = text_of(b.get(f"/measures/{m.id}").text)
    for expected in ("Skildring av behovet", "Suksesskriterium", "Initier tiltak", "Ikkje prioriter", "Behov meldt"):
        assert expected in text, expected
    choose(b, "en")
    text = text_of(b.get(f"/measures/{m.id}").text)
    for expected in ("Description of the need", "Success criteria", "Initiate", "Decline", "Need registered"):
        assert expected in text, expected


def test_the_choice_is_remembered_at_the_next_login(browser, web_world: World) -> None:  # type: ignore[no-untyped-def]
    choose(browser("coordinator"), "en")
    with web_world.samordna.db.read() as s:
        stored = s.execute(select(User.language).where(User.id == web_world.user_ids["coordinator"])).scalar_one()
    assert stored == "en"
    page = browser("coordinator").get(BOARD).text  # a new browser, a new login
    assert h1(page) == "Coordination board"
    # other users are not affected: the language lives in each request's own context
    assert h1(browser("coordination").get(BOARD).text) == "Koordineringstavle"


def test_an_area_in_nynorsk_gives_nynorsk_until_the_user_chooses(browser, web_world: World) -> None:  # type: ignore[no-untyped-def]
    with web_world.samordna.db.write() as s:
        s.execute(update(Area).where(Area.id == web_world.areas["alfa"]).values(language="nn"))
    page = browser("executing").get("/areas/alfa/boards/execution").text
    assert '<html lang="nn">' in page
    assert h1(page) == "Tiltaka våre"

    b = browser("coordinator")
    assert "Behov avdekt" in text_of(b.get(BOARD).text)
    choose(b, "nb")
    assert "Behov avdekket" in text_of(browser("coordinator").get(BOARD).text)  # the user's choice wins


@pytest.mark.parametrize(
    ("lang", "required", "flash", "range_"),
    [
        ("nb", "Feltet må fylles ut.", "«Initier tiltak» ble ikke utført.", "Må være mellom 7 og 180."),
        ("nn", "Feltet må fyllast ut.", "«Initier tiltak» vart ikkje utført.", "Må vere mellom 7 og 180."),
        ("en", "This field is required.", "“Initiate” was not carried out.", "Must be between 7 and 180."),
    ],
)
def test_422_field_messages_come_in_the_chosen_language(  # type: ignore[no-untyped-def]
    browser, web_world: World, lang: str, required: str, flash: str, range_: str
) -> None:
    m = web_world.register()
    b = browser("coordination")
    choose(b, lang)
    typed = {"version": m.version, "plan": "Plan.", "success_criteria": ""}
    r = b.post(f"/measures/{m.id}/transitions/initiate", typed)
    assert r.status_code == 422
    error = re.search(r'<p class="error" id="f-initiate-success_criteria-error">([^<]+)</p>', r.text)
    assert error and html.unescape(error.group(1)) == required
    assert flash in html.unescape(r.text)

    m2 = web_world.advance(web_world.register(), "initiated")
    r = b.post(
        f"/measures/{m2.id}/transitions/assign",
        {
            "version": m2.version,
            "responsible_unit_id": web_world.units["alfa:Politiet"],
            "order_text": "Gjør det.",
            "due_date": "2099-01-01",
            "follow_up_days": "3",
        },
    )
    assert r.status_code == 422
    error = re.search(r'<p class="error" id="f-assign-follow_up_days-error">([^<]+)</p>', r.text)
    assert error and html.unescape(error.group(1)) == range_


@pytest.mark.parametrize("lang", ["nn", "en"])
def test_confidentiality_guard_speaks_the_chosen_language(browser, web_world: World, lang: str) -> None:  # type: ignore[no-untyped-def]
    b = browser("coordinator")
    choose(b, lang)
    data = {
        "title": "Uro i sentrum",
        "need_description": f"Gjeld {national_id()}.",
        "knowledge_source": "Politiet",
        "target_group": "Ungdom",
        "arena": "nightlife",
    }
    r = b.post("/areas/alfa/measures", data)
    assert r.status_code == 422
    assert GUARD_MESSAGE[lang] in html.unescape(r.text)


def test_403_names_who_may_in_the_chosen_language(browser, web_world: World) -> None:  # type: ignore[no-untyped-def]
    m = web_world.register()
    b = browser("executing")
    choose(b, "nn")
    r = b.post(f"/measures/{m.id}/transitions/initiate", {"version": m.version, "plan": "P.", "success_criteria": "K."})
    assert r.status_code == 403
    text = html.unescape(r.text)
    assert "«Initier tiltak» kan berre gjerast av SLT-koordinator og koordineringsgruppa." in text


def test_api_answers_in_bokmal(live_server, web_world: World) -> None:
    r = httpx.get(
        f"{live_server.url}/api/v1/measures/999999",
        headers={"authorization": f"Bearer {web_world.tokens['coordinator']}"},
    )
    assert r.status_code == 404
    assert r.json()["detail"] == "Fant ikke tiltaket."


# ---------------------------------------------------------------- before logging in


def test_the_login_page_offers_the_languages_and_renders_in_the_chosen_one(live_server, web_world: World) -> None:  # type: ignore[no-untyped-def]
    b = WebClient.live(live_server.url)
    try:
        page = b.get("/login?next=/measures/5").text
        assert '<html lang="nb">' in page and h1(page) == "Logg inn"
        for code, name in LANGUAGES.items():
            assert f'name="lang" value="{code}" lang="{code}"' in page and f">{name}</button>" in page
        assert '<input type="hidden" name="next" value="/login?next=/measures/5">' in page

        # anonymous: remembered in a cookie (no session row for a visitor), back to the same log-in page
        r = choose(b, "en", "/login?next=/measures/5")
        assert "samordna_lang=en" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
        assert b.session_id is None
        page = b.get("/login?next=/measures/5").text
        assert '<html lang="en">' in page and h1(page) == "Log in"
        assert "Email address" in text_of(page)

        # the choice carries into the session at log-in, before the user's stored language
        with web_world.samordna.db.write() as s:
            s.execute(update(User).where(User.id == web_world.user_ids["coordinator"]).values(language="nn"))
        b.login("coordinator")
        assert h1(b.get(BOARD).text) == "Coordination board"
        # logged out, the log-in page keeps the browser's language; a wrong password is answered in it too
        b.post("/logout")
        r = b.login_response("coordinator@example.no", "feil passord")
        assert r.status_code == 401 and "Incorrect email address or password." in text_of(r.text)
    finally:
        b.close()


def test_a_choice_made_while_logged_in_is_the_browsers_too(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    b = browser("coordinator")
    choose(b, "nn", BOARD)
    b.post("/logout")
    assert '<html lang="nn">' in b.get("/login").text


def test_a_choice_after_the_session_expired_still_counts_for_the_log_in_page(browser, web_world: World) -> None:  # type: ignore[no-untyped-def]
    b = browser("coordinator")
    with web_world.samordna.db.write() as s:  # a new password elsewhere ends this browser's session
        s.execute(update(User).where(User.id == web_world.user_ids["coordinator"]).values(password_hash="x"))
    choose(b, "en", "/login")
    assert h1(b.get("/login").text) == "Log in"
