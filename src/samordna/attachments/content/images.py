"""PNG and JPEG: checked that they are whole, and stripped of what a camera or phone writes about where, when and
with what a picture was taken, before they are stored.

Checked. A PNG is walked chunk by chunk: every CRC must match and the image data must inflate to exactly the
size its header gives, streamed, so a damaged PNG is found without the picture ever being held in memory. A JPEG
is decoded by Pillow at an eighth of its size (libjpeg reads all of the data, but holds 1/64 of the pixels), so a
cut-off or corrupted one is found. Above MAX_PIXELS an image is refused: a small file can claim a huge picture.

Stripped, without decoding the picture again when that is not needed: the file is rewritten with only the parts
that make up the picture. PNG keeps its critical chunks and the ones for colour, transparency, pixel size and
animation (_PNG_KEEP) and loses the rest: tEXt/zTXt/iTXt (comments, XMP), eXIf, tIME and private chunks. JPEG
keeps its JFIF header, the ICC colour profile (so colours stay right; it says nothing about the person), Adobe's
colour marker and everything the decoder needs, and loses EXIF (with GPS and the thumbnail), XMP, IPTC/Photoshop,
comments, C2PA and the other APPn segments, and anything after the end of the picture (a phone's second image
or motion-photo video). The picture's bytes are untouched, so nothing is lost, and a file with nothing to remove
is not rewritten at all: it is stored byte for byte as it came.

Orientation: a phone stores a picture as the sensor saw it, with an EXIF tag saying how to turn it. When that tag
says to turn it, the picture is turned with Pillow (ImageOps.exif_transpose) and saved again, before the EXIF is
dropped, so it shows upright everywhere: a JPEG is then re-encoded with its own quantisation tables, so at the
quality it had."""

from __future__ import annotations

import logging
import os
import re
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image, ImageOps, JpegImagePlugin

from samordna.attachments.content.kinds import Kind, Unreadable, damaged
from samordna.i18n import gettext as _

log = logging.getLogger("samordna.attachments")

MAX_PIXELS = 50_000_000
READ = 1 << 20
ORIENTATION = 0x0112

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_KEEP = frozenset(
    {
        *(b"IHDR", b"PLTE", b"IDAT", b"IEND"),  # the picture
        *(b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"cICP", b"mDCV", b"cLLI"),  # colour
        *(b"bKGD", b"pHYs", b"hIST", b"sPLT"),  # background, pixel size, palette use
        *(b"acTL", b"fcTL", b"fdAT"),  # animation (APNG)
    }
)
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type → samples per pixel
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))

_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")  # the next marker after entropy-coded data
_SOS, _EOI, _COM = 0xDA, 0xD9, 0xFE
_JPEG_KEEP_APP = {0xE0: b"JFIF\x00", 0xE2: b"ICC_PROFILE\x00", 0xEE: b"Adobe"}  # APPn kept when so signed


# ---------------------------------------------------------------- checked


def check(path: Path, kind: Kind) -> None:
    """Unreadable unless the image is whole and at most MAX_PIXELS."""
    if kind.name == "png":
        _check_png(path)
    else:
        _check_jpeg(path)


def _too_large() -> Unreadable:
    return Unreadable(_("bildet er for stort (over {n} megapiksler).").format(n=MAX_PIXELS // 1_000_000))


def _check_png(path: Path) -> None:
    with open(path, "rb") as f:
        if f.read(8) != _PNG_SIGNATURE:
            raise damaged()
        inflate = zlib.decompressobj()
        expected = inflated = 0
        first = True
        while True:
            ctype, length = _png_chunk_head(f)
            if first != (ctype == b"IHDR"):
                raise damaged()
            crc = zlib.crc32(ctype)
            data = b""
            for piece in _pieces(f, length):
                crc = zlib.crc32(piece, crc)
                if ctype == b"IHDR":
                    data = piece
                elif ctype == b"IDAT":
                    inflated += _inflate(inflate, piece, expected - inflated)
            if f.read(4) != struct.pack(">I", crc):
                raise damaged()
            if first:
                expected = _png_data_size(data)
                first = False
            if ctype == b"IEND":
                break
    if not inflate.eof or inflated != expected:
        raise damaged()


def _png_chunk_head(f: BinaryIO) -> tuple[bytes, int]:
    head = f.read(8)
    if len(head) < 8:
        raise damaged()
    length, ctype = struct.unpack(">I4s", head)
    if length > 0x7FFFFFFF:
        raise damaged()
    return ctype, length


def _pieces(f: BinaryIO, length: int) -> Iterator[bytes]:
    while length > 0:
        piece = f.read(min(READ, length))
        if not piece:
            raise damaged()
        length -= len(piece)
        yield piece


def _inflate(inflate: Any, data: bytes, room: int) -> int:
    """Inflate `data` in pieces, discarding them: how many bytes it gave (damaged past `room`)."""
    out = 0
    while data:
        chunk = inflate.decompress(data, READ)
        out += len(chunk)
        if out > room:
            raise damaged()
        data = inflate.unconsumed_tail
    return out


def _png_data_size(ihdr: bytes) -> int:
    """How many bytes the image data inflates to, by the header (a filter byte per row, per Adam7 pass)."""
    if len(ihdr) != 13:
        raise damaged()
    width, height, depth, colour, _compression, _filter, interlace = struct.unpack(">IIBBBBB", ihdr)
    if colour not in _CHANNELS or width == 0 or height == 0:
        raise damaged()
    if width * height > MAX_PIXELS:
        raise _too_large()
    bits = depth * _CHANNELS[colour]
    passes = _ADAM7 if interlace else ((0, 0, 1, 1),)
    size = 0
    for x0, y0, dx, dy in passes:
        w, h = -(-(width - x0) // dx), -(-(height - y0) // dy)
        if w > 0 and h > 0:
            size += h * (1 + -(-(w * bits) // 8))
    return size


def _check_jpeg(path: Path) -> None:
    try:
        with Image.open(path, formats=["JPEG", "MPO"]) as img:
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise _too_large()
            img.draft(img.mode, (max(1, width // 8), max(1, height // 8)))
            img.load()
    except Unreadable:
        raise
    except Exception as exc:  # Pillow's decoders raise OSError, SyntaxError, ValueError …: all mean damaged
        log.info("image not readable: %s: %s", type(exc).__name__, exc)
        raise damaged() from None


# ---------------------------------------------------------------- stripped


def strip_metadata(path: Path, kind: Kind) -> None:
    """Remove the image's metadata in place (see the module's docstring); a file without any is left as it is."""
    if _orientation(path) in range(2, 9):
        _upright(path, kind)
    try:
        parts = _png_parts(path) if kind.name == "png" else _jpeg_parts(path)
    except Unreadable:  # Pillow read it (check) but its structure puzzles the walk: save it again instead
        _upright(path, kind)
        return
    if parts is not None:
        _rewrite(path, parts)


def _orientation(path: Path) -> int:
    try:
        with Image.open(path, formats=["PNG", "JPEG", "MPO"]) as img:
            return int(img.getexif().get(ORIENTATION, 1))
    except Exception:  # a damaged EXIF block: it is dropped all the same, and the picture shown as stored
        return 1


def _upright(path: Path, kind: Kind) -> None:
    """Turn the picture as its EXIF orientation says (if it says so) and save it again without metadata (the
    colour profile kept)."""
    try:
        with Image.open(path, formats=["PNG", "JPEG", "MPO"]) as img:
            if img.width * img.height > MAX_PIXELS:
                raise _too_large()
            icc = img.info.get("icc_profile")
            options: dict[str, object] = {"icc_profile": icc} if icc else {}
            if kind.name == "jpeg":
                if img.quantization:
                    options["qtables"] = img.quantization
                sampling = JpegImagePlugin.get_sampling(img)
                if sampling in (0, 1, 2):
                    options["subsampling"] = 2 if sampling == 1 else sampling  # 4:2:2 turned is no longer 4:2:2
            upright = ImageOps.exif_transpose(img)
            upright.info = {}  # Pillow would carry a comment or XMP over
            _rewrite_with(path, lambda out: upright.save(out, "JPEG" if kind.name == "jpeg" else "PNG", **options))
    except Unreadable:
        raise
    except Exception as exc:
        log.info("image not rewritable: %s: %s", type(exc).__name__, exc)
        raise damaged() from None


def _png_parts(path: Path) -> list[tuple[int, int]] | None:
    """The (offset, length) of the chunks to keep, or None when there is nothing to remove."""
    keep: list[tuple[int, int]] = [(0, 8)]
    dropped = False
    with open(path, "rb") as f:
        f.seek(8)
        while True:
            start = f.tell()
            ctype, length = _png_chunk_head(f)
            if ctype in _PNG_KEEP:
                keep.append((start, 12 + length))
            else:
                dropped = True
            f.seek(start + 12 + length)
            if ctype == b"IEND":
                break
        if f.read(1):  # something after the end
            dropped = True
    return keep if dropped else None


def _jpeg_parts(path: Path) -> list[tuple[int, int]] | None:
    """The (offset, length) of the segments and scans to keep, or None when there is nothing to remove."""
    data = path.read_bytes()
    keep: list[tuple[int, int]] = [(0, 2)]
    dropped = False
    for marker, start, payload, end in _jpeg_segments(data):
        if _metadata_segment(marker, data[payload : payload + 12]):
            dropped = True
        else:
            keep.append((start, end - start))
        if marker == _EOI:
            dropped = dropped or end < len(data)
            break
    return keep if dropped else None


def _metadata_segment(marker: int, signature: bytes) -> bool:
    if marker == _COM:
        return True
    if 0xE0 <= marker <= 0xEF:
        wanted = _JPEG_KEEP_APP.get(marker)
        return wanted is None or not signature.startswith(wanted)
    return False


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, int, int, int]]:
    """(marker, start, start of payload, end) of each segment after SOI, a scan's entropy-coded data counted into
    its SOS segment, up to and including EOI."""
    if not data.startswith(b"\xff\xd8"):
        raise damaged()
    pos = 2
    while True:
        start = pos
        if pos >= len(data) or data[pos] != 0xFF:
            raise damaged()
        while pos < len(data) and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= len(data):
            raise damaged()
        marker = data[pos]
        pos += 1
        if marker == _EOI:
            yield marker, start, pos, pos
            return
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length
            yield marker, start, pos, pos
            continue
        if pos + 2 > len(data):
            raise damaged()
        payload = pos + 2
        length = struct.unpack_from(">H", data, pos)[0]
        if length < 2:
            raise damaged()
        pos += length
        if marker == _SOS:
            found = _JPEG_MARKER.search(data, pos)
            if found is None:
                raise damaged()
            pos = found.start()
        if pos > len(data):
            raise damaged()
        yield marker, start, payload, pos


def _rewrite(path: Path, parts: Iterable[tuple[int, int]]) -> None:
    """Replace the file by the given byte ranges of itself."""

    def write(out: BinaryIO) -> None:
        with open(path, "rb") as f:
            for offset, length in parts:
                f.seek(offset)
                for piece in _pieces(f, length):
                    out.write(piece)

    _rewrite_with(path, write)


def _rewrite_with(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write the new content beside the file and move it over the file, so it is never half written."""
    new = path.with_name(path.name + ".clean")
    try:
        with open(new, "wb") as out:
            write(out)
        os.replace(new, path)
    finally:
        new.unlink(missing_ok=True)
