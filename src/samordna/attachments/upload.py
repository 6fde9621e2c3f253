"""Reading an upload (web side): the request's multipart body parsed as it arrives with python-multipart's
streaming parser, the file part written straight to a temporary file under the data directory, never whole
in memory (DESIGN.md §9, §14).

Past the cap the parser stops writing at once: the temporary file is removed and the rest of the body is read
and thrown away chunk by chunk (so the browser, still sending, reads the 413 instead of a reset connection),
up to a bound past which the connection is simply closed. A body that announces more than that bound in its
Content-Length is refused before a byte is read.

Small fields (the CSRF token of a form without JavaScript, which comes before the file in the form) are kept,
a few KiB at most; a second file part is refused, and so is a body that ends before its closing boundary (the
file in it is not whole). `check(fields)` (the CSRF check of a browser's form) runs once,
before a byte of the file is written: when the file part begins, with the fields sent before it — or, when there is
no file at all or the body is not multipart, before that is answered (a refused token is said first).

The file's name is taken as browsers send it: the HTML standard escapes `"`, CR and LF in it as %22, %0D and %0A,
and they are unescaped here (samordna.attachments.service.clean_filename then makes the name safe). A browser sends
a file part with an empty name and no content when no file was chosen: that is no file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header

FIELD_LIMIT = 4096  # bytes of all the small fields together
DRAIN_FACTOR = 4  # read and discard at most this many times the cap after refusing, then close
_HTML5_ESCAPES = {"%22": '"', "%0D": "\r", "%0A": "\n", "%0d": "\r", "%0a": "\n"}


class TooLarge(Exception):
    """The file is larger than the cap."""


class BadUpload(Exception):
    """Not a multipart body with one file in `file` (str: what is wrong, for the log; the user sees a message)."""


class _Refused(Exception):
    """The check refused the upload (its exception in `args[0]`): stop writing, read the rest away, raise that."""


@dataclass
class Upload:
    path: Path  # the temporary file: moved into place or removed by the caller
    filename: str  # as the browser sent it (cleaned later)
    size: int
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class _State:
    limit: int
    temp: Path
    file_field: str
    check: Callable[[dict[str, str]], None] | None = None
    checked: bool = False
    header_name: bytes = b""
    header_value: bytes = b""
    headers: dict[bytes, bytes] = field(default_factory=dict)
    part_name: str | None = None
    part_is_file: bool = False
    filename: str | None = None
    out: Any = None
    size: int = 0
    files: int = 0
    ended: bool = False  # the closing boundary was read: the body is whole
    field_bytes: int = 0
    value: bytearray = field(default_factory=bytearray)
    fields: dict[str, str] = field(default_factory=dict)


def announced_too_large(headers: Any, limit: int) -> bool:
    """Whether the Content-Length alone shows the body is beyond what is worth reading."""
    length = headers.get("content-length")
    return bool(length and length.isdigit() and int(length) > limit * DRAIN_FACTOR + FIELD_LIMIT)


async def receive(
    content_type: str,
    chunks: AsyncIterator[bytes],
    *,
    temp: Path,
    limit: int,
    file_field: str = "file",
    check: Callable[[dict[str, str]], None] | None = None,
) -> Upload:
    """Parse the body `chunks` (a request's stream) into an Upload whose file is at `temp`; TooLarge past
    `limit` bytes of file, BadUpload for anything but a multipart body with exactly one file in `file_field`,
    whatever `check` raises (see the module's docstring). On any exception no file is left at `temp`."""
    st = _State(limit=limit, temp=temp, file_field=file_field, check=check)
    ctype, params = parse_options_header(content_type or "")
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        _run_check(st)
        raise BadUpload("not multipart/form-data with a boundary")
    parser = MultipartParser(boundary, callbacks=_callbacks(st))
    try:
        try:
            async for chunk in chunks:
                parser.write(chunk)
            parser.finalize()
        except (TooLarge, _Refused) as exc:
            _close(st)
            temp.unlink(missing_ok=True)
            await _drain(chunks, limit * DRAIN_FACTOR)
            if isinstance(exc, _Refused):
                raise exc.args[0] from None
            raise
        except MultipartParseError as exc:
            _run_check(st)
            raise BadUpload(f"malformed multipart body: {exc}") from None
        _close(st)
        _run_check(st)
        if not st.ended:
            raise BadUpload("the body ended before its closing boundary")
        if st.files != 1 or st.filename is None:
            raise BadUpload("no file" if st.files == 0 else "more than one file")
    except BaseException:
        _close(st)
        temp.unlink(missing_ok=True)
        raise
    return Upload(path=temp, filename=st.filename, size=st.size, fields=st.fields)


async def _drain(chunks: AsyncIterator[bytes], bound: int) -> None:
    """Read what the client still sends and throw it away, up to `bound` bytes."""
    seen = 0
    async for chunk in chunks:
        seen += len(chunk)
        if seen > bound:
            return


def _run_check(st: _State) -> None:
    """Run the caller's check once, on the fields read so far."""
    if st.check is not None and not st.checked:
        st.checked = True
        st.check(st.fields)


def _unescape(name: str) -> str:
    """A file name as the HTML standard escapes it in a multipart body (%22, %0D, %0A), unescaped."""
    for escaped, char in _HTML5_ESCAPES.items():
        name = name.replace(escaped, char)
    return name


def _close(st: _State) -> None:
    if st.out is not None:
        st.out.close()
        st.out = None


def _callbacks(st: _State) -> dict[str, Any]:
    def part_begin() -> None:
        st.headers.clear()
        st.part_name, st.part_is_file, st.value = None, False, bytearray()

    def header_field(data: bytes, start: int, end: int) -> None:
        st.header_name += data[start:end]

    def header_value(data: bytes, start: int, end: int) -> None:
        st.header_value += data[start:end]

    def header_end() -> None:
        st.headers[st.header_name.lower()] = st.header_value
        st.header_name = st.header_value = b""

    def headers_finished() -> None:
        _, params = parse_options_header(st.headers.get(b"content-disposition", b""))
        st.part_name = params.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in params:
            st.part_is_file = True
            if st.part_name != st.file_field:
                raise BadUpload(f"a file in the field {st.part_name!r}")
            try:
                _run_check(st)
            except Exception as exc:
                raise _Refused(exc) from None
            st.files += 1
            if st.files > 1:
                raise BadUpload("more than one file")
            st.filename = _unescape(params[b"filename"].decode("utf-8", "replace"))
            st.out = open(st.temp, "wb")  # noqa: SIM115 (closed in part_end, or by receive on any error)

    def part_data(data: bytes, start: int, end: int) -> None:
        if st.part_is_file:
            st.size += end - start
            if st.size > st.limit:
                raise TooLarge
            chunk = data[start:end]
            st.out.write(chunk)
        else:
            st.field_bytes += end - start
            if st.field_bytes > FIELD_LIMIT:
                raise BadUpload("form fields too large")
            st.value += data[start:end]

    def part_end() -> None:
        if st.part_is_file:
            _close(st)
            if st.size == 0 and not st.filename:  # the form's file field left empty: no file was chosen
                st.files -= 1
                st.filename = None
        elif st.part_name:
            st.fields[st.part_name] = st.value.decode("utf-8", "replace")

    def end() -> None:
        st.ended = True

    return {
        "on_end": end,
        "on_part_begin": part_begin,
        "on_header_field": header_field,
        "on_header_value": header_value,
        "on_header_end": header_end,
        "on_headers_finished": headers_finished,
        "on_part_data": part_data,
        "on_part_end": part_end,
    }
