"""Real files of every kind Samordna takes as an attachment, built in memory for the tests (content checks, the
upload routes over HTTP, the browser). Each builder returns the file's bytes, made by the library a user's own
program would use (reportlab, python-docx, XlsxWriter, Pillow) or, for ODT, written by hand as the standard says,
so the tests read files shaped like real ones rather than strings that merely start with the right magic.

`national_id()` is the one valid test fødselsnummer generator (tests.factories), re-exported here."""

from __future__ import annotations

import csv as _csv
import io
import struct
import zipfile
from collections.abc import Iterable, Mapping, Sequence

from tests.factories import national_id

__all__ = [
    "GPS",
    "csv",
    "damaged",
    "docx",
    "encrypted_zip",
    "jpeg",
    "national_id",
    "odt",
    "pdf",
    "png",
    "txt",
    "with_members",
    "xlsx",
    "zip_bomb",
    "zip_of",
]

GPS = {1: "N", 2: (59.0, 54.0, 30.0), 3: "E", 4: (10.0, 45.0, 15.0)}  # somewhere in Oslo, as EXIF writes it
_GPS_IFD = 0x8825
_ORIENTATION = 0x0112
ODT_MIME = b"application/vnd.oasis.opendocument.text"


# ---------------------------------------------------------------- documents


def pdf(text_by_page: Sequence[str], *, user_password: str | None = None, title: str | None = None) -> bytes:
    """A PDF with one page per string (lines split on newlines), its text extractable. `user_password`: encrypted
    (reportlab's RC4-128 standard security); "" gives a PDF anyone may open but that is still encrypted."""
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    encrypt = None
    if user_password is not None:
        encrypt = StandardEncryption(user_password, ownerPassword="eier", strength=128)
    c = canvas.Canvas(buf, encrypt=encrypt, invariant=True)
    if title is not None:
        c.setTitle(title)
    for text in text_by_page:
        y = 800
        for line in text.split("\n"):
            c.drawString(72, y, line)
            y -= 16
        c.showPage()
    c.save()
    return buf.getvalue()


def docx(
    paragraphs: Sequence[str] = ("Evalueringsrapport",),
    *,
    table_cells: Sequence[Sequence[str]] | None = None,
    header: str | None = None,
    footer: str | None = None,
) -> bytes:
    """A Word document: the paragraphs, then a table of `table_cells` (rows of cells), a header and a footer."""
    from docx import Document

    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    if table_cells:
        table = doc.add_table(rows=len(table_cells), cols=max(len(r) for r in table_cells))
        for row, cells in zip(table.rows, table_cells, strict=True):
            for cell, text in zip(row.cells, cells, strict=False):
                cell.text = text
    section = doc.sections[0]
    if header is not None:
        section.header.paragraphs[0].text = header
    if footer is not None:
        section.footer.paragraphs[0].text = footer
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def xlsx(sheets: Mapping[str, Sequence[Sequence[object]]] | None = None, *, number_format: str | None = None) -> bytes:
    """An Excel workbook (XlsxWriter, as Samordna's own export): one sheet per name, rows of values (strings
    go to the shared strings table, numbers stay numbers, shown in `number_format` if given)."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    fmt = book.add_format({"num_format": number_format}) if number_format else None
    for name, rows in (sheets or {"Ark1": [["Tiltak", "Status"], ["Natteravn", "aktiv"]]}).items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if fmt is not None and isinstance(value, int | float):
                    sheet.write_number(r, c, value, fmt)
                else:
                    sheet.write(r, c, value)
    book.close()
    return buf.getvalue()


def odt(text: str | Sequence[str] = "Referat fra styringsgruppen", *, table_cells: Sequence[str] = ()) -> bytes:
    """An OpenDocument text: one paragraph per string, then a one-row table of `table_cells`. Written by hand
    as ODF 1.2 says: the `mimetype` member first and stored, then the manifest and content."""
    paragraphs = [text] if isinstance(text, str) else list(text)
    body = "".join(f"<text:p>{_xml(p)}</text:p>" for p in paragraphs)
    if table_cells:
        cells = "".join(
            f'<table:table-cell office:value-type="string"><text:p>{_xml(c)}</text:p></table:table-cell>'
            for c in table_cells
        )
        body += (
            '<table:table table:name="Tabell1">'
            f'<table:table-column table:number-columns-repeated="{len(table_cells)}"/>'
            f"<table:table-row>{cells}</table:table-row></table:table>"
        )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2">'
        f"<office:body><office:text>{body}</office:text></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODT_MIME.decode()}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), ODT_MIME, compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def txt(text: str = "Notater fra møtet\nAlt gikk bra.\n", *, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def csv(rows: Iterable[Sequence[object]] | None = None, *, delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    """A CSV file as Norwegian Excel writes it: semicolons by default."""
    out = io.StringIO(newline="")
    writer = _csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(rows if rows is not None else [["Skole", "Antall"], ["Bø skole", 12], ["Å skole", 7]])
    return out.getvalue().encode(encoding)


# ---------------------------------------------------------------- images


def _picture(width: int, height: int):  # -> PIL.Image.Image
    """Left half red, right half blue: a picture whose orientation can be told after a rotation."""
    from PIL import Image

    img = Image.new("RGB", (width, height), (220, 30, 30))
    img.paste((30, 30, 220), (width // 2, 0, width, height))
    return img


def _exif(*, gps: bool, orientation: int):
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "Telefonprodusent"  # Make
    exif[0x0110] = "Modell 7"  # Model
    if orientation != 1:
        exif[_ORIENTATION] = orientation
    if gps:
        exif.get_ifd(_GPS_IFD).update(GPS)
    return exif


def png(with_exif_gps: bool = False, *, text: str | None = None, size: tuple[int, int] = (40, 20)) -> bytes:
    """A PNG; `with_exif_gps`: an eXIf chunk with a camera and GPS position, and a tEXt comment; `text`: a tEXt
    chunk of its own. Without either, nothing but the image (IHDR, IDAT, IEND)."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    kwargs: dict[str, object] = {}
    if with_exif_gps:
        kwargs["exif"] = _exif(gps=True, orientation=1)
        info.add_text("Comment", "Tatt på Grünerløkka")
    if text is not None:
        info.add_text("Description", text)
    buf = io.BytesIO()
    _picture(*size).save(buf, "PNG", pnginfo=info, **kwargs)
    return buf.getvalue()


def jpeg(with_gps: bool = False, *, orientation: int = 1, comment: bytes | None = None) -> bytes:
    """A 40×20 JPEG as a camera shot it (EXIF with make and model); `with_gps`: a GPS position in the EXIF;
    `orientation`: the EXIF orientation tag (6: the camera was turned, show it rotated 90° clockwise); without
    any of these, a bare JPEG (JFIF only)."""
    buf = io.BytesIO()
    kwargs: dict[str, object] = {"quality": 90}
    if with_gps or orientation != 1:
        kwargs["exif"] = _exif(gps=with_gps, orientation=orientation)
    if comment is not None:
        kwargs["comment"] = comment
    _picture(40, 20).save(buf, "JPEG", **kwargs)
    return buf.getvalue()


# ---------------------------------------------------------------- traps


def zip_of(members: Mapping[str, bytes | str]) -> bytes:
    """A plain zip of the given members (deflated)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def with_members(data: bytes, members: Mapping[str, bytes | str]) -> bytes:
    """The zip `data` with the given members replaced or added (the others copied as they were, in order)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info, members[info.filename] if info.filename in members else old.read(info))
        for name, content in members.items():
            if name not in old.namelist():
                new.writestr(name, content)
    return buf.getvalue()


def zip_bomb(megabytes: int = 64) -> bytes:
    """A DOCX whose document.xml unpacks to `megabytes` MB of spaces from a few kilobytes (ratio about 1000)."""
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
    )
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    body = head + b" " * (megabytes * 1024 * 1024) + tail
    original = zipfile.ZipFile(io.BytesIO(docx()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in original.infolist():
            data = body if info.filename == "word/document.xml" else original.read(info)
            z.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buf.getvalue()


def encrypted_zip(data: bytes) -> bytes:
    """The zip `data` with every member marked encrypted (bit 0 of the general purpose flags, in the local
    headers and the central directory), as a password-protecting zip tool leaves it."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            struct.pack_into("<H", out, info.header_offset + 6, info.flag_bits | 0x1)
    pos = out.find(b"PK\x01\x02")
    while pos != -1:
        (flags,) = struct.unpack_from("<H", out, pos + 8)
        struct.pack_into("<H", out, pos + 8, flags | 0x1)
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


def damaged(data: bytes, *, member: str | None = None) -> bytes:
    """The file with its bytes spoilt: in the middle of the zip member `member` (its CRC no longer matches),
    or, without a member, cut off at two thirds."""
    if member is None:
        return data[: len(data) * 2 // 3]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(member)
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    middle = start + info.compress_size // 2
    out = bytearray(data)
    for i in range(middle, min(middle + 16, start + info.compress_size)):
        out[i] ^= 0x5A
    return bytes(out)


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
