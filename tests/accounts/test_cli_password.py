"""`samordna user password`: an administrator sets a user's password (given or prompted for, same rules
as the web form), which ends every session of that user; and `samordna serve` leaves X-Forwarded-For
to Samordna's own trusted-proxy setting."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from samordna import cli
from samordna.accounts.repository import verify_password
from samordna.services import Services
from samordna.settings import Settings
from samordna.store.models import User
from tests.factories import World
from tests.security_support import audit, browsers, make_app
from tests.web_support import PASSWORD, give_passwords

NEW = "et nytt passord fra drift"


@pytest.fixture
def web_world(world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("SAMORDNA_DATABASE_URL", settings.database_url)
    return give_passwords(world)


def password_hash(samordna: Services, email: str) -> str | None:
    with samordna.db.read() as s:
        return s.execute(select(User.password_hash).where(User.email == email)).scalar_one()


def prompts(monkeypatch: pytest.MonkeyPatch, *answers: str) -> None:
    given: Iterator[str] = iter(answers)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(given))


def test_reset_with_a_given_password(web_world: World, samordna: Services, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["user", "password", "--email", "Viewer@Example.no", "--password", NEW]) == 0
    assert "Passordet til viewer@example.no er endret." in capsys.readouterr().out
    stored = password_hash(samordna, "viewer@example.no")
    assert verify_password(stored, NEW) and not verify_password(stored, PASSWORD)
    [entry] = audit(samordna, "password_reset")
    assert entry["actor_id"] == web_world.user_ids["viewer"] and entry["subject"] == "viewer@example.no"
    assert NEW not in repr(audit(samordna))


def test_reset_ends_the_users_sessions(web_world: World, samordna: Services) -> None:
    with browsers(make_app(samordna)) as open_browser:
        b = open_browser().login("viewer")
        other = open_browser(peer="198.51.100.4").login("coordinator")
        assert cli.main(["user", "password", "--email", "viewer@example.no", "--password", NEW]) == 0
        r = b.get("/areas/alfa/boards/coordination")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert other.get("/areas/alfa/boards/coordination").status_code == 200
        assert open_browser(peer="198.51.100.5").login("viewer", NEW)


def test_reset_with_a_prompted_password(web_world: World, samordna: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    prompts(monkeypatch, NEW, NEW)
    assert cli.main(["user", "password", "--email", "viewer@example.no"]) == 0
    assert verify_password(password_hash(samordna, "viewer@example.no"), NEW)


@pytest.mark.parametrize(
    ("argv_password", "answers", "message"),
    [
        (None, (NEW, NEW + "!"), "Feil: passordene er ikke like."),
        ("kort", (), "Feil: Passordet må ha minst 10 tegn."),
        ("viewer@example.no", (), "Feil: Passordet kan ikke være det samme som e-postadressen."),
    ],
)
def test_refused_passwords_change_nothing(
    web_world: World,
    samordna: Services,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv_password: str | None,
    answers: tuple[str, ...],
    message: str,
) -> None:
    prompts(monkeypatch, *answers)
    argv = ["user", "password", "--email", "viewer@example.no"]
    if argv_password is not None:
        argv += ["--password", argv_password]
    before = password_hash(samordna, "viewer@example.no")
    assert cli.main(argv) == 1
    assert message in capsys.readouterr().err
    assert password_hash(samordna, "viewer@example.no") == before
    assert audit(samordna, "password_reset") == []


def test_an_unknown_user_is_an_error(web_world: World, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["user", "password", "--email", "ingen@example.no", "--password", NEW]) == 1
    assert "Feil: Fant ikke brukeren ingen@example.no." in capsys.readouterr().err


def test_serve_does_not_let_uvicorn_believe_forwarded_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    assert cli.main(["serve", "--port", "8199"]) == 0
    assert seen["proxy_headers"] is False and seen["port"] == 8199
