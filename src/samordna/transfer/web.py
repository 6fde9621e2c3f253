"""The coordinator's download of the whole area as one JSON document, on the organisation pages: HTTP in, a
stream of JSON out; no SQL. The TransferService (by dependency injection) decides who may, before the first
byte, and reads the area from one snapshot while the document streams."""

from __future__ import annotations

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Stream

from samordna.accounts.web import page_for
from samordna.transfer.service import TransferService

EXPORT = "/areas/{slug:str}/admin/export.json"


@get(EXPORT, sync_to_thread=True, name="admin_export")
def export_area(request: Request, transfer: NamedDependency[TransferService], slug: FromPath[str]) -> Stream:
    """The area's export (samordna export --area SLUG), as a file to save: `samordna import` reads it."""
    page = page_for(request, slug)
    export = transfer.export(actor=page.actor, slug=slug)
    return Stream(
        export.chunks,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


HANDLERS = [export_area]
