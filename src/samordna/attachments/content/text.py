"""Plain text and CSV: telling them from binary data, telling them apart, and reading them through the
confidentiality guard in pieces.

Text is what decodes as UTF-8 (a byte order mark allowed) with no NUL byte, all of it: a file that starts as
text and turns into binary is not text. Text that is not UTF-8 is taken when it decodes as Windows-1252 without
control characters, since that is what Excel on a Norwegian Windows writes for «CSV (semikolondelt)» and Notepad
wrote for years; it is kept byte for byte and stored with that charset (samordna.attachments.content.kinds
LEGACY_TEXT). UTF-16 (with its NUL bytes) is not taken. Binary files essentially never pass either test: compressed
or encoded data is full of NUL and control bytes.

The name only chooses between the two text kinds: CSV when it ends in .csv and the first lines split into the
same number of fields (two or more) on one delimiter; text otherwise.

The guard reads the text in pieces of about 1 MiB with an overlap of OVERLAP characters, so a file of one long
line is never held whole and a number cut by a piece boundary is still found whole in the next piece."""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

from samordna.attachments.content.kinds import KINDS, LEGACY_TEXT, WINDOWS_1252, Finding, Kind, charset, damaged
from samordna.domain.confidentiality import find_national_ids
from samordna.i18n import gettext as _

PIECE = 1 << 20  # characters of text read and checked at a time
OVERLAP = 256  # characters carried into the next piece: longer than any way of writing a number
SAMPLE = 64 * 1024  # bytes of the start read to decide CSV or text
SAMPLE_LINES = 50
DELIMITERS = (";", ",", "\t", "|")
# Control characters no Windows-1252 text holds (tab, line feed, form feed, carriage return and the old
# end-of-file mark 0x1a allowed).
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x19\x1b-\x1f\x7f]")


def kind_of(path: Path, filename: str) -> Kind | None:
    """TXT or CSV (in UTF-8 or Windows-1252) if the file is text, else None."""
    encoding = text_encoding(path)
    if encoding is None:
        return None
    table = KINDS if encoding == "utf-8" else LEGACY_TEXT
    if filename.lower().endswith(".csv") and looks_like_csv(path, encoding):
        return table["csv"]
    return table["txt"]


def text_encoding(path: Path) -> str | None:
    """'utf-8' or 'windows-1252' if the whole file is text in it, else None."""
    if _decodes(path, codecs.getincrementaldecoder("utf-8-sig")(), forbidden=re.compile(rb"\x00")):
        return "utf-8"
    if _decodes(path, codecs.getincrementaldecoder("cp1252")(), forbidden=_CONTROL):
        return WINDOWS_1252
    return None


def _decodes(path: Path, decoder: codecs.IncrementalDecoder, *, forbidden: re.Pattern[bytes]) -> bool:
    try:
        with open(path, "rb") as f:
            while chunk := f.read(PIECE):
                if forbidden.search(chunk):
                    return False
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def looks_like_csv(path: Path, encoding: str) -> bool:
    """True if the first lines split into the same number of fields, at least two, on one delimiter."""
    with open(path, "rb") as f:
        head = f.read(SAMPLE)
        complete = not f.read(1)
    sample = head.decode(_codec(encoding), errors="ignore")
    if not complete:  # the last line is cut off: leave it out
        sample = sample[: sample.rfind("\n") + 1]
    lines = [line for line in sample.splitlines(keepends=True) if line.strip()][:SAMPLE_LINES]
    return any(_fields_agree(lines, d) for d in DELIMITERS)


def _fields_agree(lines: list[str], delimiter: str) -> bool:
    try:
        counts = {len(record) for record in csv.reader(io.StringIO("".join(lines)), delimiter=delimiter)}
    except csv.Error:
        return False
    return len(counts) == 1 and counts.pop() >= 2


def find_national_id(path: Path, kind: Kind) -> Finding | None:
    """The line of the first national identity number in the text, if any."""
    lines_before = 0  # line breaks before the window
    offset = 0  # characters of the file before the window
    tail = ""
    try:
        with open(path, encoding=_codec(charset(kind)), newline=None) as f:  # every line break read as \n
            piece = f.read(PIECE)
            while True:
                following = f.read(PIECE) if piece else ""
                window = tail + piece
                start = first_number(window, at_start=offset == 0, at_end=not following)
                if start is not None:
                    return Finding(_("linje {n}").format(n=lines_before + window.count("\n", 0, start) + 1))
                if not following:
                    return None
                cut = max(0, len(window) - OVERLAP)
                lines_before += window.count("\n", 0, cut)
                offset += cut
                tail, piece = window[cut:], following
    except UnicodeDecodeError:
        raise damaged() from None


def first_number(window: str, *, at_start: bool, at_end: bool) -> int | None:
    """Where the first national identity number in `window` starts, a window cut from a longer text. A match at
    the very start of a window that does not start the text is left out (it may be the tail of a longer run of
    digits, and a true one there was in the overlap of the window before), and so is a match at the very end of
    a window that does not end it (the next window holds it with what follows)."""
    for start, end in find_national_ids(window):
        if (start > 0 or at_start) and (end < len(window) or at_end):
            return start
    return None


def _codec(encoding: str) -> str:
    return "utf-8-sig" if encoding == "utf-8" else "cp1252"
