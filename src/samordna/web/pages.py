"""Pages outside the API: health check and the workflow diagram."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template
from sqlalchemy import text


@get("/healthz", sync_to_thread=True, include_in_schema=False)
def healthz(request: Request) -> dict[str, str]:
    with request.app.state.samordna.db.read() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok"}


@get("/workflows/measure", sync_to_thread=False, include_in_schema=False)
def workflow_page(request: Request) -> Template:
    samordna = request.app.state.samordna
    wf = samordna.workflow
    return Template(
        template_name="pages/workflow.html",
        context={"wf": wf, "mermaid": wf.mermaid("nb"), "lang": "nb"},
    )
