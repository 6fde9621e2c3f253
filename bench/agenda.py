"""Agenda generation for an area of 10 000 measures against a floor measured in the same run.

A meeting's agenda is generated from the boards (MeetingService.agenda, meetings/repository.py): the
coordination group's lists every new need, every initiated measure without a responsible unit, every
overdue or off-track follow-up and every measure under evaluation; the steering group's every evaluated
measure awaiting a decision and a status line per goal. Its cost should follow the items it shows, not
the measures the area holds.

On a copy of bench.data's file (areas of 1 000, 10 000 and 100 000 measures, made with the backup API), a
meeting of each body is planned a week ahead in the 10 000-measure area (omrade-2) and its agenda opened
once, which gives the number of items. The floor is an area appended to the same file
(bench.data.append_area): measures drawn from the same generator, keeping only those that need one of
the two bodies on that day, as many for each body as the 10 000-measure area's agendas show. So the
floor's agendas hold the same number of items, of the same kinds, from an area of a few thousand
measures that are all on an agenda; the 10 000-measure area holds more than twice as many measures.

Timed, each case against its floor, in rounds alternating between the two (which goes first flips each
round), one call at a time, by wall clock and by CPU time (which a busy neighbour on a shared machine
disturbs far less):

- page: GET /meetings/{id} as the area's coordinator against `samordna serve` (1 worker), on a
  kept-alive connection after logging in through /login. Opening the page regenerates the agenda
  (nothing has changed, so nothing is written) and renders every item. CPU: the server process's per
  page over each round (/proc).
- service: MeetingService.agenda in-process (the server stopped), the same regeneration without HTTP
  or rendering, for each body. CPU: this process's per call.
- first open: a fresh coordination meeting is planned (not timed), then MeetingService.agenda is called
  once and writes every item.

SQL statements per call are counted in-process (an SQLAlchemy cursor event; BEGIN not counted) in the
areas of 1 000 and 100 000 measures, for a first open and for the next one.

What does follow the area: the steering agenda's status line per goal counts the goal's measures by
state (the steering board's own aggregate, over the covering goal index), so it reads every measure of
the area that has a goal — a few milliseconds at 10 000 measures, some 20 at 100 000.

Prints figures only; asserts nothing. `python -m bench.agenda [--rounds R]`.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.common import Row, Server, fmt, login, smoke, start_samordna, time_ratio, timed_gets
from bench.data import PASSWORD, SCALING_SIZES, Dataset, append_area, shared_sqlite, sqlite_copy

NAME = "agenda"
AREA = "omrade-2"  # the 10 000-measure area of SCALING_SIZES
LEVELS = ("coordination", "steering")
DAYS_AHEAD = 7  # the meetings are a week away: "overdue" means a follow-up before that day
SLOT = {"start": "09:00", "end": "11:00"}
ROUNDS = smoke(8, 1)  # short rounds, many of them: a neighbour's burst on a shared machine falls on both cases alike
PAGES_PER_ROUND = smoke({"coordination": 2, "steering": 8}, {"coordination": 1, "steering": 1})
CALLS_PER_ROUND = smoke({"coordination": 2, "steering": 8}, {"coordination": 1, "steering": 1})
FIRST_OPENS = smoke(6, 1)


@dataclass
class Case:
    """An area, its coordinator, and one planned meeting per body with its agenda generated."""

    slug: str
    measures: int
    email: str
    actor: Any
    meetings: dict[str, int] = field(default_factory=dict)  # level -> meeting id
    items: dict[str, int] = field(default_factory=dict)  # level -> items on the agenda
    measure_items: dict[str, int] = field(default_factory=dict)  # level -> of which measures


def thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


# ---------------------------------------------------------------- set-up


def _services(url: str) -> Any:
    from samordna.services import Services
    from samordna.settings import Settings

    return Services.build(Settings(database_url=url, secret_key="bench-agenda-" + "x" * 32))


def _plan(services: Any, case: Case, level: str, day: date) -> int:
    meeting = services.meetings.plan(
        actor=case.actor, slug=case.slug, data={"body": level, "day": day.isoformat(), **SLOT}
    )
    return int(meeting.id)


def _case(services: Any, slug: str, measures: int, day: date) -> Case:
    """Plan a meeting of each body in `slug` on `day` and open its agenda once (generated and written)."""
    case = Case(
        slug=slug,
        measures=measures,
        email=Dataset.email(slug, "coordinator"),
        actor=services.accounts.actor_for_token(token=Dataset.token(slug, "coordinator")),
    )
    for level in LEVELS:
        meeting_id = _plan(services, case, level, day)
        agenda = services.meetings.agenda(actor=case.actor, meeting_id=meeting_id)
        case.meetings[level] = meeting_id
        case.items[level] = len(agenda.items)
        case.measure_items[level] = sum(1 for i in agenda.items if i.kind == "measure")
    return case


def needs_body(day: date, follow_up: tuple[str, ...]) -> Callable[[dict[str, Any]], str | None]:
    """Which body a generated measure (its final row) needs on `day`: the agenda's rules, as
    meetings.repository.measures_needing reads them."""

    def level(m: dict[str, Any]) -> str | None:
        state = m["state"]
        if state == "evaluated":
            return "steering"
        if state in ("need_identified", "under_evaluation"):
            return "coordination"
        if state == "initiated" and m["responsible_unit_id"] is None:
            return "coordination"
        if state in follow_up:
            due = m["next_follow_up_at"]
            if (due is not None and due < day) or m["last_health"] == "off_track":
                return "coordination"
        return None

    return level


def _floor(services: Any, url: str, a: Case, day: date) -> Case:
    """The floor's area: as many measures needing each body as `a`'s agendas show, and no others."""
    left = dict(a.measure_items)
    level_of = needs_body(day, services.workflow.states_on_board("execution"))

    def keep(m: dict[str, Any]) -> bool:
        level = level_of(m)
        if level is None or left[level] == 0:
            return False
        left[level] -= 1
        return True

    info = append_area(url, sum(a.measure_items.values()), keep=keep)
    return _case(services, info.slug, info.measures, day)


def setup(folder: Path) -> tuple[str, Any, Dataset, Case, Case, date]:
    """A copy of the shared file with the floor's area appended; the meetings planned and generated."""
    src, ds = shared_sqlite(SCALING_SIZES)
    path = sqlite_copy(src, folder / "agenda.sqlite3")
    url = f"sqlite:///{path}"
    services = _services(url)
    day = services.clock.today() + timedelta(days=DAYS_AHEAD)
    area = ds.area(AREA)
    a = _case(services, area.slug, area.measures, day)
    floor = _floor(services, url, a, day)
    return url, services, ds, a, floor, day


# ---------------------------------------------------------------- timing


@dataclass
class Timings:
    wall: list[float] = field(default_factory=list)  # ms per call or page
    cpu: list[float] = field(default_factory=list)  # CPU ms: the server's per page (one a round), or per call


def _alternate(rounds: int, pair: tuple[Any, Any]) -> list[tuple[Any, Any]]:
    """Both cases every round, the one that goes first flipping each round."""
    return [pair if r % 2 == 0 else (pair[1], pair[0]) for r in range(rounds)]


def pages(server: Server, a: Case, floor: Case, level: str, rounds: int, per_round: int) -> tuple[Timings, Timings]:
    """ms per GET /meetings/{id} (wall clock and the server's CPU time) for each case, logged in as its
    area's coordinator."""
    out = {a.slug: Timings(), floor.slug: Timings()}
    clients = {}
    try:
        for case in (a, floor):
            client = httpx.Client(base_url=server.url, timeout=120)
            clients[case.slug] = client
            login(client, case.email, PASSWORD)
            timed_gets(client, [f"/meetings/{case.meetings[level]}"] * 3)  # warm: templates compiled, memory grown
        for pair in _alternate(rounds, (a, floor)):
            for case in pair:
                path = f"/meetings/{case.meetings[level]}"
                before = server.cpu_seconds()
                out[case.slug].wall.extend(timed_gets(clients[case.slug], [path] * per_round))
                out[case.slug].cpu.append((server.cpu_seconds() - before) * 1000 / per_round)
    finally:
        for client in clients.values():
            client.close()
    return out[a.slug], out[floor.slug]


def _timed_agenda(services: Any, case: Case, meeting_id: int, out: Timings) -> None:
    """One MeetingService.agenda: wall-clock ms and this process's CPU ms."""
    wall, cpu = time.perf_counter(), time.process_time()
    services.meetings.agenda(actor=case.actor, meeting_id=meeting_id)
    out.cpu.append((time.process_time() - cpu) * 1000)
    out.wall.append((time.perf_counter() - wall) * 1000)


def calls(services: Any, a: Case, floor: Case, level: str, rounds: int, per_round: int) -> tuple[Timings, Timings]:
    """Per MeetingService.agenda of the body's meeting (regenerated: nothing changed), in-process."""
    out = {a.slug: Timings(), floor.slug: Timings()}
    for case in (a, floor):
        services.meetings.agenda(actor=case.actor, meeting_id=case.meetings[level])  # warm
    for pair in _alternate(rounds, (a, floor)):
        for case in pair:
            for _ in range(per_round):
                _timed_agenda(services, case, case.meetings[level], out[case.slug])
    return out[a.slug], out[floor.slug]


def first_opens(services: Any, a: Case, floor: Case, day: date, rounds: int) -> tuple[Timings, Timings]:
    """Per first MeetingService.agenda of a freshly planned coordination meeting (every item written)."""
    out = {a.slug: Timings(), floor.slug: Timings()}
    for pair in _alternate(rounds, (a, floor)):
        for case in pair:
            meeting_id = _plan(services, case, "coordination", day)
            _timed_agenda(services, case, meeting_id, out[case.slug])
    return out[a.slug], out[floor.slug]


def count_statements(services: Any, slug: str, day: date) -> dict[str, tuple[int, int, int]]:
    """{level: (items, statements of a first open, statements of the next open)} for a new meeting of each
    body in `slug`, in-process."""
    from sqlalchemy import event

    seen: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith("BEGIN"):
            seen.append(statement)

    case = Case(
        slug=slug,
        measures=0,
        email=Dataset.email(slug, "coordinator"),
        actor=services.accounts.actor_for_token(token=Dataset.token(slug, "coordinator")),
    )
    out = {}
    for level in LEVELS:
        meeting_id = _plan(services, case, level, day)
        counts = []
        for _ in range(2):
            seen.clear()
            event.listen(services.db.engine, "before_cursor_execute", on_execute)
            try:
                agenda = services.meetings.agenda(actor=case.actor, meeting_id=meeting_id)
            finally:
                event.remove(services.db.engine, "before_cursor_execute", on_execute)
            counts.append(len(seen))
        out[level] = (len(agenda.items), counts[0], counts[1])
    return out


# ---------------------------------------------------------------- the table


def run(rounds: int = ROUNDS) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="samordna-bench-agenda-") as folder:
        url, services, ds, a, floor, day = setup(Path(folder))
        try:
            page_times, call_times = {}, {}
            with start_samordna(url) as server:
                for level in LEVELS:
                    page_times[level] = pages(server, a, floor, level, rounds, PAGES_PER_ROUND[level])
            for level in LEVELS:
                call_times[level] = calls(services, a, floor, level, rounds, CALLS_PER_ROUND[level])
            first = first_opens(services, a, floor, day, FIRST_OPENS)
            small, large = ds.areas[0], ds.areas[-1]
            counts = {area.measures: count_statements(services, area.slug, day) for area in (small, large)}
        finally:
            services.db.dispose()
    return _rows(a, floor, page_times, call_times, first, counts)


def _rows(
    a: Case,
    floor: Case,
    page_times: dict[str, tuple[Timings, Timings]],
    call_times: dict[str, tuple[Timings, Timings]],
    first: tuple[Timings, Timings],
    counts: dict[int, dict[str, tuple[int, int, int]]],
) -> list[Row]:
    med = statistics.median
    size = f"{a.measures // 1000}k measures"
    floor_size = f"{thousands(floor.measures)}-measure floor area"
    (n_small, small), (n_large, large) = sorted(counts.items())

    def statements(level: str, which: int) -> str:
        """SQL statements of a first open (which=1) or of the next (2) at the smallest and largest area."""
        return (
            f"{thousands(small[level][which])} SQL at {n_small // 1000}k ({thousands(small[level][0])} items), "
            f"{thousands(large[level][which])} at {n_large // 1000}k ({thousands(large[level][0])} items)"
        )

    def items(case: Case, level: str) -> str:
        goals = case.items[level] - case.measure_items[level]
        return f"{thousands(case.measure_items[level])} measures" + (f" + {goals} goal lines" if goals else "")

    def pair(label: str, level: str, unit: str, timings: tuple[Timings, Timings], note: str) -> list[Row]:
        """The case and its floor: wall-clock samples, the median CPU time and its ratio in the note."""
        ta, tf = timings
        cpu_unit = "server CPU ms/page" if unit == "ms/page" else "CPU ms/call"
        # CPU time comes in 10 ms ticks: a smoke run's one tiny page can show none.
        cpu = time_ratio(med(ta.cpu), med(tf.cpu), lower_is_better=True) if med(tf.cpu) else float("nan")
        return [
            Row(
                NAME,
                f"{label}, {size}",
                unit,
                tuple(ta.wall),
                f"{items(a, level)}; {fmt(med(ta.cpu))} {cpu_unit} ({cpu:.2f}× floor's); {note}",
                ratio=time_ratio(med(ta.wall), med(tf.wall), lower_is_better=True),
                lower_is_better=True,
            ),
            Row(
                NAME,
                f"floor: the same, {floor_size}",
                unit,
                tuple(tf.wall),
                f"{items(floor, level)}; {fmt(med(tf.cpu))} {cpu_unit}",
                ratio=1.0,
                lower_is_better=True,
            ),
        ]

    rows = []
    for level in LEVELS:
        rows += pair(f"page: {level} agenda", level, "ms/page", page_times[level], "serve 1 worker")
    for level in LEVELS:
        rows += pair(
            f"service: {level} agenda",
            level,
            "ms/call",
            call_times[level],
            f"regenerated, nothing changed: {statements(level, 2)}",
        )
    rows += pair(
        "service: first open of coordination agenda",
        "coordination",
        "ms/call",
        first,
        f"every item written: {statements('coordination', 1)}",
    )
    return rows


def ratio_line(rows: list[Row]) -> str:
    mine = [r for r in rows if r.benchmark == NAME and not r.case.startswith("floor:") and r.ratio is not None]
    parts = [f"{r.case.split(',')[0].replace(' agenda', '').replace(':', '')} {r.ratio:.2f}×" for r in mine]
    return (
        "the 10 000-measure area's agendas against the floor's, an area holding only the measures they show "
        "(as many): " + ", ".join(parts) + " the floor's time (1.00: the cost follows the items shown)"
    )


def main(argv: list[str] | None = None) -> None:
    from bench.common import main_with_rounds

    main_with_rounds(__doc__, run, ratio_line, ROUNDS, argv)


if __name__ == "__main__":
    main()
