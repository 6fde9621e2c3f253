"""Attachments through the JSON API over real HTTP, on both engines (DESIGN.md §14): every accepted kind kept and
given back byte for byte with the download's headers; files of the wrong kind (415), with a national identity
number (422, naming the file and where, never the number), with hostile names; another area's files (404), a
viewer (403); bodies without a file; removal (an event; the file kept until `samordna attachments purge`); the
same routes on a meeting."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import select

from samordna import cli
from samordna.store.models import AuditEntry
from tests.api.support import Api, assert_error, field_errors, measure_in
from tests.attachments import files
from tests.attachments.support import (
    ACCEPTED,
    KINDS,
    Kind,
    empty_data_dir,
    field_part,
    file_part,
    kept_files,
    multipart,
    rows,
    temporary_files,
)
from tests.factories import World

KEYS = {"id", "filename", "content_type", "kind", "size", "sha256", "measure_id", "meeting_id", "created_at"}
KEYS |= {"created_by", "url"}


@pytest.fixture
def api(live_server: Any, world: World) -> Iterator[Api]:
    empty_data_dir(world.samordna)
    client = Api(live_server.url, world)
    yield client
    client.close()


def upload(
    api: Api, path: str, filename: str, data: bytes, who: str = "coordinator", mime: str = "application/octet-stream"
) -> httpx.Response:
    """POST one file in the multipart field `file`, as httpx sends it (a browser's way of escaping the name)."""
    return api.request("POST", path, who, files={"file": (filename, data, mime)})


def raw(api: Api, path: str, body: bytes, content_type: str, who: str = "coordinator") -> httpx.Response:
    return api.request("POST", path, who, content=body, headers={"content-type": content_type})


def meeting(world: World, level: str = "all") -> int:
    """A planned meeting of alfa's body at `level` (the SLT-samling, «all», is read by every member)."""
    day = (world.today() + timedelta(days=14)).isoformat()
    data = {"body": level, "day": day, "start": "09:00", "end": "11:00"}
    return world.samordna.meetings.plan(actor=world.actors["coordinator"], slug="alfa", data=data).id


def disposition(filename: str) -> str:
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\%;' else "_" for c in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def nothing_kept(world: World, before: dict[str, Any]) -> None:
    """A refused upload leaves no row, no new file and no temporary file."""
    assert rows(world.samordna) == before["rows"]
    assert kept_files(world.samordna).keys() == before["files"]
    assert temporary_files(world.samordna) == []


def state(world: World) -> dict[str, Any]:
    return {"rows": rows(world.samordna), "files": set(kept_files(world.samordna))}


# ---------------------------------------------------------------- every accepted kind


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_each_accepted_kind_round_trips_byte_for_byte(api: Api, world: World, kind: Kind) -> None:
    m = world.register()
    data = kind.build()
    r = upload(api, f"/measures/{m.id}/attachments", kind.filename, data)
    assert r.status_code == 201, r.text
    made = r.json()
    assert set(made) == KEYS
    assert made["filename"] == kind.filename
    assert made["kind"] == kind.name
    assert made["content_type"] == kind.content_type
    assert made["size"] == len(data)
    assert made["sha256"] == hashlib.sha256(data).hexdigest()
    assert made["measure_id"] == m.id and made["meeting_id"] is None
    assert made["created_by"] == {"id": world.user_ids["coordinator"], "name": "Coordinator"}
    assert made["url"] == f"/api/v1/attachments/{made['id']}/content"

    listed = api.get(f"/measures/{m.id}/attachments", "viewer")
    assert listed.status_code == 200 and listed.json() == [made]
    got = api.get(f"/attachments/{made['id']}", "viewer")
    assert got.status_code == 200 and got.json() == made

    content = api.get(made["url"].removeprefix("/api/v1"), "viewer")
    assert content.status_code == 200
    assert content.content == data  # byte for byte
    assert content.headers["content-type"] == kind.content_type
    assert content.headers["content-disposition"] == disposition(kind.filename)
    assert content.headers["content-disposition"].isascii()
    assert content.headers["x-content-type-options"] == "nosniff"
    assert content.headers["content-length"] == str(len(data))
    assert "no-store" in content.headers["cache-control"]
    # Kept once, under its hash, and nothing left in tmp/.
    assert kept_files(world.samordna)[made["sha256"]].read_bytes() == data
    assert temporary_files(world.samordna) == []


def test_the_upload_is_an_event_in_the_measures_history(api: Api, world: World) -> None:
    m = world.register()
    before = api.measure(m.id)
    r = upload(api, f"/measures/{m.id}/attachments", "Notat.txt", files.txt())
    assert r.status_code == 201, r.text
    after = api.measure(m.id)
    assert after["state"] == before["state"] and after["version"] == before["version"] + 1
    event = api.events(m.id)[-1]
    assert event["trigger"] == "attach"
    assert event["from_state"] == event["to_state"] == before["state"]
    assert event["actor"]["id"] == world.user_ids["coordinator"]
    assert event["data"] == {"attachment_id": r.json()["id"], "filename": "Notat.txt", "size": len(files.txt())}


def test_the_same_file_twice_is_kept_once(api: Api, world: World) -> None:
    m, other = world.register(), world.register(title="Et annet tiltak")
    data = files.pdf(["Samme rapport"])
    first = upload(api, f"/measures/{m.id}/attachments", "rapport.pdf", data).json()
    second = upload(api, f"/measures/{other.id}/attachments", "kopi.pdf", data).json()
    assert first["id"] != second["id"] and first["sha256"] == second["sha256"]
    assert list(kept_files(world.samordna)) == [first["sha256"]]
    assert api.get(f"/attachments/{second['id']}/content").content == data


def test_a_photo_is_kept_without_its_gps_position_and_described_as_kept(api: Api, world: World) -> None:
    """The metadata strip changes the bytes: size and sha256 describe the file as kept, which the download gives."""
    from PIL import Image

    m = world.register()
    photo = files.jpeg(with_gps=True)
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)  # the test file has a position
    made = upload(api, f"/measures/{m.id}/attachments", "Fra åpningen.jpg", photo).json()
    kept = api.get(f"/attachments/{made['id']}/content").content
    assert kept != photo
    assert made["size"] == len(kept) and made["sha256"] == hashlib.sha256(kept).hexdigest()
    image = Image.open(io.BytesIO(kept))
    assert image.format == "JPEG" and image.size == (40, 20)
    assert not image.getexif().get_ifd(0x8825)  # no GPS
    assert b"Telefonprodusent" not in kept


def test_the_kind_is_told_by_the_content_not_the_name(api: Api, world: World) -> None:
    m = world.register()
    r = upload(api, f"/measures/{m.id}/attachments", "rapport.pdf", files.docx(), mime="application/pdf")
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "docx"
    assert r.json()["content_type"] == KINDS[1].content_type
    content = api.get(f"/attachments/{r.json()['id']}/content")
    assert content.headers["content-type"] == KINDS[1].content_type  # not what the name or the client said


# ---------------------------------------------------------------- refused kinds


@pytest.mark.parametrize(
    "data",
    [
        files.zip_of({"rapport.txt": "Ikke en PDF"}),
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(range(256)) * 8,  # a Windows program
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,",
        b"<html><script>alert(1)</script></html>\x00\x01\x02",
    ],
    ids=["zip", "exe", "gif", "binary"],
)
def test_a_file_renamed_pdf_that_is_not_a_pdf_is_415_with_the_accepted_kinds(
    api: Api, world: World, data: bytes
) -> None:
    m = world.register()
    before = state(world)
    r = upload(api, f"/measures/{m.id}/attachments", "Evalueringsrapport.pdf", data, mime="application/pdf")
    body = assert_error(r, 415)
    assert body["accepted"] == ACCEPTED
    assert "«Evalueringsrapport.pdf» er ikke en filtype Samordna tar imot." in body["detail"]
    assert "PDF" in body["detail"] and "Word" in body["detail"] and "Excel" in body["detail"]
    nothing_kept(world, before)
    assert api.measure(m.id)["version"] == m.version  # no event


# ---------------------------------------------------------------- the confidentiality guard


FNR = files.national_id()


@pytest.mark.parametrize(
    ("filename", "data", "where"),
    [
        ("Evaluering.pdf", files.pdf(["Evaluering av tiltaket", f"Deltaker: {FNR}"]), r"side 2\b"),
        ("Deltakere.docx", files.docx(["Deltakerliste"], table_cells=[["Navn", "Fnr"], ["Ola", FNR]]), r"tabell 1\b"),
        (
            "Tall fra skolen.xlsx",
            files.xlsx({"Oversikt": [["Tiltak"], ["Natteravn"]], "Deltakere": [["Navn", "Fnr"], ["Ola", FNR]]}),
            r"Deltakere\b",
        ),
        ("Spredt.pdf", files.pdf([f"Nummer {FNR[:6]} {FNR[6:]}"]), r"side 1\b"),  # written with a space
    ],
    ids=["pdf", "docx", "xlsx", "pdf-spaced"],
)
def test_a_national_identity_number_in_the_file_is_422_naming_the_file_and_where(
    api: Api, world: World, filename: str, data: bytes, where: str
) -> None:
    m = world.register()
    before = state(world)
    r = upload(api, f"/measures/{m.id}/attachments", filename, data)
    errors = field_errors(r)
    assert r.json()["errors"] == [{"field": "file", "message": errors["file"]}]
    message = errors["file"]
    assert f"«{filename}»" in message
    assert "fødselsnummer" in message
    assert re.search(where, message), message
    for shown in (FNR, FNR[:6] + " " + FNR[6:], FNR[:6], FNR[6:]):
        assert shown not in r.text  # never the number, nor a part of it
    nothing_kept(world, before)


def test_a_national_identity_number_in_the_name_is_422(api: Api, world: World) -> None:
    m = world.register()
    before = state(world)
    r = upload(api, f"/measures/{m.id}/attachments", f"Sak {FNR}.txt", files.txt())
    assert field_errors(r).keys() == {"file"}
    assert FNR not in r.text
    nothing_kept(world, before)


# ---------------------------------------------------------------- hostile names


def test_a_name_with_a_path_quotes_and_newlines_is_stored_safely(api: Api, world: World) -> None:
    m = world.register()
    path = f"/measures/{m.id}/attachments"
    data = files.txt()
    sent = {
        # httpx escapes as browsers do (the HTML standard): " as %22, CR LF as %0D%0A
        "httpx": upload(api, path, '../../etc/pass"wd\r\n.txt', data),
        # written by hand: the escapes themselves, a backslash-escaped quote, Windows paths, a NUL and a tab
        "escapes": raw(api, path, *multipart([file_part(b"rap%22port%0A%0D.txt", data)])),
        "quoted": raw(api, path, *multipart([file_part(b'..\\\\..\\\\ra\\"p\\"port.txt', data)])),
        "windows": raw(api, path, *multipart([file_part(b"C:\\\\Users\\\\ola\\\\notat\x00\t.txt", data)])),
        "dots": raw(api, path, *multipart([file_part(b"../..", data)])),
    }
    for what, r in sent.items():
        assert r.status_code == 201, (what, r.text)
    names = {what: r.json()["filename"] for what, r in sent.items()}
    assert names == {
        "httpx": "pass_wd_.txt",
        "escapes": "rap_port_.txt",
        "quoted": "ra_p_port.txt",
        "windows": "notat_.txt",
        "dots": "vedlegg",
    }
    for what, r in sent.items():
        name = names[what]
        assert not re.search(r'[/\\"\x00-\x1f\x7f]', name), (what, name)
        got = api.get(f"/attachments/{r.json()['id']}/content")
        assert got.content == data
        assert got.headers["content-disposition"] == disposition(name)
    # The names are nowhere on disk: the one file is named by its hash, inside the data directory.
    root = world.samordna.attachments.storage.root
    on_disk = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    assert on_disk == [f"attachments/{hashlib.sha256(data).hexdigest()[:2]}/{hashlib.sha256(data).hexdigest()}"]


# ---------------------------------------------------------------- who may


def test_another_areas_attachment_is_404_everywhere(api: Api, world: World) -> None:
    m = world.register()
    made = upload(api, f"/measures/{m.id}/attachments", "Hemmelig rapport.pdf", files.pdf(["Alfa"])).json()
    alfa_meeting = meeting(world)
    on_meeting = upload(api, f"/meetings/{alfa_meeting}/attachments", "Referat.txt", files.txt()).json()
    before = state(world)
    outsider = "beta_coordinator"
    answers = {
        "metadata": api.get(f"/attachments/{made['id']}", outsider),
        "content": api.get(f"/attachments/{made['id']}/content", outsider),
        "delete": api.request("DELETE", f"/attachments/{made['id']}", outsider),
        "meeting file": api.get(f"/attachments/{on_meeting['id']}/content", outsider),
        "list": api.get(f"/measures/{m.id}/attachments", outsider),
        "upload": upload(api, f"/measures/{m.id}/attachments", "Inntrenger.txt", files.txt(), outsider),
        "meeting list": api.get(f"/meetings/{alfa_meeting}/attachments", outsider),
        "meeting upload": upload(api, f"/meetings/{alfa_meeting}/attachments", "Inntrenger.txt", b"x", outsider),
    }
    for what, r in answers.items():
        body = assert_error(r, 404)
        assert "Hemmelig" not in r.text and "Referat" not in r.text, what
        assert body["detail"].startswith("Fant ikke"), (what, body)
    nothing_kept(world, before)
    assert api.get(f"/attachments/{made['id']}").status_code == 200  # still there for alfa


def test_a_viewer_reads_files_but_cannot_upload(api: Api, world: World) -> None:
    m = world.register()
    made = upload(api, f"/measures/{m.id}/attachments", "Rapport.pdf", files.pdf(["Rapport"])).json()
    before = state(world)
    for who in ("viewer", "steering"):
        r = upload(api, f"/measures/{m.id}/attachments", "Min fil.txt", files.txt(), who)
        body = assert_error(r, 403)
        assert body["allowed_roles"] == ["coordinator", "coordination", "executing"]
        assert "kan legge til vedlegg" in body["detail"]
        assert api.get(f"/attachments/{made['id']}/content", who).status_code == 200
        assert_error(api.request("DELETE", f"/attachments/{made['id']}", who), 403)
    nothing_kept(world, before)


def test_executing_staff_of_a_unit_that_has_the_measure_may_upload(api: Api, world: World) -> None:
    """Ungdomsskolene is responsible, Politiet takes part: both may add files; a unit that has nothing to do with
    it may not. Whoever added a file may remove it, the other unit may not, coordination may."""
    m = measure_in(world, "in_follow_up", participating_unit_ids=[world.unit("Politiet")])
    police_only = measure_in(world, "in_follow_up")  # Ungdomsskolene alone
    own = upload(api, f"/measures/{m.id}/attachments", "Skolens notat.txt", files.txt("Skolen"), "executing")
    assert own.status_code == 201, own.text
    police = "executing_police"
    theirs = upload(api, f"/measures/{m.id}/attachments", "Politiets notat.txt", files.txt("Politi"), police)
    assert theirs.status_code == 201, theirs.text
    refused = upload(api, f"/measures/{police_only.id}/attachments", "Politi.txt", files.txt(), police)
    assert_error(refused, 403)

    r = api.request("DELETE", f"/attachments/{own.json()['id']}", "executing_police")
    body = assert_error(r, 403)
    assert "Bare den som la til vedlegget" in body["detail"]
    assert api.request("DELETE", f"/attachments/{own.json()['id']}", "executing").status_code == 200
    assert api.request("DELETE", f"/attachments/{theirs.json()['id']}", "coordination").status_code == 200


# ---------------------------------------------------------------- bodies without a file


NOT_AN_UPLOAD = "Forespørselen er ikke en filopplasting (multipart/form-data med én fil i feltet «file»)."


def test_bodies_without_a_file_are_refused_precisely(api: Api, world: World) -> None:
    m = world.register()
    path = f"/measures/{m.id}/attachments"
    before = state(world)
    # Not multipart at all: 400.
    for r in (
        api.post(path, {"file": "rapport.pdf"}),
        raw(api, path, b"file=rapport.pdf", "application/x-www-form-urlencoded"),
        raw(api, path, b"%PDF-1.7", "application/pdf"),
        raw(api, path, b"--x\r\n", "multipart/form-data"),  # no boundary
    ):
        assert_error(r, 400, detail=NOT_AN_UPLOAD)
    # Multipart, but not one file in `file`: 400.
    for parts in (
        [file_part(b"a.txt", b"a", name=b"dokument")],
        [file_part(b"a.txt", b"a"), file_part(b"b.txt", b"b")],
    ):
        assert_error(raw(api, path, *multipart(parts)), 400, detail=NOT_AN_UPLOAD)
    # A multipart body cut off before its closing boundary: the file is not whole.
    assert_error(raw(api, path, *multipart([file_part(b"a.txt", files.txt())], close=False)), 400)
    # No file chosen: 422 on the field, as a form would show it.
    for parts in ([field_part(b"note", b"Hei")], [file_part(b"", b"")]):
        assert field_errors(raw(api, path, *multipart(parts))) == {"file": "Velg en fil å laste opp."}
    # An empty file.
    assert field_errors(upload(api, path, "tom.pdf", b"")) == {"file": "Filen er tom."}
    nothing_kept(world, before)
    assert api.measure(m.id)["version"] == m.version


def test_without_a_token_is_401(api: Api, world: World) -> None:
    m = world.register()
    r = api.request("POST", f"/measures/{m.id}/attachments", None, files={"file": ("a.txt", b"a")})
    assert_error(r, 401)


def test_a_client_that_goes_away_mid_upload_leaves_nothing_and_no_error(
    api: Api, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A closed laptop lid in the middle of an upload: the temporary file is removed, no row is written, and the
    server does not log it as its own failure."""
    m = world.register()
    host, port = api.base_url.removeprefix("http://").split(":")
    head = (
        f"POST /api/v1/measures/{m.id}/attachments HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {world.tokens['coordinator']}\r\n"
        "Content-Type: multipart/form-data; boundary=grense\r\nContent-Length: 10000000\r\n\r\n"
        '--grense\r\nContent-Disposition: form-data; name="file"; filename="Halvveis.txt"\r\n\r\n'
    ).encode()
    tmp = world.samordna.attachments.storage.tmp_dir
    with socket.create_connection((host, int(port)), timeout=20) as s:
        s.sendall(head + files.txt() * 20_000)  # about 700 kB of the 10 MB announced
        deadline = time.monotonic() + 20
        while not any(p.stat().st_size > 0 for p in tmp.glob("upload-*")):
            assert time.monotonic() < deadline, "the server wrote nothing of the upload"
            time.sleep(0.02)
    deadline = time.monotonic() + 20
    while temporary_files(world.samordna):
        assert time.monotonic() < deadline, temporary_files(world.samordna)
        time.sleep(0.02)
    assert rows(world.samordna) == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]


# ---------------------------------------------------------------- removal and purging


def test_delete_removes_the_file_from_the_measure_and_keeps_it_until_purged(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    m = world.register()
    data = files.pdf(["Rapport som fjernes"])
    made = upload(api, f"/measures/{m.id}/attachments", "Rapport.pdf", data).json()
    version = api.measure(m.id)["version"]
    r = api.request("DELETE", f"/attachments/{made['id']}", "coordination")
    assert r.status_code == 200, r.text
    gone = r.json()
    assert gone["id"] == made["id"] and gone["removed_at"]
    event = api.events(m.id)[-1]
    assert event["trigger"] == "detach" and event["version"] == version + 1
    assert event["data"] == {"attachment_id": made["id"], "filename": "Rapport.pdf"}
    assert event["actor"]["id"] == world.user_ids["coordination"]
    for path in (f"/attachments/{made['id']}", f"/attachments/{made['id']}/content"):
        assert_error(api.get(path), 404)
    assert_error(api.request("DELETE", f"/attachments/{made['id']}"), 404)  # once
    assert api.get(f"/measures/{m.id}/attachments").json() == []
    assert made["sha256"] in kept_files(world.samordna)  # kept until purged

    settings = world.samordna.settings
    monkeypatch.setenv("SAMORDNA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAMORDNA_DATA_DIR", str(settings.data_dir))
    assert cli.main(["attachments", "purge", "--days", "0"]) == 0
    assert "1 fjernede vedlegg slettet for godt" in capsys.readouterr().out
    assert made["sha256"] not in kept_files(world.samordna)
    assert rows(world.samordna)[0]["purged_at"] is not None


# ---------------------------------------------------------------- meetings


def test_meeting_files_use_the_same_routes_for_the_coordinator(api: Api, world: World) -> None:
    held = meeting(world)
    data = files.pdf(["Signert referat"])
    r = upload(api, f"/meetings/{held}/attachments", "Signert referat.pdf", data)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["meeting_id"] == held and made["measure_id"] is None and made["kind"] == "pdf"
    assert api.get(f"/meetings/{held}/attachments", "viewer").json() == [made]
    got = api.get(f"/attachments/{made['id']}/content", "executing")
    assert got.content == data and got.headers["content-disposition"] == disposition("Signert referat.pdf")
    before = state(world)
    for who in ("steering", "coordination", "executing", "viewer"):
        body = assert_error(upload(api, f"/meetings/{held}/attachments", "Min.txt", files.txt(), who), 403)
        assert body["allowed_roles"] == ["coordinator"]
        assert_error(api.request("DELETE", f"/attachments/{made['id']}", who), 403)
    nothing_kept(world, before)
    assert api.request("DELETE", f"/attachments/{made['id']}").status_code == 200
    assert api.get(f"/meetings/{held}/attachments").json() == []
    with world.samordna.db.read() as s:
        kinds = s.execute(
            select(AuditEntry.kind).where(AuditEntry.kind.in_(("attachment_added", "attachment_removed")))
        ).scalars()
        assert sorted(kinds) == ["attachment_added", "attachment_removed"]


def test_a_meeting_of_a_body_the_member_does_not_read_hides_its_files(api: Api, world: World) -> None:
    closed = meeting(world, "coordination")  # viewers and executing staff do not read the coordination group
    made = upload(api, f"/meetings/{closed}/attachments", "Referat.txt", files.txt()).json()
    for who in ("viewer", "executing"):
        assert_error(api.get(f"/attachments/{made['id']}", who), 404)
        assert_error(api.get(f"/attachments/{made['id']}/content", who), 404)
        assert api.get(f"/meetings/{closed}/attachments", who).status_code == 403
