"""The organisation's form fields (labels in nb/nn/en), shared by its pages, its service and the API."""

from __future__ import annotations

from typing import Any

from samordna.domain.vocabulary import ROLE_LABELS, ROLES, UNIT_KINDS
from samordna.workflow import FieldDef, Label


def _field(name: str, type_: str, nb: str, nn: str, en: str, **kw: Any) -> FieldDef:
    return FieldDef(
        name=name,
        type=type_,
        label=Label(nb=nb, nn=nn, en=en),
        help=kw.get("help"),
        store=None,
        options=kw.get("options", ()),
        option_labels=kw.get("option_labels", {}),
    )


UNIT_KIND_LABELS = {
    "municipal": Label(nb="Kommunal", nn="Kommunal", en="Municipal"),
    "police": Label(nb="Politi", nn="Politi", en="Police"),
    "voluntary": Label(nb="Frivillig", nn="Frivillig", en="Voluntary"),
    "business": Label(nb="Næringsliv", nn="Næringsliv", en="Business"),
    "state": Label(nb="Statlig", nn="Statleg", en="State"),
    "other": Label(nb="Annet", nn="Anna", en="Other"),
}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


ROLE_OPTION_LABELS = {
    role: Label(**{lang: _capital(ROLE_LABELS[role][lang]) for lang in ("nb", "nn", "en")}) for role in ROLES
}

UNIT_NAME = _field("name", "text", "Navn på enheten", "Namn på eininga", "Name of the unit")
UNIT_KIND = _field("kind", "enum", "Type", "Type", "Kind", options=UNIT_KINDS, option_labels=UNIT_KIND_LABELS)
ROLE = _field("role", "enum", "Rolle", "Rolle", "Role", options=ROLES, option_labels=ROLE_OPTION_LABELS)
UNIT = _field(
    "unit_id",
    "unit",
    "Enhet",
    "Eining",
    "Unit",
    help=Label(
        nb="Koordineringsgruppen og utførende nivå hører vanligvis til en enhet.",
        nn="Koordineringsgruppa og utførande nivå høyrer vanlegvis til ei eining.",
        en="Coordination and executing members usually belong to a unit.",
    ),
)

UNIT_FIELDS = ((UNIT_NAME, True), (UNIT_KIND, True))
RENAME_FIELDS = ((UNIT_NAME, True),)
MEMBER_FIELDS = (
    (_field("email", "text", "E-postadresse", "E-postadresse", "E-mail address"), True),
    (
        _field(
            "name",
            "text",
            "Navn",
            "Namn",
            "Name",
            help=Label(
                nb="Bare for nye brukere. En bruker som finnes fra før, beholder navnet sitt.",
                nn="Berre for nye brukarar. Ein brukar som finst frå før, held på namnet sitt.",
                en="Only for new users. An existing user keeps their name.",
            ),
        ),
        False,
    ),
    (ROLE, True),
    (UNIT, False),
)
MEMBER_CHANGE_FIELDS = ((ROLE, True), (UNIT, False))


def _f(name: str, type_: str, nb: str, **kw: Any) -> FieldDef:
    return FieldDef(
        name=name,
        type=type_,
        label=Label(nb=nb, nn=nb, en=name),
        help=None,
        store=name,
        options=(),
        option_labels={},
        min=kw.get("min"),
        max=kw.get("max"),
        rule=None,
        of_unit=None,
    )


GOAL_FIELDS = (
    (_f("title", "text", "Tittel"), True),
    (_f("description", "longtext", "Beskrivelse"), False),
    (_f("period_from", "integer", "Fra år", min=2000, max=2100), True),
    (_f("period_to", "integer", "Til år", min=2000, max=2100), True),
    (_f("priority", "integer", "Prioritet", min=1, max=9), False),
)
