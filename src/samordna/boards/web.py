"""The three level boards (coordination, execution, steering): HTTP in, HTML out; no SQL here.

Every handler parses the request, makes one call to the BoardService (a Litestar dependency) and
renders; the service decides what the member may do. An htmx request gets only the blocks of
templates/pages/boards/board.html that changed: the board body after a filter change, the next cards
of a column, a card's action form, or — after an accepted action — the card and the column counts as
out-of-band swaps. Without JavaScript every path is a plain link or form.

Size: one short handler per board route, each parse → one call → render.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from samordna.accounts.web import Page, page_for
from samordna.boards import service as boards
from samordna.boards.service import BoardService
from samordna.boards.views import REGISTERED, ActionForm, BoardFilters, CardMoved, SafeCount
from samordna.domain.errors import FieldError, NotFound
from samordna.web.forms import Form, build_form, parse_form
from samordna.web.i18n import fmt_number
from samordna.web.i18n import gettext as _

BoardsDep = NamedDependency[BoardService]

TEMPLATE = "pages/boards/board.html"
ACTION_TEMPLATE = "pages/boards/action.html"
FILTER_KEYS = ("goal", "unit", "arena", "health")
LIMIT_PREFIX = "limit_"
NO_STORE = CacheControlHeader(no_store=True)


# ---------------------------------------------------------------- reading the URL


def _digits(value: str, most: int) -> bool:
    """ASCII digits, at most `most` of them: str.isdigit() alone also accepts «²» (which int() refuses),
    and nine digits stay inside a database INTEGER (PostgreSQL's ends at 2**31 - 1)."""
    return value.isascii() and value.isdigit() and len(value) <= most


def parse_filters(params: Mapping[str, Any]) -> BoardFilters:
    """Filters from the query string; values that make no sense are ignored, never an error."""

    def number(key: str) -> int | None:
        value = str(params.get(key) or "").strip()
        return int(value) if _digits(value, 9) else None

    unit = str(params.get("unit") or "").strip()
    return BoardFilters(
        goal_id=number("goal"),
        unit_id=number("unit"),
        arena=str(params.get("arena") or "").strip() or None,
        health=str(params.get("health") or "").strip() or None,
        all_units=unit == "all",
    ).cleaned()


def parse_limits(params: Mapping[str, Any], states: tuple[str, ...]) -> dict[str, int]:
    """«Vis flere» without JavaScript: `limit_<state>=40` shows that many cards in the column (and
    `limit_registered` in the execution board's «Behov vi har meldt»)."""
    out = {}
    for state in (*states, REGISTERED):
        value = str(params.get(LIMIT_PREFIX + state) or "").strip()
        if _digits(value, 5):
            out[state] = max(boards.PAGE_SIZE, min(int(value), boards.MAX_LIMIT))
    return out


def filter_query(filters: BoardFilters) -> dict[str, str]:
    query = {}
    if filters.goal_id:
        query["goal"] = str(filters.goal_id)
    if filters.all_units:
        query["unit"] = "all"
    elif filters.unit_id:
        query["unit"] = str(filters.unit_id)
    if filters.arena:
        query["arena"] = filters.arena
    if filters.health:
        query["health"] = filters.health
    return query


def filters_of_page(request: Request, board: str, slug: str) -> BoardFilters:
    """After an action, the filters of the board page the request came from (htmx's HX-Current-URL)."""
    current = request.headers.get("hx-current-url") or ""
    parts = urlsplit(current)
    if parts.path.rstrip("/") != f"/areas/{slug}/boards/{board}":
        return BoardFilters()
    return parse_filters(dict(parse_qsl(parts.query)))


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


# ---------------------------------------------------------------- what the templates need


@dataclass
class BoardUI:
    """Labels and URLs for one board page: the templates ask this object, never the workflow directly."""

    page: Page
    board: str
    wf: Any  # the measure workflow (labels of states, triggers and options)
    query: dict[str, str] = field(default_factory=dict)  # the active filters
    limits: dict[str, int] = field(default_factory=dict)  # «Vis flere» without JavaScript

    @property
    def lang(self) -> str:
        return self.page.lang

    @property
    def base(self) -> str:
        return f"/areas/{self.page.area.slug}/boards/{self.board}"

    @property
    def title(self) -> str:
        return {
            "coordination": _("Koordineringstavle"),
            "execution": _("Våre tiltak"),
            "steering": _("Styringstavle"),
        }[self.board]

    def url(self, **extra: Any) -> str:
        query = {**self.query, **{LIMIT_PREFIX + s: str(n) for s, n in self.limits.items()}, **extra}
        return self.base + (f"?{urlencode(query)}" if query else "")

    def more_href(self, state: str, shown: int) -> str:
        return self.url(**{LIMIT_PREFIX + state: str(shown + boards.PAGE_SIZE)}) + f"#column-{state}"

    def column_url(self, state: str) -> str:
        return f"{self.base}/columns/{state}" + (f"?{urlencode(self.query)}" if self.query else "")

    def decisions_url(self, year: int | None = None, after: str | None = None) -> str:
        query = {k: str(v) for k, v in (("year", year), ("after", after)) if v}
        return f"{self.base}/decisions" + (f"?{urlencode(query)}" if query else "")

    def action_url(self, card: Any, trigger: str) -> str:
        return f"{self.base}/cards/{card.id}/actions/{trigger}"

    @property
    def declined_days(self) -> int:
        return boards.DECLINED_DAYS

    def state_label(self, state: str) -> str:
        st = self.wf.states.get(state)
        return st.label.get(self.lang) if st else state

    def column_label(self, state: str) -> str:
        if state == REGISTERED:
            return _("Behov vi har meldt")
        if self.board == "execution":
            groups = {
                "assigned": _("Til oppstart"),
                "in_follow_up": _("I gang"),
                "under_evaluation": _("Til evaluering"),
            }
            if state in groups:
                return groups[state]
        if self.board == "steering" and state == "evaluated":
            return _("Til behandling")
        return self.state_label(state)

    def trigger_label(self, trigger: str) -> str:
        td = self.wf.first_transition(trigger)
        return td.label.get(self.lang) if td else trigger

    def option_label(self, field_name: str, value: str | None) -> str:
        fdef = self.wf.fields.get(field_name)
        if not value:
            return ""
        if fdef and value in fdef.option_labels:
            return fdef.option_labels[value].get(self.lang)
        return value

    def health_label(self, health: str | None) -> str:
        return self.option_label("health", health)

    def group_label(self, group: str) -> str:
        return {
            "planning": _("Under planlegging"),
            "running": _("I gjennomføring"),
            "evaluation": _("Evaluering og vedtak"),
            "closed": _("Avsluttet"),
            "declined": _("Ikke prioritert"),
        }.get(group, _("Annet"))

    def unit_name(self, view: Any) -> str:
        return next((u.name for u in view.units if u.id == view.unit_id), "")

    def total_text(self, n: int) -> str:
        """A column's total; one counted only up to boards.COUNT_CAP («Behov vi har meldt») reads «over 1 000»."""
        if n <= boards.COUNT_CAP:
            return str(n)
        return _("over %(n)s") % {"n": fmt_number(boards.COUNT_CAP)}

    def count_text(self, count: SafeCount) -> str:
        if count.value is not None:
            return str(count.value)
        return _("5 eller flere") if count.hidden == "at_least" else _("færre enn 5")


def context(page: Page, ui: BoardUI, **values: Any) -> dict[str, Any]:
    return {"page": page, "ui": ui, "lang": page.lang, "active": ui.board, **values}


def _board(board: str) -> str:
    if board not in boards.BOARDS:
        raise NotFound(_("Fant ikke tavla."))
    return board


def _form_version(data: Mapping[str, Any]) -> str:
    value = str(data.get("version") or "").strip()
    return value if _digits(value, 9) else ""


def _version(data: Mapping[str, Any]) -> int | None:
    """The version the form was opened with; any number is passed on (one no column holds is a 409)."""
    try:
        return int(str(data.get("version", "")).strip())
    except ValueError:
        return None


def _form_data(wf: Any, trigger: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted values of the trigger's fields (which of them are required is the service's call)."""
    td = wf.first_transition(trigger)
    return parse_form([(wf.fields[n], False) for n in td.fields()], data) if td else {}


# ---------------------------------------------------------------- the controller


class BoardController(Controller):
    path = "/areas/{slug:str}/boards"
    cache_control = NO_STORE
    include_in_schema = False

    @get("/{board:str}", sync_to_thread=True)
    def board_page(self, request: Request, boards: BoardsDep, slug: FromPath[str], board: FromPath[str]) -> Template:
        page = page_for(request, slug)
        board = _board(board)
        params = request.query_params
        filters = parse_filters(params)
        limits = parse_limits(params, boards_states(boards, board))
        view = boards.read_board(actor=page.actor, slug=slug, board=board, filters=filters, limits=limits)
        ui = BoardUI(page, board, boards.workflow, filter_query(filters), limits)
        htmx = is_htmx(request) and request.headers.get("hx-history-restore-request") != "true"
        if htmx and request.headers.get("hx-target") == "board-body":
            ctx = context(page, ui, view=view, partial=True)
            # A live refresh (samordna.live) reads the same page again: no new entry in the browser's history.
            live = request.headers.get("hx-trigger") == "board-refresh"
            push = None if live else ui.url()
            return HTMXBlockTemplate(template_name=TEMPLATE, block_name="board_body", context=ctx, push_url=push)
        return Template(template_name=TEMPLATE, context=context(page, ui, view=view))

    @get("/{board:str}/decisions", sync_to_thread=True)
    def decision_log(self, request: Request, boards: BoardsDep, slug: FromPath[str], board: FromPath[str]) -> Template:
        """The steering group's decision log across measures (and meetings), newest first, by year. (A path
        parameter, not the literal «steering»: a literal segment would hide /{board} from Litestar's router.)"""
        page = page_for(request, slug)
        if _board(board) != "steering":
            raise NotFound(_("Fant ikke tavla."))
        params = request.query_params
        year_text = params.get("year", "")
        year = int(year_text) if _digits(year_text, 4) else None
        log = boards.decision_log(actor=page.actor, slug=slug, year=year, after=params.get("after"))
        ui = BoardUI(page, "steering", boards.workflow)
        return Template(template_name="pages/boards/decisions.html", context=context(page, ui, log=log))

    @get("/{board:str}/columns/{column:str}", sync_to_thread=True)
    def column_page(
        self, request: Request, boards: BoardsDep, slug: FromPath[str], board: FromPath[str], column: FromPath[str]
    ) -> Template | Redirect:
        """«Vis flere»: the next cards of one column, appended; the button is replaced out of band."""
        page = page_for(request, slug)
        board = _board(board)
        filters = parse_filters(request.query_params)
        shown = [int(v) for v in request.query_params.getall("shown", []) if _digits(v, 9)]
        ui = BoardUI(page, board, boards.workflow, filter_query(filters))
        if not is_htmx(request):
            return Redirect(ui.more_href(column, len(shown)), status_code=HTTP_303_SEE_OTHER)
        cards = boards.read_column(actor=page.actor, slug=slug, board=board, state=column, filters=filters, shown=shown)
        return HTMXBlockTemplate(
            template_name=TEMPLATE,
            block_name="column_page",
            context=context(page, ui, column=cards, shown_total=len(shown) + len(cards.cards)),
        )

    @get("/{board:str}/cards/{measure_id:int}/actions/{trigger:str}", sync_to_thread=True)
    def action_form(
        self,
        request: Request,
        boards: BoardsDep,
        slug: FromPath[str],
        board: FromPath[str],
        measure_id: FromPath[int],
        trigger: FromPath[str],
    ) -> Template:
        """The form of one action, opened in the card (htmx) or as a page of its own."""
        page = page_for(request, slug)
        board = _board(board)
        found = boards.action_form(actor=page.actor, slug=slug, board=board, measure_id=measure_id, trigger=trigger)
        ui = BoardUI(page, board, boards.workflow)
        form = _build(found, ui, values=None)
        return self._form(request, page, ui, found, form, str(found.measure.version))

    @post("/{board:str}/cards/{measure_id:int}/actions/{trigger:str}", sync_to_thread=True, status_code=200)
    def submit_action(
        self,
        request: Request,
        boards: BoardsDep,
        slug: FromPath[str],
        board: FromPath[str],
        measure_id: FromPath[int],
        trigger: FromPath[str],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        """One service call: the transition and the card's new place in one transaction, or the form again."""
        page = page_for(request, slug)
        board = _board(board)
        filters = filters_of_page(request, board, slug)
        values = _form_data(boards.workflow, trigger, data)
        outcome = boards.submit_action(
            actor=page.actor,
            slug=slug,
            board=board,
            measure_id=measure_id,
            trigger=trigger,
            version=_version(data),
            data=values,
            filters=filters,
        )
        ui = BoardUI(page, board, boards.workflow, filter_query(filters))
        if isinstance(outcome, ActionForm):
            form = _build(outcome, ui, values=values)
            # Keep the version the form was opened with (a 422 must not hide someone else's change);
            # after a conflict the form carries the version the user has now been shown.
            version = _form_version(data) or str(outcome.measure.version)
            if outcome.changed:
                version = str(outcome.measure.version)
            return self._form(request, page, ui, outcome, form, version)
        if not is_htmx(request):
            return Redirect(ui.url(), status_code=HTTP_303_SEE_OTHER)
        return self._accepted(page, ui, outcome)

    # ------------------------------------------------------------ responses

    def _form(self, request: Request, page: Page, ui: BoardUI, found: ActionForm, form: Form, version: str) -> Template:
        still_possible = not (found.changed and not found.still_possible)
        ctx = context(
            page,
            ui,
            m=found.measure,
            trigger=found.trigger,
            form=form,
            version=version,
            status=found.status,
            still_possible=still_possible,
            standalone=not is_htmx(request),
        )
        if is_htmx(request):
            return HTMXBlockTemplate(
                template_name=TEMPLATE, block_name="card_form", context=ctx, status_code=found.status
            )
        return Template(template_name=ACTION_TEMPLATE, context=ctx, status_code=found.status)

    def _accepted(self, page: Page, ui: BoardUI, moved: CardMoved) -> Template:
        """Swap only what changed: the card (re-rendered, or removed from its column), the card at the top
        of its new column when that is on this board, the counts of both columns, and a status line."""
        after, placement = moved.measure, moved.placement
        card = placement.card
        stays = card is not None and card.state == moved.before_state
        inserted = card is not None and card.state != moved.before_state
        changed = [s for s in dict.fromkeys((moved.before_state, after.state)) if s in placement.counts]
        state = ui.state_label(after.state)
        if card is None:
            message = _("«%(title)s» har nå status «%(state)s» og vises ikke lenger på denne tavla.")
        elif inserted:
            message = _("«%(title)s» har nå status «%(state)s» og er flyttet til kolonnen «%(column)s».")
        else:
            message = _("«%(title)s» er oppdatert.")
        message = message % {"title": after.title, "state": state, "column": ui.column_label(after.state)}
        return HTMXBlockTemplate(
            template_name=TEMPLATE,
            block_name="card_result",
            context=context(
                page,
                ui,
                card=card,
                stays=stays,
                inserted=inserted,
                counts=placement.counts,
                changed=changed,
                message=message,
            ),
            re_target=f"#measure-{after.id}",
            re_swap="outerHTML",
        )


def boards_states(service: BoardService, board: str) -> tuple[str, ...]:
    return boards.board_states(service.workflow, board)


def _build(found: ActionForm, ui: BoardUI, *, values: Mapping[str, Any] | None) -> Form:
    """The form to show: the measure's current values when opened, what the user sent when refused; on a
    change by someone else, why, and whether the action is still possible."""
    errors = list(found.errors)
    if found.changed:
        m = found.measure
        state = ui.state_label(m.state)
        message = _("Noen andre har endret tiltaket mens du fylte ut skjemaet. Det har nå status «%(state)s».") % {
            "state": state
        }
        if not found.still_possible:
            message += " " + _("Denne handlingen er ikke lenger mulig.")
        else:
            message += " " + _("Se over det du har skrevet og send på nytt.")
        errors.append(FieldError("", message))
    else:
        m = None
    if values is None:
        values = {f.name: getattr(found.measure, f.store, None) for f, _req in found.fields if f.store}
    form = build_form(found.fields, choices=dict(found.choices), values=values, errors=errors)
    form.conflict = m
    return form
