"""The kinds of file Samordna takes, what the checks report, and why a file could not be read: shared by the
modules that sniff and read each kind. The reasons are Norwegian sentences the user reads after ««fil» kunne
ikke leses:», so each says what is wrong and, where it can, what to do."""

from __future__ import annotations

from dataclasses import dataclass, replace

from samordna.i18n import N_
from samordna.i18n import gettext as _


@dataclass(frozen=True)
class Kind:
    """A kind of file: its short name (stored with the attachment), its media type, its label for people (bokmål
    message id, translated by `accepted_labels`), its usual extension, and whether it is an image."""

    name: str
    mime: str
    label: str
    extension: str
    image: bool


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("pdf", "application/pdf", N_("PDF"), ".pdf", False),
        Kind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            N_("Word (DOCX)"),
            ".docx",
            False,
        ),
        Kind(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            N_("Excel (XLSX)"),
            ".xlsx",
            False,
        ),
        Kind("odt", "application/vnd.oasis.opendocument.text", N_("OpenDocument-tekst (ODT)"), ".odt", False),
        Kind("png", "image/png", N_("PNG-bilde"), ".png", True),
        Kind("jpeg", "image/jpeg", N_("JPEG-bilde"), ".jpg", True),
        Kind("txt", "text/plain; charset=utf-8", N_("Tekst (TXT)"), ".txt", False),
        Kind("csv", "text/csv; charset=utf-8", N_("CSV"), ".csv", False),
    )
}

# Text saved by Windows programs in their «ANSI» code page (Excel's «CSV (semikolondelt)» on a Norwegian
# Windows): the same kinds, kept byte for byte, with the charset they are really in.
WINDOWS_1252 = "windows-1252"
LEGACY_TEXT: dict[str, Kind] = {
    name: replace(KINDS[name], mime=KINDS[name].mime.replace("utf-8", WINDOWS_1252)) for name in ("txt", "csv")
}


def charset(kind: Kind) -> str:
    """The charset a text kind is in (utf-8 or windows-1252)."""
    return kind.mime.partition("charset=")[2] or "utf-8"


@dataclass(frozen=True)
class Finding:
    """Where a national identity number was found, in words for the user («side 3», «arket «Elever»», «linje 12»):
    never the number itself."""

    where: str


class Unreadable(Exception):
    """The file is of an accepted kind but cannot be read through: damaged, encrypted, or built to exhaust the
    reader. Its str is the reason in the current language."""


def damaged() -> Unreadable:
    return Unreadable(_("filen er skadet eller ufullstendig. Lagre den på nytt og last den opp igjen."))


def encrypted() -> Unreadable:
    return Unreadable(_("filen er kryptert eller passordbeskyttet. Fjern passordet og last den opp på nytt."))
