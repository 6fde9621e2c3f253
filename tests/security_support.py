"""Helpers for the security tests: an app over the test database, browsers as Litestar TestClients that can
pretend to come from any address, and readers of the session and audit tables."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select, text, update

from samordna.app import create_app
from samordna.services import Services
from samordna.settings import Settings
from samordna.store.models import AuditEntry, WebSession
from tests.web_support import WebClient

PEER_HEADER = "x-test-peer"


def samordna_with(samordna: Services, **overrides: Any) -> Services:
    """The services over the same database, with other settings (trusted proxies, secure cookies)."""
    return Services.build(replace(samordna.settings, **overrides), db=samordna.db, clock=samordna.clock)


def _with_peer(handler: Any) -> Any:
    """Test-only: the header x-test-peer becomes the socket peer, as a real server reports it."""

    async def shim(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            peer = dict(scope["headers"]).get(PEER_HEADER.encode())
            if peer:
                scope["client"] = (peer.decode(), 40000)
        await handler(scope, receive, send)

    return shim


def make_app(samordna: Services, settings: Settings | None = None) -> Litestar:
    """The app in this process, its live changes in memory: several TestClients each run their own event loop,
    which one PostgreSQL listener (bound to the first loop) cannot serve. tests/live tests LISTEN/NOTIFY itself."""
    settings = replace(settings or samordna.settings, live_backend="memory")
    app = create_app(settings, services=samordna)
    app.asgi_handler = _with_peer(app.asgi_handler)
    return app


@contextmanager
def browsers(app: Litestar, base_url: str = "http://testserver.local") -> Iterator[Callable[..., WebClient]]:
    """`open(peer=...)` gives a new browser (its own cookies) on `app`; all are closed at the end."""
    with ExitStack() as stack:

        def open_browser(peer: str = "192.0.2.10") -> WebClient:
            client = stack.enter_context(TestClient(app, base_url=base_url))
            return WebClient(client, **{PEER_HEADER: peer})

        yield open_browser


# ---------------------------------------------------------------- the tables


def session_ids(samordna: Services) -> set[str]:
    with samordna.db.read() as s:
        return set(s.execute(select(WebSession.key)).scalars())


def session_data(samordna: Services, key: str) -> dict[str, Any]:
    with samordna.db.read() as s:
        return json.loads(bytes(s.execute(select(WebSession.data).where(WebSession.key == key)).scalar_one()))


def set_session_data(samordna: Services, key: str, **values: Any) -> None:
    data = {**session_data(samordna, key), **values}
    with samordna.db.write() as s:
        s.execute(update(WebSession).where(WebSession.key == key).values(data=json.dumps(data).encode()))


def audit(samordna: Services, kind: str | None = None) -> list[dict[str, Any]]:
    with samordna.db.read() as s:
        query = select(AuditEntry.__table__).order_by(AuditEntry.id)
        if kind:
            query = query.where(AuditEntry.kind == kind)
        return [dict(r) for r in s.execute(query).mappings()]


def raw_audit_text(samordna: Services) -> str:
    """Every column of every audit row as text, to search for what must never be there."""
    with samordna.db.read() as s:
        return "\n".join(repr(tuple(r)) for r in s.execute(text("SELECT * FROM audit_log")).all())


def snapshot(samordna: Services) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the sessions (and the security log's refusals): what a GET must not change."""
    from sqlmodel import SQLModel

    tables = [t for t in SQLModel.metadata.sorted_tables if t.name != "web_session"]
    found: dict[str, list[tuple[Any, ...]]] = {}
    with samordna.db.read() as s:
        for table in tables:
            query = select(table)
            if table.name == "audit_log":
                # Reads the log records on purpose: a refusal, and the download of a whole area (an export).
                query = query.where(table.c.kind.not_in(("authorization_refused", "area_exported")))
            found[table.name] = sorted((tuple(r) for r in s.execute(query).all()), key=repr)
    return found
