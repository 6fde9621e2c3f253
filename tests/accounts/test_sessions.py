"""Sessions and passwords (ASVS V2/V3): a new session id at log-in, log-out and password changes that end
sessions on the server, idle and absolute timeouts, deactivated users, cookie attributes, and the user's own
password page."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from sqlalchemy import update

from samordna.accounts.repository import HASHER, verify_password
from samordna.accounts.sessions import DatabaseStore
from samordna.services import Services
from samordna.store.models import User
from samordna.web.session import ABSOLUTE_SECONDS, IDLE_SECONDS
from tests.factories import World
from tests.security_support import (
    audit,
    browsers,
    make_app,
    samordna_with,
    session_data,
    session_ids,
    set_session_data,
)
from tests.web_support import PASSWORD, WebClient

BOARD = "/areas/alfa/boards/coordination"


def to_login(r: httpx.Response) -> bool:
    return r.status_code == 303 and r.headers["location"].startswith("/login")


def cookie_headers(r: httpx.Response, name: str) -> list[dict[str, str]]:
    """The Set-Cookie headers for cookie `name`, each as {attribute (lower-case): value}."""
    found = []
    for header in r.headers.get_list("set-cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        key, _, value = first.partition("=")
        if key != name:
            continue
        parsed = {"value": value}
        for attribute in attributes:
            a, _, v = attribute.partition("=")
            parsed[a.lower()] = v
        found.append(parsed)
    return found


# ---------------------------------------------------------------- passwords are argon2id, cheap enough


def test_password_hashes_are_argon2id_with_owasp_parameters() -> None:
    encoded = HASHER.hash("korrekt hest batteri stift")
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(encoded, "korrekt hest batteri stift")
    assert not verify_password(encoded, "korrekt hest batteri")
    assert not verify_password(None, "korrekt hest batteri stift")  # no password: never a match


# ---------------------------------------------------------------- a new session id at log-in


def test_log_in_gives_a_new_session_id_and_forgets_the_planted_one(open_browser, samordna: Services) -> None:
    b: WebClient = open_browser()
    assert b.session_id is None and session_ids(samordna) == set()  # an anonymous visit stores nothing
    planted = "a" * 64  # an id an attacker chose (or one left from before log-in)
    DatabaseStore(samordna.db).set_sync(planted, b'{"lang": "nn"}', expires_in=600)
    b.client.cookies.set("samordna_session", planted, domain="testserver.local")
    r = b.login_response("coordinator@example.no")
    assert r.status_code == 303
    new = b.session_id
    assert new and new != planted
    assert cookie_headers(r, "samordna_session")[0]["value"] == new
    assert session_ids(samordna) == {new}  # the old id is gone from web_session
    assert b.get(BOARD).status_code == 200


def test_logging_in_again_replaces_the_session(open_browser, samordna: Services) -> None:
    b = open_browser().login("coordinator")
    first = b.session_id
    b.login("viewer")
    assert b.session_id != first
    assert session_ids(samordna) == {b.session_id}


def test_the_old_cookie_is_useless_after_log_in(open_browser) -> None:
    b = open_browser().login("coordinator")
    old = b.session_id
    b.login("coordinator")
    replay = open_browser()
    replay.client.cookies.set("samordna_session", old, domain="testserver.local")
    assert to_login(replay.get(BOARD))


# ---------------------------------------------------------------- log-out ends the session on the server


def test_log_out_kills_the_session_server_side(open_browser, samordna: Services, web_world: World) -> None:
    b = open_browser().login("coordinator")
    sid = b.session_id
    assert sid in session_ids(samordna)
    r = b.post("/logout")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert sid not in session_ids(samordna)
    expired = cookie_headers(r, "samordna_session")[0]
    assert expired["value"] == "null" and expired.get("expires")
    # Someone who kept a copy of the cookie gets the log-in page, not the board.
    replay = open_browser()
    replay.client.cookies.set("samordna_session", sid, domain="testserver.local")
    assert to_login(replay.get(BOARD))
    [entry] = audit(samordna, "logout")
    assert entry["actor_id"] == web_world.user_ids["coordinator"] and entry["subject"] == "coordinator@example.no"


# ---------------------------------------------------------------- idle and absolute timeouts


@pytest.mark.parametrize(
    ("seen_ago", "started_ago", "alive"),
    [
        (IDLE_SECONDS - 60, 60 * 60, True),
        (IDLE_SECONDS + 1, 60 * 60, False),  # idle 30 minutes
        (60, ABSOLUTE_SECONDS - 60, True),
        (60, ABSOLUTE_SECONDS + 1, False),  # 10 hours after log-in, however busy
    ],
)
def test_idle_and_absolute_timeouts(
    open_browser, samordna: Services, seen_ago: int, started_ago: int, alive: bool
) -> None:
    b = open_browser().login("coordinator")
    now = int(time.time())
    set_session_data(samordna, b.session_id, seen=now - seen_ago, started=now - started_ago)
    r = b.get(BOARD)
    if alive:
        assert r.status_code == 200
        assert session_data(samordna, b.session_id)["seen"] >= now  # activity moves the idle clock
    else:
        assert to_login(r)
        assert session_ids(samordna) == set()


def test_a_deactivated_user_is_logged_out_at_the_next_request(
    open_browser, samordna: Services, web_world: World
) -> None:
    b = open_browser().login("coordinator")
    with samordna.db.write() as s:
        s.execute(update(User).where(User.id == web_world.user_ids["coordinator"]).values(active=False))
    assert to_login(b.get(BOARD))
    assert session_ids(samordna) == set()
    assert open_browser().login_response("coordinator@example.no").status_code == 401


# ---------------------------------------------------------------- cookie attributes


@pytest.mark.parametrize("secure", [False, True])
def test_cookie_attributes(samordna: Services, web_world: World, secure: bool) -> None:
    services = samordna_with(samordna, secure_cookies=secure)
    session_name = "__Host-samordna" if secure else "samordna_session"
    csrf_name = "__Host-csrftoken" if secure else "csrftoken"
    base = "https://testserver.local" if secure else "http://testserver.local"
    with browsers(make_app(services, services.settings), base_url=base) as open_:
        b = open_()
        b.client.cookies.clear()
        r = b.get("/login")
        [csrf] = cookie_headers(r, csrf_name)
        r = b.login_response("coordinator@example.no")
        assert r.status_code == 303
        [session] = cookie_headers(r, session_name)
        for cookie in (csrf, session):
            assert "httponly" in cookie
            assert cookie["samesite"].lower() == "lax"
            assert cookie["path"] == "/"
            assert "domain" not in cookie  # __Host- cookies must not name a domain
            assert ("secure" in cookie) is secure
        assert int(session["max-age"]) == ABSOLUTE_SECONDS
        assert b.get(BOARD).status_code == 200


# ---------------------------------------------------------------- the user's own password


def change(b: WebClient, current: str, new: str, repeat: str | None = None) -> httpx.Response:
    return b.post(
        "/account/password",
        {"current_password": current, "new_password": new, "new_password_repeat": new if repeat is None else repeat},
    )


def test_the_user_menu_links_to_the_password_page(open_browser) -> None:
    b = open_browser().login("viewer")
    assert 'href="/account/password"' in b.get(BOARD).text
    page = b.get("/account/password").text
    assert "<h1>Bytt passord</h1>" in page
    assert 'autocomplete="current-password"' in page and page.count('autocomplete="new-password"') == 2
    assert 'name="_csrf_token"' in page and "novalidate" in page


@pytest.mark.parametrize(
    ("current", "new", "repeat", "field", "message"),
    [
        ("", "et nytt og langt passord", None, "current_password", "Skriv inn passordet du bruker nå."),
        (PASSWORD, "kort", None, "new_password", "Passordet må ha minst 10 tegn."),
        (PASSWORD, "x" * 129, None, "new_password", "Passordet kan ha høyst 128 tegn."),
        (PASSWORD, "Viewer@Example.no", None, "new_password", "Passordet kan ikke være det samme som e-postadressen."),
        (PASSWORD, "et nytt og langt passord", "et annet passord", "new_password_repeat", "Passordene er ikke like."),
        ("feil passord her", "et nytt og langt passord", None, "current_password", "Passordet er feil."),
    ],
)
def test_password_change_refusals_are_shown_beside_the_field(
    open_browser, samordna: Services, current: str, new: str, repeat: str | None, field: str, message: str
) -> None:
    b = open_browser().login("viewer")
    r = change(b, current, new, repeat)
    assert r.status_code == 422
    assert f'<p class="error" id="{field}-error">{message}</p>' in r.text
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"[^>]*aria-describedby="[^"]*{field}-error', r.text)
    assert b.get(BOARD).status_code == 200  # still logged in, password unchanged
    assert open_browser(peer="192.0.2.77").login_response("viewer@example.no").status_code == 303
    assert audit(samordna, "password_changed") == []


def test_changing_the_password_rotates_the_session_and_ends_the_others(
    open_browser, samordna: Services, web_world: World
) -> None:
    here = open_browser().login("viewer")
    elsewhere = open_browser(peer="198.51.100.7").login("viewer")
    other_user = open_browser(peer="198.51.100.8").login("coordinator")
    before = here.session_id
    r = change(here, PASSWORD, "et helt nytt passord")
    assert r.status_code == 303 and r.headers["location"] == "/account/password"
    assert here.session_id != before and before not in session_ids(samordna)
    page = here.get("/account/password")
    assert page.status_code == 200 and "Passordet er endret." in page.text
    assert here.get(BOARD).status_code == 200
    assert to_login(elsewhere.get(BOARD))  # the other browser is logged out
    assert elsewhere.session_id is None or elsewhere.session_id not in session_ids(samordna)
    assert other_user.get(BOARD).status_code == 200  # nobody else is
    assert open_browser(peer="198.51.100.9").login_response("viewer@example.no").status_code == 401
    assert open_browser(peer="198.51.100.10").login("viewer", "et helt nytt passord")
    [entry] = audit(samordna, "password_changed")
    assert entry["actor_id"] == web_world.user_ids["viewer"] and entry["area_id"] is None
    assert "et helt nytt passord" not in repr(audit(samordna))


def test_wrong_current_passwords_count_as_failed_log_ins(open_browser, samordna: Services) -> None:
    b = open_browser().login("viewer")
    for _ in range(5):
        assert change(b, "ikke mitt passord", "et helt nytt passord").status_code == 422
    r = change(b, PASSWORD, "et helt nytt passord")  # right, but the account is locked now
    assert r.status_code == 429 and "For mange mislykkede innlogginger. Vent 15 minutter" in r.text
    assert int(r.headers["retry-after"]) > 14 * 60
    assert [e["detail"] for e in audit(samordna, "login_failed")] == ['{"via": "password_change"}'] * 5
