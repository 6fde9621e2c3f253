"""A second empty, migrated database of the same engine (the import's target), and an area of the test world
filled with every kind of row the export carries: measures in many states with their history, participating
units and status reports, a decision taken in a meeting, minutes approved in the next one, attendance with a
guest, a cancelled meeting, a renamed body, milestones, a deactivated unit and membership."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from samordna import cli
from samordna.services import Services
from samordna.settings import Settings
from samordna.store.db import Database
from tests.conftest import (
    PG_URL,
    TABLES,
    drop_postgres,
    empty_tables,
    fresh_postgres_url,
    migrated_database,
    skip_or_fail,
)
from tests.factories import World, valid_data

NewDatabase = Callable[[], str]

SLOT = {"start": "09:00", "end": "11:00", "place": "Rådhuset"}


@pytest.fixture(autouse=True)
def own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SAMORDNA_DATA_DIR for every command a test here runs (in this process or a child): a folder of the test's
    own, never the project's var/data, which a restore would replace."""
    folder = tmp_path / "data"
    monkeypatch.setenv("SAMORDNA_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def new_database(engine_name: str, tmp_path: Path) -> Iterator[NewDatabase]:
    """`new_database()`: the URL of a database that does not hold anything yet (a SQLite file not made yet, or
    an empty PostgreSQL database made for this test and dropped after it)."""
    made: list[str] = []
    if engine_name == "postgres" and not all(shutil.which(tool) for tool in ("pg_dump", "pg_restore", "psql")):
        skip_or_fail("the PostgreSQL client tools are missing: apt-get install postgresql-client")

    def new() -> str:
        if engine_name == "sqlite":
            folder = tmp_path / f"db{len(made)}"
            folder.mkdir()
            url = f"sqlite:///{folder / 'samordna.sqlite3'}"
        else:
            url = fresh_postgres_url(PG_URL)
        made.append(url)
        return url

    yield new
    if engine_name == "postgres":
        for url in made:
            drop_postgres(url, PG_URL)


def samordna_cli(monkeypatch: pytest.MonkeyPatch, url: str, *argv: str, data_dir: Path | None = None) -> int:
    """`samordna ARGV` in this process over the database at `url` (and the data directory `data_dir`, else the
    test's own: see own_data_dir)."""
    monkeypatch.setenv("SAMORDNA_DATABASE_URL", url)
    if data_dir is not None:
        monkeypatch.setenv("SAMORDNA_DATA_DIR", str(data_dir))
    return cli.main(list(argv))


def backup_name(engine_name: str, tmp_path: Path, name: str = "natt") -> Path:
    return tmp_path / (f"{name}.sqlite3" if engine_name == "sqlite" else f"{name}.dump")


@pytest.fixture(scope="session")
def target_url(engine_name: str, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second, empty database beside the test database: where an area is imported or a backup restored."""
    yield from migrated_database(engine_name, sqlite_template, tmp_path_factory, "target")


@pytest.fixture(scope="session")
def session_target(target_url: str) -> Iterator[Services]:
    samordna = Services.build(
        Settings(database_url=target_url, secret_key="target-" + "x" * 32), db=Database.from_url(target_url)
    )
    yield samordna
    samordna.db.dispose()


@pytest.fixture
def target(session_target: Services) -> Services:
    """The services over a second database of the same engine, emptied: where the area is imported."""
    empty_tables(session_target.db)
    return session_target


def row_counts(samordna: Services) -> dict[str, int]:
    """Rows per table: what «nothing was written» is checked against."""
    from sqlmodel import SQLModel

    with samordna.db.read() as s:
        return {
            t: s.execute(select(func.count()).select_from(SQLModel.metadata.tables[t])).scalar_one() for t in TABLES
        }


def fill_area(world: World) -> dict[str, Any]:
    """Area alfa with one of everything; what was made, by name."""
    samordna, coordinator = world.samordna, world.actors["coordinator"]
    meetings, today = samordna.meetings, world.today()

    need = world.register(title="Et behov som venter")
    declined = world.fire("coordination", world.register(title="Dekkes allerede"), "decline")
    assigned = world.advance(world.register(title="Leksehjelp «Torsdag» – 8.–10. trinn 😊"), "initiated")
    assign = valid_data(world, "assign") | {
        "participating_unit_ids": [world.unit("Politiet"), world.unit("Kultur og fritid")],
        "contact_user_id": world.user_ids["executing"],  # a member of the responsible unit
    }
    running = world.fire("coordination", assigned, "assign", **assign)
    running = world.fire("executing", running, "start")
    running = world.fire("executing", running, "report_status", health="on_track", note="Godt oppmøte.")
    running = world.fire("executing", running, "report_status", health="at_risk", note="Færre frivillige.")
    evaluated = world.advance(world.register(title="Natteravner"), "evaluated")

    def sent(level: str, days: int) -> Any:
        m = meetings.plan(
            actor=coordinator,
            slug="alfa",
            data={"body": level, "day": (today + timedelta(days=days)).isoformat(), **SLOT},
        )
        opened = meetings.agenda(actor=coordinator, meeting_id=m.id)
        return meetings.send_agenda(actor=coordinator, meeting_id=m.id, version=opened.meeting.version)

    first = sent("steering", -1)
    item = next(i for i in first.items if i.measure_id == evaluated.id)
    meetings.record_decision(
        actor=coordinator,
        meeting_id=first.meeting.id,
        item_id=item.id,
        trigger="close",
        version=evaluated.version,
        data={"decision_note": "Tiltaket avsluttes; målet er nådd."},
        note="Enstemmig.",
    )
    attendance = {
        f"status_{world.user_ids['steering']}": "present",
        f"status_{world.user_ids['coordinator']}": "present",
    }
    meetings.record_attendance(actor=coordinator, meeting_id=first.meeting.id, data={**attendance, "guest": "Gjest"})
    opened = meetings.agenda(actor=coordinator, meeting_id=first.meeting.id)
    held = meetings.hold(
        actor=coordinator, meeting_id=first.meeting.id, version=opened.meeting.version, data={"summary": "Kort møte."}
    )
    second = sent("steering", 1)
    approved = meetings.approve_minutes(
        actor=coordinator, meeting_id=held.id, in_meeting_id=second.meeting.id, version=held.version
    )
    assert approved.state == "minutes_approved"
    later = meetings.plan(
        actor=coordinator,
        slug="alfa",
        data={"body": "coordination", "day": (today + timedelta(days=30)).isoformat(), **SLOT},
    )
    meetings.cancel(actor=coordinator, meeting_id=later.id, version=later.version, data={"reason": "Ferie."})
    body = next(b for b in meetings.bodies(actor=coordinator, slug="alfa") if b.level == "executing")
    meetings.rename_body(actor=coordinator, slug="alfa", body_id=body.id, data={"name": "Faggruppe oppvekst"})
    samordna.calendar.add_milestone(actor=coordinator, slug="alfa", data={"title": "Ungdata", "month": 3})
    samordna.calendar.add_milestone(
        actor=coordinator, slug="alfa", data={"title": "Budsjett", "month": 10, "day": 15, "level": "steering"}
    )
    samordna.organisation.set_unit_active(actor=coordinator, slug="alfa", unit_id=world.unit("Politiet"), active=False)
    samordna.organisation.set_member_active(
        actor=coordinator, slug="alfa", membership_id=world.membership_id("viewer"), active=False
    )
    return {
        "need": need,
        "declined": declined,
        "running": running,
        "closed": evaluated,
        "approved": approved,
        "next": second.meeting,
    }
