"""The organisation pages over real HTTP: who sees them, plain-form changes (303 and a message, or 422
beside the fields with the typed text kept), a new user's one-time password, and a deactivated user
whose open browser session and API token stop working on the next request."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from samordna.domain.confidentiality import GUARD_MESSAGE
from samordna.store.models import AuditEntry, Membership, Unit, User
from tests.factories import World, national_id
from tests.web_support import WebClient, text_of

ADMIN = "/areas/alfa/admin"


def row(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</tr>", start)]


def follow(b: WebClient, r: httpx.Response) -> httpx.Response:
    assert r.status_code == 303, (r.status_code, text_of(r.text)[:500])
    return b.get(r.headers["location"])


SECURITY_KINDS = ("login_attempt", "login", "login_failed", "login_throttled", "logout", "authorization_refused")


def kinds(world: World) -> list[str]:
    """The organisation changes in the audit log, oldest first (log-ins and refusals left out)."""
    with world.samordna.db.read() as s:
        found = s.execute(select(AuditEntry.kind).order_by(AuditEntry.id)).scalars()
        return [k for k in found if k not in SECURITY_KINDS]


# ---------------------------------------------------------------- who sees what


def test_the_coordinator_sees_every_page_and_the_header_link(browser) -> None:
    b = browser("coordinator")
    board = b.get("/areas/alfa/boards/coordination")
    assert f'href="{ADMIN}"' in board.text and "Administrasjon" in board.text
    r = b.get(ADMIN)
    assert r.status_code == 303 and r.headers["location"] == f"{ADMIN}/members"
    for tab, heading in (
        ("members", "Medlemmer"),
        ("units", "Enheter"),
        ("goals", "Mål og prioriteringer"),
        ("log", "Logg over endringer"),
    ):
        r = b.get(f"{ADMIN}/{tab}")
        assert r.status_code == 200, tab
        assert r.headers["cache-control"] == "no-store"
        assert f"<h1>{heading}</h1>" in r.text
        assert f'href="{ADMIN}/{tab}" aria-current="page"' in r.text
        assert 'href="/areas/alfa/admin" aria-current="page"' in r.text  # the header link is current


def test_steering_sees_only_the_goals(browser) -> None:
    b = browser("steering")
    assert f'href="{ADMIN}"' in b.get("/areas/alfa/boards/steering").text
    r = b.get(ADMIN)
    assert r.headers["location"] == f"{ADMIN}/goals"
    page = b.get(f"{ADMIN}/goals")
    assert page.status_code == 200
    assert f'href="{ADMIN}/members"' not in page.text  # no tabs it may not open
    for tab in ("members", "units", "log"):
        r = b.get(f"{ADMIN}/{tab}")
        assert r.status_code == 403, tab
        assert "Bare SLT-koordinator kan" in text_of(r.text)


@pytest.mark.parametrize("who", ["coordination", "executing", "viewer"])
def test_other_roles_get_403_naming_who_may(browser, who: str) -> None:
    b = browser(who)
    board = b.get("/areas/alfa/boards/coordination")
    assert board.status_code == 200 and "Administrasjon" not in board.text
    r = b.get(ADMIN)
    assert r.status_code == 403
    assert "Bare styringsgruppen og SLT-koordinator kan bruke administrasjonssidene." in text_of(r.text)
    r = b.get(f"{ADMIN}/goals")
    assert r.status_code == 403
    assert "Bare styringsgruppen og SLT-koordinator kan opprette og arkivere mål." in text_of(r.text)
    r = b.get(f"{ADMIN}/members")
    assert r.status_code == 403 and "Bare SLT-koordinator kan" in text_of(r.text)
    r = b.post(f"{ADMIN}/units", {"name": "Snikenhet", "kind": "other"})
    assert r.status_code == 403


def test_another_area_is_404(browser, web_world: World) -> None:
    b = browser("beta_coordinator")
    for tab in ("", "/members", "/units", "/goals", "/log"):
        assert b.get(f"{ADMIN}{tab}").status_code == 404, tab
    r = b.post(f"{ADMIN}/units/{web_world.unit('Politiet')}/deactivate", {})
    assert r.status_code == 404
    # And through one's own area, another area's objects do not exist either.
    r = b.post(f"/areas/beta/admin/units/{web_world.unit('Politiet')}/deactivate", {})
    assert r.status_code == 404
    assert kinds(web_world) == []


def test_pages_need_a_login_and_forms_need_the_csrf_token(live_server, web_world: World) -> None:
    with httpx.Client(base_url=live_server.url, follow_redirects=False) as anon:
        r = anon.get(f"{ADMIN}/members")
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    b = WebClient.live(live_server.url).login("coordinator")
    r = b.client.post(f"{ADMIN}/units", data={"name": "Uten token", "kind": "other"})
    assert r.status_code == 403
    b.close()
    assert kinds(web_world) == []


# ---------------------------------------------------------------- units


def test_add_rename_and_deactivate_a_unit(browser, web_world: World) -> None:
    b = browser("coordinator")
    page = follow(b, b.post(f"{ADMIN}/units", {"name": "Barnevernet", "kind": "municipal"}))
    assert "Enheten «Barnevernet» er lagt til." in text_of(page.text)
    with web_world.samordna.db.read() as s:
        unit_id = s.execute(select(Unit.id).where(Unit.name == "Barnevernet")).scalar_one()
    assert "Kommunal" in text_of(row(page.text, f"unit-{unit_id}"))
    assert "Enheten «Barnevernet» er lagt til." not in b.get(f"{ADMIN}/units").text  # shown once

    page = follow(b, b.post(f"{ADMIN}/units/{unit_id}/rename", {"name": "Barneverntjenesten"}))
    assert "Enheten heter nå «Barneverntjenesten»." in text_of(page.text)

    page = follow(b, b.post(f"{ADMIN}/units/{unit_id}/deactivate", {}))
    cells = text_of(row(page.text, f"unit-{unit_id}"))
    assert "Deaktivert" in cells and "Aktiver" in cells
    assert f'value="{unit_id}"' not in b.get("/areas/alfa/measures/new").text  # no longer offered
    page = follow(b, b.post(f"{ADMIN}/units/{unit_id}/reactivate", {}))
    assert "er aktiv igjen" in text_of(page.text)
    assert kinds(web_world) == ["unit_added", "unit_renamed", "unit_deactivated", "unit_reactivated"]


def test_unit_refusals_show_beside_the_field_with_the_text_kept(browser, web_world: World) -> None:
    b = browser("coordinator")
    r = b.post(f"{ADMIN}/units", {"name": "politiet", "kind": "police"})
    assert r.status_code == 422
    assert 'id="add-unit-name" name="name" required aria-invalid="true"' in r.text
    assert 'value="politiet"' in r.text
    assert "Alfa kommune har allerede en enhet som heter «politiet»." in text_of(r.text)

    number = national_id()
    r = b.post(f"{ADMIN}/units", {"name": f"Enhet {number}", "kind": "police"})
    assert r.status_code == 422
    assert GUARD_MESSAGE["nb"] in text_of(r.text)
    assert number not in r.text

    unit_id = web_world.unit("Politiet")
    r = b.post(f"{ADMIN}/units/{unit_id}/rename", {"name": "Ungdomsskolene"})
    assert r.status_code == 422
    refused = row(r.text, f"unit-{unit_id}")
    assert '<details class="inline-edit" open>' in refused
    assert 'value="Ungdomsskolene"' in refused and 'aria-invalid="true"' in refused
    assert kinds(web_world) == []


# ---------------------------------------------------------------- members


def test_add_a_new_member_shows_the_one_time_password_once(browser, live_server, web_world: World) -> None:
    b = browser("coordinator")
    r = b.post(
        f"{ADMIN}/members",
        {"email": "ny@example.no", "name": "Nina Ny", "role": "executing", "unit_id": str(web_world.unit("Politiet"))},
    )
    assert r.status_code == 201
    password = re.search(r'<p class="one-time__password"><code>([^<]+)</code></p>', r.text)[1]
    assert "Nina Ny er lagt til som ny bruker" in text_of(r.text)
    assert "Utførende nivå" in text_of(row(r.text, f"member-{membership_of_email(web_world, 'ny@example.no')}"))
    assert password not in b.get(f"{ADMIN}/members").text
    assert password not in b.get(f"{ADMIN}/log").text
    # The new user logs in with it.
    new = WebClient.live(live_server.url)
    r = new.login_response("ny@example.no", password)
    assert r.status_code == 303 and r.headers["location"] == "/areas/alfa/boards/execution"
    new.close()


def membership_of_email(world: World, email: str) -> int:
    with world.samordna.db.read() as s:
        return s.execute(
            select(Membership.id).join(User, User.id == Membership.user_id).where(User.email == email)
        ).scalar_one()


def test_add_an_existing_user_redirects_with_a_message(browser, web_world: World) -> None:
    b = browser("coordinator")
    page = follow(
        b,
        b.post(
            f"{ADMIN}/members", {"email": "beta_coordinator@example.no", "name": "", "role": "viewer", "unit_id": ""}
        ),
    )
    assert "Beta Coordinator (beta_coordinator@example.no) er lagt til som lesetilgang." in text_of(page.text)
    assert "one-time__password" not in page.text


def test_add_member_refused_keeps_what_was_typed(browser, web_world: World) -> None:
    b = browser("coordinator")
    r = b.post(f"{ADMIN}/members", {"email": "ukjent@example.no", "name": "", "role": "steering", "unit_id": ""})
    assert r.status_code == 422
    assert 'value="ukjent@example.no"' in r.text
    assert re.search(r'<option value="steering" selected>', r.text)
    assert 'id="add-member-name" name="name" aria-invalid="true"' in r.text
    assert "Det finnes ingen bruker med denne e-postadressen." in text_of(r.text)
    assert "Medlemmet ble ikke lagt til." in text_of(r.text)


def test_change_role_and_unit(browser, web_world: World) -> None:
    b = browser("coordinator")
    mid = web_world.membership_id("viewer")
    page = follow(
        b,
        b.post(f"{ADMIN}/members/{mid}/change", {"role": "coordination", "unit_id": str(web_world.unit("Politiet"))}),
    )
    cells = text_of(row(page.text, f"member-{mid}"))
    assert "Koordineringsgruppen" in cells and "Politiet" in cells
    assert kinds(web_world) == ["member_role_changed", "member_unit_changed"]
    log = text_of(b.get(f"{ADMIN}/log").text)
    assert "Rolle: Lesetilgang → Koordineringsgruppen" in log
    assert "Enhet: ingen → Politiet" in log


def test_the_last_coordinator_is_told_why_they_cannot_leave(browser, web_world: World) -> None:
    b = browser("coordinator")
    mid = web_world.membership_id("coordinator")
    r = b.post(f"{ADMIN}/members/{mid}/deactivate", {})
    assert r.status_code == 422
    assert "Du er den eneste aktive SLT-koordinatoren i Alfa kommune" in text_of(r.text)
    r = b.post(f"{ADMIN}/members/{mid}/change", {"role": "viewer", "unit_id": ""})
    assert r.status_code == 422
    assert 'aria-invalid="true"' in row(r.text, f"member-{mid}")
    assert kinds(web_world) == []


def test_deactivated_user_loses_open_session_and_api_token_at_once(browser, live_server, web_world: World) -> None:
    victim = browser("executing")
    assert victim.get("/areas/alfa/boards/execution").status_code == 200
    api = httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {web_world.tokens['executing']}"})
    assert api.get("/api/v1/areas").status_code == 200

    b = browser("coordinator")
    page = follow(b, b.post(f"{ADMIN}/members/{web_world.membership_id('executing')}/deactivate", {}))
    assert "Det var brukerens siste medlemskap, så brukeren er deaktivert" in text_of(page.text)
    assert "Deaktivert" in text_of(row(page.text, f"member-{web_world.membership_id('executing')}"))

    r = victim.get("/areas/alfa/boards/execution")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert api.get("/api/v1/areas").status_code == 401
    api.close()
    again = WebClient.live(live_server.url)
    r = again.login_response("executing@example.no")
    assert r.status_code == 401
    again.close()
    assert kinds(web_world) == ["member_deactivated", "user_deactivated"]

    page = follow(b, b.post(f"{ADMIN}/members/{web_world.membership_id('executing')}/reactivate", {}))
    assert "Gamle API-nøkler forblir stengt." in text_of(page.text)
    assert victim.login("executing").get("/areas/alfa/boards/execution").status_code == 200


# ---------------------------------------------------------------- goals and the log


def test_steering_creates_and_archives_goals(browser, web_world: World) -> None:
    b = browser("steering")
    page = follow(
        b,
        b.post(
            f"{ADMIN}/goals",
            {
                "title": "Trygge skoleveier",
                "description": "Færre hendelser.",
                "period_from": "2026",
                "period_to": "2029",
                "priority": "2",
            },
        ),
    )
    assert "Målet «Trygge skoleveier» er opprettet." in text_of(page.text)
    gid = web_world.goals["alfa"]
    page = follow(b, b.post(f"{ADMIN}/goals/{gid}/archive", {}))
    cells = text_of(row(page.text, f"goal-{gid}"))
    assert "Arkivert" in cells and "Hent fram igjen" in cells
    page = follow(b, b.post(f"{ADMIN}/goals/{gid}/unarchive", {}))
    assert "Aktivt" in text_of(row(page.text, f"goal-{gid}"))
    assert kinds(web_world) == ["goal_created", "goal_archived", "goal_unarchived"]


def test_goal_refused_keeps_the_typed_values(browser, web_world: World) -> None:
    b = browser("coordinator")
    r = b.post(
        f"{ADMIN}/goals",
        {"title": "Mål", "description": "", "period_from": "2029", "period_to": "2026", "priority": ""},
    )
    assert r.status_code == 422
    assert "«Til år» kan ikke være før «Fra år»." in text_of(r.text)
    assert 'value="2029"' in r.text and 'value="Mål"' in r.text


def test_the_log_lists_changes_newest_first(browser, web_world: World) -> None:
    b = browser("coordinator")
    follow(b, b.post(f"{ADMIN}/units", {"name": "Først", "kind": "other"}))
    follow(b, b.post(f"{ADMIN}/units", {"name": "Sist", "kind": "voluntary"}))
    page = b.get(f"{ADMIN}/log")
    body = text_of(page.text)
    assert body.index("Sist") < body.index("Først")
    assert "Coordinator Enhet lagt til Sist Type: Frivillig" in body
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT', page.text)
