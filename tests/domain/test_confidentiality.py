"""Tests for the confidentiality guard (taushetsplikt): national identity numbers in free text."""

from __future__ import annotations

import calendar
import logging
import random
import unicodedata
from collections import Counter
from collections.abc import Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from samordna.domain import confidentiality
from samordna.domain.confidentiality import (
    GUARD_MESSAGE,
    check_texts,
    contains_national_id,
    find_national_ids,
    is_national_id,
)

# ---------------------------------------------------------------------------
# Test-only helpers: an independent reference implementation and generators.
# ---------------------------------------------------------------------------

W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _wsum(weights: tuple[int, ...], digits: str) -> int:
    return sum(w * int(c) for w, c in zip(weights, digits, strict=False))


def k2_for(first10: str) -> int | None:
    """Second check digit (same rule today and from 2032); None when the rule gives 10 (invalid)."""
    k2 = 11 - _wsum(W2, first10) % 11
    if k2 == 11:
        k2 = 0
    return None if k2 == 10 else k2


def k1_today(first9: str) -> int | None:
    k1 = 11 - _wsum(W1, first9) % 11
    if k1 == 11:
        k1 = 0
    return None if k1 == 10 else k1


def k1_2032(first9: str, remainder: int) -> int | None:
    """The digit k1 so that (weighted sum of the 9 digits + k1) mod 11 == remainder (0-3); None if 10."""
    k1 = (remainder - _wsum(W1, first9)) % 11
    return None if k1 == 10 else k1


def valid_today(n: str) -> bool:
    return k1_today(n[:9]) == int(n[9]) and k2_for(n[:10]) == int(n[10])


def valid_2032(n: str) -> bool:
    return (_wsum(W1, n[:9]) + int(n[9])) % 11 in {0, 1, 2, 3} and k2_for(n[:10]) == int(n[10])


def plausible_date(n: str) -> bool:
    day, month = int(n[0:2]), int(n[2:4])
    day = day - 40 if 41 <= day <= 71 else day
    month = month - 40 if 41 <= month <= 52 else month
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(2000, month)[1]


def reference_is_id(n: str) -> bool:
    return plausible_date(n) and (valid_today(n) or valid_2032(n))


def base9(day: int, month: int, yy: int, individual: int, kind: str = "fnr") -> str:
    """DDMMYY + individual number, with the D (+40 on day) or H (+40 on month) offset."""
    if kind == "D":
        day += 40
    elif kind == "H":
        month += 40
    return f"{day:02d}{month:02d}{yy:02d}{individual:03d}"


def make_today(first9: str) -> str | None:
    """A number valid under today's rules, or None if this base has no valid check digits."""
    k1 = k1_today(first9)
    if k1 is None:
        return None
    k2 = k2_for(first9 + str(k1))
    return None if k2 is None else f"{first9}{k1}{k2}"


def make_2032(first9: str, remainder: int) -> str | None:
    """A number valid under the 2032 rules with the given k1 remainder (0-3), or None."""
    k1 = k1_2032(first9, remainder)
    if k1 is None:
        return None
    k2 = k2_for(first9 + str(k1))
    return None if k2 is None else f"{first9}{k1}{k2}"


def _today(first9: str) -> str:
    n = make_today(first9)
    assert n is not None, first9
    return n


SEPARATORS = ["", " ", "\u00a0", ".", "-"]


def written_forms(n: str) -> list[str]:
    return [n[:6] + sep + n[6:] for sep in SEPARATORS]


# Computed by hand: 17.05.90, individual number 123.
# k1: 3*1+7*7+6*0+1*5+8*9+9*0+4*1+5*2+2*3 = 149, 149 mod 11 = 6 -> k1 = 5
# k2: 5*1+4*7+3*0+2*5+7*9+6*0+5*1+4*2+3*3+2*5 = 138, 138 mod 11 = 6 -> k2 = 5
KNOWN_FNR = "17059012355"
# Same base, 2032 rules: 149 + 6 = 155 = 1 (mod 11); k2 over 1705901236: 140 mod 11 = 8 -> 3.
KNOWN_2032_ONLY = "17059012363"


# ---------------------------------------------------------------------------
# Hypothesis strategies
# ---------------------------------------------------------------------------


@st.composite
def valid_base9(draw: st.DrawFn) -> str:
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, calendar.monthrange(2000, month)[1]))
    yy = draw(st.integers(0, 99))
    individual = draw(st.integers(0, 999))
    kind = draw(st.sampled_from(["fnr", "D", "H"]))
    return base9(day, month, yy, individual, kind)


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    first9 = draw(valid_base9())
    rules = draw(st.sampled_from(["today", "2032"]))
    n = make_today(first9) if rules == "today" else make_2032(first9, draw(st.integers(0, 3)))
    assume(n is not None)
    assert n is not None
    return n


@st.composite
def invalid_check_digit_ids(draw: st.DrawFn) -> str:
    """Plausible date, but check digits that fail under both today's and the 2032 rules."""
    first9 = draw(valid_base9())
    s1 = _wsum(W1, first9)
    if draw(st.booleans()):
        # k1 fails both rule sets: remainder 4-10. k2 can be anything.
        k1 = draw(st.sampled_from([k for k in range(10) if (s1 + k) % 11 not in {0, 1, 2, 3}]))
        k2 = draw(st.integers(0, 9))
    else:
        # k1 passes (2032), k2 wrong.
        k1 = draw(st.sampled_from([k for k in range(10) if (s1 + k) % 11 in {0, 1, 2, 3}]))
        good = k2_for(first9 + str(k1))
        k2 = draw(st.sampled_from([k for k in range(10) if k != good]))
    n = f"{first9}{k1}{k2}"
    assert not valid_today(n) and not valid_2032(n)
    return n


def folds_to_digit_at(s: str, index: int) -> bool:
    """Reference: does `s`, read as the guard reads it (NFKC, no format characters), have a digit there?"""
    folded = [c for c in unicodedata.normalize("NFKC", s) if unicodedata.category(c) != "Cf"]
    return bool(folded) and folded[index].isdigit()


surrounding = st.text(max_size=40)
digit_free = st.text(alphabet=st.characters(blacklist_categories=("Nd", "Cs")), max_size=40)


# ---------------------------------------------------------------------------
# is_national_id
# ---------------------------------------------------------------------------


def test_known_literal_numbers() -> None:
    assert make_today(KNOWN_FNR[:9]) == KNOWN_FNR
    assert is_national_id(KNOWN_FNR)
    assert valid_2032(KNOWN_2032_ONLY) and not valid_today(KNOWN_2032_ONLY)
    assert is_national_id(KNOWN_2032_ONLY)


@pytest.mark.parametrize(
    "first9",
    [
        base9(1, 1, 90, 123),
        base9(31, 12, 0, 499),
        base9(29, 2, 1, 500),  # 29 February accepted for any year: the century is unknown
        base9(1, 1, 90, 123, "D"),
        base9(31, 1, 85, 1, "D"),  # day 71
        base9(15, 3, 70, 999, "H"),
        base9(28, 12, 5, 250, "H"),  # month 52
    ],
)
def test_generated_valid_numbers_for_fixed_dates(first9: str) -> None:
    numbers = [make_today(first9)] + [make_2032(first9, r) for r in range(4)]
    numbers = [n for n in numbers if n is not None]
    assert numbers, "pick another individual number; this base has no valid check digits"
    for n in numbers:
        assert is_national_id(n), n


@pytest.mark.parametrize(
    "first9",
    [
        base9(1, 13, 90, 123),  # month 13
        base9(32, 1, 90, 123),  # day 32
        base9(0, 1, 90, 123),  # day 00
        base9(1, 0, 90, 123),  # month 00
        base9(30, 2, 0, 123),  # 30 February
        base9(31, 4, 90, 123),  # 31 April
        base9(32, 1, 90, 123, "D"),  # day 72
        base9(1, 13, 90, 123, "H"),  # month 53
        base9(1, 20, 90, 123),  # month 20 is neither ordinary nor H
    ],
)
def test_implausible_dates_are_not_ids(first9: str) -> None:
    candidates = [make_today(first9)] + [make_2032(first9, r) for r in range(4)]
    candidates = [n for n in candidates if n is not None]
    assert candidates
    for n in candidates:
        assert not is_national_id(n)
        assert not contains_national_id(f"Saken gjelder {n}.")
        for form in written_forms(n):
            assert find_national_ids(form) == []


@pytest.mark.parametrize("value", ["", "1705901235", "170590123555", "1705901235a", "17059 012355", "\uff11" * 11])
def test_is_national_id_requires_exactly_eleven_ascii_digits(value: str) -> None:
    assert not is_national_id(value)


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_is_national_id_matches_reference_on_random_digits(n: str) -> None:
    assert is_national_id(n) == reference_is_id(n)


@given(valid_base9(), st.integers(0, 99))
def test_is_national_id_matches_reference_on_plausible_dates(first9: str, tail: int) -> None:
    n = f"{first9}{tail:02d}"
    assert is_national_id(n) == reference_is_id(n)


# ---------------------------------------------------------------------------
# Detection in text
# ---------------------------------------------------------------------------

SENTENCES = [
    "{}",
    "{} er registrert på eleven.",
    "Eleven har fødselsnummer {}",
    "Gutten (f.nr. {}) har vært borte fra skolen i tre uker.",
    "Fnr:{}, meldt av helsesykepleier.",
    "Se «{}»!",
    "Opplysninger: {}; {}?",
    "Foreldre til {}\nble kontaktet av barnevernet.",
    "Jenta, d-nr.{}.",
]


@pytest.mark.parametrize("template", SENTENCES)
@pytest.mark.parametrize(
    "n", [KNOWN_FNR, KNOWN_2032_ONLY, _today(base9(1, 1, 90, 123, "D")), _today(base9(15, 3, 70, 999, "H"))]
)
@pytest.mark.parametrize("sep", SEPARATORS)
def test_known_numbers_caught_in_every_form_and_position(template: str, n: str, sep: str) -> None:
    form = n[:6] + sep + n[6:]
    text = template.format(form, form)
    assert contains_national_id(text)
    spans = find_national_ids(text)
    assert spans
    for start, end in spans:
        assert text[start:end] == form


@given(valid_ids(), st.sampled_from(SEPARATORS), surrounding, surrounding)
def test_generated_valid_ids_are_always_caught(n: str, sep: str, before: str, after: str) -> None:
    assume(not folds_to_digit_at(before, -1) and not folds_to_digit_at(after, 0))
    form = n[:6] + sep + n[6:]
    text = before + form + after
    span = (len(before), len(before) + len(form))
    assert span in find_national_ids(text)
    assert contains_national_id(text)
    assert check_texts({"beskrivelse": text}) == ["beskrivelse"]


@given(invalid_check_digit_ids(), st.sampled_from(SEPARATORS), digit_free, digit_free)
def test_wrong_check_digits_are_never_caught(n: str, sep: str, before: str, after: str) -> None:
    assert not is_national_id(n)
    text = before + n[:6] + sep + n[6:] + after
    assert find_national_ids(text) == []
    assert not contains_national_id(text)


@given(valid_ids(), st.text(alphabet="0123456789", min_size=1, max_size=5), st.booleans())
def test_longer_digit_runs_pass(n: str, extra: str, prepend: bool) -> None:
    for form in written_forms(n):
        text = f"Konto {extra + form if prepend else form + extra} ok"
        start = text.index(form)
        # The ID itself is part of a longer run, so it is not caught. (The extra digits and one half of
        # a separated ID can by chance make another valid 11-digit run of their own: that one is caught.)
        assert not any(s <= start and start + len(form) <= e for s, e in find_national_ids(text))
        if form.isdigit():
            assert find_national_ids(text) == []


def test_no_inner_window_of_long_number() -> None:
    long_run = "1" + KNOWN_FNR + "2"
    assert find_national_ids(long_run) == []
    assert find_national_ids(f"Ordrenummer {long_run}.") == []
    assert find_national_ids("12345678901234") == []


@given(valid_ids())
def test_bank_account_form_passes(n: str) -> None:
    account = f"{n[:4]}.{n[4:6]}.{n[6:]}"
    assert not contains_national_id(f"Betal til konto {account} innen fredag.")
    assert not contains_national_id(account)


def test_other_groupings_are_not_id_forms() -> None:
    assert not contains_national_id(f"{KNOWN_FNR[:4]} {KNOWN_FNR[4:]}")
    assert not contains_national_id(f"{KNOWN_FNR[:6]} - {KNOWN_FNR[6:]}")


def test_fast_path_and_empty_inputs() -> None:
    assert find_national_ids("") == []
    assert find_national_ids("Møte 12. mai kl. 14") == []
    assert not contains_national_id(None)
    assert not contains_national_id("")


def test_multiple_ids_all_found() -> None:
    other = _today(base9(1, 1, 90, 124))
    text = f"{KNOWN_FNR} og {other[:6]}-{other[6:]}"
    assert find_national_ids(text) == [(0, 11), (15, 27)]


# ---------------------------------------------------------------------------
# check_texts and the message
# ---------------------------------------------------------------------------


def test_check_texts_returns_field_names_in_input_order() -> None:
    fields: dict[str, object] = {
        "tittel": "Uro i sentrum",
        "notat": f"Gjelder {KNOWN_FNR[:6]} {KNOWN_FNR[6:]}",
        "antall": 12345678901,
        "tiltak": None,
        "stikkord": ["rus", f"fnr {KNOWN_2032_ONLY}"],
        "beskrivelse": f"({KNOWN_FNR})",
        "konto": f"{KNOWN_FNR[:4]}.{KNOWN_FNR[4:6]}.{KNOWN_FNR[6:]}",
        "tall": [17059012355],
    }
    result = check_texts(fields)
    assert result == ["notat", "stikkord", "beskrivelse"]
    assert not any(ch.isdigit() for name in result for ch in name)


def test_check_texts_clean_input() -> None:
    assert check_texts({}) == []
    assert check_texts({"a": "Grupper av ungdom samles ved stasjonen.", "b": ["x", "y"]}) == []


def test_guard_message() -> None:
    assert set(GUARD_MESSAGE) == {"nb", "nn", "en"}
    assert GUARD_MESSAGE["nb"] == (
        "Teksten ser ut til å inneholde et fødselsnummer eller D-/H-nummer. Taushetsplikten gjelder: "
        "beskriv situasjonen på gruppenivå, uten opplysninger som kan identifisere enkeltpersoner."
    )
    for message in GUARD_MESSAGE.values():
        assert message
        assert not any(ch.isdigit() for ch in message)


def test_guard_never_prints_or_logs(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    text = f"Eleven {KNOWN_FNR}"
    assert contains_national_id(text)
    find_national_ids(text)
    check_texts({"notat": text})
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert caplog.records == []
    assert "logging" not in vars(confidentiality)


# ---------------------------------------------------------------------------
# Other ways of writing the number: groupings, invisible characters, other digits
# ---------------------------------------------------------------------------

# Format characters (category Cf) that render as nothing: zero-width space, non-joiner, joiner, word joiner,
# BOM / zero-width no-break space, soft hyphen, left-to-right mark, invisible separator.
FORMAT_CHARS = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u2063"]
# The zero of some Unicode decimal digit sets: full-width, Arabic-Indic, extended Arabic-Indic (Persian),
# Devanagari, Bengali, Thai, Tibetan, Myanmar, mathematical bold (NFKC makes it ASCII).
ZEROS = [0xFF10, 0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0x0F20, 0x1040, 0x1D7CE]


def in_script(n: str, zero: int) -> str:
    return "".join(chr(zero + int(c)) for c in n)


def grouped(n: str, sizes: tuple[int, ...], seps: list[str]) -> str:
    """`n` cut into groups of `sizes`, the separators between them."""
    groups, at = [], 0
    for size in sizes:
        groups.append(n[at : at + size])
        at += size
    return groups[0] + "".join(sep + group for sep, group in zip(seps, groups[1:], strict=True))


VARIANTS: dict[str, Callable[[str], str]] = {
    "dd.mm.yy nnnnn": lambda n: grouped(n, (2, 2, 2, 5), [".", ".", " "]),
    "dd.mm.yy-nnnnn": lambda n: grouped(n, (2, 2, 2, 5), [".", ".", "-"]),
    "dd.mm.yy.nnnnn": lambda n: grouped(n, (2, 2, 2, 5), [".", ".", "."]),
    "dd/mm/yy nnnnn": lambda n: grouped(n, (2, 2, 2, 5), ["/", "/", " "]),
    "dd-mm-yy nnnnn": lambda n: grouped(n, (2, 2, 2, 5), ["-", "-", " "]),
    "dd mm yy nnnnn": lambda n: grouped(n, (2, 2, 2, 5), [" ", " ", " "]),
    "dd  mm  yy  nnnnn": lambda n: grouped(n, (2, 2, 2, 5), ["  ", "  ", "  "]),
    "ddd ddd ddddd": lambda n: grouped(n, (3, 3, 5), [" ", " "]),
    "ddd.ddd.ddddd": lambda n: grouped(n, (3, 3, 5), [".", "."]),
    "ddmmyy  nnnnn": lambda n: grouped(n, (6, 5), ["  "]),
    "ddmmyy   nnnnn": lambda n: grouped(n, (6, 5), ["   "]),
    "ddmmyy/nnnnn": lambda n: grouped(n, (6, 5), ["/"]),
    "ddmmyy<tab>nnnnn": lambda n: grouped(n, (6, 5), ["\t"]),
    "ddmmyy<en dash>nnnnn": lambda n: grouped(n, (6, 5), ["\u2013"]),
    "ddmmyy<minus>nnnnn": lambda n: grouped(n, (6, 5), ["\u2212"]),
    "ddmmyy<non-breaking hyphen>nnnnn": lambda n: grouped(n, (6, 5), ["\u2011"]),
    "ddmmyy<narrow nbsp>nnnnn": lambda n: grouped(n, (6, 5), ["\u202f"]),
    "dd<nbsp>mm<nbsp>yy<nbsp>nnnnn": lambda n: grouped(n, (2, 2, 2, 5), ["\u00a0"] * 3),
    "ddd<thin space>ddd<thin space>ddddd": lambda n: grouped(n, (3, 3, 5), ["\u2009"] * 2),
    "ddmmyy<nbsp><space>nnnnn": lambda n: grouped(n, (6, 5), ["\u00a0 "]),
    "full-width": lambda n: in_script(n, 0xFF10),
    "full-width dd．mm．yy　nnnnn": lambda n: grouped(in_script(n, 0xFF10), (2, 2, 2, 5), ["．", "．", "\u3000"]),
    "full-width ddmmyy－nnnnn": lambda n: grouped(in_script(n, 0xFF10), (6, 5), ["－"]),
    "full-width with zero-width spaces": lambda n: "\u200b".join(in_script(n, 0xFF10)),
    "mixed scripts": lambda n: n[:3] + in_script(n[3:6], 0x0660) + " " + in_script(n[6:], 0x0966),
    "superscript": lambda n: n.translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")),
    "dd.mm.yy nnnnn with soft hyphens": lambda n: grouped("\u00ad".join(n), (4, 4, 4, 10), [".", ".", " "]),
    **{f"script U+{zero:04X}": (lambda n, zero=zero: in_script(n, zero)) for zero in ZEROS},
    **{f"U+{ord(c):04X} after the date": (lambda n, c=c: n[:6] + c + n[6:]) for c in FORMAT_CHARS},
    **{f"U+{ord(c):04X} between all digits": (lambda n, c=c: c.join(n)) for c in FORMAT_CHARS},
    **{f"U+{ord(c):04X} in a spaced form": (lambda n, c=c: f"{n[:3]}{c}{n[3:6]} {c}{n[6:]}") for c in FORMAT_CHARS},
}


def only_2032(day: int, month: int, yy: int, kind: str) -> str:
    """A number valid under the 2032 rules but not under today's."""
    for individual in range(100, 200):
        for remainder in (1, 2, 3):
            n = make_2032(base9(day, month, yy, individual, kind), remainder)
            if n is not None and not valid_today(n):
                return n
    raise AssertionError("no such number")


VARIANT_NUMBERS = {
    "fnr today": KNOWN_FNR,
    "fnr 2032": KNOWN_2032_ONLY,
    "D-number today": _today(base9(1, 1, 90, 123, "D")),
    "H-number today": _today(base9(15, 3, 70, 999, "H")),
    "D-number 2032": only_2032(5, 6, 7, "D"),
    "H-number 2032": only_2032(29, 2, 4, "H"),
}
VARIANT_TEMPLATES = ["{}", "Eleven (fnr. {}) er meldt.", "Gjelder: {}\nHilsen SLT", "f.nr.{}, d-nr.? Se «{}»."]


def test_variant_numbers_are_what_they_claim() -> None:
    for name, n in VARIANT_NUMBERS.items():
        assert reference_is_id(n), name
        assert valid_today(n) == name.endswith("today"), name


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
@pytest.mark.parametrize("n", VARIANT_NUMBERS.values(), ids=VARIANT_NUMBERS.keys())
def test_every_written_variant_is_caught_with_its_exact_span(variant: Callable[[str], str], n: str) -> None:
    form = variant(n)
    for template in VARIANT_TEMPLATES:
        text = template.format(form, form)
        assert contains_national_id(text)
        spans = find_national_ids(text)
        assert [text[start:end] for start, end in spans] == [form] * template.count("{}"), repr(text)
        assert check_texts({"notat": text}) == ["notat"]


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_written_variants_with_wrong_check_digits_pass(variant: Callable[[str], str]) -> None:
    wrong = [KNOWN_FNR[:10] + "6", KNOWN_FNR[:9] + "45", KNOWN_2032_ONLY[:10] + "4"]
    for n in wrong:
        assert not reference_is_id(n)
        text = f"Saken gjelder {variant(n)}."
        assert find_national_ids(text) == [], repr(text)


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_written_variants_inside_longer_runs_pass(variant: Callable[[str], str]) -> None:
    form = variant(KNOWN_FNR)
    for text in (f"9{form}", f"{form}9", f"{in_script('7', 0xFF10)}{form}", f"{form}\u200b9"):
        assert not any(s <= text.index(form) < e for s, e in find_national_ids(text)), repr(text)


@pytest.mark.parametrize(
    "text",
    [
        "1705.90.12355",
        "1705. 90. 12355",
        "１７０５．９０．１２３５５",
        "1705.\u200b90.12355",
        "1705\u00a090\u00a012355",
        "17 05 90 12 355",
        "1705 9012355",
        "170 59012355",
        "17.05.1990 12355",
        "170590 - 12355",
        "170590 -12355",
        "170590\n12355",
        "170590..12355",
        "170590/ 12355",
    ],
)
def test_other_groupings_of_a_valid_number_pass(text: str) -> None:
    assert find_national_ids(text) == []
    assert find_national_ids(f"Konto {text}, ok.") == []


@st.composite
def written_ids(draw: st.DrawFn, n: str) -> str:
    """`n` as someone might write it: a grouping, separators, a digit script, format characters inside."""
    sizes = draw(st.sampled_from([(11,), (6, 5), (2, 2, 2, 5), (3, 3, 5)]))
    seps = [
        draw(st.sampled_from([" ", "  ", "\u00a0", "\u202f", ".", "-", "/", "\u2013", "\t", "．", "\u3000"]))
        for _ in sizes[1:]
    ]
    zero = draw(st.sampled_from([ord("0"), *ZEROS]))
    form = grouped(in_script(n, zero), sizes, seps)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(1, len(form) - 1))
        form = form[:at] + draw(st.sampled_from(FORMAT_CHARS)) + form[at:]
    return form


@given(st.data(), valid_ids(), surrounding, surrounding)
def test_generated_written_variants_are_caught(data: st.DataObject, n: str, before: str, after: str) -> None:
    assume(not folds_to_digit_at(before, -1) and not folds_to_digit_at(after, 0))
    form = data.draw(written_ids(n))
    text = before + form + after
    assert (len(before), len(before) + len(form)) in find_national_ids(text)


@given(st.data(), invalid_check_digit_ids(), digit_free, digit_free)
def test_generated_written_variants_with_wrong_check_digits_pass(
    data: st.DataObject, n: str, before: str, after: str
) -> None:
    form = data.draw(written_ids(n))
    assume(not folds_to_digit_at(before, -1) and not folds_to_digit_at(after, 0))
    assert find_national_ids(before + form + after) == []


GROUPINGS: dict[str, Callable[[str], str]] = {
    "ddmmyynnnnn": lambda n: n,
    **{name: VARIANTS[name] for name in ("dd.mm.yy nnnnn", "dd mm yy nnnnn", "ddd ddd ddddd", "ddmmyy/nnnnn")},
    "ddmmyy-nnnnn": lambda n: grouped(n, (6, 5), ["-"]),
    "ddmmyy nnnnn": lambda n: grouped(n, (6, 5), [" "]),
    "full-width with a zero-width space": VARIANTS["U+200B after the date"],
}


def reference_hits_among_all_11_digit_strings() -> int:
    """How many of the 10^11 digit strings the reference accepts, counted over the residues of the weighted
    sums (mod 11) of the first nine digits, the date digits limited to plausible dates."""
    residues: Counter[tuple[int, int]] = Counter()
    for date in range(10_000):
        first4 = f"{date:04d}"
        if plausible_date(first4 + "0000000"):
            residues[_wsum(W1, first4) % 11, _wsum(W2, first4) % 11] += 1
    for i in range(4, 9):
        following: Counter[tuple[int, int]] = Counter()
        for (s1, s2), count in residues.items():
            for x in range(10):
                following[(s1 + W1[i] * x) % 11, (s2 + W2[i] * x) % 11] += count
        residues = following
    return sum(
        count
        for (s1, s2), count in residues.items()
        for k1 in range(10)
        for k2 in range(10)
        if (s1 + k1) % 11 in {0, 1, 2, 3} and (s2 + W2[9] * k1 + k2) % 11 == 0
    )


@pytest.mark.long
def test_false_positive_rate_on_random_digits_in_every_grouping() -> None:
    """Of all 11-digit strings 0.484 % pass as a number (plausible date, then the check digits) -- the rate
    of false positives on random digits -- and however the digits are grouped, the grouping adds no hit."""
    assert reference_hits_among_all_11_digit_strings() == 483_966_953
    rng = random.Random(20240611)
    samples = ["".join(rng.choices("0123456789", k=11)) for _ in range(10_000)]
    expected = [is_national_id(n) for n in samples]
    assert expected == [reference_is_id(n) for n in samples]
    assert 0.003 < sum(expected) / len(samples) < 0.007
    for name, write in GROUPINGS.items():
        caught = [bool(find_national_ids(f"Sak {write(n)} ble lukket.")) for n in samples]
        assert caught == expected, name


# ---------------------------------------------------------------------------
# Redaction by the callers: the span covers the number exactly as it was written
# ---------------------------------------------------------------------------


def _redactors() -> dict[str, tuple[Callable[[str], str], str]]:
    from samordna.accounts import service as security
    from samordna.web import errors, forms

    return {
        "web.errors.redact": (errors.redact, errors.HIDDEN),
        "services.accounts.redact": (security.redact, security.HIDDEN),
        "web.forms": (forms._without_national_ids, forms.REDACTED),
    }


@pytest.mark.parametrize("caller", ["web.errors.redact", "services.accounts.redact", "web.forms"])
@pytest.mark.parametrize(
    "variant",
    [
        "full-width with zero-width spaces",
        "full-width dd．mm．yy　nnnnn",
        "U+00AD between all digits",
        "U+FEFF in a spaced form",
        "script U+0660",
        "script U+1D7CE",
        "superscript",
        "dd.mm.yy nnnnn with soft hyphens",
        "dd<nbsp>mm<nbsp>yy<nbsp>nnnnn",
        "ddd ddd ddddd",
    ],
)
def test_callers_redact_the_number_as_written(caller: str, variant: str) -> None:
    redact, mark = _redactors()[caller]
    form, other = VARIANTS[variant](KNOWN_FNR), VARIANTS[variant](VARIANT_NUMBERS["D-number 2032"])
    text = f"Elev\u200b {form} i 8B (søster: {other}); telefon 22 33 44 55."
    assert redact(text) == f"Elev\u200b {mark} i 8B (søster: {mark}); telefon 22 33 44 55."
