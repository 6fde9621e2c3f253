"""The steering report's page and its PDF: HTTP in, HTML or PDF out; no SQL.

`/areas/{slug}/report?year=2026` (or `?from=2026-03-01&to=2026-05-31`; this year without either) and the
same at `/areas/{slug}/report.pdf`. The ReportService (by dependency injection) decides who may read it and
computes it; figures.py words it and pdf.py lays it out. A period that cannot be read answers 400 with the
page, the period form and what to correct, in Norwegian — for the PDF too, since a browser shows that.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from samordna.accounts.web import Page, page_for
from samordna.domain.errors import Invalid
from samordna.reports import figures, pdf
from samordna.reports.service import ReportService
from samordna.reports.views import Period, Report

BASE = "/areas/{slug:str}/report"
NO_STORE = {"Cache-Control": "no-store"}
QUERY = ("year", "from", "to")


def _query(request: Request) -> dict[str, str]:
    """What the period form sent (only its fields, each at most once, trimmed and not too long)."""
    return {k: request.query_params.get(k, "").strip()[:20] for k in QUERY if request.query_params.get(k)}


def period_query(period: Period) -> str:
    """The query string that asks for `period` again (for the PDF link)."""
    if period.year is not None:
        return urlencode({"year": period.year})
    return urlencode({"from": period.start.isoformat(), "to": period.end.isoformat()})


def _page(
    page: Page,
    reports: ReportService,
    *,
    report: Report | None,
    query: Mapping[str, str],
    years: tuple[int, ...],
    error: Invalid | None = None,
) -> Template:
    base = f"/areas/{page.area.slug}/report"
    context: dict[str, Any] = {
        "page": page,
        "lang": page.lang,
        "active": "report",
        "base": base,
        "years": years,
        "query": query,
        "doc": figures.document(report, reports.workflow) if report else None,
        "report": report,
        "pdf_url": f"{base}.pdf?{period_query(report.period)}" if report else None,
        "error": error,
        "field_errors": {e.field: e.message for e in error.errors} if error else {},
    }
    status = 400 if error else 200
    return Template(template_name="pages/reports/report.html", context=context, status_code=status, headers=NO_STORE)


def _read(request: Request, reports: ReportService, slug: str) -> tuple[Page, Report | Template]:
    """The page, and the report the query asks for — or, when the period cannot be read, the page with why."""
    page = page_for(request, slug)
    query = _query(request)
    try:
        period = reports.period(year=query.get("year"), start=query.get("from"), end=query.get("to"))
    except Invalid as exc:
        years = reports.years(actor=page.actor, slug=slug)
        return page, _page(page, reports, report=None, query=query, years=years, error=exc)
    return page, reports.report(actor=page.actor, slug=slug, period=period)


@get(BASE, name="report", sync_to_thread=True)
def report_page(request: Request, reports: NamedDependency[ReportService], slug: FromPath[str]) -> Template:
    page, found = _read(request, reports, slug)
    if isinstance(found, Template):
        return found
    return _page(page, reports, report=found, query=_query(request), years=found.years)


@get(f"{BASE}.pdf", name="report_pdf", sync_to_thread=True)
def report_pdf(request: Request, reports: NamedDependency[ReportService], slug: FromPath[str]) -> Response[Any]:
    _page_, found = _read(request, reports, slug)
    if isinstance(found, Template):
        return found
    content = pdf.render(figures.document(found, reports.workflow))
    p = found.period
    name = f"styringsrapport-{found.area_slug}-{p.year if p.year else f'{p.start.isoformat()}-{p.end.isoformat()}'}.pdf"
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content=content, media_type="application/pdf", headers=headers)


HANDLERS = [report_page, report_pdf]
