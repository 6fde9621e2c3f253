"""Uploads of a 20 MB file through the JSON API, against a floor measured in the same run: throughput, the
server's CPU time and its peak memory.

Samordna runs as `samordna serve` (uvicorn, 1 worker) on a small generated SQLite database (bench.data), its
files under a fresh SAMORDNA_DATA_DIR, the cap at SAMORDNA_MAX_UPLOAD_MB=20. The client, with the area
coordinator's bearer token, POSTs each file to `/api/v1/measures/{id}/attachments` (multipart, field `file`)
and waits for the 201: the body streamed through python-multipart to a temporary file, the checks of its
content (samordna.attachments.content: the kind by content, the text through the confidentiality guard, an
image's metadata stripped), the hash, the file moved into place, the row and the event committed. Kinds, each
about 20 MB (under the cap of 20 MiB):

- CSV: 20 000 000 bytes of semicolon-separated rows of Norwegian text and figures (the text scan);
- PDF, 40 pages of text + photos: an evaluation report as people send one (about 15 JPEG photos of 1.3 MB);
- PDF, text only: 2 000 dense pages of text (the most pages a PDF may have; some 6 MB), compressed as any PDF
  writer does — the most text an accepted file can make the guard read (pypdf extracts every page);
- PNG: a 3840×2880 photo-like image with EXIF (camera, time, GPS) and a text chunk (the metadata strip).

Each round sends a copy unlike every other round's (the store keeps a file once per hash, so a repeat would
skip the rename): the CSV's first line, the PDF's title (same length, in place), a PNG text chunk. Each kind
gets a server of its own, warmed up with a small file of the kind, so its memory is its own and not what an
earlier kind left behind.

The floor (bench.upload_floor): a bare ASGI function whose receive loop writes the body straight to a file,
under the same uvicorn, 1 worker, with the same client sending the same bodies — what any upload must pay,
bytes off the socket into a file. Samordna and the floor alternate upload by upload (which goes first flips
each round), so a slow spell of the machine hits both alike.

Measured per upload: wall time from the first byte sent to the answer (MB/s: 10^6 bytes of file a second;
× floor as elsewhere: how many times the floor's time), the server's CPU time (user + system from /proc:
steadier than the wall clock on a shared machine), and the server's peak resident set (VmHWM, reset before each
upload through /proc/PID/clear_refs; sampled VmRSS where that is not allowed) — C allocations (pypdf's streams,
Pillow's buffers) included — and its growth over the idle server.

Also, in this process: python-multipart's parse alone (`samordna.attachments.upload.receive` fed the body in
64 KiB chunks, as uvicorn hands them on, writing the file) against the same chunks written to a file; and the
content checks alone on each file (sniff, text scan, metadata strip, SHA-256), every round (the text-only PDF
once: its scan takes most of a minute) — where the time between the floor and Samordna goes.

Prints figures only; asserts nothing. `python -m bench.upload [--rounds R]` (about 5 minutes with 3 rounds on
2 cores, most of it the text-only PDF).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
import shutil
import statistics
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import (
    HOST,
    Peak,
    Row,
    Server,
    free_port,
    main_with_rounds,
    proc_status,
    server_env,
    smoke,
    start_samordna,
    time_ratio,
)

NAME = "upload"
ROUNDS = smoke(3, 1)
MAX_MB = 20  # SAMORDNA_MAX_UPLOAD_MB, the default
CAP = MAX_MB * 1024 * 1024
MB = 1_000_000
CHUNK = 64 * 1024  # what uvicorn hands the app at a time
CSV_BYTES = smoke(20_000_000, 200_000)
PDF_TARGET = smoke(19_500_000, 300_000)  # about; the page count is worked out from a sample
PDF_TEXT_PAGES = smoke(40, 4)  # of the report with photos
PNG_SIZE = smoke((3840, 2880), (320, 240))
BOUNDARY = "samordna-bench-9f0c2d7e41b35a86"


# ---------------------------------------------------------------- the files

WORDS = (
    "tiltak ungdom forebygging samarbeid skole politi barnevern fritid oppfølging evaluering rus kriminalitet "
    "møte koordinering natteravner foreldre trygghet sentrum kveld helsestasjon utekontakten frivillige "
    "ungdomsklubb kartlegging Ungdata målgruppe aktivitet deltakelse gjennomført planlagt vurdert effekt"
).split()
UNITS = ("Politiet", "Barnevernet", "Ungdomsskolene", "Kultur og fritid", "NAV", "Utekontakten", "PPT")


def csv_file(size_wanted: int = CSV_BYTES) -> bytes:
    """Rows of text and small figures (counts, dates, percentages): nothing a national identity number could be
    read from, so the scan reads the whole file. The first line carries the round (`vary_csv`)."""
    rnd = random.Random(13)
    lines = ["runde 000000", "dato;enhet;tiltak;deltakere;andel;kommentar"]
    size = sum(len(line.encode()) + 1 for line in lines)
    while size < size_wanted:
        text = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(6, 18)))
        line = (
            f"2026-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d};{rnd.choice(UNITS)};"
            f"{rnd.choice(WORDS).capitalize()} {rnd.choice(WORDS)};{rnd.randint(3, 240)};"
            f"{rnd.randint(0, 100)} %;«{text}»"
        )
        lines.append(line)
        size += len(line.encode()) + 1
    data = ("\n".join(lines) + "\n").encode()
    return data[: size_wanted - 1] + b"\n"


def vary_csv(data: bytes, n: int) -> bytes:
    return f"runde {n:06d}".encode() + data[len("runde 000000") :]


def _pdf(pages: int, photos: int = 0) -> bytes:
    """`pages` dense pages of text (70 lines of 13 words), then `photos` pages with a photo (JPEG, as a camera
    writes it; each one different) and a caption, compressed as any PDF writer does."""
    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rl_config.useA85 = 0  # binary streams, as Word and every other writer makes them (not ASCII85: a quarter more)
    rnd = random.Random(7)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1, invariant=1)
    c.setTitle("Evaluering, runde 000000")
    for page in range(pages):
        c.setFont("Helvetica", 9)
        c.drawString(40, 810, f"Evalueringsrapport – side {page + 1}")
        for line in range(70):
            words = " ".join(rnd.choice(WORDS) for _ in range(13))
            c.drawString(40, 790 - 11 * line, f"{words} {rnd.randint(1, 99)} %")
        c.showPage()
    for n in range(photos):
        c.drawImage(ImageReader(io.BytesIO(_photo(n))), 40, 330, width=515, height=386)
        c.setFont("Helvetica", 10)
        c.drawString(40, 310, f"Bilde {n + 1}: {' '.join(rnd.choice(WORDS) for _ in range(8))}")
        c.showPage()
    c.save()
    return buf.getvalue()


def _photo(n: int, size: tuple[int, int] = (2400, 1800)) -> bytes:
    """A photo-like JPEG (a gradient under 5 bits of noise, quality 90: about 1.3 MB), different for each `n`."""
    from PIL import Image, ImageChops

    w, h = size
    noise = Image.frombytes("RGB", (w, h), random.Random(n).randbytes(w * h * 3)).point(lambda v: v & 0x1F)
    gradient = Image.linear_gradient("L").resize((w, h)).convert("RGB").point(lambda v: v & 0xE0)
    out = io.BytesIO()
    ImageChops.add(gradient, noise).save(out, "JPEG", quality=90)
    return out.getvalue()


def pdf_text_file() -> bytes:
    """Nothing but dense pages of text, compressed: as many as make about PDF_TARGET bytes (some 6 500), but no
    more than the service accepts (attachments.content.pdf.MAX_PAGES, 2 000: a longer PDF is refused with 422
    before its text is read): the most text an accepted PDF can make the guard read."""
    from samordna.attachments.content.pdf import MAX_PAGES

    sample = 40
    per_page = len(_pdf(sample)) / sample
    return _pdf(min(int(PDF_TARGET / per_page), MAX_PAGES))


def pdf_photos_file() -> bytes:
    """An evaluation report as people send one: 40 pages of text and about 15 pages with a photo each."""
    text = len(_pdf(PDF_TEXT_PAGES))
    per_photo = len(_pdf(0, 1)) - len(_pdf(0))
    return _pdf(PDF_TEXT_PAGES, int((PDF_TARGET - text) / per_photo))


def vary_pdf(data: bytes, n: int) -> bytes:
    old = b"runde 000000"
    at = data.index(old)
    return data[:at] + f"runde {n:06d}".encode() + data[at + len(old) :]


def png_file(size: tuple[int, int] = PNG_SIZE) -> bytes:
    """A photo-like image (a gradient under 4 bits of noise, so it compresses about as a photo does) with the
    metadata a phone writes: EXIF with the camera, the time and GPS coordinates, and a text chunk."""
    from PIL import Image, ImageChops, PngImagePlugin

    w, h = size
    noise = Image.frombytes("RGB", (w, h), random.Random(5).randbytes(w * h * 3)).point(lambda v: v & 0x0F)
    gradient = Image.linear_gradient("L").resize((w, h)).convert("RGB").point(lambda v: v & 0xF0)
    image = ImageChops.add(gradient, noise)
    exif = Image.Exif()
    exif[0x010F] = "Telefonprodusent"  # Make
    exif[0x0110] = "Telefon 12"  # Model
    exif[0x0132] = "2026:03:14 19:42:07"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (59.0, 54.0, 41.3), 3: "E", 4: (10.0, 45.0, 12.9)})
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Bilde fra kveldsvandringen")
    out = io.BytesIO()
    image.save(out, "PNG", exif=exif, pnginfo=info, compress_level=6)
    return out.getvalue()


def vary_png(data: bytes, n: int) -> bytes:
    """A tEXt chunk naming the round, right after the header chunk (8 bytes of signature, 25 of IHDR)."""
    payload = b"Runde\x00" + str(n).encode()
    chunk = struct.pack(">I", len(payload)) + b"tEXt" + payload
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + payload) & 0xFFFFFFFF)
    return data[:33] + chunk + data[33:]


@dataclass(frozen=True)
class Kind:
    key: str
    label: str  # for the table
    filename: str
    mime: str
    make: Callable[[], bytes]
    small: Callable[[], bytes]  # the same kind, small: the warm-up
    vary: Callable[[bytes, int], bytes]
    heavy: bool = False  # its checks are timed in this process once, not every round


KINDS = (
    Kind("csv", "CSV", "Ungdata-tall 2026.csv", "text/csv", csv_file, lambda: csv_file(100_000), vary_csv),
    Kind(
        "pdf-photos",
        "PDF, 40 pages of text + photos",
        "Evalueringsrapport med bilder.pdf",
        "application/pdf",
        pdf_photos_file,
        lambda: _pdf(2, 1),
        vary_pdf,
    ),
    Kind(
        "pdf-text",
        "PDF, text only",
        "Evalueringsrapport.pdf",
        "application/pdf",
        pdf_text_file,
        lambda: _pdf(3),
        vary_pdf,
        heavy=True,
    ),
    Kind(
        "png",
        "PNG 3840×2880, EXIF",
        "Kveldsvandring.png",
        "image/png",
        png_file,
        lambda: png_file((320, 240)),
        vary_png,
    ),
)


def multipart(kind: Kind, data: bytes) -> tuple[str, bytes]:
    """The body a browser sends for a form with one file in `file`, and its Content-Type."""
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{kind.filename}"\r\n'
        f"Content-Type: {kind.mime}\r\n\r\n"
    ).encode()
    return f"multipart/form-data; boundary={BOUNDARY}", head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


# ---------------------------------------------------------------- servers and uploads


def start_floor(folder: Path) -> Server:
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.upload_floor:create",
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    env = server_env("sqlite://", BENCH_UPLOAD_DIR=str(folder))
    return Server(argv, env, port, "upload floor (uvicorn)").wait_ready()


@dataclass(frozen=True)
class Sample:
    seconds: float
    cpu: float  # the server's CPU seconds
    peak_kib: int  # VmHWM during the upload


def upload(client: httpx.Client, server: Server, path: str, ctype: str, body: bytes) -> Sample:
    """POST the body and wait for its 201; the time, the server's CPU time and its peak memory meanwhile."""
    cpu = server.cpu_seconds()
    with Peak(server.proc.pid) as peak:
        started = time.perf_counter()
        r = client.post(path, content=body, headers={"content-type": ctype})
        seconds = time.perf_counter() - started
    if r.status_code != 201:
        raise RuntimeError(f"{server.label} POST {path}: {r.status_code} {r.text[:500]}")
    return Sample(seconds, server.cpu_seconds() - cpu, peak.peak)


def set_up(folder: Path) -> tuple[str, str, int]:
    """A small generated database: (its URL, the coordinator's token, a measure of the area)."""
    from sqlalchemy import create_engine, text

    from bench.data import Dataset, generate

    url = f"sqlite:///{folder / 'samordna.sqlite3'}"
    ds = generate(url, (50,))
    area = ds.areas[0]
    engine = create_engine(url)
    with engine.connect() as conn:
        measure_id = conn.execute(text("SELECT min(id) FROM measure WHERE area_id = :a"), {"a": area.id}).scalar_one()
    engine.dispose()
    return url, Dataset.token(area.slug, "coordinator"), int(measure_id)


# ---------------------------------------------------------------- in this process


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    view = memoryview(body)
    for at in range(0, len(body), CHUNK):
        yield bytes(view[at : at + CHUNK])


def parse_once(ctype: str, body: bytes, folder: Path) -> float:
    """Seconds for samordna.attachments.upload.receive to parse the body into a file."""
    from samordna.attachments import upload as receiving

    temp = folder / "parsed"
    started = time.perf_counter()
    asyncio.run(receiving.receive(ctype, _chunks(body), temp=temp, limit=CAP))
    seconds = time.perf_counter() - started
    temp.unlink()
    return seconds


def write_once(body: bytes, folder: Path) -> float:
    """Seconds to write the same chunks to a file, through the same event loop."""

    async def write() -> None:
        with open(folder / "raw", "wb") as out:
            async for chunk in _chunks(body):
                out.write(chunk)

    started = time.perf_counter()
    asyncio.run(write())
    seconds = time.perf_counter() - started
    (folder / "raw").unlink()
    return seconds


def checks_once(kind: Kind, data: bytes, folder: Path) -> dict[str, float]:
    """Seconds for each check the service makes of a whole upload (samordna.attachments.content), and the hash."""
    from samordna.attachments import content

    path = folder / "checked"
    path.write_bytes(data)
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    found = content.sniff(path, kind.filename)
    t1 = time.perf_counter()
    if found is None:
        raise RuntimeError(f"{kind.filename}: not a kind Samordna takes")
    if content.find_national_id(path, found) is not None:
        raise RuntimeError(f"{kind.filename}: the scan found a national identity number")
    t2 = time.perf_counter()
    content.strip_metadata(path, found)
    t3 = time.perf_counter()
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    t4 = time.perf_counter()
    path.unlink()
    times.update(sniff=t1 - t0, scan=t2 - t1, strip=t3 - t2, hash=t4 - t3)
    return times


# ---------------------------------------------------------------- the run


def mib(kib: float) -> float:
    return kib / 1024


def run(rounds: int = ROUNDS) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="samordna-bench-upload-") as tmp:
        folder = Path(tmp)
        url, token, measure_id = set_up(folder)
        files = {k.key: k.make() for k in KINDS}
        for k in KINDS:
            if len(files[k.key]) > CAP:
                raise RuntimeError(f"the {k.key} file is {len(files[k.key])} bytes, over the cap of {CAP}")
        found: dict[str, list[Sample]] = {k.key: [] for k in KINDS}
        floor: dict[str, list[Sample]] = {k.key: [] for k in KINDS}
        idle: dict[str, int] = {}
        api = f"/api/v1/measures/{measure_id}/attachments"
        bare = start_floor(folder / "floor")
        try:
            with httpx.Client(base_url=bare.url, timeout=600) as c_floor:
                upload(c_floor, bare, "/upload", *multipart(KINDS[0], KINDS[0].small()))
                idle["floor"] = proc_status(bare.proc.pid, "VmRSS")
                # Each kind on a server of its own, so its memory is not what an earlier kind left behind.
                for k in KINDS:
                    app = start_samordna(
                        url, SAMORDNA_DATA_DIR=str(folder / "data"), SAMORDNA_MAX_UPLOAD_MB=str(MAX_MB)
                    )
                    try:
                        headers = {"Authorization": f"Bearer {token}"}
                        with httpx.Client(base_url=app.url, headers=headers, timeout=600) as c_app:
                            # Warm up with a small file of the kind: its first use imports its libraries.
                            upload(c_app, app, api, *multipart(k, k.small()))
                            idle[k.key] = proc_status(app.proc.pid, "VmRSS")
                            for n in range(rounds):
                                ctype, body = multipart(k, k.vary(files[k.key], n))
                                pair = [(found, c_app, app, api), (floor, c_floor, bare, "/upload")]
                                for into, client, server, path in pair if n % 2 == 0 else reversed(pair):
                                    into[k.key].append(upload(client, server, path, ctype, body))
                                del body
                    finally:
                        app.stop()
        finally:
            bare.stop()
        shutil.rmtree(folder / "floor", ignore_errors=True)

        # In this process: the parse alone and its floor; the checks alone.
        parse: list[float] = []
        raw: list[float] = []
        ctype, body = multipart(KINDS[0], files["csv"])
        for n in range(rounds):
            if n % 2 == 0:
                parse.append(parse_once(ctype, body, folder))
                raw.append(write_once(body, folder))
            else:
                raw.append(write_once(body, folder))
                parse.append(parse_once(ctype, body, folder))
        checks = {k.key: [checks_once(k, files[k.key], folder) for _ in range(1 if k.heavy else rounds)] for k in KINDS}
    sizes = {key: len(data) for key, data in files.items()}
    return (
        upload_rows(found, floor, sizes)
        + memory_rows(found, floor, idle)
        + parse_rows(parse, raw, len(body))
        + check_rows(checks)
    )


def upload_rows(found: dict[str, list[Sample]], floor: dict[str, list[Sample]], sizes: dict[str, int]) -> list[Row]:
    med = statistics.median
    floor_all = [s for k in KINDS for s in floor[k.key]]
    floor_rate = [sizes[k.key] / MB / s.seconds for k in KINDS for s in floor[k.key]]
    rows = []
    for k in KINDS:
        rate = [sizes[k.key] / MB / s.seconds for s in found[k.key]]
        seconds = [s.seconds for s in found[k.key]]
        rows.append(
            Row(
                NAME,
                f"samordna: {k.label}, {sizes[k.key] / MB:.1f} MB",
                "MB/s",
                tuple(rate),
                f"{med(seconds):.2f} s ({min(seconds):.2f}–{max(seconds):.2f}); "
                f"server CPU {med(s.cpu for s in found[k.key]):.2f} s (floor {med(s.cpu for s in floor[k.key]):.2f} s)",
                ratio=time_ratio(med(rate), med(floor_rate), lower_is_better=False),
            )
        )
    rows.append(
        Row(
            NAME,
            "floor: bare ASGI receive loop → file (the same bodies)",
            "MB/s",
            tuple(floor_rate),
            f"{med(s.seconds for s in floor_all):.3f} s a file ({min(s.seconds for s in floor_all):.3f}–"
            f"{max(s.seconds for s in floor_all):.3f}); server CPU {med(s.cpu for s in floor_all):.2f} s",
            ratio=1.0,
        )
    )
    return rows


def memory_rows(found: dict[str, list[Sample]], floor: dict[str, list[Sample]], idle: dict[str, int]) -> list[Row]:
    med = statistics.median
    rows = []
    for k in KINDS:
        growth = [mib(s.peak_kib - idle[k.key]) for s in found[k.key]]
        rows.append(
            Row(
                NAME,
                f"samordna: server peak RSS (VmHWM), {k.label}",
                "MiB",
                tuple(mib(s.peak_kib) for s in found[k.key]),
                f"+{med(growth):.0f} MiB ({min(growth):.0f}–{max(growth):.0f}) over the idle server "
                f"({mib(idle[k.key]):.0f} MiB after a small file of the kind)",
            )
        )
    floor_all = [s for k in KINDS for s in floor[k.key]]
    growth = [mib(s.peak_kib - idle["floor"]) for s in floor_all]
    rows.append(
        Row(
            NAME,
            "floor: server peak RSS (VmHWM)",
            "MiB",
            tuple(mib(s.peak_kib) for s in floor_all),
            f"+{med(growth):.1f} MiB over the idle floor ({mib(idle['floor']):.0f} MiB)",
        )
    )
    return rows


def parse_rows(parse: list[float], raw: list[float], size: int) -> list[Row]:
    med = statistics.median
    parse_rate = [size / MB / s for s in parse]
    raw_rate = [size / MB / s for s in raw]
    return [
        Row(
            NAME,
            "parse: upload.receive (python-multipart → file), in-process",
            "MB/s",
            tuple(parse_rate),
            f"the CSV's body in 64 KiB chunks; {med(parse) * 1000:.0f} ms",
            ratio=time_ratio(med(parse_rate), med(raw_rate), lower_is_better=False),
        ),
        Row(
            NAME,
            "parse floor: the same chunks written to a file",
            "MB/s",
            tuple(raw_rate),
            f"{med(raw) * 1000:.0f} ms",
            ratio=1.0,
        ),
    ]


def check_rows(checks: dict[str, list[dict[str, float]]]) -> list[Row]:
    med = statistics.median
    rows = []
    for k in KINDS:
        runs = checks[k.key]
        parts = ", ".join(f"{step} {med(t[step] for t in runs):.2f}" for step in ("sniff", "scan", "strip", "hash"))
        rows.append(
            Row(
                NAME,
                f"checks in-process: {k.label}",
                "s",
                tuple(sum(t.values()) for t in runs),
                f"{parts} s",
                lower_is_better=True,
            )
        )
    return rows


def ratio_line(rows: list[Row]) -> str:
    uploads = [r for r in rows if r.case.startswith("samordna: ") and r.unit == "MB/s"]
    parts = [f"{r.case.removeprefix('samordna: ')}: {r.ratio:.1f}×" for r in uploads if r.ratio]
    return "a 20 MB upload through the API takes the floor's time × " + "; ".join(parts)


def main(argv: list[str] | None = None) -> None:
    main_with_rounds(__doc__ or "", run, ratio_line, ROUNDS, argv)


if __name__ == "__main__":
    main()
