"""The morning's digest run for an area of 1 000 users and 50 000 measures, against a floor measured in the same run.

`NotificationService.compose` reads the members and, per area, the measures due, the decisions and the meetings,
computes each user's items, renders each digest (plain text and HTML) and writes the notifications and the
outbox. Its cost should follow the users and the items they are shown, not the measures the area holds.

The case: bench.data's 50 000-measure area (its own file, kept with SAMORDNA_BENCH_CACHE) with 1 000 more members
added (960 executing spread over the area's twelve units, 20 coordination, 10 steering, 10 viewers). The floor:
a database holding one area drawn from the same generator that keeps only the measures a digest can show (the
follow-ups due within the week or overdue, those waiting to be started, evaluated or decided, and those decided
in the last week) — as many as the case's area holds of them — and the same 1 000 members. So both runs send
about the same digests to the same users; the case's area holds some 50 000 measures more.

Timed, alternating case and floor (which goes first flips each round), each run on a fresh copy of its file
(the outbox and the notifications empty: the same work every round), wall clock and CPU time of this process.
SQL statements per run are counted (an SQLAlchemy cursor event; BEGIN not counted), also for 250 users, to show
that they grow with the users and not with the measures.

Also: the header's unread count, asked on every page — one indexed count of the user's unread notifications —
against the cheapest statement on the same read connection (SELECT 1).

Prints figures only; asserts nothing. `python -m bench.remind [--rounds R]`.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text

from bench.common import Row, fmt, smoke, time_ratio
from bench.data import append_area, shared_sqlite, sqlite_copy

NAME = "remind"
MEASURES = smoke(50_000, 200)
USERS = smoke(1_000, 20)
FEW_USERS = smoke(250, 5)
ROUNDS = smoke(3, 1)
HEADER_CALLS = smoke(400, 10)


def thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


# ---------------------------------------------------------------- set-up


def add_members(url: str, n: int, *, area: int = 1) -> None:
    """`n` more members of area `area` (ids after the highest): executing members spread over its units, some
    coordination, steering and viewers. Bulk Core inserts; no password (they never log in here)."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        units = [r[0] for r in conn.execute(text("SELECT id FROM unit WHERE area_id = :a ORDER BY id"), {"a": area})]
        slug = conn.execute(text("SELECT slug FROM area WHERE id = :a"), {"a": area}).scalar_one()
        user_id = conn.execute(text("SELECT coalesce(max(id), 0) FROM user_account")).scalar_one()
        member_id = conn.execute(text("SELECT coalesce(max(id), 0) FROM membership")).scalar_one()
        users, members = [], []
        for i in range(n):
            role = (
                "steering"
                if i % 100 == 0
                else "viewer"
                if i % 100 == 1
                else "coordination"
                if i % 50 == 2
                else "executing"
            )
            unit = units[i % len(units)] if role in ("executing", "coordination") else None
            users.append(
                {"id": user_id + 1 + i, "email": f"medlem{i}@{slug}.benk.no", "name": f"Medlem {i}", "now": now}
            )
            members.append(
                {"id": member_id + 1 + i, "user_id": user_id + 1 + i, "area_id": area, "role": role, "unit_id": unit}
            )
        conn.execute(
            text("INSERT INTO user_account (id, email, name, active, created_at) VALUES (:id, :email, :name, 1, :now)"),
            users,
        )
        conn.execute(
            text(
                "INSERT INTO membership (id, user_id, area_id, role, unit_id, active)"
                " VALUES (:id, :user_id, :area_id, :role, :unit_id, 1)"
            ),
            members,
        )
    engine.dispose()


def shown(day: date, services: Any) -> Any:
    """Whether a generated measure (its final row) can be in a digest on `day`: the keep() of the floor."""
    rules = services.notifications.rules
    horizon = day + timedelta(days=7)
    week_ago = datetime.combine(day - timedelta(days=7), datetime.min.time(), UTC)

    def keep(m: dict[str, Any]) -> bool:
        state = m["state"]
        if state in rules.follow:
            due, end = m.get("next_follow_up_at"), m.get("due_date")
            return (due is not None and due <= horizon) or (end is not None and end <= horizon)
        if state in rules.waiting:
            return True
        updated = m.get("updated_at")
        return state in ("closed",) and updated is not None and updated.replace(tzinfo=UTC) >= week_ago

    return keep


def count_shown(url: str, services: Any, day: date) -> int:
    keep = shown(day, services)
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT state, next_follow_up_at, due_date, updated_at FROM measure WHERE area_id = 1")
        ).mappings()
        n = 0
        for r in rows:
            m = dict(r)
            for k in ("next_follow_up_at", "due_date"):
                if isinstance(m[k], str):
                    m[k] = date.fromisoformat(m[k][:10])
            if isinstance(m["updated_at"], str):
                m["updated_at"] = datetime.fromisoformat(m["updated_at"])
            n += keep(m)
    engine.dispose()
    return n


def _services(url: str) -> Any:
    from samordna.services import Services
    from samordna.settings import Settings

    return Services.build(Settings(database_url=url, secret_key="bench-remind-" + "x" * 32))


@dataclass
class Case:
    label: str
    template: Path  # the prepared file; each run gets a fresh copy
    measures: int
    users: int
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    report: Any = None


def setup(folder: Path) -> tuple[Case, Case, Case]:
    src, ds = shared_sqlite((MEASURES,))
    big = sqlite_copy(src, folder / "case.sqlite3")
    add_members(f"sqlite:///{big}", USERS)
    few = sqlite_copy(src, folder / "few.sqlite3")
    add_members(f"sqlite:///{few}", FEW_USERS)
    services = _services(f"sqlite:///{big}")
    day = services.clock.today()
    n_shown = count_shown(f"sqlite:///{big}", services, day)
    services.db.dispose()

    floor = folder / "floor.sqlite3"
    from samordna.store.migrate import upgrade

    upgrade(f"sqlite:///{floor}")
    services = _services(f"sqlite:///{floor}")
    info = append_area(f"sqlite:///{floor}", n_shown, keep=shown(day, services))
    services.db.dispose()
    add_members(f"sqlite:///{floor}", USERS, area=info.id)
    return (
        Case("case", big, ds.areas[0].measures, USERS),
        Case("floor", floor, info.measures, USERS),
        Case("few", few, ds.areas[0].measures, FEW_USERS),
    )


# ---------------------------------------------------------------- timing


def one_run(case: Case, folder: Path, *, count: bool = False) -> tuple[float, float, int, Any]:
    """A fresh copy of the case's file, one compose on it: (wall s, CPU s, statements, report)."""
    path = folder / f"run-{case.label}.sqlite3"
    shutil.copyfile(case.template, path)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    services = _services(f"sqlite:///{path}")
    seen: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith("BEGIN"):
            seen.append(statement)

    try:
        services.ping()
        if count:
            event.listen(services.db.engine, "before_cursor_execute", on_execute)
        wall, cpu = time.perf_counter(), time.process_time()
        report = services.notifications.compose()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        if count:
            event.remove(services.db.engine, "before_cursor_execute", on_execute)
        services.db.dispose()
    return wall, cpu, len(seen), report


def header(case: Case, folder: Path) -> tuple[list[float], list[float], int]:
    """ms per unread count (a member of the case with notifications) and per SELECT 1 on the same connection."""
    path = folder / "run-case.sqlite3"  # the case's last run: notifications written
    services = _services(f"sqlite:///{path}")
    try:
        with services.db.read_rows() as conn:
            user_id = conn.execute(
                text("SELECT user_id FROM notification GROUP BY user_id ORDER BY count(*) DESC LIMIT 1")
            ).scalar_one()
            unread = services.notifications.unread_count(user_id=user_id)
            conn.execute(text("SELECT 1")).scalar_one()
        counts, floor = [], []
        notifications = services.notifications
        for _ in range(HEADER_CALLS):
            started = time.perf_counter()
            notifications.unread_count(user_id=user_id)
            counts.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            with services.db.read_rows() as conn:
                conn.execute(text("SELECT 1")).scalar_one()
            floor.append((time.perf_counter() - started) * 1000)
    finally:
        services.db.dispose()
    return counts, floor, unread


def run(rounds: int = ROUNDS) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="samordna-bench-remind-") as name:
        folder = Path(name)
        case, floor, few = setup(folder)
        one_run(case, folder)  # warm: templates compiled, catalogues loaded
        for r in range(rounds):
            for c in (case, floor) if r % 2 == 0 else (floor, case):
                wall, cpu, _n, c.report = one_run(c, folder)
                c.wall.append(wall)
                c.cpu.append(cpu)
        statements = {c.label: one_run(c, folder, count=True) for c in (floor, few, case)}
        counts, select_one, unread = header(case, folder)
    return _rows(case, floor, few, statements, counts, select_one, unread)


def _rows(
    case: Case,
    floor: Case,
    few: Case,
    statements: dict[str, tuple[float, float, int, Any]],
    counts: list[float],
    select_one: list[float],
    unread: int,
) -> list[Row]:
    med = statistics.median

    def note(c: Case) -> str:
        r = c.report
        n = statements[c.label][2]
        return (
            f"{thousands(c.measures)} measures, {thousands(c.users)} users: {thousands(r.mails)} mails, "
            f"{thousands(r.notifications)} notifications, {thousands(r.items)} items; "
            f"{thousands(n)} SQL ({n / c.users:.2f}/user); CPU {fmt(med(c.cpu))} s"
        )

    few_n = statements["few"][2]
    few_report = statements["few"][3]
    return [
        Row(
            NAME,
            f"compose: {thousands(USERS)} users, {MEASURES // 1000}k measures",
            "s/run",
            tuple(case.wall),
            note(case),
            ratio=time_ratio(med(case.wall), med(floor.wall), lower_is_better=True),
            lower_is_better=True,
        ),
        Row(
            NAME,
            "floor: the same users, only measures a digest shows",
            "s/run",
            tuple(floor.wall),
            note(floor),
            1.0,
            True,
        ),
        Row(
            NAME,
            f"SQL statements: {FEW_USERS} users, {MEASURES // 1000}k measures",
            "statements",
            (float(few_n),),
            f"{few_n / FEW_USERS:.2f}/user; {thousands(few_report.mails)} mails",
        ),
        Row(
            NAME,
            "header: unread count",
            "ms/call",
            tuple(counts),
            f"{unread} unread of the busiest member's",
            ratio=time_ratio(med(counts), med(select_one), lower_is_better=True),
            lower_is_better=True,
        ),
        Row(NAME, "floor: SELECT 1 on the same read connection", "ms/call", tuple(select_one), "", 1.0, True),
    ]


def ratio_line(rows: list[Row]) -> str:
    run_row, header_row = rows[0], rows[3]
    return (
        f"the 50 000-measure area's digest run {run_row.ratio:.2f}× the floor's (an area holding only the measures "
        f"the digests show, the same users); the header's unread count {header_row.ratio:.2f}× a SELECT 1"
    )


def main(argv: list[str] | None = None) -> None:
    from bench.common import main_with_rounds

    main_with_rounds(__doc__, run, ratio_line, ROUNDS, argv)


if __name__ == "__main__":
    main()
