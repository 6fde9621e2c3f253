"""Retention (DESIGN.md §14): a removed attachment keeps its file until `samordna attachments purge --days N`,
which deletes the files of attachments removed more than N days ago — but not a file another attachment (the
same content, uploaded again) still names — and says so in Norwegian; a negative N is refused. `attachments
status` counts what is kept."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from samordna import cli
from tests.attachments import files
from tests.attachments.support import empty_data_dir, kept_files, rows
from tests.factories import World

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Run]:
    """`run("purge", "--days", "30")`: the command against the test database and data directory, as a shell
    would run it (its own services and clock); (exit status, stdout, stderr)."""
    empty_data_dir(world.samordna)
    settings = world.samordna.settings
    monkeypatch.setenv("SAMORDNA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAMORDNA_DATA_DIR", str(settings.data_dir))

    def run_(*argv: str) -> tuple[int, str, str]:
        status = cli.main(["attachments", *argv])
        out = capsys.readouterr()
        return status, out.out, out.err

    yield run_


def add(world: World, measure_id: int, name: str, data: bytes, who: str = "coordinator") -> int:
    files_ = world.samordna.attachments
    temp = files_.temp_path()
    temp.write_bytes(data)
    return files_.add(actor=world.actors[who], temp=temp, filename=name, measure_id=measure_id).id


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def remove(world: World, attachment_id: int, days_ago: int) -> None:
    """Remove the attachment as if it happened `days_ago` days before now."""
    clock = world.samordna.clock
    real = datetime.now(UTC)
    clock.source = lambda: real - timedelta(days=days_ago)
    try:
        world.samordna.attachments.remove(actor=world.actors["coordinator"], attachment_id=attachment_id)
    finally:
        clock.source = lambda: datetime.now(UTC)


def test_purge_deletes_only_the_files_of_attachments_removed_long_enough_ago(world: World, run: Run) -> None:
    m, other = world.register(), world.register(title="Et annet tiltak")
    shared = files.pdf(["Den samme rapporten"])
    old = files.txt("Gammelt notat\n" * 30_000)  # about 420 kB, so the freed size shows
    recent = files.txt("Nylig fjernet\n")
    twice = files.txt("Lastet opp to ganger, begge fjernet\n")
    ids = {
        "shared, removed": add(world, m.id, "Rapport.pdf", shared),
        "shared, kept": add(world, other.id, "Rapport (kopi).pdf", shared),
        "old": add(world, m.id, "Gammelt.txt", old),
        "recent": add(world, m.id, "Nylig.txt", recent),
        "twice 1": add(world, m.id, "To.txt", twice),
        "twice 2": add(world, other.id, "To igjen.txt", twice),
        "never removed": add(world, m.id, "Beholdes.txt", files.txt("Beholdes\n")),
    }
    for key in ("shared, removed", "old", "twice 1", "twice 2"):
        remove(world, ids[key], days_ago=40)
    remove(world, ids["recent"], days_ago=5)
    before = set(kept_files(world.samordna))

    status, out, err = run("purge", "--days", "30")
    assert (status, err) == (0, "")
    freed = len(old) + len(twice)
    assert out == f"4 fjernede vedlegg slettet for godt ({freed / 1e6:.1f} MB frigjort).\n"
    purged = {r["id"] for r in rows(world.samordna) if r["purged_at"] is not None}
    assert purged == {ids[k] for k in ("shared, removed", "old", "twice 1", "twice 2")}
    assert set(kept_files(world.samordna)) == before - {sha(old), sha(twice)}
    assert sha(shared) in kept_files(world.samordna)  # «Rapport (kopi).pdf» still names it
    assert sha(recent) in kept_files(world.samordna)  # removed five days ago: kept for now
    shared_copy = world.samordna.attachments.open(actor=world.actors["viewer"], attachment_id=ids["shared, kept"])
    assert shared_copy[1].read_bytes() == shared

    # Again: nothing more to do. With --days 0 the one removed five days ago goes too.
    assert run("purge", "--days", "30")[1] == "0 fjernede vedlegg slettet for godt (0.0 MB frigjort).\n"
    assert run("purge", "--days", "0")[1].startswith("1 fjernede vedlegg slettet for godt")
    assert sha(recent) not in kept_files(world.samordna)


def test_a_negative_number_of_days_is_refused(world: World, run: Run) -> None:
    m = world.register()
    kept = add(world, m.id, "Notat.txt", files.txt())
    remove(world, kept, days_ago=40)
    status, out, err = run("purge", "--days", "-1")
    assert (status, out) == (2, "")
    assert err == "Feil: --days kan ikke være negativ.\n"
    assert all(r["purged_at"] is None for r in rows(world.samordna))
    assert len(kept_files(world.samordna)) == 1


def test_status_counts_what_is_kept_and_tidies_what_a_crash_left(world: World, run: Run) -> None:
    m = world.register()
    add(world, m.id, "Notat.txt", files.txt("x" * 300_000))
    dead = world.samordna.attachments.temp_path().with_name(f"upload-annenmaskin-1-{'0' * 32}")  # another machine's
    dead.write_bytes(b"halvveis")
    old = datetime.now(UTC).timestamp() - 2 * 24 * 3600  # more than a day old: gone, whoever wrote it
    os.utime(dead, (old, old))
    status, out, _err = run("status")
    assert status == 0
    data_dir = world.samordna.settings.data_dir
    assert out == f"1 vedlegg (0.3 MB) under {data_dir}.\nRyddet 1 avbrutte opplastinger og 0 filer uten vedlegg.\n"
    assert not dead.exists()
