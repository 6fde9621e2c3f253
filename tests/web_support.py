"""Helpers for the tests that go through the web side: one password for every user of the test world, and a
client that logs in like a browser (the CSRF cookie from GET /login, then the log-in form). No tests here."""

from __future__ import annotations

import html
import re
from typing import Any, Self
from urllib.parse import urlencode

import httpx
from sqlalchemy import update

from samordna.accounts.repository import hash_password
from samordna.store.models import User
from tests.factories import World

PASSWORD = "en lang og trygg setning"
FORM = {"content-type": "application/x-www-form-urlencoded"}
_HASH: dict[str, str] = {}

Form = dict[str, Any] | list[tuple[str, Any]]


def password_hash() -> str:
    """The hash of PASSWORD, computed once per process (Argon2 is slow on purpose)."""
    if PASSWORD not in _HASH:
        _HASH[PASSWORD] = hash_password(PASSWORD)
    return _HASH[PASSWORD]


def give_passwords(world: World) -> World:
    """Every user of the test world gets PASSWORD, so they can log in through the form."""
    with world.samordna.db.write() as s:
        s.execute(update(User).values(password_hash=password_hash()))
    return world


def text_of(page: str) -> str:
    """The text of an HTML page or fragment, tags dropped and white space folded."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


class WebClient:
    """An HTTP client that behaves like a browser: the CSRF cookie from GET /login, the token in every form.

    `client` is an httpx.Client on the live server (`WebClient.live(url)`) or a Litestar TestClient;
    `headers` go with every request (the security tests' pretend peer address)."""

    def __init__(self, client: httpx.Client, **headers: str) -> None:
        self.client = client
        self.client.follow_redirects = False
        self.headers = headers
        self.client.get("/login", headers=headers)

    @classmethod
    def live(cls, base_url: str) -> Self:
        return cls(httpx.Client(base_url=base_url, timeout=20))

    @property
    def token(self) -> str:
        """The CSRF cookie (named `__Host-csrftoken` when cookies are secure)."""
        return next(c.value for c in self.client.cookies.jar if c.name.endswith("csrftoken"))

    @property
    def session_id(self) -> str | None:
        return next(
            (
                c.value
                for c in self.client.cookies.jar
                if c.name.endswith("samordna_session") or c.name == "__Host-samordna"
            ),
            None,
        )

    def login_response(self, email: str, password: str = PASSWORD, **headers: str) -> httpx.Response:
        return self.post("/login", {"email": email, "password": password}, **headers)

    def login(self, who: str, password: str = PASSWORD) -> Self:
        r = self.login_response(f"{who}@example.no", password)
        assert r.status_code == 303, r.text
        return self

    def get(self, url: str, htmx: bool = False, **headers: str) -> httpx.Response:
        if htmx:
            headers = {"hx-request": "true", **headers}
        return self.client.get(url, headers={**self.headers, **headers})

    def post(self, url: str, data: Form | None = None, htmx: bool = False, **headers: str) -> httpx.Response:
        """A form post: without JS the token rides in the form; htmx sends it as a header (from <body hx-headers>)."""
        items = list((data or {}).items()) if isinstance(data, dict | None) else list(data)
        if htmx:
            headers = {"hx-request": "true", "x-csrftoken": self.token, **headers}
        else:
            items.append(("_csrf_token", self.token))
        body = urlencode([(k, str(v)) for k, v in items])
        return self.client.post(url, content=body, headers={**self.headers, **FORM, **headers})

    def close(self) -> None:
        self.client.close()
