"""Maps refusals to status codes and bodies: JSON for the API, a page for the browser, same words."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Template

from samordna.domain.errors import Conflict, DomainError, Invalid, NotAllowed
from samordna.web.i18n import current_lang
from samordna.web.i18n import gettext as _

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


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


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


def error_page(request: Request, status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """A calm Norwegian error page; for htmx, a fragment that says the same."""
    template = "partials/error.html" if request.headers.get("hx-request") else "pages/error.html"
    return Template(
        template_name=template,
        context={"status": status, "title": _(TITLES.get(status, TITLES[500])), "detail": detail,
                 "lang": current_lang.get(), "page": None},
        status_code=status,
        headers=headers,
    )


def domain_error(request: Request, exc: DomainError) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    if is_api(request):
        return Response(error_body(exc), status_code=exc.status, media_type=MediaType.JSON, headers=headers)
    return error_page(request, exc.status, exc.message)


def http_error(request: Request, exc: HTTPException) -> Response:
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
    elif status == 403 and "csrf" in str(exc.detail).lower():
        body["detail"] = "Skjemaet er utløpt eller kom fra et annet nettsted. Last siden på nytt og prøv igjen."
    if is_api(request):
        return Response(body, status_code=status, media_type=MediaType.JSON, headers=exc.headers)
    return error_page(request, status, _(body["detail"]), headers=exc.headers)


def internal_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    if is_api(request):
        return Response(
            {"status": 500, "title": TITLES[500], "detail": TITLES[500]}, status_code=500, media_type=MediaType.JSON
        )
    return error_page(request, 500, _(TITLES[500]))
