"""The free-text fields of the meeting forms (labels in nb/nn/en): checked by `fields.clean` — length, NUL,
and the confidentiality guard — like every other text. Dates, times and choices are checked by the service."""

from __future__ import annotations

from samordna.workflow import FieldDef, Label


def _text(name: str, type_: str, nb: str, nn: str, en: str) -> FieldDef:
    return FieldDef(name=name, type=type_, label=Label(nb=nb, nn=nn, en=en))


TITLE = _text("title", "text", "Tittel", "Tittel", "Title")
PLACE = _text("place", "text", "Sted", "Stad", "Place")
BODY_NAME = _text("name", "text", "Navn", "Namn", "Name")
ITEM_TITLE = _text("title", "text", "Tittel på saken", "Tittel på saka", "Title of the item")
ITEM_TEXT = _text("text", "longtext", "Tekst", "Tekst", "Text")
REASON = _text("reason", "longtext", "Begrunnelse for avlysning", "Grunngjeving for avlysing", "Reason for cancelling")
NOTE = _text("note", "longtext", "Notat i referatet", "Notat i referatet", "Note in the minutes")
