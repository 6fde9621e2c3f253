"""Who is asking and from where: the client address (trusted proxies only), and refusals to the security log."""

from __future__ import annotations

import logging
from functools import lru_cache, partial
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("samordna")

ACTOR = "samordna_actor_id"
AREA = "samordna_area_id"


def note_actor(connection: ASGIConnection, actor_id: int, area_id: int | None = None) -> None:
    """Remember who is asking (and in which area), for the refusal log."""
    state = connection.scope.setdefault("state", {})  # type: ignore[typeddict-item]
    state[ACTOR] = actor_id
    state[AREA] = area_id


@lru_cache(maxsize=16)
def _proxies(entries: tuple[str, ...]) -> tuple[tuple[IPv4Network | IPv6Network, ...], frozenset[str]]:
    networks, names = [], set()
    for entry in entries:
        try:
            networks.append(ip_network(entry, strict=False))
        except ValueError:
            names.add(entry)  # not an address (a test client's name): matched as written
    return tuple(networks), frozenset(names)


def _is_trusted(address: str, entries: tuple[str, ...]) -> bool:
    networks, names = _proxies(entries)
    if address in names:
        return True
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(connection: ASGIConnection) -> str:
    """The socket peer; behind a trusted proxy, the nearest address in X-Forwarded-For that is not a
    trusted proxy itself (the part of the header a client wrote is left of what the proxies appended)."""
    peer = connection.client.host if connection.client else ""
    trusted: tuple[str, ...] = connection.app.state.services.settings.trusted_proxies
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for value in connection.headers.getall("x-forwarded-for", []) for hop in value.split(",")]
    for hop in reversed([h for h in hops if h]):
        if _is_trusted(hop, trusted):
            continue
        try:
            return str(ip_address(hop))
        except ValueError:
            return peer  # a proxy that appends garbage is misconfigured: fall back to what we know
    return peer


def refusal_log(app: ASGIApp) -> ASGIApp:
    """Middleware: every 403, and every 404 answered to a known actor, goes to the security log before the
    response leaves — whether a handler raised NotAllowed or caught it and drew the form again."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state", {})
                status = message["status"]
                if status == 403 or (status == 404 and state.get(ACTOR) is not None):
                    await _record(scope, status, state.get(ACTOR), state.get(AREA))
            await send(message)

        await app(scope, receive, send_wrapper)

    return middleware


async def _record(scope: Scope, status: int, actor_id: int | None, area_id: int | None) -> None:
    try:
        connection: ASGIConnection = ASGIConnection(scope)
        record = partial(
            connection.app.state.services.accounts.record_refusal,
            path=scope["path"],
            status=status,
            method=scope["method"],  # type: ignore[typeddict-item]
            actor_id=actor_id,
            area_id=area_id,
            ip=client_address(connection),
        )
        await anyio.to_thread.run_sync(record)
    except Exception:  # the refusal is answered even when the log cannot be written
        log.exception("could not write the refusal of %s to the security log", scope["path"])
