"""Log-in throttling (ASVS 2.2.1): five failures for one account or one address within 15 minutes lock it
with a Norwegian 429 until the window passes; X-Forwarded-For counts only from a trusted proxy; the
log-in events in the audit log hold no passwords and no national identity numbers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from samordna.accounts.service import NOT_AN_EMAIL
from samordna.services import Services
from samordna.store.models import User
from tests.factories import World, national_id
from tests.security_support import audit, browsers, make_app, raw_audit_text, samordna_with
from tests.web_support import PASSWORD

LOCKED = "For mange mislykkede innlogginger. Vent"
PROXY = "10.0.0.5"


@pytest.fixture
def behind_proxy(samordna: Services, web_world: World) -> Iterator[Any]:
    """Browsers on an app that believes X-Forwarded-For from 10.0.0.5 (and only from there)."""
    services = samordna_with(samordna, trusted_proxies=(PROXY, "fd00::/8"))
    with browsers(make_app(services, services.settings)) as open_:
        yield open_


def shift(samordna: Services, **delta: float) -> None:
    real = samordna.clock.source
    samordna.clock.source = lambda: real() + timedelta(**delta)  # the samordna fixture restores the clock


def fail(b: Any, email: str = "coordinator@example.no", **headers: str) -> int:
    return b.login_response(email, "feil passord", **headers).status_code


# ---------------------------------------------------------------- the account and the address


def test_five_failures_lock_the_account_even_for_the_right_password(open_browser, samordna: Services) -> None:
    b = open_browser()
    assert [fail(b, "Coordinator@Example.no") for _ in range(5)] == [401] * 5
    r = b.login_response("coordinator@example.no", PASSWORD)
    assert r.status_code == 429
    assert "For mange mislykkede innlogginger. Vent 15 minutter og prøv igjen." in r.text
    assert 14 * 60 < int(r.headers["retry-after"]) <= 15 * 60
    assert 'value="coordinator@example.no"' in r.text  # the form comes back with the address typed
    assert fail(b) == 429
    failed, throttled = audit(samordna, "login_failed"), audit(samordna, "login_throttled")
    assert len(failed) == 5 and len(throttled) == 2
    assert {e["subject"] for e in failed + throttled} == {"coordinator@example.no"}
    assert {e["ip"] for e in failed + throttled} == {"192.0.2.10"}
    assert all(e["area_id"] is None for e in failed + throttled)
    assert audit(samordna, "login") == []


def test_the_lock_lifts_when_the_window_passes(open_browser, samordna: Services) -> None:
    b = open_browser()
    for _ in range(5):
        fail(b)
    shift(samordna, minutes=10)
    r = b.login_response("coordinator@example.no")
    assert r.status_code == 429 and "Vent 5 minutter" in r.text
    shift(samordna, minutes=4, seconds=30)
    assert "Vent 1 minutt og prøv igjen." in b.login_response("coordinator@example.no").text
    shift(samordna, seconds=31)
    assert b.login_response("coordinator@example.no").status_code == 303


def test_failures_from_other_addresses_still_lock_the_account(open_browser) -> None:
    for n in range(5):
        assert fail(open_browser(peer=f"198.51.100.{n}")) == 401
    assert open_browser(peer="198.51.100.99").login_response("coordinator@example.no").status_code == 429
    assert open_browser(peer="198.51.100.99").login_response("viewer@example.no").status_code == 303


def test_failures_for_many_accounts_lock_the_address(open_browser) -> None:
    b = open_browser(peer="203.0.113.9")
    for n in range(5):
        assert fail(b, f"gjett{n}@example.no") == 401  # unknown accounts count too
    assert b.login_response("viewer@example.no").status_code == 429
    assert open_browser(peer="203.0.113.10").login_response("viewer@example.no").status_code == 303


def test_a_successful_log_in_resets_the_account_but_not_the_address(open_browser) -> None:
    for n in range(4):
        fail(open_browser(peer=f"198.51.100.{n}"))
    open_browser(peer="198.51.100.50").login("coordinator")
    for n in range(4):
        assert fail(open_browser(peer=f"198.51.100.{10 + n}")) == 401  # counted from the log-in
    assert open_browser(peer="198.51.100.51").login_response("coordinator@example.no").status_code == 303
    b = open_browser(peer="203.0.113.20")
    for n in range(4):
        fail(b, f"gjett{n}@example.no")
    b.login("viewer")
    assert fail(b, "gjett9@example.no") == 401
    assert b.login_response("viewer@example.no").status_code == 429  # five from this address


# ---------------------------------------------------------------- X-Forwarded-For


def test_a_spoofed_forwarded_for_neither_resets_nor_evades_the_counter(open_browser, samordna: Services) -> None:
    b = open_browser(peer="192.0.2.66")
    for n in range(5):
        assert fail(b, f"gjett{n}@example.no", **{"x-forwarded-for": f"203.0.113.{n}"}) == 401
    r = b.login_response("viewer@example.no", **{"x-forwarded-for": "198.51.100.200"})
    assert r.status_code == 429
    assert {e["ip"] for e in audit(samordna)} == {"192.0.2.66"}


def test_behind_a_trusted_proxy_the_forwarded_address_counts(behind_proxy, samordna: Services) -> None:
    proxy = behind_proxy(peer=PROXY)
    for n in range(5):
        # The client wrote the left part; the proxy appended the address it saw.
        forwarded = {"x-forwarded-for": f"1.2.3.{n}, 203.0.113.7"}
        assert fail(proxy, f"gjett{n}@example.no", **forwarded) == 401
    assert {e["ip"] for e in audit(samordna)} == {"203.0.113.7"}
    assert proxy.login_response("viewer@example.no", **{"x-forwarded-for": "203.0.113.7"}).status_code == 429
    # Another client behind the same proxy is not locked out.
    assert proxy.login_response("viewer@example.no", **{"x-forwarded-for": "203.0.113.8"}).status_code == 303
    [login] = audit(samordna, "login")
    assert login["ip"] == "203.0.113.8"


def test_forwarded_for_from_an_untrusted_peer_is_ignored(behind_proxy, samordna: Services) -> None:
    b = behind_proxy(peer="192.0.2.1")
    b.login_response("viewer@example.no", **{"x-forwarded-for": "203.0.113.7"})
    assert audit(samordna, "login")[0]["ip"] == "192.0.2.1"


def test_chains_of_trusted_proxies_are_walked_from_the_right(behind_proxy, samordna: Services) -> None:
    b = behind_proxy(peer=PROXY)
    b.login_response("viewer@example.no", **{"x-forwarded-for": "1.1.1.1, 2001:db8::5, fd00::1, 10.0.0.5"})
    assert audit(samordna, "login")[0]["ip"] == "2001:db8::5"


def test_trusted_proxies_come_from_the_environment() -> None:
    from samordna.settings import Settings

    settings = Settings.from_env({"SAMORDNA_TRUSTED_PROXIES": " 10.0.0.5, 192.168.0.0/16 ,,"})
    assert settings.trusted_proxies == ("10.0.0.5", "192.168.0.0/16")
    assert Settings.from_env({}).trusted_proxies == ()


# ---------------------------------------------------------------- same time, whether the account exists


def test_a_failed_log_in_does_the_same_work_for_an_unknown_account(
    samordna: Services, web_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed log-in costs one argon2id verify with the same parameters whether or not the account exists, so
    the answer's time does not tell an attacker which addresses have accounts. Counted, not timed: a timing
    assertion fails on a busy machine and proves less."""
    from samordna.accounts import repository

    verified: list[str] = []
    real = repository.HASHER

    class CountingHasher:
        def verify(self, hash_: str, password: str) -> bool:
            verified.append(hash_)
            return real.verify(hash_, password)

    monkeypatch.setattr(repository, "HASHER", CountingHasher())

    def parameters(email: str, ip: str) -> list[str]:
        verified.clear()
        assert samordna.accounts.log_in(email, "feil passord", ip=ip) is None
        return [h.rsplit("$", 2)[0] for h in verified]  # $argon2id$v=19$m=…,t=…,p=…

    [who, *_] = web_world.user_ids
    known = parameters(f"{who}@example.no", "192.0.2.1")
    unknown = parameters("ukjent@example.no", "198.51.100.1")
    assert len(known) == 1 and known == unknown
    assert known[0].startswith("$argon2id$v=19$m=19456,t=2,p=1")


# ---------------------------------------------------------------- what the log holds


def test_log_in_and_log_out_are_recorded(open_browser, samordna: Services, web_world: World) -> None:
    b = open_browser(peer="192.0.2.44").login("coordinator")
    b.post("/logout")
    login, logout = audit(samordna, "login")[0], audit(samordna, "logout")[0]
    for entry in (login, logout):
        assert entry["subject"] == "coordinator@example.no"
        assert entry["actor_id"] == web_world.user_ids["coordinator"]
        assert entry["ip"] == "192.0.2.44" and entry["area_id"] is None
    # The coordinator's view of the security log includes the area-less log-in events of members.
    from samordna.store.audit import security_entries_for_area

    with samordna.db.read() as s:
        kinds = [e["kind"] for e in security_entries_for_area(s, area_id=web_world.areas["alfa"])]
        assert kinds == ["logout", "login"]
        assert security_entries_for_area(s, area_id=web_world.areas["beta"]) == []


def test_no_password_and_no_national_id_lands_in_the_log(open_browser, samordna: Services) -> None:
    fnr = national_id()
    b = open_browser()
    attempts = [
        (fnr, fnr),  # a national id as e-mail and as password
        (f"{fnr}@example.no", "hemmelig passord nummer to"),
        ("hemmelig passord nummer tre", PASSWORD),  # the password typed into the e-mail field
        ("coordinator@example.no", f"passord med {fnr} i"),
        (f"{fnr[:6]} {fnr[6:]}", "hemmelig passord nummer fire"),
    ]
    for email, password in attempts:
        assert b.login_response(email, password).status_code in (401, 429)
    text = raw_audit_text(samordna)  # the attempt rows too
    assert len(audit(samordna, "login_failed")) == len(attempts)
    for secret in (fnr, f"{fnr[:6]} {fnr[6:]}", "hemmelig passord", PASSWORD):
        assert secret not in text
    subjects = [e["subject"] for e in audit(samordna, "login_failed")]
    assert subjects == [NOT_AN_EMAIL, "[skjult]@example.no", NOT_AN_EMAIL, "coordinator@example.no", NOT_AN_EMAIL]
    assert [e["subject"] for e in audit(samordna, "login_attempt")] == subjects


def test_an_address_with_a_national_id_in_it_still_logs_in(open_browser, samordna: Services, web_world: World) -> None:
    fnr = national_id()
    with samordna.db.write() as s:
        s.execute(update(User).where(User.id == web_world.user_ids["viewer"]).values(email=f"{fnr}@example.no"))
    b = open_browser()
    assert b.login_response(f"{fnr}@example.no", "feil passord").status_code == 401
    assert b.login_response(f"{fnr}@example.no").status_code == 303
    b.post("/logout")
    assert [(e["kind"], e["subject"], e["actor_id"]) for e in audit(samordna)] == [
        ("login_attempt", "[skjult]@example.no", web_world.user_ids["viewer"]),
        ("login_failed", "[skjult]@example.no", web_world.user_ids["viewer"]),
        ("login_attempt", "[skjult]@example.no", web_world.user_ids["viewer"]),
        ("login", "[skjult]@example.no", web_world.user_ids["viewer"]),
        ("logout", "[skjult]@example.no", web_world.user_ids["viewer"]),
    ]
    assert fnr not in raw_audit_text(samordna)
