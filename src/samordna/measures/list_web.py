"""The measure list page, /areas/{slug}/measures: every measure of the area in a table, searched, filtered,
sorted and paged — all of it in the URL, so a view can be bookmarked, shared and opened without JavaScript.
HTTP in, HTML out: one call to MeasureService.list_page, then render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from markupsafe import Markup, escape

from samordna.accounts.service import AccountService
from samordna.accounts.web import Page, page_for
from samordna.domain.confidentiality import contains_national_id
from samordna.domain.errors import Invalid
from samordna.measures.listing import parse_filters
from samordna.measures.timeline import health_label, state_label
from samordna.measures.views import ListFilters, ListPage
from samordna.measures.web import NO_STORE, MeasuresDep
from samordna.web.i18n import gettext as _

TEMPLATE = "pages/measures/list.html"
FLASH = "list_flash"
AccountsDep = NamedDependency[AccountService]
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
START, STOP = "\x02", "\x03"


def columns() -> tuple[tuple[str, str], ...]:
    """The table's columns, (sort key, heading) in the current language; the title column also carries the
    search's passage."""
    return (
        ("ref", _("Ref.")),
        ("title", _("Tittel")),
        ("state", _("Tilstand")),
        ("unit", _("Ansvarlig enhet")),
        ("goal", _("Mål")),
        ("follow_up", _("Neste oppfølging")),
        ("health", _("Status")),
        ("effect", _("Effekt")),
        ("updated", _("Sist endret")),
    )


def marked(text: str) -> Markup:
    """`text` escaped, with the search's matched words in <mark>."""
    safe = str(escape(" ".join(text.split())))
    return Markup(safe.replace(START, "<mark>").replace(STOP, "</mark>"))


@dataclass
class ListUI:
    """Labels and URLs for the list page: the templates ask this object."""

    page: Page
    wf: Any
    view: ListPage

    @property
    def base(self) -> str:
        return f"/areas/{self.page.area.slug}/measures"

    def url(self, **changes: Any) -> str:
        query = self.view.filters.query(**changes)
        return self.base + (f"?{urlencode(query, doseq=True)}" if query else "")

    def sort_url(self, key: str) -> str:
        """The column's heading link: sort by it, or turn the direction when it is the sort in force."""
        if self.view.sort == key:
            return self.url(sort=key, descending=not self.view.descending)
        return self.url(sort=key, descending=None)

    def aria_sort(self, key: str) -> str | None:
        if self.view.sort != key:
            return None
        return "descending" if self.view.descending else "ascending"

    def export_url(self, suffix: str) -> str:
        """The list view as a file: «.csv», «.xlsx» or «-events.csv» — every row of this view (its search,
        filters and sort; all pages), so the query without the page key."""
        query = self.view.filters.query()
        return f"{self.base}{suffix}" + (f"?{urlencode(query, doseq=True)}" if query else "")

    def here(self, after: str | None) -> str:
        """What a live change re-reads (DESIGN.md §15): this page of the list, also when the browser's address is
        a form's (a refused «Lagre visningen»)."""
        if after is None:
            return self.url()
        return f"{self.base}?{urlencode({**self.view.filters.query(), 'after': after}, doseq=True)}"

    def next_url(self) -> str:
        query = self.view.filters.query()
        query["after"] = self.view.next_after
        return f"{self.base}?{urlencode(query, doseq=True)}"

    def state_label(self, state: str) -> str:
        return state_label(self.wf, state, self.page.lang)

    def health_label(self, health: str | None) -> str:
        return health_label(self.wf, health, self.page.lang) or ""

    def option_label(self, field_name: str, value: str | None) -> str:
        fdef = self.wf.fields.get(field_name)
        if not value:
            return ""
        option = fdef.option_labels.get(value) if fdef else None
        return option.get(self.page.lang) if option else value

    @property
    def states(self) -> list[str]:
        return list(self.wf.states)


def filters_from(request: Request, states: tuple[str, ...]) -> ListFilters:
    params = {key: request.query_params.getall(key) for key in request.query_params}
    return parse_filters(params, states)


def _render(
    request: Request,
    measures: Any,
    page: Page,
    filters: ListFilters,
    after: str | None,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Template:
    view = measures.list_page(actor=page.actor, slug=page.area.slug, filters=filters, after=after)
    ui = ListUI(page, measures.workflow, view)
    context = {
        "page": page,
        "active": "measures",
        "view": view,
        "ui": ui,
        "columns": columns(),
        "marked": marked,
        "request_after": after is not None,
        "live_url": ui.here(after),
        "flash": request.session.pop(FLASH, None),
        "view_name": "",
        "view_errors": {},
        **extra,
    }
    return Template(template_name=TEMPLATE, context=context, headers=NO_STORE, status_code=status_code)


@get("/areas/{slug:str}/measures", sync_to_thread=True, name="measure_list")
def measure_list(request: Request, measures: MeasuresDep, slug: FromPath[str]) -> Template:
    page = page_for(request, slug)
    filters = filters_from(request, tuple(measures.workflow.states))
    return _render(request, measures, page, filters, request.query_params.get("after") or None)


@post("/areas/{slug:str}/measures/views", sync_to_thread=True, name="measure_list_save_view", status_code=303)
def save_view(
    request: Request, measures: MeasuresDep, accounts: AccountsDep, slug: FromPath[str], data: Form
) -> Redirect | Template:
    """«Lagre visningen»: the list's filters, search and sort under a name, in the user's menu."""
    page = page_for(request, slug)
    query = str(data.get("query") or "")
    states = tuple(measures.workflow.states)
    filters = parse_filters({k: v for k, v in parse_qs(query).items()}, states)
    normal = urlencode(filters.query(), doseq=True)  # only what the list understands, in its own order
    try:
        accounts.save_view(actor=page.actor, area_id=page.area.id, name=data.get("name"), query=normal)
    except Invalid as refused:
        errors = {e.field: e.message for e in refused.errors}
        name = data.get("name") if isinstance(data.get("name"), str) else ""
        if contains_national_id(name):  # the number is never echoed back
            name = ""
        return _render(request, measures, page, filters, None, status_code=422, view_name=name, view_errors=errors)
    request.session[FLASH] = _("Visningen er lagret. Du finner den under «Mine visninger» øverst.")
    return Redirect(f"/areas/{slug}/measures" + (f"?{normal}" if normal else ""), status_code=HTTP_303_SEE_OTHER)


@post(
    "/areas/{slug:str}/measures/views/{view_id:int}/delete",
    sync_to_thread=True,
    name="measure_list_delete_view",
    status_code=303,
)
def delete_view(request: Request, accounts: AccountsDep, slug: FromPath[str], view_id: FromPath[int]) -> Redirect:
    page = page_for(request, slug)
    accounts.delete_view(actor=page.actor, area_id=page.area.id, view_id=view_id)
    request.session[FLASH] = _("Visningen er slettet.")
    return Redirect(f"/areas/{slug}/measures", status_code=HTTP_303_SEE_OTHER)


HANDLERS = [measure_list, save_view, delete_view]
