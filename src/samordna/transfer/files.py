"""The attachments' files in a backup: `samordna backup FILE` writes the database to FILE and the files its rows
name to the folder FILE.data beside it, laid out as the data directory (`attachments/ab/abcdef…`, see
samordna.attachments.storage), so a restore puts them back where they were.

The files are copied after the database's snapshot and exactly those the snapshot names (its attachments not
yet purged): a file uploaded after the snapshot is not in the backup, as its row is not. A stored file never
changes — it is named by its content's hash and replaced by nothing — so a hard link is as good a copy as a
copy of its bytes, costs no space and survives the purge of the original: on the same file system the files
are linked, elsewhere copied (checked against the hash they are named by — a file whose bytes do not match is
left out and reported — and synced to disk).

The folder is written beside its place (`FILE.data.part`) and renamed into place when whole. A restore writes
the files into the data directory the same way (`attachments.restoring`), before the database is touched, and
swaps them in after the database is restored.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from samordna.attachments.storage import Storage

DATA_SUFFIX = ".data"
_HASH = re.compile(r"[0-9a-f]{64}")


def data_path(backup: Path) -> Path:
    """Where the backup in `backup` keeps the attachments' files: FILE.data."""
    return backup.with_name(backup.name + DATA_SUFFIX)


@dataclass
class Copied:
    """What a copy of the files did: how many files and bytes, how many of them hard-linked; the hashes of the
    files that were not found (`missing`: of attachments in use; `missing_removed`: of removed ones, which nobody
    can open any more, only purge) or whose bytes do not match their name (`damaged`)."""

    files: int = 0
    size: int = 0
    linked: int = 0
    missing: list[str] = field(default_factory=list)
    missing_removed: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)


def copy_files(source: Path, wanted: Mapping[str, bool], target: Path) -> Copied:
    """The files of `wanted` (hash → whether an attachment in use names it) from the data directory `source`
    into the folder `target`, laid out as a data directory; `target` is replaced as a whole when done."""
    part = target.with_name(target.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    try:
        done = _copy_into(Storage(source), Storage(part), wanted)
        _replace_folder(part, target)
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    return done


def held(data_dir: Path) -> int:
    """How many files the data directory's attachments folder holds (a restore refuses to replace them unless
    told to)."""
    files_dir = Storage(data_dir).files_dir
    if not files_dir.is_dir():
        return 0
    return sum(1 for p in files_dir.rglob("*") if p.is_file())


def stage_restore(backup_data: Path, data_dir: Path) -> tuple[Path, Copied]:
    """Every file of the backup's folder, written into a folder beside the data directory's attachments folder
    (`attachments.restoring`), not yet in place: `swap_in` puts it there."""
    storage = Storage(data_dir)
    staging = storage.files_dir.with_name(storage.files_dir.name + ".restoring")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    source = Storage(backup_data)
    wanted = {p.name: True for p in source.files_dir.glob("??/*") if _HASH.fullmatch(p.name) and p.is_file()}
    try:
        done = _copy_into(source, _Layout(staging), wanted)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging, done


def swap_in(staging: Path, data_dir: Path) -> None:
    """The staged files become the data directory's attachments folder; what was there is removed."""
    _replace_folder(staging, Storage(data_dir).files_dir)


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def present(data_dir: Path, hashes: Mapping[str, bool]) -> tuple[list[str], list[str]]:
    """Of the hashes, those whose file the data directory lacks: (of attachments in use, of removed ones)."""
    storage = Storage(data_dir)
    lacking = [h for h in sorted(hashes) if not storage.path_for(h).is_file()]
    return [h for h in lacking if hashes[h]], [h for h in lacking if not hashes[h]]


# ---------------------------------------------------------------- internals


@dataclass(frozen=True)
class _Layout:
    """A folder laid out as the attachments folder itself (`ab/abcdef…`), for the staging of a restore."""

    files_dir: Path

    def path_for(self, sha256: str) -> Path:
        return self.files_dir / sha256[:2] / sha256


def _copy_into(source: Storage, target: Storage | _Layout, wanted: Mapping[str, bool]) -> Copied:
    done = Copied()
    link = True  # until a link fails: then every file is copied
    for sha256 in sorted(wanted):
        src, dst = source.path_for(sha256), target.path_for(sha256)
        if not src.is_file():
            (done.missing if wanted[sha256] else done.missing_removed).append(sha256)
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if link:
            try:
                os.link(src, dst)
                done.linked += 1
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES):
                    raise
                link = False
        if not dst.exists() and not _copy_checked(src, dst, sha256):
            dst.unlink()  # bytes that are not what the name says are not passed on
            done.damaged.append(sha256)
            continue
        done.files += 1
        done.size += dst.stat().st_size
    for folder in {target.files_dir, *(p.parent for p in target.files_dir.glob("??/*"))}:
        _sync_folder(folder)
    return done


def _copy_checked(src: Path, dst: Path, sha256: str) -> bool:
    """Copy the bytes, synced to disk; whether they hash to the name they are kept under."""
    digest = hashlib.sha256()
    with open(src, "rb") as a, open(dst, "wb") as b:
        while chunk := a.read(1 << 20):
            digest.update(chunk)
            b.write(chunk)
        b.flush()
        os.fsync(b.fileno())
    shutil.copystat(src, dst)
    return digest.hexdigest() == sha256


def _replace_folder(new: Path, target: Path) -> None:
    """`new` renamed to `target`; an old `target` is renamed aside first and removed after."""
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    _sync_folder(target.parent)
    shutil.rmtree(old, ignore_errors=True)


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
