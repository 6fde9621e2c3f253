"""Maps refusals to status codes and bodies: JSON for the API, the same words everywhere."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from samordna.domain.errors import Conflict, DomainError, Invalid, NotAllowed

log = logging.getLogger("samordna")

TITLES = {
    400: "Ugyldig forespørsel.",
    401: "Du må logge inn.",
    403: "Du har ikke tilgang til dette.",
    404: "Fant ikke det du ba om.",
    405: "Metoden er ikke tillatt her.",
    409: "Konflikt med gjeldende tilstand.",
    413: "Forespørselen er for stor.",
    422: "Noen felt må rettes.",
    429: "For mange forsøk. Vent litt og prøv igjen.",
    500: "Noe gikk galt hos oss. Prøv igjen senere.",
}


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
    return body


def domain_error_to_json(_: Request, exc: DomainError) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return Response(error_body(exc), status_code=exc.status, media_type=MediaType.JSON, headers=headers)


def http_error_to_json(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    body: dict[str, Any] = {"status": status, "title": TITLES.get(status, ""), "detail": TITLES.get(status, "")}
    if isinstance(exc, ValidationException):
        body["detail"] = "Forespørselen kunne ikke leses: feil format eller ukjente felt."
        if isinstance(exc.extra, list):
            body["errors"] = [
                {"field": str(e.get("key") or ""), "message": str(e.get("message") or "")}
                for e in exc.extra
                if isinstance(e, dict)
            ]
    return Response(body, status_code=status, media_type=MediaType.JSON, headers=exc.headers)


def internal_error_to_json(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return Response(
        {"status": 500, "title": TITLES[500], "detail": TITLES[500]},
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type=MediaType.JSON,
    )
