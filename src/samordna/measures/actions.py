"""Firing a trigger from a browser form: parse, one service call, and on refusal the same form again
with the messages beside the fields and everything the user typed (422), who may (403) or what
changed (409). Shared by the measure page and the boards."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from samordna.accounts.web import Page
from samordna.domain.errors import Conflict, FieldError, Invalid, NotAllowed
from samordna.measures.service import NEED_FIELDS, MeasureView, permitted_rule
from samordna.web.forms import Form, build_form, parse_form, transition_fields
from samordna.web.i18n import gettext as _

NEED_FORM_FIELDS: list[tuple[Any, bool]] = list(NEED_FIELDS)


@dataclass
class ActionResult:
    status: int
    measure: MeasureView | None = None  # the measure after an accepted action, or as it is now (409)
    form: Form | None = None  # the form to show again when refused


def _wanted(page: Page, measure: MeasureView, trigger: str) -> list[tuple[Any, bool]]:
    wf = page.request.app.state.services.workflow
    td = wf.transition(measure.state, trigger) or wf.first_transition(trigger)
    if td is None:
        return []
    member = page.member
    rule = permitted_rule(td, member, measure.responsible_unit_id, measure.participating_unit_ids) if member else None
    return transition_fields(wf, td, rule)


def transition_form(
    page: Page,
    measure: MeasureView,
    trigger: str,
    *,
    values: Mapping[str, Any] | None = None,
    errors: list[FieldError] | None = None,
) -> Form:
    samordna = page.request.app.state.services
    wanted = _wanted(page, measure, trigger)
    choices = (
        samordna.organisation.form_choices(actor=page.actor, slug=page.area.slug) if _needs_choices(wanted) else {}
    )
    defaults = {f.name: getattr(measure, f.store, None) for f, _ in wanted if f.store} if values is None else {}
    return build_form(wanted, choices=choices, values=values if values is not None else defaults, errors=errors or [])


def _needs_choices(wanted: list[tuple[Any, bool]]) -> bool:
    return any(f.type in ("goal", "unit", "units", "member") for f, _ in wanted)


def _version(form: Mapping[str, Any]) -> int | None:
    try:
        return int(str(form.get("version", "")).strip())
    except ValueError:
        return None


def submit_transition(page: Page, measure_id: int, trigger: str, form: Mapping[str, Any]) -> ActionResult:
    samordna = page.request.app.state.services
    measure = samordna.measures.get(actor=page.actor, measure_id=measure_id)  # 404 when not visible
    wanted = _wanted(page, measure, trigger)
    data = parse_form(wanted, form)
    version = _version(form)
    if version is None:
        return ActionResult(
            400,
            measure,
            transition_form(
                page,
                measure,
                trigger,
                values=data,
                errors=[FieldError("version", _("Skjemaet mangler versjon. Last siden på nytt."))],
            ),
        )
    try:
        after = samordna.measures.record_transition(
            actor=page.actor, measure_id=measure_id, trigger=trigger, version=version, data=data
        )
    except Invalid as exc:
        return ActionResult(422, measure, transition_form(page, measure, trigger, values=data, errors=exc.errors))
    except NotAllowed as exc:
        return ActionResult(
            403, measure, transition_form(page, measure, trigger, values=data, errors=[FieldError("", exc.message)])
        )
    except Conflict as exc:
        current = samordna.measures.get(actor=page.actor, measure_id=measure_id)
        state = samordna.workflow.states[current.state].label.get(page.lang)
        message = _("Noen andre har endret tiltaket mens du fylte ut skjemaet. Det har nå status «%(state)s».") % {
            "state": state
        }
        if trigger not in current.allowed_triggers:
            message += " " + _("Denne handlingen er ikke lenger mulig.")
        else:
            message += " " + _("Se over det du har skrevet og send på nytt.")
        del exc
        form_ = transition_form(page, current, trigger, values=data, errors=[FieldError("", message)])
        form_.conflict = current
        return ActionResult(409, current, form_)
    return ActionResult(200, after)


def need_form(page: Page, *, values: Mapping[str, Any] | None = None, errors: list[FieldError] | None = None) -> Form:
    samordna = page.request.app.state.services
    choices = samordna.organisation.form_choices(actor=page.actor, slug=page.area.slug)
    return build_form(NEED_FORM_FIELDS, choices=choices, values=values or {}, errors=errors or [])


def submit_need(page: Page, form: Mapping[str, Any]) -> ActionResult:
    samordna = page.request.app.state.services
    data = parse_form(NEED_FORM_FIELDS, form)
    try:
        created = samordna.measures.register_need(actor=page.actor, slug=page.area.slug, data=data)
    except Invalid as exc:
        return ActionResult(422, None, need_form(page, values=data, errors=exc.errors))
    except NotAllowed as exc:
        return ActionResult(403, None, need_form(page, values=data, errors=[FieldError("", exc.message)]))
    return ActionResult(201, created)
