"""Confidentiality guard (taushetsplikt): detect Norwegian national identity numbers in free text."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping

from samordna.i18n import current_lang

__all__ = [
    "GUARD_MESSAGE",
    "check_texts",
    "contains_national_id",
    "find_national_ids",
    "guard_message",
    "is_national_id",
]

GUARD_MESSAGE: dict[str, str] = {
    "nb": (
        "Teksten ser ut til å inneholde et fødselsnummer eller D-/H-nummer. Taushetsplikten gjelder: "
        "beskriv situasjonen på gruppenivå, uten opplysninger som kan identifisere enkeltpersoner."
    ),
    "nn": (
        "Teksten ser ut til å innehalde eit fødselsnummer eller D-/H-nummer. Teieplikta gjeld: "
        "beskriv situasjonen på gruppenivå, utan opplysningar som kan identifisere enkeltpersonar."
    ),
    "en": (
        "The text appears to contain a national identity number (fødselsnummer) or D/H number. "
        "The duty of confidentiality applies: describe the situation at group level, "
        "without information that can identify individuals."
    ),
}


def guard_message() -> str:
    """The guard's refusal in the current language."""
    return GUARD_MESSAGE.get(current_lang.get(), GUARD_MESSAGE["nb"])


_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2, 1)  # weights for digits 1-10 (the last one is k1 itself)
_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1)  # weights for digits 1-11 (the last one is k2 itself)
# k1 remainder mod 11: today's rule leaves 0; from 2032 k1 is not computed and 0-3 are allowed.
_K1_REMAINDERS = frozenset({0, 1, 2, 3})

# 11 contiguous digits, or 6 + one separator + 5; never part of a longer digit run.
# Bank account numbers (4.2.5) and other groupings do not match this shape.
_ID_RE = re.compile(r"(?<!\d)\d{6}[ \u00a0\u202f.\-]?\d{5}(?!\d)", re.ASCII)
_SEPARATORS = str.maketrans("", "", " \u00a0\u202f.-")
_DIGITS = "0123456789"


def _plausible_date(day: int, month: int) -> bool:
    if day > 40:  # D-number: first digit + 4
        day -= 40
    if month > 40:  # H-number: month + 40
        month -= 40
    if not 1 <= month <= 12:
        return False
    return 1 <= day <= calendar.monthrange(2000, month)[1]  # leap year: the century is unknown


def is_national_id(digits: str) -> bool:
    """True if an 11-digit string is a fødselsnummer, D- or H-number (today's or the 2032 check rules)."""
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
        return False
    d = [int(c) for c in digits]
    if not _plausible_date(d[0] * 10 + d[1], d[2] * 10 + d[3]):
        return False
    # k2 as today: weighted sum over all 11 digits is 0 mod 11 (a required k2 of 10 can never match).
    if sum(w * x for w, x in zip(_W2, d, strict=True)) % 11 != 0:
        return False
    # Valid under today's rules OR the 2032 rules; the 2032 k1 set includes today's remainder 0.
    return sum(w * x for w, x in zip(_W1, d[:10], strict=True)) % 11 in _K1_REMAINDERS


def find_national_ids(text: str) -> list[tuple[int, int]]:
    """Spans (start, end) of national identity numbers in the text; never the numbers themselves."""
    if sum(map(text.count, _DIGITS)) < 11:
        return []
    return [m.span() for m in _ID_RE.finditer(text) if is_national_id(m.group().translate(_SEPARATORS))]


def contains_national_id(text: str | None) -> bool:
    """True if the text contains a national identity number."""
    return bool(text) and bool(find_national_ids(text))


def check_texts(fields: Mapping[str, object]) -> list[str]:
    """Names of the fields (str, or list/tuple of str) that contain a national identity number."""
    flagged: list[str] = []
    for name, value in fields.items():
        values = value if isinstance(value, list | tuple) else [value]
        if any(isinstance(v, str) and contains_national_id(v) for v in values):
            flagged.append(name)
    return flagged
