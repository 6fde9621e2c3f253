"""PDF: the text of each page, the notes on it, the form fields and the document properties, through the
confidentiality guard, read with pypdf.

The reader is always used as a context manager: without it pypdf keeps about 22 MiB per file alive until the
garbage collector finds it. pypdf bounds what one stream may unpack to (LimitReachedError, Unreadable here).

A PDF anyone can open (encrypted with an empty user password, as many «secured» PDFs are, only to restrict
printing or copying) is read like any other; pypdf needs `cryptography` for the AES ones. One that asks for a
password cannot be checked, so it is refused (Unreadable): the user removes the password and uploads it again.

pypdf meets damaged and hostile files with a wide range of exceptions (its own, but also KeyError, ValueError,
RecursionError …); every one of them means the file could not be read, so all are Unreadable, never a 500.
A PDF of more than MAX_PAGES pages is refused too: reading it would hold a request for minutes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError

from samordna.attachments.content.kinds import Unreadable, damaged, encrypted
from samordna.domain.confidentiality import contains_national_id
from samordna.i18n import gettext as _

log = logging.getLogger("samordna.attachments")

# pypdf reads a page of dense text in about 20 ms and keeps what it parsed until the file is closed: 8000 such
# pages took 42 s and 180 MiB. A report, minutes or a summary has nowhere near this many.
MAX_PAGES = 2000


def find_national_id(path: Path) -> str | None:
    """Where the first national identity number is («side 3», «et skjemafelt», «dokumentegenskapene»), or None."""
    try:
        with PdfReader(path) as reader:
            _unlock(reader)
            if len(reader.pages) > MAX_PAGES:
                raise Unreadable(_("filen har for mange sider (over {n}).").format(n=MAX_PAGES))
            for n, page in enumerate(reader.pages, start=1):
                if contains_national_id(page.extract_text()) or any(map(contains_national_id, _notes(page))):
                    return _("side {n}").format(n=n)
            if any(map(contains_national_id, _field_values(reader))):
                return _("et skjemafelt")
            if any(map(contains_national_id, _properties(reader))):
                return _("dokumentegenskapene")
            return None
    except Unreadable:
        raise
    except (FileNotDecryptedError, DependencyError):
        raise encrypted() from None
    except LimitReachedError:
        raise Unreadable(_("innholdet blir for stort når filen pakkes ut.")) from None
    except Exception as exc:  # any, see the docstring
        log.info("PDF not readable: %s: %s", type(exc).__name__, exc)
        raise damaged() from None


def _unlock(reader: PdfReader) -> None:
    """Open an encrypted PDF with the empty password, as a PDF viewer does; Unreadable if it needs another."""
    if reader.is_encrypted and not reader.decrypt(""):
        raise encrypted()


def _notes(page: Any) -> Iterator[str]:
    """The text of the page's annotations (comments, sticky notes, free text)."""
    for ref in page.get("/Annots") or ():
        note = ref.get_object()
        for key in ("/Contents", "/RC"):
            value = note.get(key)
            if isinstance(value, str):
                yield value


def _field_values(reader: PdfReader) -> Iterator[str]:
    for fld in (reader.get_fields() or {}).values():
        value = fld.get("/V")
        if isinstance(value, str):
            yield value


def _properties(reader: PdfReader) -> Iterator[str]:
    for value in (reader.metadata or {}).values():
        if isinstance(value, str):
            yield value
