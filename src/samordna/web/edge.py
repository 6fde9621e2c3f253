"""The edge of the web layer: what no handler should ever see.

- A NUL character (U+0000) in the path or in a query value: PostgreSQL cannot store or even compare a text
  holding one (a 500), SQLite would store it. The path names nothing (404), a query value is malformed (400).
- The API's JSON body: only `application/json` (415 otherwise), decoded *strictly* into the handler's struct
  (no «"3"» for an integer), nesting too deep for the decoder is malformed (400, not a RecursionError), and
  any text holding a NUL is an invalid field (422, the field named).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from samordna.domain.errors import BadRequest, FieldError, Invalid, NotFound
from samordna.fields import message_for
from samordna.i18n import N_
from samordna.i18n import gettext as _
from samordna.web.errors import TITLES, client_error

NUL = "\x00"
NUL_IN_QUERY = N_("Adressen inneholder et ugyldig tegn (NUL).")
UNSUPPORTED = 415


def refuse_nul(app: ASGIApp) -> ASGIApp:
    """Middleware: a NUL in the (decoded) path is 404, in a query value 400 — before any handler, session
    lookup or database query sees it. Raised inside the app, so the API answers JSON and the browser a page."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if NUL in scope["path"]:
                raise NotFound(_(TITLES[404]))
            query = scope.get("query_string", b"")
            if query and NUL in unquote(query.decode("latin-1"), encoding="latin-1"):
                raise BadRequest(_(NUL_IN_QUERY))
        await app(scope, receive, send)

    return middleware


def nul_fields(value: Any, field: str = "") -> Iterator[str]:
    """The fields (top-level names; inside an object such as a transition's `data`, its keys) whose text,
    key or nested text holds a NUL."""
    if isinstance(value, str):
        if NUL in value:
            yield field
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            yield from nul_fields(getattr(value, name), name)
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in str(key):
                yield str(key)
            else:
                yield from nul_fields(item, str(key))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from nul_fields(item, field)


def nul_errors(value: Any) -> list[FieldError]:
    """One error per field whose text holds a NUL (for `Invalid`)."""
    return [FieldError(name, message_for("nul")) for name in dict.fromkeys(nul_fields(value))]


def _body_type(handler: HTTPRouteHandler) -> Any:
    data = handler.parsed_fn_signature.parameters.get("data")
    return data.annotation if data is not None and isinstance(data.annotation, type) else Any


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def whole_numbers(value: Any) -> Any:
    """`value` with every float that is a whole number (2027.0) as an int: JSON has one kind of number, and
    JSON Schema calls 2027.0 an integer. Only that: a text is never read as a number."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value


def decode_strictly(body: bytes, target: Any) -> Any:
    """`body` as `target` (a msgspec struct), with msgspec's strict rules; refusals in the API's words."""
    try:
        value = msgspec.convert(whole_numbers(msgspec.json.decode(body)), type=target, strict=True)
        errors = nul_errors(value)
    except msgspec.ValidationError as exc:
        message, _sep, where = str(exc).partition(" - at `")
        path = where.rstrip("`").removeprefix("$").removeprefix(".")
        error = client_error({"key": path.split(".")[0].split("[")[0], "message": message})
        if not error["field"]:  # the body itself is not an object
            raise HTTPException(status_code=400) from exc
        raise Invalid([FieldError(error["field"], error["message"])]) from exc
    except (msgspec.DecodeError, RecursionError) as exc:  # not JSON, or nested deeper than can be read
        raise HTTPException(status_code=400) from exc
    if errors:
        raise Invalid(errors)
    return value


class JsonRequest(Request):
    """The API's request: `json()` (what Litestar's body extractor calls) checks the media type and decodes
    strictly into the handler's struct. Litestar then converts its arguments leniently, which passes an
    instance of the struct through untouched."""

    async def json(self) -> Any:
        if not _is_json(self.headers.get("content-type", "")):
            raise HTTPException(status_code=UNSUPPORTED)
        body = await self.body()
        return decode_strictly(body or b"null", _body_type(self.route_handler))
