"""Server-side sessions in the database, with a fresh session id at login (against session fixation).

Litestar's server-side backend reuses the id from the incoming cookie and has no rotate call; the
backend below gives the response a new id, and forgets the old one, when a handler asks for it.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message, ScopeSession

ROTATE = "samordna_rotate_session"
NEW_ID = "samordna_new_session_id"
IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 10 * 60 * 60
SEEN_RESOLUTION = 60  # "seen" is refreshed at most once a minute; the idle timeout allows for it


def cookie_key(secure: bool) -> str:
    """The session cookie's name: `__Host-` only where the cookie is Secure (HTTPS), as browsers require."""
    return "__Host-samordna" if secure else "samordna_session"


def rotate_session(connection: ASGIConnection) -> None:
    """Ask for a new session id in this response (call at login)."""
    connection.scope.setdefault("state", {})[ROTATE] = True


class RotatingSessionBackend(ServerSideSessionBackend):
    def get_session_id(self, connection: ASGIConnection) -> str:
        state = connection.scope.get("state", {})
        if state.get(ROTATE):
            if NEW_ID not in state:
                state[NEW_ID] = self.generate_session_id()
            return state[NEW_ID]
        return super().get_session_id(connection)

    async def store_in_message(self, scope_session: ScopeSession, message: Message, connection: ASGIConnection) -> None:
        state = connection.scope.get("state", {})
        if not scope_session and message["type"] == "http.response.start":
            if not connection.cookies.get(self.config.key):
                return  # an anonymous visitor with nothing to remember: no row, no cookie
            scope_session = Empty  # emptied: forget it in the store and in the browser
        if state.get(ROTATE) and message["type"] == "http.response.start":
            old = connection.cookies.get(self.config.key)
            if old and old != state.get(NEW_ID):
                await self.delete(old, store=self.config.get_store_from_app(connection.scope["app"]))
        await super().store_in_message(scope_session, message, connection)


class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend  # type: ignore[assignment]


def session_is_fresh(session: dict[str, Any], now: float | None = None) -> bool:
    """False once the session has been idle 30 minutes or lived 10 hours."""
    now = time.time() if now is None else now
    started, seen = session.get("started", 0), session.get("seen", 0)
    return now - seen < IDLE_SECONDS and now - started < ABSOLUTE_SECONDS
