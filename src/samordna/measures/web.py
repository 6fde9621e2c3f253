"""The measure page and «Meld behov»: HTTP in, HTML out; services decide, templates show. No SQL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

import anyio.to_thread
from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from samordna.accounts.web import Page, page_for
from samordna.domain.errors import Conflict, FieldError, Invalid, NotAllowed, NotFound
from samordna.domain.vocabulary import ARENA_LABELS, role_list
from samordna.measures import actions
from samordna.measures.actions import NEED_FORM_FIELDS
from samordna.measures.details import MeasureDetails, TimelineEntry
from samordna.measures.service import CREATE_ROLES, NEED_FIELDS, MeasureView
from samordna.web.forms import Form, parse_form
from samordna.web.i18n import fmt_date
from samordna.web.i18n import gettext as _
from samordna.web.rendering import label

NO_STORE = {"Cache-Control": "no-store"}  # case data: never kept by a browser or proxy cache
MEASURE_TEMPLATE = "pages/measures/measure.html"
REFUSED_TEMPLATE = "pages/measures/_refused.html"  # the refused form, and the status above it (htmx)
NEW_TEMPLATE = "pages/measures/new.html"
EDIT = "edit"  # the container id of the «Endre beskrivelse» form; never a trigger (reserved)
FLASH = "measure_flash"
DATE_COLUMNS = ("next_follow_up_at",)  # measure columns no form field writes


# ---------------------------------------------------------------- what the templates get


@dataclass
class Action:
    """One form on the measure page: a trigger the user may fire now (or the edit form)."""

    trigger: str
    label: str
    url: str
    form: Form
    version: int
    open: bool = False
    possible: bool = True  # False after a 409 that made this action impossible: no submit button


@dataclass
class Item:
    """A changed field or a given value, ready to read: «Ansvarlig enhet: Politiet → NAV»."""

    label: str
    new: str
    old: str | None = None
    long: bool = False


@dataclass
class Row:
    """One timeline entry as the page shows it."""

    entry: TimelineEntry
    label: str
    from_label: str | None = None
    to_label: str | None = None
    health_label: str | None = None
    items: list[Item] = field(default_factory=list)


def _fields_by_column(wf: Any) -> dict[str, Any]:
    """Measure column → the field definition that writes it (workflow fields, then need fields)."""
    out = {f.name: f for f, _required in NEED_FIELDS}
    for fdef in wf.fields.values():
        if fdef.store:
            out.setdefault(fdef.store, fdef)
    return out


def _value(fdef: Any, value: Any, details: MeasureDetails, lang: str, kind: str | None = None) -> str:
    """A stored value as a person reads it: names for ids, labels for options, Norwegian dates."""
    if value is None or value == "" or value == []:
        return _("ingen")
    kind = fdef.type if fdef is not None else kind
    try:
        if kind == "goal":
            return details.goal_titles.get(int(value), str(value))
        if kind == "unit":
            return details.unit_names.get(int(value), str(value))
        if kind == "units":
            return ", ".join(details.unit_names.get(int(v), str(v)) for v in value)
        if kind == "member":
            return details.user_names.get(int(value), str(value))
        if kind == "date" or isinstance(value, date):
            return fmt_date(value if isinstance(value, date) else date.fromisoformat(str(value)))
    except (TypeError, ValueError):
        return str(value)
    if kind == "enum":
        if fdef.name == "arena":
            return label(ARENA_LABELS, value)
        option = fdef.option_labels.get(value)
        return option.get(lang) if option else str(value)
    return str(value)


def _timeline(details: MeasureDetails, wf: Any, lang: str) -> list[Row]:
    by_column = _fields_by_column(wf)
    extra = {"next_follow_up_at": _("Neste oppfølging")}
    trigger_labels = {t.trigger: t.label.get(lang) for t in reversed(wf.transitions)}
    names = {"create": _("Behov meldt"), "edit": _("Beskrivelsen endret")}
    rows = []
    for entry in details.timeline:
        if entry.kind == "report":
            rows.append(Row(entry, _("Statusrapport"), health_label=_health(wf, entry.health, lang)))
            continue
        row = Row(entry, names.get(entry.trigger or "") or trigger_labels.get(entry.trigger or "", entry.trigger or ""))
        if entry.from_state and entry.to_state and entry.from_state != entry.to_state:
            row.from_label = _state(wf, entry.from_state, lang)
            row.to_label = _state(wf, entry.to_state, lang)
        if entry.health:
            row.health_label = _health(wf, entry.health, lang)
        if entry.trigger != "create":  # the first values are the measure itself, shown above
            for column, pair in entry.changes.items():
                if entry.health and column == "last_health":
                    continue
                fdef = by_column.get(column)
                text = fdef.label.get(lang) if fdef else extra.get(column, column)
                old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
                long = bool(fdef and fdef.type == "longtext")
                kind = "date" if column in DATE_COLUMNS else None
                row.items.append(
                    Item(
                        text,
                        _value(fdef, new, details, lang, kind),
                        None if old in (None, "", []) else _value(fdef, old, details, lang, kind),
                        long,
                    )
                )
        for name, value in entry.data.items():
            if entry.health and name == "note":
                continue  # the report's note is shown as the report
            fdef = wf.fields.get(name)
            text = fdef.label.get(lang) if fdef else name
            long = bool(fdef and fdef.type == "longtext")
            row.items.append(Item(text, _value(fdef, value, details, lang), long=long))
        rows.append(row)
    return rows


def _state(wf: Any, state: str | None, lang: str) -> str:
    st = wf.states.get(state or "")
    return st.label.get(lang) if st else (state or "")


def _health(wf: Any, health: str | None, lang: str) -> str | None:
    if not health:
        return None
    fdef = wf.fields.get("health")
    option = fdef.option_labels.get(health) if fdef else None
    return option.get(lang) if option else health


def _trigger_label(wf: Any, measure: MeasureView, trigger: str, lang: str) -> str:
    td = wf.transition(measure.state, trigger) or wf.first_transition(trigger)
    return td.label.get(lang) if td else trigger


def _transition_url(measure_id: int, trigger: str) -> str:
    return f"/measures/{measure_id}/transitions/{trigger}"


def _actions(page: Page, measure: MeasureView, refused: Action | None = None) -> list[Action]:
    """A form for every trigger the user may fire now; a refused one is shown open with its errors."""
    wf = page.request.app.state.services.workflow
    out = []
    for trigger in measure.allowed_triggers:
        if refused is not None and refused.trigger == trigger:
            out.append(refused)
            continue
        out.append(
            Action(
                trigger=trigger,
                label=_trigger_label(wf, measure, trigger, page.lang),
                url=_transition_url(measure.id, trigger),
                form=actions.transition_form(page, measure, trigger),
                version=measure.version,
            )
        )
    if refused is not None and refused.trigger != EDIT and refused.trigger not in measure.allowed_triggers:
        out.append(refused)  # e.g. 403, or 409 once the state moved on: show what was refused, and why
    return out


def _edit_action(page: Page, measure: MeasureView, form: Form | None = None, open_: bool = False) -> Action:
    values = {f.name: getattr(measure, f.name, None) for f, _required in NEED_FORM_FIELDS}
    return Action(
        trigger=EDIT,
        label=_("Endre beskrivelse"),
        url=f"/measures/{measure.id}/edit",
        form=form or actions.need_form(page, values=values),
        version=measure.version,
        open=open_,
    )


def _use_area(page: Page, area_id: int) -> None:
    """Show the page in the measure's own area (the user may be a member of several)."""
    area = next((a for a in page.areas if a.id == area_id), None)
    if area is not None:
        page.area = area
        page.request.session["area"] = area.slug


def _measure_context(
    page: Page, measure_id: int, *, refused: Action | None = None, flash: str | None = None
) -> dict[str, Any]:
    samordna = page.request.app.state.services
    wf = samordna.workflow
    details = samordna.measures.details(actor=page.actor, measure_id=measure_id)
    m = details.measure
    _use_area(page, m.area_id)
    if refused is not None and refused.trigger == EDIT:
        edit = refused
    else:
        edit = _edit_action(page, m) if details.can_edit else None
    return {
        "page": page,
        "lang": page.lang,
        "active": None,
        "m": m,
        "d": details,
        "wf": wf,
        "state_label": _state(wf, m.state, page.lang),
        "health_label": _health(wf, m.last_health, page.lang),
        "option": lambda name, value: _value(wf.fields.get(name), value, details, page.lang),
        "actions": _actions(page, m, refused),
        "edit": edit,
        "rows": _timeline(details, wf, page.lang),
        "flash": flash,
        "refused": refused,
        "ages": _ages(m),
        "participating": ", ".join(details.unit_names.get(u, str(u)) for u in m.participating_unit_ids) or None,
    }


def _ages(m: MeasureView) -> str | None:
    if m.age_from is not None and m.age_to is not None:
        return _("%(a)s–%(b)s år") % {"a": m.age_from, "b": m.age_to}
    if m.age_from is not None:
        return _("fra %(a)s år") % {"a": m.age_from}
    if m.age_to is not None:
        return _("til %(b)s år") % {"b": m.age_to}
    return None


def _is_htmx(request: Request) -> bool:
    return bool(request.headers.get("hx-request"))


# ---------------------------------------------------------------- the measure page


@get("/measures/{measure_id:int}", sync_to_thread=True, name="measure_page")
def measure_page(request: Request, measure_id: FromPath[int]) -> Template:
    page = page_for(request)
    flash = request.session.pop(FLASH, None)
    return Template(
        template_name=MEASURE_TEMPLATE,
        context=_measure_context(page, measure_id, flash=flash),
        headers=NO_STORE,
    )


def _accepted(page: Page, measure: MeasureView, what: str) -> Response:
    """Post/Redirect/Get without JS; for htmx the page's main block, swapped in place of the old."""
    wf = page.request.app.state.services.workflow
    flash = _("«%(action)s» er registrert. Tiltaket har nå status «%(state)s».") % {
        "action": what,
        "state": _state(wf, measure.state, page.lang),
    }
    if not _is_htmx(page.request):
        page.request.session[FLASH] = flash
        return Redirect(f"/measures/{measure.id}", status_code=HTTP_303_SEE_OTHER, headers=NO_STORE)
    return HTMXBlockTemplate(
        template_name=MEASURE_TEMPLATE,
        block_name="measure_main",
        re_target="#measure-main",
        re_swap="outerHTML",
        context=_measure_context(page, measure.id, flash=flash),
        status_code=200,
        headers=NO_STORE,
    )


def _refused(page: Page, measure_id: int, action: Action, status: int) -> Response:
    """The refused form again, with the messages and what was typed: alone for htmx, else in the page."""
    if _is_htmx(page.request):
        return Template(
            template_name=REFUSED_TEMPLATE,
            context={"action": action, "page": page, "lang": page.lang},
            status_code=status,
            headers=NO_STORE,
        )
    return Template(
        template_name=MEASURE_TEMPLATE,
        context=_measure_context(page, measure_id, refused=action),
        status_code=status,
        headers=NO_STORE,
    )


def _fire(request: Request, measure_id: int, trigger: str, form: Mapping[str, Any]) -> Response:
    page = page_for(request)
    wf = request.app.state.services.workflow
    if trigger not in wf.triggers():  # a path naming no action is no resource (as on the boards)
        request.app.state.services.measures.get(
            actor=page.actor, measure_id=measure_id
        )  # an invisible measure: 404 first
        raise NotFound(_("Fant ikke handlingen."))
    result = actions.submit_transition(page, measure_id, trigger, form)
    if result.status == 200:
        return _accepted(page, result.measure, _trigger_label(wf, result.measure, trigger, page.lang))
    measure = result.measure
    _use_area(page, measure.area_id)
    possible = result.status != 409 or trigger in measure.allowed_triggers
    action = Action(
        trigger=trigger,
        label=_trigger_label(wf, measure, trigger, page.lang),
        url=_transition_url(measure_id, trigger),
        form=result.form,
        version=measure.version,
        open=True,
        possible=possible and result.status != 403,
    )
    return _refused(page, measure_id, action, result.status)


@post("/measures/{measure_id:int}/transitions/{trigger:str}", name="measure_transition")
async def fire_transition(request: Request, measure_id: FromPath[int], trigger: FromPath[str]) -> Response:
    form = await request.form()  # a multi-dict: checkbox groups keep every value
    return await anyio.to_thread.run_sync(partial(_fire, request, measure_id, trigger, form))


def _edit(request: Request, measure_id: int, form: Mapping[str, Any]) -> Response:
    page = page_for(request)
    samordna = request.app.state.services
    measure = samordna.measures.get(actor=page.actor, measure_id=measure_id)  # 404 when not visible
    _use_area(page, measure.area_id)
    data = parse_form(NEED_FORM_FIELDS, form)
    try:
        version = int(str(form.get("version", "")).strip())
    except ValueError:
        version = -1
    possible = True
    try:
        after = samordna.measures.edit(actor=page.actor, measure_id=measure_id, version=version, data=data)
    except Invalid as exc:
        status, current, errors = 422, measure, exc.errors
    except NotAllowed as exc:
        status, current, errors = 403, measure, [FieldError("", exc.message)]
        possible = False
    except Conflict as exc:
        current = samordna.measures.get(actor=page.actor, measure_id=measure_id)
        final = samordna.workflow.states[current.state].final
        possible = not final
        message = _("Noen andre har endret tiltaket mens du fylte ut skjemaet. Det har nå status «%(state)s».") % {
            "state": _state(samordna.workflow, current.state, page.lang)
        }
        message += " " + (_(exc.message) if final else _("Se over det du har skrevet og send på nytt."))
        status, errors = 409, [FieldError("", message)]
    else:
        return _accepted(page, after, _("Endre beskrivelse"))
    action = _edit_action(page, current, actions.need_form(page, values=data, errors=errors), open_=True)
    action.possible = possible
    return _refused(page, measure_id, action, status)


@post("/measures/{measure_id:int}/edit", name="measure_edit")
async def edit_measure(request: Request, measure_id: FromPath[int]) -> Response:
    form = await request.form()
    return await anyio.to_thread.run_sync(partial(_edit, request, measure_id, form))


# ---------------------------------------------------------------- «Meld behov»


def _need_page(page: Page) -> Page:
    if page.member is None or page.member.role not in CREATE_ROLES:
        raise NotAllowed(
            _("Du har bare lesetilgang i %(area)s. Behov meldes av %(roles)s.")
            % {"area": page.area.name, "roles": role_list(CREATE_ROLES, page.lang)},
            allowed_roles=CREATE_ROLES,
        )
    return page


def _need_context(page: Page, form: Form) -> dict[str, Any]:
    return {"page": page, "lang": page.lang, "active": None, "form": form, "url": f"/areas/{page.area.slug}/measures"}


@get("/areas/{slug:str}/measures/new", sync_to_thread=True, name="need_new")
def need_new(request: Request, slug: FromPath[str]) -> Template:
    page = _need_page(page_for(request, slug))
    return Template(template_name=NEW_TEMPLATE, context=_need_context(page, actions.need_form(page)), headers=NO_STORE)


def _register(request: Request, slug: str, form: Mapping[str, Any]) -> Response:
    page = _need_page(page_for(request, slug))
    result = actions.submit_need(page, form)
    if result.status == 201:
        target = f"/measures/{result.measure.id}"
        request.session[FLASH] = _("Behovet er meldt som %(ref)s. Koordineringsgruppen vurderer det.") % {
            "ref": result.measure.ref
        }
        if _is_htmx(request):
            return ClientRedirect(redirect_to=target)
        return Redirect(target, status_code=HTTP_303_SEE_OTHER, headers=NO_STORE)
    context = _need_context(page, result.form)
    if _is_htmx(request):
        return HTMXBlockTemplate(
            template_name=NEW_TEMPLATE,
            block_name="need_form",
            context=context,
            status_code=result.status,
            headers=NO_STORE,
        )
    return Template(template_name=NEW_TEMPLATE, context=context, status_code=result.status, headers=NO_STORE)


@post("/areas/{slug:str}/measures", name="need_register")
async def need_register(request: Request, slug: FromPath[str]) -> Response:
    form = await request.form()
    return await anyio.to_thread.run_sync(partial(_register, request, slug, form))


HANDLERS = [measure_page, fire_transition, edit_measure, need_new, need_register]
