"""Confidentiality guard (taushetsplikt): detect Norwegian national identity numbers in free text."""

from __future__ import annotations

import calendar
import re
import unicodedata
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

# How people write the number, matched in folded text (see _fold_char): 11 digits in a row, or the date
# part as DDMMYY, DD MM YY or DDD DDD, then the five-digit individual number; between groups a run of spaces
# or one dot, dash or slash. Never part of a longer digit run. Bank account numbers (4.2.5) and other
# groupings do not match these shapes. NFKC has made every space character but U+1680 a plain space.
# (The pattern starts with a plain digit so that the regex engine can skip ahead to digits; the
# look-behind after it checks that no digit comes before.)
_DASHES = "\u2010\u2012\u2013\u2014\u2015\u2212-"  # the hyphen-minus last: literal in a [] class
_SEP = rf"(?:[ \t\u1680]+|[./{_DASHES}])"
_ID_RE = re.compile(
    rf"\d(?<!\d\d)(?:\d{{10}}|(?:\d{{5}}|\d{_SEP}\d\d{_SEP}\d\d|\d\d{_SEP}\d{{3}}){_SEP}\d{{5}})(?!\d)",
    re.ASCII,
)
_SEPARATORS = str.maketrans("", "", f" \t\u1680./{_DASHES}")
_DIGITS = "0123456789"
_OTHER_DIGIT = re.compile(r"[^\D0-9]")  # a decimal digit that is not ASCII
_ANY_DIGIT = re.compile(r"\d")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _fold_char(char: str) -> str:
    """What one character is for matching: NFKC, format characters (category Cf: zero-width space and
    joiners, word joiner, BOM, soft hyphen …) dropped, every decimal digit as ASCII."""
    out: list[str] = []
    for c in unicodedata.normalize("NFKC", char):
        if unicodedata.category(c) == "Cf":
            continue
        digit = unicodedata.decimal(c, None)
        out.append(c if digit is None else _DIGITS[digit])
    return "".join(out)


class _Folding(dict[int, str]):
    """A str.translate table computing _fold_char on demand; ASCII maps to itself."""

    def __missing__(self, key: int) -> str:
        folded = _fold_char(chr(key))
        if len(self) < 8192:  # bounded: text may hold any of the 1.1 million code points
            self[key] = folded
        return folded


_FOLD = _Folding({i: chr(i) for i in range(128)})


def _digit_count(text: str) -> int:
    return sum(map(text.count, _DIGITS))


def _fold(text: str) -> str | None:
    """The text as matched, or None when it cannot hold 11 digits. Cheap checks first: usually the text
    is returned as it is, and folding character by character is only needed for unusual characters."""
    if text.isascii():
        return text if _digit_count(text) >= 11 else None
    normal = unicodedata.is_normalized("NFKC", text)
    if normal:
        more_digits = _OTHER_DIGIT.search(text) is not None
    else:  # do the non-ASCII characters become digits (full-width, superscript, circled …)?
        more_digits = _ANY_DIGIT.search(unicodedata.normalize("NFKC", "".join(_NON_ASCII.findall(text)))) is not None
    if not more_digits:
        # Folding adds no digit (dropping format characters never does): the ASCII digits are all there are.
        if _digit_count(text) < 11:
            return None
        if normal and all(line.isprintable() for line in text.splitlines()):  # no format character either
            return text
    folded = text.translate(_FOLD)
    return folded if _digit_count(folded) >= 11 else None


def _origins(text: str) -> list[int]:
    """For each character of the folded text, the index in `text` of the character it came from."""
    return [i for i, c in enumerate(text) for _ in _FOLD[ord(c)]]


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
    """Spans (start, end) in `text` of national identity numbers; never the numbers themselves.

    The number is found however it is written: with full-width or other Unicode digits, with invisible
    characters inside, grouped with spaces, dots, dashes or slashes. A span covers the number as written,
    so cutting it out of `text` removes all of it."""
    folded = _fold(text)
    if folded is None:
        return []
    spans: list[tuple[int, int]] = []
    pos = 0
    while match := _ID_RE.search(folded, pos):
        if is_national_id(match.group().translate(_SEPARATORS)):
            spans.append(match.span())
            pos = match.end()
        else:  # another candidate may start inside one whose check digits fail
            pos = match.start() + 1
    if spans and folded is not text:
        origins = _origins(text)
        spans = [(origins[start], origins[end - 1] + 1) for start, end in spans]
    return spans


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
