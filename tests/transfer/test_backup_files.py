"""The attachments' files in `samordna backup` and `samordna restore`, on SQLite and PostgreSQL: the backup holds
exactly the files its database snapshot names (in FILE.data, laid out as the data directory, hard-linked on the
same file system, copied and checked elsewhere), and a restore puts them back so every attachment opens again;
a data directory that holds files is not replaced without --force; a file that is missing or damaged is named
and fails the command (exit code 1) while the database part is done."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from samordna.attachments.storage import Storage
from samordna.attachments.views import AttachmentView
from samordna.services import Services
from samordna.settings import Settings
from samordna.store.db import Database
from samordna.transfer import backup as engines
from samordna.transfer.files import data_path
from samordna.transfer.service import backup_database
from tests.factories import World
from tests.transfer.conftest import NewDatabase, backup_name, samordna_cli


def attach(world: World, measure_id: int, name: str, text: str, who: str = "coordinator") -> AttachmentView:
    """A text file on the measure, through the service (its content made unique by the caller)."""
    attachments = world.samordna.attachments
    temp = attachments.temp_path()
    temp.write_text(text, encoding="utf-8")
    return attachments.add(actor=world.actors[who], temp=temp, filename=name, measure_id=measure_id)


def stored(folder: Path) -> set[str]:
    """The names of the files laid out under a data directory (or a backup's folder)."""
    return {p.name for p in Storage(folder).files_dir.glob("??/*")}


def opened(url: str, data_dir: Path, world: World, attachment_id: int) -> bytes:
    """The attachment's file as the installation at `url` with `data_dir` hands it out (the same ids: a restore
    keeps them)."""
    services = Services.build(Settings(database_url=url, data_dir=data_dir), db=Database.from_url(url))
    try:
        _view, path = services.attachments.open(actor=world.actors["coordinator"], attachment_id=attachment_id)
        return path.read_bytes()
    finally:
        services.db.dispose()


def three_files(world: World, tmp_path: Path) -> tuple[AttachmentView, AttachmentView, AttachmentView]:
    """Two files in use and one removed (kept until purged), with content no other test has."""
    m = world.register(title="Evaluering med vedlegg")
    tag = tmp_path.name
    report = attach(world, m.id, "Evalueringsrapport.txt", f"Evaluering av tiltaket ({tag}).\nÆrlig og kort.\n")
    minutes = attach(world, m.id, "Referat.txt", f"Referat fra møtet ({tag}).\n")
    old = attach(world, m.id, "Utkast.txt", f"Et utkast som ble fjernet ({tag}).\n")
    world.samordna.attachments.remove(actor=world.actors["coordinator"], attachment_id=old.id)
    return report, minutes, old


def test_backup_holds_the_snapshots_files_and_restore_puts_them_back(
    world: World,
    engine_name: str,
    new_database: NewDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source_dir = world.samordna.settings.data_dir
    report, minutes, old = three_files(world, tmp_path)
    # A file no row names (an upload that crashed before its commit): not the backup's business.
    orphan = Storage(source_dir).path_for("0" * 64)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"ingen rad peker hit")

    file = backup_name(engine_name, tmp_path)
    source = world.samordna.settings.database_url
    assert samordna_cli(monkeypatch, source, "backup", str(file), data_dir=source_dir) == 0
    said = capsys.readouterr().out
    folder = data_path(file)
    assert f"Vedlegg: 3 filer (0.0 MB) lenket til {folder}." in said
    assert folder.name == file.name + ".data" and not folder.with_name(folder.name + ".part").exists()
    assert stored(folder) == {report.sha256, minutes.sha256, old.sha256}
    for a in (report, minutes, old):
        kept, original = Storage(folder).path_for(a.sha256), Storage(source_dir).path_for(a.sha256)
        assert kept.read_bytes() == original.read_bytes()
        assert kept.stat().st_ino == original.stat().st_ino  # the same file system here: linked, not copied

    target, restored = new_database(), tmp_path / "gjenopprettet"
    assert samordna_cli(monkeypatch, target, "restore", str(file), data_dir=restored) == 0
    said = capsys.readouterr().out
    assert f"Vedlegg: 3 filer (0.0 MB) lenket til {restored}." in said
    assert stored(restored) == {report.sha256, minutes.sha256, old.sha256}
    assert not (restored / "attachments.restoring").exists()
    for a in (report, minutes):
        assert opened(target, restored, world, a.id) == opened(source, source_dir, world, a.id)
    assert engines.kept_files(target) == {report.sha256: True, minutes.sha256: True, old.sha256: False}


def test_a_data_directory_with_files_is_not_replaced_without_force(
    world: World,
    engine_name: str,
    new_database: NewDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source_dir = world.samordna.settings.data_dir
    report, minutes, old = three_files(world, tmp_path)
    file = backup_name(engine_name, tmp_path)
    assert (
        samordna_cli(monkeypatch, world.samordna.settings.database_url, "backup", str(file), data_dir=source_dir) == 0
    )

    target, data_dir = new_database(), tmp_path / "full"
    stray = Storage(data_dir).path_for("ab" + "c" * 62)
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"en annen installasjons fil")
    capsys.readouterr()
    assert samordna_cli(monkeypatch, target, "restore", str(file), data_dir=data_dir) == 1
    err = capsys.readouterr().err
    assert f"Feil: Datamappen {data_dir} er ikke tom (1 filer under attachments/)" in err and "--force" in err
    # Nothing was touched: the database is still empty, the file still there, nothing left half-made.
    assert engines.contents(target).empty
    assert stored(data_dir) == {stray.name} and stray.read_bytes() == b"en annen installasjons fil"
    assert sorted(p.name for p in data_dir.iterdir()) == ["attachments"]

    assert samordna_cli(monkeypatch, target, "restore", "--force", str(file), data_dir=data_dir) == 0
    assert stored(data_dir) == {report.sha256, minutes.sha256, old.sha256}  # the stray file went with its database
    assert opened(target, data_dir, world, minutes.id) == Storage(source_dir).path_for(minutes.sha256).read_bytes()
    assert sorted(p.name for p in data_dir.iterdir()) == ["attachments"]


def test_a_missing_file_is_named_and_fails_the_backup(
    world: World,
    engine_name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source_dir = world.samordna.settings.data_dir
    report, minutes, old = three_files(world, tmp_path)
    for a in (report, old):  # lost: one in use, one removed (which nobody can open any more)
        Storage(source_dir).path_for(a.sha256).unlink()
    file = backup_name(engine_name, tmp_path)
    assert (
        samordna_cli(monkeypatch, world.samordna.settings.database_url, "backup", str(file), data_dir=source_dir) == 1
    )
    out, err = capsys.readouterr()
    assert f"Sikkerhetskopi skrevet til {file}" in out and file.is_file()  # the database part is done
    assert "Vedlegg: 1 filer" in out
    assert "1 fjernede vedlegg mangler filen sin" in out
    assert f"Feil: 1 vedlegg i bruk mangler filen sin i {source_dir}: {report.sha256[:12]}" in err
    assert stored(data_path(file)) == {minutes.sha256}


def test_on_another_file_system_the_files_are_copied_and_checked(
    world: World,
    engine_name: str,
    new_database: NewDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source_dir = world.samordna.settings.data_dir
    report, minutes, old = three_files(world, tmp_path)

    def cross_device(src: object, dst: object, **kw: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    file = backup_name(engine_name, tmp_path)
    assert (
        samordna_cli(monkeypatch, world.samordna.settings.database_url, "backup", str(file), data_dir=source_dir) == 0
    )
    assert "Vedlegg: 3 filer (0.0 MB) kopiert til" in capsys.readouterr().out
    copy = Storage(data_path(file)).path_for(report.sha256)
    assert copy.stat().st_ino != Storage(source_dir).path_for(report.sha256).stat().st_ino
    assert copy.read_bytes() == Storage(source_dir).path_for(report.sha256).read_bytes()

    # The backup's copy of the report rots; the restore copies and checks it, and leaves it out.
    data = bytearray(copy.read_bytes())
    data[0] ^= 0x20
    copy.write_bytes(bytes(data))
    target, restored = new_database(), tmp_path / "gjenopprettet"
    assert samordna_cli(monkeypatch, target, "restore", str(file), data_dir=restored) == 1
    out, err = capsys.readouterr()
    assert "Vedlegg: 2 filer (0.0 MB) kopiert til" in out
    assert f"Feil: 1 filer er skadet (innholdet stemmer ikke med navnet) og er utelatt: {report.sha256[:12]}" in err
    assert f"Feil: 1 vedlegg i bruk mangler filen sin i {restored}: {report.sha256[:12]}" in err
    assert stored(restored) == {minutes.sha256, old.sha256}
    assert opened(target, restored, world, minutes.id) == Storage(source_dir).path_for(minutes.sha256).read_bytes()


def test_a_backup_without_files_leaves_the_data_directory_alone_and_says_what_is_missing(
    world: World,
    engine_name: str,
    new_database: NewDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A backup taken without the data directory (by code, or before backups held files): the restore finds no
    FILE.data, touches no file and names the attachments whose file is not there."""
    report, minutes, old = three_files(world, tmp_path)
    file = backup_name(engine_name, tmp_path)
    backup_database(url=world.samordna.settings.database_url, path=file)
    assert not data_path(file).exists()
    target, data_dir = new_database(), tmp_path / "andre"
    present = Storage(data_dir).path_for(minutes.sha256)  # this one was put back by hand
    present.parent.mkdir(parents=True)
    present.write_bytes(Storage(world.samordna.settings.data_dir).path_for(minutes.sha256).read_bytes())
    capsys.readouterr()
    assert samordna_cli(monkeypatch, target, "restore", str(file), data_dir=data_dir) == 1
    out, err = capsys.readouterr()
    assert f"Ingen vedleggsmappe ({data_path(file)}) i sikkerhetskopien: {data_dir} er urørt." in out
    assert "1 fjernede vedlegg mangler filen sin" in out
    assert f"Feil: 1 vedlegg i bruk mangler filen sin i {data_dir}: {report.sha256[:12]}" in err
    assert stored(data_dir) == {minutes.sha256}
