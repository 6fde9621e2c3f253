"""Shared helpers for the attachment tests over HTTP (tests/attachments/): the kinds Samordna takes with a real
file of each, a multipart body written by hand (for what httpx will not send: a quote or a newline in a file
name, a body cut off before its closing boundary), and what is kept under the data directory. No tests here.

Files get onto a measure through the API or a browser's form, as a user's would; what is looked at afterwards
(rows, the files on disk) is read through the services and the storage, never through the routes under test."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from samordna.attachments.storage import Storage
from samordna.services import Services
from samordna.store.models import Attachment
from tests.attachments import files


@dataclass(frozen=True)
class Kind:
    name: str  # as the API's `kind` says it
    filename: str  # the name it is uploaded under (non-ASCII, as users name their files)
    content_type: str  # as the metadata and the download's Content-Type say it
    build: Callable[[], bytes]


KINDS = [
    Kind("pdf", "Evalueringsrapport Åsen skole.pdf", "application/pdf", lambda: files.pdf(["Evaluering", "Side to"])),
    Kind(
        "docx",
        "Ungdata-sammendrag Ås.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        lambda: files.docx(["Ungdata 2026", "Funn på gruppenivå"], table_cells=[["Trinn", "Andel"], ["8.", "12 %"]]),
    ),
    Kind(
        "xlsx",
        "Tall fra skolene – høst.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        lambda: files.xlsx({"Oversikt": [["Skole", "Antall"], ["Bø skole", 12]]}),
    ),
    Kind("odt", "Referat styringsgruppen.odt", "application/vnd.oasis.opendocument.text", lambda: files.odt()),
    Kind("png", "Plakat for natteravn.png", "image/png", lambda: files.png()),
    Kind("jpeg", "Bilde fra åpningen.jpg", "image/jpeg", lambda: files.jpeg()),
    Kind("txt", "Notater fra møtet.txt", "text/plain; charset=utf-8", lambda: files.txt()),
    Kind("csv", "Deltakere per trinn.csv", "text/csv; charset=utf-8", lambda: files.csv()),
]
ACCEPTED = [k.content_type.split(";")[0] for k in KINDS]


def multipart(
    parts: list[tuple[bytes, bytes]], *, boundary: bytes | None = None, close: bool = True
) -> tuple[bytes, str]:
    """A multipart/form-data body of `parts` (the Content-Disposition header's parameters, exactly as given, and
    the content); `close=False` leaves out the closing boundary. (body, its Content-Type)."""
    boundary = boundary or uuid.uuid4().hex.encode()
    body = b"".join(
        b"--" + boundary + b"\r\nContent-Disposition: form-data; " + disposition + b"\r\n\r\n" + content + b"\r\n"
        for disposition, content in parts
    )
    if close:
        body += b"--" + boundary + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary.decode()}"


def file_part(filename: bytes, content: bytes, name: bytes = b"file") -> tuple[bytes, bytes]:
    return b'name="' + name + b'"; filename="' + filename + b'"', content


def field_part(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    return b'name="' + name + b'"', value


def storage(samordna: Services) -> Storage:
    return samordna.attachments.storage


def kept_files(samordna: Services) -> dict[str, Path]:
    """The files under the data directory's attachments/, by name (each named by its SHA-256)."""
    root = storage(samordna).files_dir
    return {p.name: p for p in root.rglob("*") if p.is_file()} if root.is_dir() else {}


def temporary_files(samordna: Services) -> list[Path]:
    """Uploads under way or left behind under the data directory's tmp/."""
    tmp = storage(samordna).tmp_dir
    return sorted(tmp.iterdir()) if tmp.is_dir() else []


def rows(samordna: Services) -> list[dict[str, Any]]:
    """Every attachment row, removed and purged ones too, oldest first."""
    table = Attachment.__table__
    with samordna.db.read() as s:
        return [dict(r) for r in s.execute(select(table).order_by(table.c.id)).mappings()]


def empty_data_dir(samordna: Services) -> None:
    """Remove every kept and temporary file: the data directory is the session's, its rows are emptied before
    each test, so each test starts with no files as it starts with no rows."""
    for folder in (storage(samordna).files_dir, storage(samordna).tmp_dir):
        if folder.is_dir():
            shutil.rmtree(folder)
