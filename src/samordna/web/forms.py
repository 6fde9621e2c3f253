"""Forms generated from field definitions: a field added to the workflow file appears in its form
with its label and widget, and a submitted form is parsed back into the data the service expects."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from samordna.domain.confidentiality import find_national_ids
from samordna.domain.errors import FieldError
from samordna.fields import MAX_LENGTH, integer_of
from samordna.web.i18n import current_lang

WIDGETS = {
    "text": "text",
    "longtext": "textarea",
    "date": "date",
    "integer": "number",
    "enum": "select",
    "goal": "select",
    "unit": "select",
    "units": "checkboxes",
    "member": "select",
}

# Fields that carry free text and therefore the standing reminder of the duty of confidentiality.
FREE_TEXT = ("text", "longtext")


@dataclass
class FormField:
    name: str
    label: str
    widget: str
    required: bool
    value: Any = None
    options: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    help: str | None = None
    min: int | None = None
    max: int | None = None
    maxlength: int | None = None
    # A contact person belongs to a unit: `of_unit` names the unit field of the same form that narrows this
    # field's options, `option_units` says which unit each option belongs to (option value -> unit id).
    of_unit: str | None = None
    option_units: dict[str, str] = field(default_factory=dict)

    def is_selected(self, option: str) -> bool:
        if isinstance(self.value, list | tuple):
            return option in [str(v) for v in self.value]
        return self.value is not None and str(self.value) == option


@dataclass
class Form:
    """A form to render: its fields, a general error (403/409) and whether it holds free text."""

    fields: list[FormField]
    error: str | None = None
    conflict: Any = None

    @property
    def has_free_text(self) -> bool:
        return any(f.widget in ("text", "textarea") for f in self.fields)

    @property
    def has_errors(self) -> bool:
        return bool(self.error) or any(f.error for f in self.fields)


def _options(fdef: Any, choices: Mapping[str, list[Any]], lang: str) -> list[tuple[str, str]]:
    if fdef.type == "enum":
        return [(o, fdef.option_labels[o].get(lang) if o in fdef.option_labels else o) for o in fdef.options]
    if fdef.type == "goal":
        return [(str(g.id), g.title) for g in choices.get("goals", [])]
    if fdef.type in ("unit", "units"):
        return [(str(u.id), u.name) for u in choices.get("units", [])]
    if fdef.type == "member":
        units = {u.id: u.name for u in choices.get("units", [])}
        return [
            (str(m.user_id), f"{m.name} ({units[m.unit_id]})") for m in choices.get("members", []) if m.unit_id in units
        ]
    return []


def _option_units(fdef: Any, choices: Mapping[str, list[Any]]) -> dict[str, str]:
    """The unit of each member option (a contact person is chosen among the members of a unit)."""
    if fdef.type != "member":
        return {}
    return {str(m.user_id): str(m.unit_id) for m in choices.get("members", []) if m.unit_id is not None}


def build_form(
    wanted: Iterable[tuple[Any, bool]],
    *,
    choices: Mapping[str, list[Any]] | None = None,
    values: Mapping[str, Any] | None = None,
    errors: Iterable[FieldError] = (),
) -> Form:
    """A Form for (field definition, required) pairs, filled with `values` and `errors`."""
    lang = current_lang.get()
    choices = choices or {}
    values = values or {}
    by_field: dict[str, str] = {}
    general: list[str] = []
    wanted = list(wanted)
    names = {f.name for f, _ in wanted}
    for e in errors:
        if e.field in names:
            by_field.setdefault(e.field, e.message)
        else:
            general.append(e.message)
    fields = []
    for fdef, required in wanted:
        value = _without_national_ids(values.get(fdef.name))
        if isinstance(value, date):
            value = value.isoformat()
        fields.append(
            FormField(
                name=fdef.name,
                label=fdef.label.get(lang),
                widget=WIDGETS[fdef.type],
                required=required,
                value=value,
                options=_options(fdef, choices, lang),
                error=by_field.get(fdef.name),
                help=fdef.help.get(lang) if fdef.help else None,
                min=fdef.min,
                max=fdef.max,
                maxlength=MAX_LENGTH.get(fdef.type),
                of_unit=fdef.of_unit if fdef.of_unit in names else None,
                option_units=_option_units(fdef, choices),
            )
        )
    return Form(fields=fields, error=" ".join(general) or None)


REDACTED = "[…]"


def _without_national_ids(value: Any) -> Any:
    """What the user typed, with any national identity number cut out: it is never echoed back."""
    if not isinstance(value, str):
        return value
    for start, end in reversed(find_national_ids(value)):
        value = value[:start] + REDACTED + value[end:]
    return value


def parse_form(wanted: Iterable[tuple[Any, bool]], form: Mapping[str, Any]) -> dict[str, Any]:
    """Submitted form → service data: only the wanted fields; checkbox groups become lists."""
    data: dict[str, Any] = {}
    for fdef, _required in wanted:
        if fdef.type == "units":
            raw = form.getall(fdef.name, []) if hasattr(form, "getall") else form.get(fdef.name, [])
            data[fdef.name] = [_number(v) for v in (raw if isinstance(raw, list) else [raw]) if v]
        elif fdef.name in form:
            value = form.get(fdef.name)
            value = value.strip() if isinstance(value, str) else value
            data[fdef.name] = _number(value) if fdef.type in NUMBERS and value else value
    return data


NUMBERS = ("integer", "goal", "unit", "member")  # a form sends them as text; the services take numbers


def _number(value: Any) -> Any:
    return integer_of(value) if isinstance(value, str) else value


def transition_fields(workflow: Any, td: Any, rule: Any | None = None) -> list[tuple[Any, bool]]:
    """(field, required) for a trigger; fields required for the actor's rule only count as required."""
    extra = set(rule.requires) if rule is not None else set()
    return [(workflow.fields[n], n in td.required or n in extra) for n in td.fields()]
