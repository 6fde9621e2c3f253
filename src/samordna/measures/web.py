"""The measure page and «Meld behov»: HTTP in, HTML out; no SQL here.

Every handler parses the request, makes one call to the MeasureService (a Litestar dependency) and renders;
the service decides which forms a member gets, with which fields, and whether what was sent is accepted.
An accepted form answers 303 back to the page (Post/Redirect/Get), or for htmx the page's main block. A
refused one shows the form again with the messages and everything typed: for htmx the form alone (422, 403),
but after a 409 the whole measure section, since the measure itself is no longer what the page showed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio.to_thread
from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from samordna.accounts.web import Page, page_for
from samordna.domain.errors import FieldError
from samordna.measures.rules import CREATE, EDIT
from samordna.measures.service import MeasureService
from samordna.measures.timeline import health_label, state_label, timeline_rows, value_text
from samordna.measures.views import FormShape, MeasurePage, MeasureView, PageAnswer
from samordna.web.forms import Form, build_form, parse_form
from samordna.web.i18n import gettext as _
from samordna.web.sections import sections

MeasuresDep = NamedDependency[MeasureService]

NO_STORE = {"Cache-Control": "no-store"}  # case data: never kept by a browser or proxy cache
MEASURE_TEMPLATE = "pages/measures/measure.html"
REFUSED_TEMPLATE = "pages/measures/_refused.html"  # the refused form, and the status above it (htmx)
NEW_TEMPLATE = "pages/measures/new.html"
FLASH = "measure_flash"


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
    possible: bool = True  # False when the user may not send it (again): no submit button


def _label(wf: Any, measure: MeasureView, trigger: str, lang: str) -> str:
    if trigger == EDIT:
        return _("Endre beskrivelse")
    td = wf.transition(measure.state, trigger) or wf.first_transition(trigger)
    return td.label.get(lang) if td else trigger


def _url(measure_id: int, trigger: str) -> str:
    return f"/measures/{measure_id}/edit" if trigger == EDIT else f"/measures/{measure_id}/transitions/{trigger}"


def _action(wf: Any, lang: str, found: MeasurePage, shape: FormShape) -> Action:
    """A form as the page offers it: filled with the measure's current values."""
    m = found.measure
    values = {f.name: getattr(m, f.store, None) for f, _required in shape.fields if f.store}
    return Action(
        trigger=shape.trigger,
        label=_label(wf, m, shape.trigger, lang),
        url=_url(m.id, shape.trigger),
        form=build_form(shape.fields, choices=dict(found.choices), values=values),
        version=m.version,
    )


def _refused_action(wf: Any, lang: str, answer: PageAnswer, data: Mapping[str, Any], sent: int | None) -> Action:
    """The refused form again: what was typed, the messages, and — after someone else's change — what changed.
    It keeps the version it was opened with (a 422 must not hide someone else's change); after a 409 it
    carries the version the page now shows."""
    m, page = answer.measure, answer.page
    assert page is not None and answer.form is not None  # a refusal always comes with the page as it is now
    errors = list(answer.errors)
    if answer.changed:
        message = _("Noen andre har endret tiltaket mens du fylte ut skjemaet. Det har nå status «%(state)s».") % {
            "state": state_label(wf, m.state, lang)
        }
        if answer.still_possible:
            message += " " + _("Se over det du har skrevet og send på nytt.")
        else:
            message += " " + _("Denne handlingen er ikke lenger mulig.")
        errors.append(FieldError("", message))
    return Action(
        trigger=answer.trigger,
        label=_label(wf, m, answer.trigger, lang),
        url=_url(m.id, answer.trigger),
        form=build_form(answer.form.fields, choices=dict(page.choices), values=data, errors=errors),
        version=sent if sent is not None and answer.status != 409 else m.version,
        open=True,
        possible=answer.still_possible,
    )


def _context(
    page: Page, wf: Any, found: MeasurePage, *, refused: Action | None = None, flash: str | None = None
) -> dict[str, Any]:
    m, details = found.measure, found.details
    _use_area(page, m.area_id)
    actions = [
        refused if refused and refused.trigger == s.trigger else _action(wf, page.lang, found, s) for s in found.forms
    ]
    if refused is not None and refused.trigger != EDIT and not found.offers(refused.trigger):
        actions.append(refused)  # e.g. 403, or 409 once the state moved on: show what was refused, and why
    edit = refused if refused and refused.trigger == EDIT else None
    if edit is None and found.edit is not None:
        edit = _action(wf, page.lang, found, found.edit)
    return {
        "page": page,
        "lang": page.lang,
        "active": None,
        "m": m,
        "d": details,
        "wf": wf,
        "state_label": state_label(wf, m.state, page.lang),
        "health_label": health_label(wf, m.last_health, page.lang),
        "option": lambda name, value: value_text(wf.fields.get(name), value, details, page.lang),
        "actions": actions,
        "edit": edit,
        "rows": timeline_rows(details, wf, page.lang),
        "flash": flash,
        "refused": refused,
        "ages": _ages(m),
        "participating": ", ".join(details.unit_names.get(u, str(u)) for u in m.participating_unit_ids) or None,
        **sections(page.request, "measure", page, m.id),  # the files on the measure (samordna.attachments)
    }


def _use_area(page: Page, area_id: int) -> None:
    """Show the page in the measure's own area (the user may be a member of several)."""
    area = next((a for a in page.areas if a.id == area_id), None)
    if area is not None:
        page.area = area
        page.request.session["area"] = area.slug


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


def _version(form: Mapping[str, Any]) -> int | None:
    """The version the form was opened with; any number is passed on (one no row has is a 409)."""
    try:
        return int(str(form.get("version", "")).strip())
    except ValueError:
        return None


# ---------------------------------------------------------------- the measure page


@get("/measures/{measure_id:int}", sync_to_thread=True, name="measure_page")
def measure_page(request: Request, measures: MeasuresDep, measure_id: FromPath[int]) -> Template:
    page = page_for(request)
    found = measures.page(actor=page.actor, measure_id=measure_id)
    flash = request.session.pop(FLASH, None)
    context = _context(page, measures.workflow, found, flash=flash)
    return Template(template_name=MEASURE_TEMPLATE, context=context, headers=NO_STORE)


def page_response(
    page: Page,
    measures: MeasureService,
    measure_id: int,
    *,
    status_code: int = 200,
    extra: Mapping[str, Any] | None = None,
    block: bool = False,
) -> Template:
    """The measure page as it is now, with `extra` in its context: what a section of it added or refused (an
    upload). `block`: its main block alone, swapped in place of the old (htmx)."""
    found = measures.page(actor=page.actor, measure_id=measure_id)
    context = {**_context(page, measures.workflow, found), **(extra or {})}
    if block:
        return HTMXBlockTemplate(
            template_name=MEASURE_TEMPLATE,
            block_name="measure_main",
            re_target="#measure-main",
            re_swap="outerHTML",
            context=context,
            status_code=status_code,
            headers=NO_STORE,
        )
    return Template(template_name=MEASURE_TEMPLATE, context=context, status_code=status_code, headers=NO_STORE)


def _submit(request: Request, measures: MeasureService, measure_id: int, trigger: str, form: Any) -> Response:
    page = page_for(request)
    data = parse_form(measures.form_fields(trigger=trigger), form)
    sent = _version(form)
    htmx = _is_htmx(request)
    answer = measures.submit(
        actor=page.actor, measure_id=measure_id, trigger=trigger, version=sent, data=data, with_page=htmx
    )
    if answer.status == 200:
        return _accepted(page, measures.workflow, answer)
    assert answer.page is not None  # a refusal always comes with the page as it is now
    wf = measures.workflow
    action = _refused_action(wf, page.lang, answer, data, sent)
    if htmx and answer.status != 409:  # the form alone, and the status above the measure out of band
        _use_area(page, answer.measure.area_id)
        context = {"action": action, "page": page, "lang": page.lang}
        return Template(template_name=REFUSED_TEMPLATE, context=context, status_code=answer.status, headers=NO_STORE)
    context = _context(page, wf, answer.page, refused=action)
    if htmx:  # 409: the measure changed under the form, so the whole section is shown as it is now
        return HTMXBlockTemplate(
            template_name=MEASURE_TEMPLATE,
            block_name="measure_main",
            re_target="#measure-main",
            re_swap="outerHTML",
            context=context,
            status_code=answer.status,
            headers=NO_STORE,
        )
    return Template(template_name=MEASURE_TEMPLATE, context=context, status_code=answer.status, headers=NO_STORE)


def _accepted(page: Page, wf: Any, answer: PageAnswer) -> Response:
    """Post/Redirect/Get without JS; for htmx the page's main block, swapped in place of the old."""
    m = answer.measure
    flash = _("«%(action)s» er registrert. Tiltaket har nå status «%(state)s».") % {
        "action": _label(wf, m, answer.trigger, page.lang),
        "state": state_label(wf, m.state, page.lang),
    }
    if answer.page is None:
        page.request.session[FLASH] = flash
        return Redirect(f"/measures/{m.id}", status_code=HTTP_303_SEE_OTHER, headers=NO_STORE)
    return HTMXBlockTemplate(
        template_name=MEASURE_TEMPLATE,
        block_name="measure_main",
        re_target="#measure-main",
        re_swap="outerHTML",
        context=_context(page, wf, answer.page, flash=flash),
        status_code=200,
        headers=NO_STORE,
    )


@post("/measures/{measure_id:int}/transitions/{trigger:str}", name="measure_transition")
async def fire_transition(
    request: Request, measures: MeasuresDep, measure_id: FromPath[int], trigger: FromPath[str]
) -> Response:
    form = await request.form()  # a multi-dict: checkbox groups keep every value
    return await anyio.to_thread.run_sync(partial(_submit, request, measures, measure_id, trigger, form))


@post("/measures/{measure_id:int}/edit", name="measure_edit")
async def edit_measure(request: Request, measures: MeasuresDep, measure_id: FromPath[int]) -> Response:
    form = await request.form()
    return await anyio.to_thread.run_sync(partial(_submit, request, measures, measure_id, EDIT, form))


# ---------------------------------------------------------------- «Meld behov»


def _need_context(page: Page, form: Form) -> dict[str, Any]:
    return {"page": page, "lang": page.lang, "active": None, "form": form, "url": f"/areas/{page.area.slug}/measures"}


@get("/areas/{slug:str}/measures/new", sync_to_thread=True, name="need_new")
def need_new(request: Request, measures: MeasuresDep, slug: FromPath[str]) -> Template:
    page = page_for(request, slug)
    need = measures.need_form(actor=page.actor, slug=slug)
    form = build_form(need.form.fields, choices=dict(need.choices))
    return Template(template_name=NEW_TEMPLATE, context=_need_context(page, form), headers=NO_STORE)


def _register(request: Request, measures: MeasureService, slug: str, form: Any) -> Response:
    page = page_for(request, slug)
    data = parse_form(measures.form_fields(trigger=CREATE), form)
    answer = measures.submit_need(actor=page.actor, slug=slug, data=data)
    if answer.measure is not None:
        target = f"/measures/{answer.measure.id}"
        request.session[FLASH] = _("Behovet er meldt som %(ref)s. Koordineringsgruppen vurderer det.") % {
            "ref": answer.measure.ref
        }
        if _is_htmx(request):
            return ClientRedirect(redirect_to=target)
        return Redirect(target, status_code=HTTP_303_SEE_OTHER, headers=NO_STORE)
    assert answer.need is not None  # refused: the form to show again
    refused = build_form(answer.need.form.fields, choices=dict(answer.need.choices), values=data, errors=answer.errors)
    context = _need_context(page, refused)
    if _is_htmx(request):
        return HTMXBlockTemplate(
            template_name=NEW_TEMPLATE,
            block_name="need_form",
            context=context,
            status_code=answer.status,
            headers=NO_STORE,
        )
    return Template(template_name=NEW_TEMPLATE, context=context, status_code=answer.status, headers=NO_STORE)


@post("/areas/{slug:str}/measures", name="need_register")
async def need_register(request: Request, measures: MeasuresDep, slug: FromPath[str]) -> Response:
    form = await request.form()
    return await anyio.to_thread.run_sync(partial(_register, request, measures, slug, form))


HANDLERS = [measure_page, fire_transition, edit_measure, need_new, need_register]
