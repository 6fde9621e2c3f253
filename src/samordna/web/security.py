"""Security headers on every response — pages, fragments, API answers and errors alike."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


ADDED = tuple((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in HEADERS.items())
CACHE_CONTROL = b"cache-control"
NO_STORE = (CACHE_CONTROL, b"no-store")
CSP_NAME = b"content-security-policy"


def security_headers(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: adds HEADERS, and `Cache-Control: no-store` unless the response chose caching
    (only the versioned static files do): pages and API answers carry case data.

    Works on the message's raw header list (names in lower case, as Litestar and the ASGI spec send them): one
    pass to see which are there, instead of a search of the list for each of the seven."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        # The OpenAPI viewers load their own scripts; the JSON/YAML documents need nothing.
        schema = scope.get("path", "").startswith("/schema")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers")
                if not isinstance(headers, list):
                    headers = message["headers"] = list(headers or ())  # type: ignore[typeddict-unknown-key]
                present = {name.lower() for name, _ in headers}
                headers.extend(header for header in ADDED if header[0] not in present)
                if CACHE_CONTROL not in present:
                    headers.append(NO_STORE)
                if schema:
                    MutableScopeHeaders.from_message(message)["Content-Security-Policy"] = CSP
            await send(message)

        await app(scope, receive, send_wrapper)

    return middleware
