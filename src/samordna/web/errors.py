"""Maps refusals to status codes and bodies: JSON for the API, a page for the browser, same words."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import BaseRouteHandler
from litestar.response import Template

from samordna.domain.confidentiality import find_national_ids
from samordna.domain.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound, UnsupportedType
from samordna.fields import fits_column
from samordna.web.i18n import N_, current_lang
from samordna.web.i18n import gettext as _

log = logging.getLogger("samordna")

TITLES = {
    400: N_("Ugyldig forespørsel."),
    401: N_("Du må logge inn."),
    403: N_("Du har ikke tilgang til dette."),
    404: N_("Fant ikke det du ba om."),
    405: N_("Metoden er ikke tillatt her."),
    409: N_("Konflikt med gjeldende tilstand."),
    413: N_("Forespørselen er for stor."),
    415: N_("Formatet støttes ikke."),
    422: N_("Noen felt må rettes."),
    429: N_("For mange forsøk. Vent litt og prøv igjen."),
    500: N_("Noe gikk galt hos oss. Prøv igjen senere."),
}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


HIDDEN = "[skjult]"


def redact(text: str) -> str:
    """A national identity number is never echoed back: each one in `text` becomes «[skjult]»."""
    for start, end in reversed(find_national_ids(text)):
        text = text[:start] + HIDDEN + text[end:]
    return text


def redacted(value: Any) -> Any:
    """`value` (an error body) with `redact` applied to every string in it, keys included."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return [redacted(v) for v in value]
    if isinstance(value, dict):
        return {redacted(k): redacted(v) for k, v in value.items()}
    return value


def error_body(exc: DomainError) -> dict[str, Any]:
    body: dict[str, Any] = {"status": exc.status, "title": TITLES.get(exc.status, ""), "detail": exc.message}
    if isinstance(exc, Invalid):
        body["errors"] = [{"field": e.field, "message": e.message} for e in exc.errors]
    if isinstance(exc, Conflict):
        body["state"] = exc.state
        body["current_version"] = exc.current_version
        if exc.allowed_triggers is not None:
            body["allowed_triggers"] = list(exc.allowed_triggers)
    if isinstance(exc, NotAllowed):
        body["allowed_roles"] = list(exc.allowed_roles)
    if isinstance(exc, UnsupportedType):
        body["accepted"] = list(exc.accepted)
    return redacted(body)


def error_page(request: Request, status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """A calm Norwegian error page; for htmx, a fragment that says the same."""
    template = "partials/error.html" if request.headers.get("hx-request") else "pages/error.html"
    return Template(
        template_name=template,
        context={
            "status": status,
            "title": _(TITLES.get(status, TITLES[500])),
            "detail": redact(detail),
            "lang": current_lang.get(),
            "page": None,
        },
        status_code=status,
        headers=headers,
    )


def ids_in_range(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Guard: an integer in the path that no database column can hold names nothing — 404, before any
    handler sends it to the database, which would fail on it (a 500) instead of finding nothing."""
    for value in connection.path_params.values():
        if isinstance(value, int) and not fits_column(value):
            raise NotFound(_(TITLES[404]))


def domain_error(request: Request, exc: DomainError) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    if is_api(request):
        return Response(error_body(exc), status_code=exc.status, media_type=MediaType.JSON, headers=headers)
    return error_page(request, exc.status, exc.message)


_UNKNOWN = re.compile(r"unknown field `([^`]*)`")
_MISSING = re.compile(r"missing required field `([^`]*)`")
_EXPECTED = re.compile(r"^Expected `([^`]*)`(?: (>=|<=) (-?\d+))?")
_TYPE_WORDS = {
    "str": "Må være tekst.",
    "int": "Må være et heltall.",
    "object": "Må være et JSON-objekt.",
    "array": "Må være en liste.",
    "bool": "Må være true eller false.",
}


def client_error(error: dict[str, Any]) -> dict[str, str]:
    """One of Litestar's decoding errors in the API's words: the field it is about, a Norwegian message.

    Unknown and missing fields are named in msgspec's message; Litestar's own key is then only the name of
    the handler's argument (`data`), which would point at the wrong field."""
    key, message = str(error.get("key") or ""), str(error.get("message") or "")
    if found := _UNKNOWN.search(message):
        return {"field": found[1], "message": "Ukjent felt."}
    if found := _MISSING.search(message):
        return {"field": found[1], "message": "Feltet må fylles ut."}
    if found := _EXPECTED.search(message):
        if found[2]:
            words = "Må være minst {}." if found[2] == ">=" else "Kan være høyst {}."
            return {"field": key, "message": words.format(found[3])}
        wanted = [t for t in found[1].split(" | ") if t != "null"]
        return {"field": key, "message": _TYPE_WORDS.get(wanted[0] if wanted else "", "Har feil type.")}
    if key == "data" and message == "'data'":  # no body at all
        return {"field": "", "message": "Forespørselen mangler innhold."}
    return {"field": key, "message": "Ugyldig verdi."}


def http_error(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    body: dict[str, Any] = {"status": status, "title": TITLES.get(status, ""), "detail": TITLES.get(status, "")}
    if isinstance(exc, ValidationException):
        body["detail"] = N_("Forespørselen kunne ikke leses: feil format eller ukjente felt.")
        if isinstance(exc.extra, list):
            body["errors"] = [client_error(e) for e in exc.extra if isinstance(e, dict)]
    elif status == 400:
        body["detail"] = N_("Forespørselen kunne ikke leses: send et gyldig JSON-objekt.")
    elif status == 415:
        body["detail"] = N_("API-et tar bare imot JSON: send innholdet med Content-Type: application/json.")
    elif status == 403 and "csrf" in str(exc.detail).lower():
        body["detail"] = N_("Skjemaet er utløpt eller kom fra et annet nettsted. Last siden på nytt og prøv igjen.")
    body = redacted(body)
    if is_api(request):
        return Response(body, status_code=status, media_type=MediaType.JSON, headers=exc.headers)
    detail: str = body["detail"]
    return error_page(request, status, _(detail), headers=exc.headers)


def internal_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    if is_api(request):
        return Response(
            {"status": 500, "title": TITLES[500], "detail": TITLES[500]}, status_code=500, media_type=MediaType.JSON
        )
    return error_page(request, 500, _(TITLES[500]))
