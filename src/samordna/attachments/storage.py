"""Where the files of attachments live: under the data directory (`SAMORDNA_DATA_DIR`), each named by the
SHA-256 of its content (`attachments/ab/abcdef…`), so the same file uploaded twice is kept once and a name
says nothing about what is in it. Uploads in progress are written under `tmp/`, named for the machine and
process that writes them, and moved into place (one rename, atomic on one file system) when they are whole.

After a crash: an upload cut off leaves a file under `tmp/` whose process is gone, and a crash between the
rename and the commit leaves a file no row names. `sweep` removes both when a server starts."""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

HOST = socket.gethostname().replace("-", "_")[:40] or "host"
STALE_SECONDS = 24 * 3600  # a temporary file this old is gone whoever wrote it
ORPHAN_SECONDS = 600  # a placed file no row names, older than this, was left by a crash (not an upload under way)


@dataclass(frozen=True)
class Storage:
    root: Path  # the data directory

    @property
    def files_dir(self) -> Path:
        return self.root / "attachments"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    def temp_path(self) -> Path:
        """A new temporary file's path, named for this machine and process (so a sweep knows whose it is)."""
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        return self.tmp_dir / f"upload-{HOST}-{os.getpid()}-{uuid.uuid4().hex}"

    def path_for(self, sha256: str) -> Path:
        return self.files_dir / sha256[:2] / sha256

    def place(self, temp: Path, sha256: str) -> bool:
        """Move a whole upload into place under its hash; whether the file is new (False: the same content was
        already kept, and the temporary file is removed)."""
        target = self.path_for(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            temp.unlink(missing_ok=True)
            return False
        os.replace(temp, target)
        return True

    def discard(self, path: Path | None) -> None:
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

    def sweep(self, referenced: Callable[[Iterable[str]], set[str]], *, now: float | None = None) -> tuple[int, int]:
        """Remove what crashes left: temporary files of processes of this machine that are gone (or of any
        machine, after a day), and placed files that no attachment names (older than ten minutes, so an upload
        another worker is committing right now is left alone). `referenced(hashes)` answers which of the
        hashes a row names. (temporary files removed, orphans removed)."""
        now = time.time() if now is None else now
        temps = 0
        if self.tmp_dir.is_dir():
            for path in self.tmp_dir.iterdir():
                if _abandoned(path, now):
                    self.discard(path)
                    temps += 1
        orphans = 0
        if self.files_dir.is_dir():
            placed = {p.name: p for p in self.files_dir.glob("??/*") if p.is_file()}
            names = set(referenced(list(placed)))
            for name, path in placed.items():
                if name not in names and now - path.stat().st_mtime > ORPHAN_SECONDS:
                    self.discard(path)
                    orphans += 1
        return temps, orphans

    def size_on_disk(self) -> int:
        if not self.files_dir.is_dir():
            return 0
        return sum(p.stat().st_size for p in self.files_dir.glob("??/*") if p.is_file())


def _abandoned(path: Path, now: float) -> bool:
    """Whether the temporary file's writer is gone: a process of this machine that no longer runs, or a day old."""
    try:
        age = now - path.stat().st_mtime
    except OSError:
        return False
    if age > STALE_SECONDS:
        return True
    parts = path.name.split("-")
    if len(parts) != 4 or parts[0] != "upload" or parts[1] != HOST or not parts[2].isdigit():
        return False
    return not _alive(int(parts[2]))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
