"""Word (DOCX), Excel (XLSX) and OpenDocument text (ODT): zips of XML, confirmed by their parts and read by
streaming those parts through expat.

What they are. The first bytes only say «a zip» (filetype also guesses the office kind from the first few
members' names, which is a guess). A zip is DOCX when it has word/document.xml, XLSX when it has xl/workbook.xml,
ODT when its `mimetype` member says application/vnd.oasis.opendocument.text, exactly one of the three; for DOCX
and XLSX the package's [Content_Types].xml must also give the main part the plain document's type, so a
macro-enabled or template file renamed .docx/.xlsx is not taken. Any other zip is not an accepted kind.

What they say. Each part is read in pieces of READ bytes and fed to expat, whose handlers keep only the text
being assembled (a paragraph, a cell, a shared string), so a 20 MB file is never held whole, however much XML
it unpacks to. DOCX: the body (paragraphs numbered as the user sees them, tables numbered), headers, footers,
footnotes, endnotes and comments, and the document properties; text from w:t and w:delText (deleted text with
changes tracked is still in the file). XLSX: the sheet names, the shared strings (only the indexes of those with
a number are kept), then each sheet in the workbook's order with its name from xl/workbook.xml and its part from
the workbook's relationships: strings, numbers, formulas, headers and footers; a number shown with an 11-digit
«00000000000» format is read with its leading zero. ODT: content.xml, the headers and footers in styles.xml,
meta.xml. A DTD or entity declaration is refused: no office program writes one, and it is how XML bombs work.

A zip bomb is refused before it is unpacked (Unreadable): more than MAX_MEMBERS members (counted from the end
record, before the central directory is read into memory), a part whose declared size is MAX_RATIO times its
packed size (above RATIO_FLOOR), or more than MAX_UNPACKED bytes read in all (counted as they are read, the
declared sizes being bounds zipfile holds each part to). Encrypted members, or an ODT whose manifest says it is
encrypted, are Unreadable too, and so is any error from zipfile, zlib or expat: never a 500."""

from __future__ import annotations

import logging
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from xml.parsers import expat

from samordna.attachments.content.kinds import KINDS, Kind, Unreadable, damaged, encrypted
from samordna.attachments.content.text import OVERLAP, first_number
from samordna.i18n import N_
from samordna.i18n import gettext as _

log = logging.getLogger("samordna.attachments")

READ = 64 * 1024  # bytes of a part fed to expat at a time
BLOCK = 1 << 20  # characters of one paragraph or cell run held before it is checked in pieces
MAX_MEMBERS = 10_000
MAX_UNPACKED = 512 * 1024 * 1024  # bytes of XML read from one file in all
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024  # parts that unpack to less than this are not judged by their ratio

ODT_MIME = b"application/vnd.oasis.opendocument.text"
_MAIN_PART = {
    "docx": ("/word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xlsx": ("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
}
_BY_GUESS = {KINDS[name].mime: name for name in ("docx", "xlsx", "odt")}
_EOCD = b"PK\x05\x06"
H = TypeVar("H", bound="_Handler")

# ---------------------------------------------------------------- what it is


def kind_of(path: Path, guessed_mime: str | None) -> Kind | None:
    """DOCX, XLSX or ODT if the zip at `path` is one, by its members; None for any other zip. A zip that cannot
    be opened keeps the kind its first bytes suggested, so that reading it reports it damaged."""
    fallback = KINDS[_BY_GUESS[guessed_mime]] if guessed_mime in _BY_GUESS else None
    try:
        with _opened(path) as z:
            return _kind_by_members(z)
    except Unreadable:
        return fallback
    except (
        zipfile.BadZipFile,
        zlib.error,
        expat.ExpatError,
        EOFError,
        RuntimeError,
        NotImplementedError,
        ValueError,
        struct.error,
    ):
        return fallback


def _kind_by_members(z: zipfile.ZipFile) -> Kind | None:
    names = set(z.namelist())
    found = [
        name
        for name, present in (
            ("docx", "word/document.xml" in names),
            ("xlsx", "xl/workbook.xml" in names),
            ("odt", "mimetype" in names and _small(z, "mimetype").strip() == ODT_MIME),
        )
        if present
    ]
    if len(found) != 1:
        return None
    name = found[0]
    if name in _MAIN_PART and not _main_type_fits(z, name):
        return None
    return KINDS[name]


def _small(z: zipfile.ZipFile, name: str, limit: int = 1024 * 1024) -> bytes:
    """A small member whole (b"" when it is larger than `limit` or encrypted)."""
    info = z.getinfo(name)
    if info.file_size > limit or info.flag_bits & 0x1:
        return b""
    return z.read(info)


def _main_type_fits(z: zipfile.ZipFile, name: str) -> bool:
    """Does [Content_Types].xml give the main part the type of a plain document or workbook? (True when it
    cannot be read because it is encrypted: the scan then says the file is.)"""
    part, wanted = _MAIN_PART[name]
    try:
        info = z.getinfo("[Content_Types].xml")
    except KeyError:
        return False
    if info.flag_bits & 0x1:
        return True
    types = _ContentTypes()
    parser = _parser(types)
    parser.Parse(_small(z, "[Content_Types].xml"), True)
    given = types.overrides.get(part.lower()) or types.defaults.get("xml")
    return given == wanted


# ---------------------------------------------------------------- what it says


def find_national_id(path: Path, kind: Kind) -> str | None:
    """Where in the document the first national identity number is (in words), or None."""
    with _reading(), _opened(path) as z:
        reader = _Reader(z)
        return {"docx": _docx, "xlsx": _xlsx, "odt": _odt}[kind.name](reader)


@contextmanager
def _reading() -> Iterator[None]:
    """Whatever a damaged or hostile zip makes zipfile, zlib or expat raise, as Unreadable."""
    try:
        yield
    except Unreadable:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        expat.ExpatError,
        EOFError,
        RuntimeError,
        NotImplementedError,
        ValueError,
        KeyError,
        IndexError,
        struct.error,
        UnicodeDecodeError,
    ) as exc:
        log.info("attachment not readable: %s: %s", type(exc).__name__, exc)
        raise damaged() from None


@contextmanager
def _opened(path: Path) -> Iterator[zipfile.ZipFile]:
    """The zip, after its end record says it has at most MAX_MEMBERS members."""
    if _member_count(path) > MAX_MEMBERS:
        raise _too_many()
    with zipfile.ZipFile(path) as z:
        if len(z.infolist()) > MAX_MEMBERS:  # the end record can understate them
            raise _too_many()
        yield z


def _member_count(path: Path) -> int:
    """The number of members the end of central directory record gives (65535 for a ZIP64 file: more than an
    office file has)."""
    with open(path, "rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - 22 - 65535))
        tail = f.read()
    at = tail.rfind(_EOCD)
    if at < 0 or at + 22 > len(tail):
        raise zipfile.BadZipFile("no end of central directory record")
    return struct.unpack_from("<H", tail, at + 10)[0]


class _Reader:
    """Reads parts of one zip through expat handlers, within the limits."""

    def __init__(self, z: zipfile.ZipFile) -> None:
        self.z = z
        self.names = set(z.namelist())
        self.left = MAX_UNPACKED

    def has(self, name: str) -> bool:
        return name in self.names

    def parts(self, pattern: str) -> list[str]:
        """The members whose names match `pattern` wholly, in natural order (header2 before header10)."""
        rx = re.compile(pattern)
        return sorted((n for n in self.names if rx.fullmatch(n)), key=_natural)

    def parse(self, name: str, handler: H) -> H:
        """Feed the part through `handler` until it is done or the part ends."""
        info = self.z.getinfo(name)
        if info.flag_bits & 0x1:
            raise encrypted()
        if info.file_size > self.left:
            raise _too_large()
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise Unreadable(_("filen er pakket unormalt tett og ser ut som en zip-bombe."))
        parser = _parser(handler)
        with self.z.open(info) as f:
            while handler.found is None and (chunk := f.read(READ)):
                self.left -= len(chunk)
                if self.left < 0:
                    raise _too_large()
                parser.Parse(chunk, False)
            if handler.found is None:
                parser.Parse(b"", True)
        return handler


def _too_many() -> Unreadable:
    return Unreadable(_("filen består av for mange deler (over {n}).").format(n=MAX_MEMBERS))


def _too_large() -> Unreadable:
    return Unreadable(
        _("innholdet blir for stort når filen pakkes ut (over {mb} MB).").format(mb=MAX_UNPACKED // (1024 * 1024))
    )


def _natural(name: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def _parser(handler: _Handler) -> Any:
    """An expat parser with namespaces resolved (handlers look their element names up in LOCAL, so prefixes and
    ISO «strict» OOXML namespaces do not matter) that refuses DTDs and entity declarations. The handler's
    methods are expat's callbacks themselves: a sheet of millions of cells makes tens of millions of calls."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.buffer_size = READ
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.data
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    return parser


class _LocalNames(dict[str, str]):
    """«namespace local» → «local», cached (bounded: a hostile part may use any number of names)."""

    def __missing__(self, name: str) -> str:
        local = name.rpartition(" ")[2]
        if len(self) < 4096:
            self[name] = local
        return local


LOCAL = _LocalNames()


def _refuse(*_args: object) -> None:
    raise damaged()


def _attr(attrs: Mapping[str, str], local: str) -> str | None:
    """An attribute by its local name, whatever its namespace."""
    if local in attrs:
        return attrs[local]
    suffix = " " + local
    return next((v for k, v in attrs.items() if k.endswith(suffix)), None)


# ---------------------------------------------------------------- text assembled from XML


class _Text:
    """The text of one paragraph, cell run or string as it is assembled; checked in pieces when it grows past
    BLOCK characters (the last OVERLAP kept, as for text files)."""

    __slots__ = ("parts", "size", "spilled")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.spilled = False

    def add(self, s: str) -> None:
        self.parts.append(s)
        self.size += len(s)

    def full(self) -> bool:
        return self.size > BLOCK

    def spill(self) -> bool:
        """Check what is held (more follows) and keep its end: True if it holds a number."""
        text = "".join(self.parts)
        found = first_number(text, at_start=not self.spilled, at_end=False) is not None
        tail = text[-OVERLAP:]
        self.parts, self.size, self.spilled = [tail], len(tail), True
        return found

    def finish(self) -> bool:
        return first_number("".join(self.parts), at_start=not self.spilled, at_end=True) is not None

    def blank(self) -> bool:
        return not self.spilled and not "".join(self.parts).strip()


class _Handler:
    """Receives one part's elements (their names as expat gives them: LOCAL[name] is the local name) and text;
    sets `found` (where, in words) to stop reading."""

    found: str | None = None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        pass

    def end(self, name: str) -> None:
        pass

    def data(self, text: str) -> None:
        pass


class _ContentTypes(_Handler):
    def __init__(self) -> None:
        self.overrides: dict[str, str] = {}
        self.defaults: dict[str, str] = {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        name = LOCAL[name]
        if name == "Override":
            self.overrides[(attrs.get("PartName") or "").lower()] = attrs.get("ContentType") or ""
        elif name == "Default":
            self.defaults[(attrs.get("Extension") or "").lower()] = attrs.get("ContentType") or ""


class _Properties(_Handler):
    """Document properties (docProps/core.xml, meta.xml): each element's own text."""

    def __init__(self) -> None:
        self.stack: list[_Text] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        name = LOCAL[name]
        self.stack.append(_Text())

    def end(self, name: str) -> None:
        name = LOCAL[name]
        text = self.stack.pop()
        if self.found is None and text.finish():
            self.found = _("dokumentegenskapene")

    def data(self, text: str) -> None:
        if self.stack:
            top = self.stack[-1]
            top.add(text)
            if top.full() and top.spill():
                self.found = _("dokumentegenskapene")


@dataclass(frozen=True)
class _Dialect:
    """How a word processor's XML holds paragraphs."""

    paragraphs: frozenset[str]
    text: frozenset[str] | None  # the elements whose characters are text (None: all inside a paragraph)
    skip: frozenset[str]  # elements inside a paragraph whose characters are not its text
    breaks: Mapping[str, str]  # empty elements that stand for a character
    table: str
    contexts: Mapping[str, str] = field(default_factory=dict)  # elements whose paragraphs have a «where» of their own
    context_of: Callable[[str, dict[str, str]], str | None] = lambda name, attrs: None


def _odf_context(name: str, attrs: dict[str, str]) -> str | None:
    if name == "note":
        return N_("en sluttnote") if _attr(attrs, "note-class") == "endnote" else N_("en fotnote")
    return None


WORD = _Dialect(
    paragraphs=frozenset({"p"}),
    text=frozenset({"t", "delText"}),
    skip=frozenset(),
    breaks={"tab": "\t", "br": "\n", "cr": "\n"},
    table="tbl",
    contexts={"txbxContent": N_("en tekstboks")},
)
ODF = _Dialect(
    paragraphs=frozenset({"p", "h"}),
    text=None,
    skip=frozenset({"note-citation", "creator", "date"}),
    breaks={"tab": "\t", "line-break": "\n", "s": " "},
    table="table",
    contexts={
        "annotation": N_("en kommentar"),
        "text-box": N_("en tekstboks"),
        **{f"header{s}": N_("topptekst") for s in ("", "-left", "-first")},
        **{f"footer{s}": N_("bunntekst") for s in ("", "-left", "-first")},
    },
    context_of=_odf_context,
)


class _Paragraphs(_Handler):
    """The paragraphs of a word-processing part, each checked when it ends. Where: the innermost context
    (header, note, comment, text box …), else the part's own (`where`), else «tabell N» in a table, else «avsnitt
    N» counting the paragraphs with text in the body."""

    def __init__(self, dialect: _Dialect, where: str | None = None) -> None:
        self.d = dialect
        self.where = where
        self.stack: list[_Text] = []
        self.contexts: list[tuple[str, str]] = []
        self.text_depth = 0
        self.skip_depth = 0
        self.table_depth = 0
        self.tables = 0
        self.paragraphs = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        name = LOCAL[name]
        d = self.d
        context = d.contexts.get(name) or d.context_of(name, attrs)
        if context is not None:
            self.contexts.append((name, context))
        if name in d.paragraphs:
            self.stack.append(_Text())
        elif d.text is not None and name in d.text:
            self.text_depth += 1
        elif name in d.skip:
            self.skip_depth += 1
        elif name in d.breaks:
            self._add(d.breaks[name])
        elif name == d.table:
            self.tables += self.table_depth == 0
            self.table_depth += 1

    def end(self, name: str) -> None:
        name = LOCAL[name]
        d = self.d
        if name in d.paragraphs and self.stack:
            text = self.stack.pop()
            where = self._where(nested=bool(self.stack), blank=text.blank())
            if self.found is None and text.finish():
                self.found = where
        elif d.text is not None and name in d.text:
            self.text_depth -= 1
        elif name in d.skip:
            self.skip_depth -= 1
        elif name == d.table:
            self.table_depth -= 1
        if self.contexts and self.contexts[-1][0] == name:
            self.contexts.pop()

    def data(self, text: str) -> None:
        if not self.skip_depth and (self.d.text is None or self.text_depth):
            self._add(text)

    def _add(self, s: str) -> None:
        if not self.stack:
            return
        top = self.stack[-1]
        top.add(s)
        if top.full() and top.spill() and self.found is None:
            self.found = self._where(nested=len(self.stack) > 1, blank=False, counting=False)

    def _where(self, *, nested: bool, blank: bool, counting: bool = True) -> str:
        if self.contexts:
            return _(self.contexts[-1][1])
        if self.where is not None:
            return self.where
        if self.table_depth:
            return _("tabell {n}").format(n=self.tables)
        if nested:
            return _("en tekstboks")
        if counting and not blank:
            self.paragraphs += 1
            return _("avsnitt {n}").format(n=self.paragraphs)
        return _("avsnitt {n}").format(n=self.paragraphs + (not counting))


# ---------------------------------------------------------------- DOCX


def _docx(r: _Reader) -> str | None:
    parts: list[tuple[str, str | None]] = [("word/document.xml", None)]
    parts += [(p, _("topptekst")) for p in r.parts(r"word/header\d*\.xml")]
    parts += [(p, _("bunntekst")) for p in r.parts(r"word/footer\d*\.xml")]
    parts += [("word/footnotes.xml", _("en fotnote")), ("word/endnotes.xml", _("en sluttnote"))]
    parts += [("word/comments.xml", _("en kommentar"))]
    for part, where in parts:
        if part == "word/document.xml" or r.has(part):
            if found := r.parse(part, _Paragraphs(WORD, where)).found:
                return found
    return _properties(r, "docProps/core.xml")


def _properties(r: _Reader, part: str) -> str | None:
    return r.parse(part, _Properties()).found if r.has(part) else None


# ---------------------------------------------------------------- ODT


def _odt(r: _Reader) -> str | None:
    if r.has("META-INF/manifest.xml") and r.parse("META-INF/manifest.xml", _Manifest()).found:
        raise encrypted()
    if found := r.parse("content.xml", _Paragraphs(ODF)).found:
        return found
    if r.has("styles.xml") and (found := r.parse("styles.xml", _Paragraphs(ODF, _("en topp- eller bunntekst"))).found):
        return found
    return _properties(r, "meta.xml")


class _Manifest(_Handler):
    """Sets `found` when a member is encrypted (ODF encrypts members itself, not with the zip's flag)."""

    def start(self, name: str, attrs: dict[str, str]) -> None:
        name = LOCAL[name]
        if name == "encryption-data":
            self.found = "encrypted"


# ---------------------------------------------------------------- XLSX


def _xlsx(r: _Reader) -> str | None:
    book = r.parse("xl/workbook.xml", _Workbook())
    rels = _relationships(r, "xl/_rels/workbook.xml.rels", base="xl")
    for name, _rid in book.sheets:
        if first_number(name, at_start=True, at_end=True) is not None:
            return _("navnet på et ark")
    flagged: set[int] = set()
    strings = next((t for kind, t in rels.values() if kind == "sharedStrings"), "xl/sharedStrings.xml")
    if r.has(strings):
        flagged = r.parse(strings, _SharedStrings()).flagged
    styles = next((t for kind, t in rels.values() if kind == "styles"), "xl/styles.xml")
    padded = r.parse(styles, _Styles()).eleven_digits() if r.has(styles) else set()
    for name, rid in book.sheets:
        kind, target = rels.get(rid or "", ("", ""))
        if kind == "worksheet" and r.has(target) and r.parse(target, _Sheet(flagged, padded)).found:
            return _("arket «{name}»").format(name=name)
    if flagged:  # a string no sheet shows any more is still in the file
        return _("arbeidsboken")
    for part in r.parts(r"xl/comments\d*\.xml") + r.parts(r"xl/threadedComments/[^/]+\.xml"):
        if r.parse(part, _Comments()).found:
            return _("en kommentar")
    return _properties(r, "docProps/core.xml")


def _relationships(r: _Reader, part: str, *, base: str) -> dict[str, tuple[str, str]]:
    """Id → (the last word of the relationship's type, the member it points to)."""
    if not r.has(part):
        return {}
    rels = r.parse(part, _Relationships())
    out: dict[str, tuple[str, str]] = {}
    for rid, (kind, target) in rels.items.items():
        path = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
        out[rid] = (kind.rpartition("/")[2], path)
    return out


class _Workbook(_Handler):
    def __init__(self) -> None:
        self.sheets: list[tuple[str, str | None]] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        name = LOCAL[name]
        if name == "sheet":
            self.sheets.append((attrs.get("name") or "", _attr(attrs, "id")))


class _Relationships(_Handler):
    def __init__(self) -> None:
        self.items: dict[str, tuple[str, str]] = {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        name = LOCAL[name]
        if name == "Relationship" and attrs.get("TargetMode") != "External":
            self.items[attrs.get("Id") or ""] = (attrs.get("Type") or "", attrs.get("Target") or "")


class _SharedStrings(_Handler):
    """The indexes of the shared strings that hold a number; never stops early (sheets refer to them)."""

    def __init__(self) -> None:
        self.flagged: set[int] = set()
        self.index = -1
        self.text: _Text | None = None
        self.in_t = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        name = LOCAL[name]
        if name == "si":
            self.index += 1
            self.text = _Text()
        elif name == "t":
            self.in_t += 1

    def end(self, name: str) -> None:
        name = LOCAL[name]
        if name == "si" and self.text is not None:
            if self.text.finish():
                self.flagged.add(self.index)
            self.text = None
        elif name == "t":
            self.in_t -= 1

    def data(self, text: str) -> None:
        if self.text is not None and self.in_t:
            self.text.add(text)
            if self.text.full() and self.text.spill():
                self.flagged.add(self.index)


class _Styles(_Handler):
    """Which cell styles show a number with an 11-digit format (a fødselsnummer typed as a number keeps its
    leading zero on screen)."""

    def __init__(self) -> None:
        self.formats: dict[str, str] = {}
        self.cell_formats: list[str] = []
        self.in_cell_xfs = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        name = LOCAL[name]
        if name == "numFmt":
            self.formats[attrs.get("numFmtId") or ""] = attrs.get("formatCode") or ""
        elif name == "cellXfs":
            self.in_cell_xfs = True
        elif name == "xf" and self.in_cell_xfs:
            self.cell_formats.append(attrs.get("numFmtId") or "0")

    def end(self, name: str) -> None:
        name = LOCAL[name]
        if name == "cellXfs":
            self.in_cell_xfs = False

    def eleven_digits(self) -> set[int]:
        return {i for i, fmt in enumerate(self.cell_formats) if _eleven_zeros(self.formats.get(fmt, ""))}


def _eleven_zeros(code: str) -> bool:
    """True for a number format that shows an integer as 11 digits («00000000000», «000000 00000»)."""
    section = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code.split(";")[0])
    return section.count("0") == 11 and not re.search(r"[#?.Ee]", section)


_SHEET_TEXT = frozenset({"t", "f", "oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader", "firstFooter"})


class _Sheet(_Handler):
    """A worksheet's cells: strings inline and shared (by index), numbers as shown, formulas, headers and
    footers. Cells are joined a line each and checked BLOCK characters at a time."""

    def __init__(self, flagged: set[int], padded: set[int]) -> None:
        self.flagged = flagged
        self.padded = padded
        self.text = _Text()
        self.value: list[str] = []
        self.cell_type: str | None = None
        self.cell_style = 0
        self.in_value = False
        self.in_text = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        name = LOCAL[name]
        if name == "v":
            self.in_value = True
        elif name == "c":
            self.cell_type = attrs.get("t")
            style = attrs.get("s")
            self.cell_style = int(style) if style and style.isdigit() else 0
        elif name in _SHEET_TEXT:
            self.in_text += 1

    def end(self, name: str) -> None:
        name = LOCAL[name]
        if name == "v":
            self.in_value = False
        elif name == "c":
            self._cell("".join(self.value))
            self.value.clear()
        elif name in _SHEET_TEXT:
            self.in_text -= 1
            if name != "t":  # the runs of a rich text string are one string
                self._add("\n")
        elif name in ("worksheet", "sheetData") and self.found is None and self.text.finish():
            self.found = "sheet"
            self.text = _Text()

    def data(self, text: str) -> None:
        if self.in_value:
            self.value.append(text)
        elif self.in_text:
            self._add(text)

    def _cell(self, value: str) -> None:
        kind = self.cell_type
        if kind == "s":
            if value.isdigit() and int(value) in self.flagged:
                self.found = "sheet"
            return
        if kind in (None, "n"):
            value = _shown(value, self.cell_style in self.padded)
        self._add(value + "\n")

    def _add(self, s: str) -> None:
        text = self.text  # text.add and text.full, inlined: called for every cell
        text.parts.append(s)
        text.size += len(s)
        if text.size > BLOCK and text.spill():
            self.found = "sheet"


def _shown(value: str, padded: bool) -> str:
    """A number cell's value as Excel shows it, near enough: integers without a fraction or exponent (a stored
    3.1129912345E10 is 31129912345), to 11 digits with leading zeros in an 11-digit format."""
    if "." in value or "E" in value or "e" in value:
        try:
            number = float(value)
        except ValueError:
            return value
        if not number.is_integer() or abs(number) >= 1e15:
            return value
        value = str(int(number))
    if padded and value.isdigit() and len(value) < 11:
        return value.zfill(11)
    return value


class _Comments(_Handler):
    """Cell comments (legacy and threaded): all their text."""

    def __init__(self) -> None:
        self.text = _Text()

    def data(self, text: str) -> None:
        self.text.add(text)
        if self.text.full() and self.text.spill():
            self.found = "comment"

    def end(self, name: str) -> None:
        name = LOCAL[name]
        if name in ("comment", "threadedComment") and self.found is None:
            if self.text.finish():
                self.found = "comment"
            self.text = _Text()
