"""Turns submitted data into clean values per field definition, collecting every error at once."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select
from sqlmodel import Session

from samordna.domain.confidentiality import contains_national_id, guard_message
from samordna.domain.errors import FieldError
from samordna.i18n import N_
from samordna.i18n import gettext as _
from samordna.store.models import Goal, Membership, Unit
from samordna.workflow import FieldDef

MAX_LENGTH = {"text": 200, "longtext": 4000}
# What an INTEGER column holds (PostgreSQL's limit; SQLite's is wider). A number outside it names nothing
# stored, and must not reach the database, which would fail on it (a 500) instead of finding nothing.
DB_INT_MIN, DB_INT_MAX = -(2**31), 2**31 - 1
_INT = re.compile(r"-?[0-9]+")  # ASCII only: str.isdigit() also accepts «²», which int() refuses
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # date.fromisoformat also takes «20270101»
NUL = "\x00"  # PostgreSQL cannot store it in a text, SQLite would: refused everywhere


def fits_column(number: int) -> bool:
    return DB_INT_MIN <= number <= DB_INT_MAX


MESSAGES = {
    "required": N_("Feltet må fylles ut."),
    "unknown": N_("Ukjent felt."),
    "not_text": N_("Må være tekst."),
    "nul": N_("Teksten inneholder et ugyldig tegn (NUL)."),
    "too_long": N_("Teksten er for lang (høyst {max} tegn)."),
    "bad_date": N_("Ugyldig dato. Bruk formatet ÅÅÅÅ-MM-DD."),
    "not_past": N_("Datoen kan ikke være tilbake i tid."),
    "not_future": N_("Datoen kan ikke være fram i tid."),
    "not_int": N_("Må være et heltall."),
    "range": N_("Må være mellom {min} og {max}."),
    "min": N_("Må være minst {min}."),
    "max": N_("Kan være høyst {max}."),
    "enum": N_("Ugyldig valg. Velg ett av: {options}."),
    "goal": N_("Velg et aktivt mål i dette SLT-området."),
    "unit": N_("Velg en aktiv enhet i dette SLT-området."),
    "units": N_("Velg bare aktive enheter i dette SLT-området."),
    "member": N_("Kontaktpersonen må være medlem av den ansvarlige enheten."),
    "member_no_unit": N_("Velg ansvarlig enhet før kontaktperson."),
}


def message_for(key: str, **values: object) -> str:
    """MESSAGES[key] in the current language, placeholders filled in after translation."""
    text = _(MESSAGES[key])
    return text.format(**values) if values else text


@dataclass(frozen=True)
class Wanted:
    """A field the caller asks for, and whether it must be filled in."""

    field: FieldDef
    required: bool


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _as_int(value: Any) -> int | None:
    """An integer as given: never a text of digits (a form's text is turned into numbers by the form,
    `integer_of`), a float or a boolean."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def integer_of(text: str) -> int | str:
    """A form's text as the integer it spells, or the text itself (which `clean` then refuses)."""
    return int(text.strip()) if _INT.fullmatch(text.strip()) else text


def _as_int_list(value: Any) -> list[int] | None:
    if not isinstance(value, list | tuple):
        return None
    out: list[int] = []
    for item in value:
        if _is_blank(item):
            continue
        number = _as_int(item)
        if number is None:
            return None
        if number not in out:
            out.append(number)
    return out


def has_nul(value: Any) -> bool:
    """Whether `value` (a text, or a list of them) holds a NUL character."""
    if isinstance(value, str):
        return NUL in value
    return isinstance(value, list | tuple) and any(has_nul(v) for v in value)


def clean(
    *,
    session: Session | Connection,
    area_id: int,
    wanted: Iterable[Wanted],
    data: Mapping[str, Any],
    today: date,
    current: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[FieldError]]:
    """Validate `data` against the wanted fields. Returns (clean values, errors)."""
    wanted = list(wanted)
    known = {w.field.name for w in wanted}
    errors: list[FieldError] = [FieldError(k, message_for("unknown")) for k in data if k not in known]
    nul = [k for k, v in data.items() if has_nul(v) or has_nul(k)]  # refused first, whatever else is wrong
    values: dict[str, Any] = {}
    refs: list[tuple[FieldDef, Any]] = []  # checked against the database after the plain checks

    for w in wanted:
        f, name = w.field, w.field.name
        if name not in data:
            if w.required:
                errors.append(FieldError(name, message_for("required")))
            continue
        raw = data[name]
        if name in nul:
            continue
        if _is_blank(raw):
            if w.required:
                errors.append(FieldError(name, message_for("required")))
            else:
                values[name] = [] if f.type == "units" else None
            continue
        message, value = _clean_one(f, raw, today)
        if message:
            errors.append(FieldError(name, message))
            continue
        values[name] = value
        if f.type in ("goal", "unit", "units", "member"):
            refs.append((f, value))

    refused = {e.field for e in errors}
    for f, value in sorted(refs, key=lambda ref: ref[0].type == "member"):  # a member's unit is checked first
        if f.of_unit in refused:
            continue  # the contact person of a unit that was refused: the unit's message says what to do
        message = _check_reference(session, area_id, f, value, values, current or {})
        if message:
            errors.append(FieldError(f.name, message))
            values.pop(f.name, None)
            refused.add(f.name)

    # The confidentiality guard runs over every free-text value, including unknown keys' text.
    for name, raw in data.items():
        if isinstance(raw, str) and contains_national_id(raw):
            errors = [e for e in errors if e.field != name]
            errors.append(FieldError(name, guard_message()))
    if nul:
        errors = [e for e in errors if e.field not in nul] + [FieldError(k, message_for("nul")) for k in nul]
    return values, errors


def _clean_one(f: FieldDef, raw: Any, today: date) -> tuple[str | None, Any]:
    if f.type in MAX_LENGTH:
        if not isinstance(raw, str):
            return message_for("not_text"), None
        text = raw.strip()
        if len(text) > MAX_LENGTH[f.type]:
            return message_for("too_long", max=MAX_LENGTH[f.type]), None
        return None, text
    if f.type == "date":
        try:
            if isinstance(raw, date):
                value = raw
            elif isinstance(raw, str) and _DATE.fullmatch(raw.strip()):
                value = date.fromisoformat(raw.strip())
            else:
                return message_for("bad_date"), None
        except ValueError:
            return message_for("bad_date"), None
        if f.rule == "not_past" and value < today:
            return message_for("not_past"), None
        if f.rule == "not_future" and value > today:
            return message_for("not_future"), None
        return None, value
    if f.type == "integer":
        number = _as_int(raw)
        if number is None:
            return message_for("not_int"), None
        if f.min is not None and f.max is not None and not f.min <= number <= f.max:
            return message_for("range", min=f.min, max=f.max), None
        if f.min is not None and number < f.min:
            return message_for("min", min=f.min), None
        if f.max is not None and number > f.max:
            return message_for("max", max=f.max), None
        if not fits_column(number):
            return message_for("range", min=DB_INT_MIN, max=DB_INT_MAX), None
        return None, number
    if f.type == "enum":
        if raw not in f.options:
            return message_for("enum", options=", ".join(f.options)), None
        return None, raw
    if f.type in ("goal", "unit", "member"):
        number = _as_int(raw)
        if number is None:
            return message_for("not_int"), None
        return (None, number) if fits_column(number) else (message_for(f.type), None)  # no such row
    if f.type == "units":
        numbers = _as_int_list(raw)
        if numbers is None or not all(fits_column(n) for n in numbers):
            return message_for("units"), None
        return None, numbers
    raise AssertionError(f"unknown field type {f.type}")  # the workflow loader refuses these


def _check_reference(
    session: Session | Connection,
    area_id: int,
    f: FieldDef,
    value: Any,
    values: Mapping[str, Any],
    current: Mapping[str, Any],
) -> str | None:
    if f.type == "goal":
        found = session.execute(select(Goal.id).where(Goal.id == value, Goal.area_id == area_id, Goal.active)).first()
        return None if found else message_for("goal")
    if f.type in ("unit", "units"):
        ids = [value] if f.type == "unit" else list(value)
        if not ids:
            return None
        found = set(
            session.execute(select(Unit.id).where(Unit.id.in_(ids), Unit.area_id == area_id, Unit.active)).scalars()
        )
        return None if found == set(ids) else message_for(f.type)
    if f.type == "member":
        unit_id = values.get(f.of_unit) if f.of_unit in values else current.get(f.of_unit or "")
        if unit_id is None:
            return message_for("member_no_unit")
        found = session.execute(
            select(Membership.id).where(
                Membership.user_id == value,
                Membership.area_id == area_id,
                Membership.unit_id == unit_id,
                Membership.active,
            )
        ).first()
        return None if found else message_for("member")
    return None
