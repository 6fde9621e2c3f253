"""Files on the measure page and the meeting page (browser side), the download, and the upload flow the API
shares (`receive_and_add`). HTTP in, HTML out; no SQL here.

An upload is read before a service sees it, so the order matters: the session, then a CSRF token that cannot be
in the form (the X-CSRFToken header of htmx, or a body that is no multipart form), then the permission (404, 403),
all before a byte of the body is read; then a Content-Length beyond reach (413 at once), then the body streamed
to a temporary file (samordna.attachments.upload; 413 the moment it passes the cap) — the form's CSRF token,
which the form sends before the file, checked before a byte of the file is written —, then the service checks
and keeps the file.

The upload routes are left out of Litestar's CSRF middleware, which would read the whole body as a form to
find the token; the token is checked here instead, against the same cookie in the same way, and refused with the
middleware's own answer. A form without JavaScript answers 303 back to the page (#vedlegg); htmx gets the
measure page's main block (its version and history changed too) or the meeting's section. Refused, the page
(or the section) comes back with the message beside the file field and the status of the refusal — but a 403
(a role that may not add files, and so has no file field) and a 404 get the error page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import CSRFMiddleware
from litestar.params import FromPath
from litestar.response import File, Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from litestar.utils.scope.state import ScopeState

from samordna.accounts.web import Page, page_for
from samordna.attachments import upload
from samordna.attachments.service import AttachmentService
from samordna.attachments.views import Attachments, AttachmentView
from samordna.domain.actor import Actor
from samordna.domain.errors import BadRequest, DomainError, FieldError, Invalid, TooLarge
from samordna.measures import web as measure_pages
from samordna.measures.service import MeasureService
from samordna.meetings import web as meeting_pages
from samordna.meetings.service import MeetingService
from samordna.web.i18n import gettext as _

AttachmentsDep = NamedDependency[AttachmentService]
MeasuresDep = NamedDependency[MeasureService]
MeetingsDep = NamedDependency[MeetingService]
NO_STORE = {"Cache-Control": "no-store"}
SECTION = "partials/attachments.html"
FLASH = "attachment_flash"
UPLOAD_PATHS = r"^/(measures|meetings)/\d+/attachments$"  # left out of the CSRF middleware (checked here)


# ---------------------------------------------------------------- the shared upload flow


async def receive_and_add(
    request: Request,
    attachments: AttachmentService,
    actor: Actor,
    *,
    measure_id: int | None = None,
    meeting_id: int | None = None,
    check: Callable[[dict[str, str] | None], None] | None = None,
) -> AttachmentView:
    """Read the upload in the request and keep it on the measure or meeting (see the module's docstring for
    the order); `check(fields)` runs on the form's small fields before a byte of the file is written (the CSRF
    token; samordna.attachments.upload)."""
    if check is not None:
        check(None)  # a token that cannot be in the form's fields is checked first, as the middleware would
    await anyio.to_thread.run_sync(
        partial(attachments.may_add, actor=actor, measure_id=measure_id, meeting_id=meeting_id)
    )
    limit = attachments.max_upload_bytes
    if upload.announced_too_large(request.headers, limit):
        raise _too_large(attachments)
    temp = await anyio.to_thread.run_sync(attachments.temp_path)
    try:
        received = await upload.receive(
            request.headers.get("content-type", ""), request.stream(), temp=temp, limit=limit, check=check
        )
    except upload.TooLarge:
        raise _too_large(attachments) from None
    except upload.BadUpload as exc:
        if str(exc) == "no file":
            raise Invalid([FieldError("file", _("Velg en fil å laste opp."))]) from None
        raise BadRequest(
            _("Forespørselen er ikke en filopplasting (multipart/form-data med én fil i feltet «file»).")
        ) from None
    if received.size == 0:
        temp.unlink(missing_ok=True)
        raise Invalid([FieldError("file", _("Filen er tom."))])
    add = partial(
        attachments.add,
        actor=actor,
        temp=received.path,
        filename=received.filename,
        measure_id=measure_id,
        meeting_id=meeting_id,
    )
    return await anyio.to_thread.run_sync(add)


def _too_large(attachments: AttachmentService) -> TooLarge:
    mb = attachments.max_upload_bytes // (1024 * 1024)
    return TooLarge(_("Filen er for stor. Største tillatte størrelse er {mb} MB.").format(mb=mb))


def download(view: AttachmentView, path: Path) -> File:
    """The file as a download: `attachment`, its sniffed type, never sniffed again by the browser, the name in
    ASCII for old clients and in full (RFC 5987 `filename*`) for the rest."""
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\%;' else "_" for c in view.filename) or "vedlegg"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(view.filename, safe='')}"
    return File(
        path=path,
        media_type=view.content_type.split(";")[0],  # Litestar adds the charset of a text type itself
        content_disposition_type="attachment",
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def _csrf_check(request: Request) -> Callable[[dict[str, str] | None], None]:
    """The check Litestar's CSRF middleware makes, for a form whose body it did not read: the token from the
    X-CSRFToken header (htmx) or the `_csrf_token` field, against the cookie; refused as the middleware refuses.
    `check(None)`, before the body: decides at once when the token cannot be among the form's fields (it is in
    the header, or the body is no multipart form); otherwise the fields read before the file decide."""
    config = request.app.csrf_config
    assert config is not None

    def check(fields: dict[str, str] | None) -> None:
        header = request.headers.get(config.header_name)
        multipart = request.headers.get("content-type", "").lower().startswith("multipart/form-data")
        if fields is None and not header and multipart:
            return  # in the form's fields, read before the file
        token = header or (fields or {}).get("_csrf_token")
        cookie = request.cookies.get(config.cookie_name)
        middleware = CSRFMiddleware(app=request.app, config=config)  # type: ignore[arg-type]
        if not token or not cookie or not middleware._csrf_tokens_match(token, cookie):
            raise PermissionDeniedException("CSRF token verification failed")
        ScopeState.from_scope(request.scope).csrf_token = token  # the forms in the answer carry it, as elsewhere

    return check


# ---------------------------------------------------------------- the sections on the measure and meeting pages


def sections(attachments: AttachmentService) -> dict[str, list[Callable[[Request, Page, int], dict[str, Any]]]]:
    """The «Vedlegg» sections of the measure and meeting pages (providers of samordna.web.sections), bound to the
    service by the composition root (samordna.app)."""

    def measure_section(request: Request, page: Page, measure_id: int) -> dict[str, Any]:
        files = attachments.of_measure(actor=page.actor, measure_id=measure_id)
        return _section(request, files, f"/measures/{measure_id}")

    def meeting_section(request: Request, page: Page, meeting_id: int) -> dict[str, Any]:
        files = attachments.of_meeting(actor=page.actor, meeting_id=meeting_id)
        return _section(request, files, f"/meetings/{meeting_id}")

    return {"measure": [measure_section], "meeting": [meeting_section]}


def _section(request: Request, files: Attachments, owner_url: str, error: str | None = None) -> dict[str, Any]:
    flash = request.session.pop(FLASH, None) if "session" in request.scope else None
    return {
        "attachments": files,
        "attachments_url": f"{owner_url}/attachments",
        "attachment_error": error,
        "attachment_flash": flash,
    }


# ---------------------------------------------------------------- routes


@dataclass(frozen=True)
class _Owner:
    """What an upload from a page is added to, and the services that render the page again."""

    attachments: AttachmentService
    measures: MeasureService
    meetings: MeetingService
    measure_id: int | None = None
    meeting_id: int | None = None

    @property
    def url(self) -> str:
        return f"/measures/{self.measure_id}" if self.measure_id is not None else f"/meetings/{self.meeting_id}"

    def files(self, page: Page) -> Attachments:
        if self.measure_id is not None:
            return self.attachments.of_measure(actor=page.actor, measure_id=self.measure_id)
        assert self.meeting_id is not None
        return self.attachments.of_meeting(actor=page.actor, meeting_id=self.meeting_id)


async def _add(request: Request, owner: _Owner) -> Response:
    page = await anyio.to_thread.run_sync(page_for, request)
    htmx = bool(request.headers.get("hx-request"))
    try:
        view = await receive_and_add(
            request,
            owner.attachments,
            page.actor,
            measure_id=owner.measure_id,
            meeting_id=owner.meeting_id,
            check=_csrf_check(request),
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise  # the error page says why: a member who may not add files has no file field to show it beside
        message = exc.errors[0].message if isinstance(exc, Invalid) and exc.errors else exc.message
        return await anyio.to_thread.run_sync(partial(_refused, request, page, owner, message, exc.status, htmx))
    flash = _("«{name}» er lagt til.").format(name=view.filename)
    if htmx:
        return await anyio.to_thread.run_sync(partial(_added, request, page, owner, flash))
    request.session[FLASH] = flash
    return Redirect(f"{owner.url}#vedlegg", status_code=HTTP_303_SEE_OTHER, headers=NO_STORE)


def _added(request: Request, page: Page, owner: _Owner, flash: str) -> Template:
    """The upload kept, for htmx: on a measure the page's main block (its version and history changed with
    the file), on a meeting the section alone."""
    section = {**_section(request, owner.files(page), owner.url), "attachment_flash": flash}
    if owner.measure_id is not None:
        return measure_pages.page_response(page, owner.measures, owner.measure_id, extra=section, block=True)
    context = {"page": page, "lang": page.lang, **section}
    return Template(template_name=SECTION, context=context, headers=NO_STORE)


def _refused(request: Request, page: Page, owner: _Owner, message: str, status: int, htmx: bool) -> Template:
    """The upload refused: the section (htmx) or the whole page with the message beside the file field."""
    section = _section(request, owner.files(page), owner.url, error=message)
    if htmx:
        context = {"page": page, "lang": page.lang, **section}
        return Template(template_name=SECTION, context=context, status_code=status, headers=NO_STORE)
    if owner.measure_id is not None:
        return measure_pages.page_response(page, owner.measures, owner.measure_id, status_code=status, extra=section)
    assert owner.meeting_id is not None
    return meeting_pages.page_response(page, owner.meetings, owner.meeting_id, status_code=status, extra=section)


@post("/measures/{measure_id:int}/attachments", name="measure_attachment_add", request_max_body_size=None)
async def add_to_measure(
    request: Request,
    attachments: AttachmentsDep,
    measures: MeasuresDep,
    meetings: MeetingsDep,
    measure_id: FromPath[int],
) -> Response:
    return await _add(request, _Owner(attachments, measures, meetings, measure_id=measure_id))


@post("/meetings/{meeting_id:int}/attachments", name="meeting_attachment_add", request_max_body_size=None)
async def add_to_meeting(
    request: Request,
    attachments: AttachmentsDep,
    measures: MeasuresDep,
    meetings: MeetingsDep,
    meeting_id: FromPath[int],
) -> Response:
    return await _add(request, _Owner(attachments, measures, meetings, meeting_id=meeting_id))


@get("/attachments/{attachment_id:int}", name="attachment_download", sync_to_thread=True)
def download_page(request: Request, attachments: AttachmentsDep, attachment_id: FromPath[int]) -> File:
    page = page_for(request)
    view, path = attachments.open(actor=page.actor, attachment_id=attachment_id)
    return download(view, path)


@post("/attachments/{attachment_id:int}/remove", name="attachment_remove", sync_to_thread=True)
def remove(request: Request, attachments: AttachmentsDep, attachment_id: FromPath[int]) -> Response:
    page = page_for(request)
    view = attachments.remove(actor=page.actor, attachment_id=attachment_id)
    owner_url = f"/measures/{view.measure_id}" if view.measure_id is not None else f"/meetings/{view.meeting_id}"
    request.session[FLASH] = _("«{name}» er fjernet.").format(name=view.filename)
    return Redirect(f"{owner_url}#vedlegg", status_code=HTTP_303_SEE_OTHER, headers=NO_STORE)


HANDLERS = [add_to_measure, add_to_meeting, download_page, remove]
