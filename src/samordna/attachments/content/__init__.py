"""What an uploaded file is and what it says (DESIGN.md §14, issue 13): its kind told from its content, the
confidentiality guard run over its text, an image's metadata removed. samordna.attachments.service calls these
four in that order, before it opens a transaction.

The kind comes from the bytes, never from the name or the browser's Content-Type. filetype (1.2.0) reads the first
HEAD bytes: PDF, PNG and JPEG are known by their signatures; a zip is confirmed by its members (office); whatever
filetype does not recognise may be text. The name is used for two things only: CSV or plain text (two readings of
the same bytes), and a name that claims a binary kind the content is not (text renamed «rapport.pdf») is
refused, since a user who downloads it will expect a PDF. puremagic was not used: it calls every XLSX a DOCX.

The text goes through samordna.domain.confidentiality.contains_national_id, the guard over every text field, a
piece at a time: nothing reads a whole 20 MB file into memory except pypdf, which holds the PDF's bytes. A file
that cannot be read through (damaged, encrypted, a zip bomb) raises Unreadable with the reason for the user;
no library's exception gets past this package.

The modules: kinds (the kinds, Finding, Unreadable), text (TXT, CSV), office (DOCX, XLSX, ODT), pdf, images."""

from __future__ import annotations

from pathlib import Path

import filetype

from samordna.attachments.content import images, office, pdf, text
from samordna.attachments.content.kinds import KINDS, Finding, Kind, Unreadable
from samordna.i18n import gettext as _

__all__ = ["KINDS", "Finding", "Kind", "Unreadable", "accepted_labels", "find_national_id", "sniff", "strip_metadata"]

HEAD = 8192  # bytes filetype reads
_ZIP = b"PK\x03\x04"
_BY_SIGNATURE = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpeg"}
# The extensions of the binary kinds: a file so named must be that kind by its content, not text.
_BINARY_EXTENSIONS = frozenset({".pdf", ".docx", ".xlsx", ".odt", ".png", ".jpg", ".jpeg", ".jpe", ".jfif"})


def accepted_labels() -> str:
    """The accepted kinds for people, in the current language: «PDF, Word (DOCX), …, CSV»."""
    return ", ".join(_(k.label) for k in KINDS.values())


def sniff(path: Path, filename: str) -> Kind | None:
    """The kind of the file at `path` by its content, or None when Samordna does not take it (415)."""
    with open(path, "rb") as f:
        head = f.read(HEAD)
    guess = filetype.guess(head) if head else None
    mime = guess.mime if guess is not None else None
    if mime in _BY_SIGNATURE:
        return KINDS[_BY_SIGNATURE[mime]]
    if head.startswith(_ZIP):
        return office.kind_of(path, mime)
    # Anything else may be text, whatever filetype guessed: some of its signatures are short enough to begin
    # ordinary text («ID3», «BM»), and the whole file decides.
    return text.kind_of(path, filename) if _may_be_text(filename) else None


def _may_be_text(filename: str) -> bool:
    suffix = Path(filename).suffix.lower()
    return suffix not in _BINARY_EXTENSIONS


def find_national_id(path: Path, kind: Kind) -> Finding | None:
    """Where the file holds a national identity number, or None (an image: None once it has been checked to be
    whole). Unreadable when the file cannot be read through."""
    if kind.image:
        images.check(path, kind)
        return None
    if kind.name in ("txt", "csv"):
        return text.find_national_id(path, kind)
    where = pdf.find_national_id(path) if kind.name == "pdf" else office.find_national_id(path, kind)
    return Finding(where) if where is not None else None


def strip_metadata(path: Path, kind: Kind) -> None:
    """Remove an image's metadata in place (samordna.attachments.content.images); other kinds are kept as they
    came."""
    if kind.image:
        images.strip_metadata(path, kind)
