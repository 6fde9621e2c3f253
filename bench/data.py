"""Realistic benchmark data: N areas × M measures with their histories, written with bulk Core inserts.

Each area gets the units the SLT handbook names, one user per role (and one executing user per unit),
goals, its four bodies (steering, coordination, executing, all, with the default names, as migration 0006
and `samordna.organisation.installation.add_bodies` give every area), and measures spread over every
state of the workflow the way a mature area looks (most closed, a fifth running, the rest planned,
waiting or under evaluation). Every measure carries the history that led to its state: one event per
step (create, initiate, assign, start, status reports, evaluation, decision) with versions that match,
a status report per `report_status`, and participating units.
Follow-up dates fall around today, so some running measures are overdue as in real life.

The schema comes from the Alembic migrations (`samordna.store.migrate.upgrade`); rows go in with
`conn.execute(table.insert(), [rows...])` in large chunks inside one transaction. Ids are given
explicitly so rows can refer to each other; PostgreSQL's sequences are moved past them afterwards.
`append_area` adds one more area to a generated database, keeping only the measures a predicate accepts
(bench.agenda's floor: an area whose every measure is on an agenda).

`python -m bench.data --areas 1 --measures 100000 [--out FILE]` prints the time and the row counts.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from bench.common import smoke

NAME = "data"
PASSWORD = "benk-passord-2026!"  # every generated user's password
ROLES = ("steering", "coordinator", "coordination", "viewer")
CHUNK = 20_000

UNITS = (
    ("Politiet", "police"),
    ("Barnevernet", "municipal"),
    ("Ungdomsskolene", "municipal"),
    ("Kultur og fritid", "municipal"),
    ("Helsestasjon for ungdom", "municipal"),
    ("NAV", "state"),
    ("PPT", "municipal"),
    ("Utekontakten", "municipal"),
    ("Teknisk etat", "municipal"),
    ("Konfliktrådet", "state"),
    ("Frivilligsentralen", "voluntary"),
    ("Idrettsrådet", "voluntary"),
)
GOALS = (
    "Færre unge som debuterer tidlig med rus",
    "Tryggere sentrum på kveldstid",
    "Flere unge i meningsfull fritid",
    "Redusere digital mobbing",
    "Bedre overgang ungdomsskole–vgs",
    "Færre gjentatte lovbrudd blant unge",
    "Tidlig innsats i familier med sammensatte behov",
)
TOPICS = (
    "natteravner i sentrum",
    "åpen hall fredagskveld",
    "foreldremøte om rus",
    "nettvett i 8. trinn",
    "miljøarbeider på ungdomsklubben",
    "oppfølging etter bekymringsmelding",
    "trygg skolevei",
    "sommerjobb for ungdom",
    "dialogmøter med foreldre",
    "gatemegling",
    "aktivitetskort for fritid",
    "kurs i konflikthåndtering",
    "feltarbeid ved kjøpesenteret",
    "samtalegrupper for jenter",
    "mentorordning for nyankomne",
    "forebyggende samtaler",
    "belysning i parken",
    "leksehjelp med mat",
)
PLACES = ("sentrum", "nordbyen", "sør", "vestsida", "havna", "skolekretsen øst", "bygdene")
SOURCES = (
    "Ungdata 2024",
    "Politiets kriminalitetsstatistikk",
    "Observasjoner fra utekontakten",
    "Bekymringsmeldinger til barnevernet",
    "Elevundersøkelsen",
    "Innspill fra ungdomsrådet",
)
TARGETS = (
    "Ungdom 13–16 år",
    "Ungdom 16–19 år",
    "Foreldre på ungdomstrinnet",
    "Elever i 7. trinn",
    "Unge som står utenfor skole og arbeid",
)
ARENAS = ("school", "leisure", "digital", "neighbourhood", "family", "nightlife", "other")
HEALTHS = ("on_track", "on_track", "on_track", "at_risk", "off_track")
EFFECTS = ("achieved", "partly", "not_achieved", "unknown")
RECOMMENDATIONS = ("extend", "adjust", "close")
NOTES = (
    "Godt oppmøte og god dialog med skolen.",
    "Færre henvendelser enn ventet, vi justerer tidspunkt.",
    "Mangler folk i helgene.",
    "Samarbeidet med politiet fungerer godt.",
    "Venter på svar om midler.",
)

# How a mature area's measures are spread over the states (weights).
STATE_WEIGHTS = {
    "need_identified": 8,
    "initiated": 6,
    "assigned": 5,
    "in_follow_up": 22,
    "paused": 3,
    "under_evaluation": 4,
    "evaluated": 3,
    "closed": 38,
    "declined": 11,
}
# The steps that led there, after `create` (report_status repeats are added per measure).
PATHS = {
    "need_identified": (),
    "declined": ("decline",),
    "initiated": ("initiate",),
    "assigned": ("initiate", "assign"),
    "in_follow_up": ("initiate", "assign", "start", "*reports"),
    "paused": ("initiate", "assign", "start", "*reports", "pause"),
    "under_evaluation": ("initiate", "assign", "start", "*reports", "request_evaluation"),
    "evaluated": ("initiate", "assign", "start", "*reports", "request_evaluation", "submit_evaluation"),
    "closed": ("initiate", "assign", "start", "*reports", "request_evaluation", "submit_evaluation", "close"),
}
DEST = {
    "initiate": "initiated",
    "decline": "declined",
    "assign": "assigned",
    "start": "in_follow_up",
    "report_status": "in_follow_up",
    "pause": "paused",
    "request_evaluation": "under_evaluation",
    "submit_evaluation": "evaluated",
    "close": "closed",
}


@dataclass(frozen=True)
class AreaInfo:
    id: int
    slug: str
    name: str
    measures: int
    unit_ids: tuple[int, ...]


@dataclass
class Dataset:
    url: str
    areas: list[AreaInfo]
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)

    def area(self, slug: str) -> AreaInfo:
        return next(a for a in self.areas if a.slug == slug)

    @staticmethod
    def email(slug: str, role: str) -> str:
        return f"{role}@{slug}.benk.no"

    @staticmethod
    def token(slug: str, role: str) -> str:
        return f"sam_benk_{slug}_{role}"


# ---------------------------------------------------------------- generation


def generate(url: str, sizes: Sequence[int], *, seed: int = 2026, migrate: bool = True) -> Dataset:
    """Migrate `url` and fill it with one area per entry of `sizes` (that many measures each)."""
    from samordna.store.migrate import upgrade

    started = time.perf_counter()
    if migrate:
        upgrade(url)
    engine = _bulk_engine(url)
    try:
        ds = _fill(engine, url, sizes, seed)
    finally:
        engine.dispose()
    ds.seconds = time.perf_counter() - started
    return ds


def _bulk_engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        from sqlalchemy import event

        @event.listens_for(engine, "connect")
        def _fast(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # One big load: no fsync per commit, constraints already hold by construction.
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA foreign_keys=OFF")
            cur.execute("PRAGMA cache_size=-200000")
            cur.close()

    return engine


class _Ids:
    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def take(self, table: str) -> int:
        n = self.next.get(table, 0) + 1
        self.next[table] = n
        return n


def _fill(engine: Engine, url: str, sizes: Sequence[int], seed: int) -> Dataset:
    from samordna.accounts.repository import hash_password

    rnd = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    password_hash = hash_password(PASSWORD)  # once: argon2 is slow on purpose
    ids = _Ids()
    rows: dict[str, int] = {}
    areas: list[AreaInfo] = []
    with engine.begin() as conn:
        for n, size in enumerate(sizes, start=1):
            areas.append(_area(conn, rows, ids, rnd, n=n, size=size, now=now, password_hash=password_hash))
        _move_sequences(conn)
    _analyze(engine)
    return Dataset(url=url, areas=areas, rows=rows)


def append_area(url: str, size: int, *, keep: Callable[[dict[str, Any]], bool], seed: int = 2027) -> AreaInfo:
    """One more area in an existing generated database (the next `omrade-N`), holding `size` measures drawn
    from the same generator but only those `keep(measure)` accepts (the measure's final row as a dict:
    `state`, `next_follow_up_at`, `last_health`, `responsible_unit_id`, ...). Ids continue after the
    highest ones there; the measures refused leave gaps in the ids, not in the references."""
    from samordna.accounts.repository import hash_password

    engine = _bulk_engine(url)
    try:
        with engine.begin() as conn:
            ids = _Ids()
            for key, table in _ID_TABLES.items():
                ids.next[key] = conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one()
            n = conn.execute(text("SELECT count(*) FROM area")).scalar_one() + 1
            info = _area(
                conn,
                {},
                ids,
                random.Random(seed),
                n=n,
                size=size,
                now=datetime.now(UTC).replace(microsecond=0),
                password_hash=hash_password(PASSWORD),
                keep=keep,
            )
            _move_sequences(conn)
        _analyze(engine)
    finally:
        engine.dispose()
    return info


# _Ids' names for the tables whose ids the generator hands out.
_ID_TABLES = {
    "area": "area",
    "unit": "unit",
    "user": "user_account",
    "membership": "membership",
    "token": "api_token",
    "goal": "goal",
    "body": "body",
    "measure": "measure",
    "report": "status_report",
    "event": "event",
}


def _move_sequences(conn: Any) -> None:
    """PostgreSQL: move each sequence past the ids given explicitly."""
    if conn.dialect.name == "postgresql":
        for table in _ID_TABLES.values():
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            )


def _analyze(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # what autovacuum would have done by the time anyone looks


def _area(
    conn: Any,
    rows: dict[str, int],
    ids: _Ids,
    rnd: random.Random,
    *,
    n: int,
    size: int,
    now: datetime,
    password_hash: str,
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> AreaInfo:
    """Area `omrade-<n>` with its units, people, goals, bodies and `size` measures (those `keep` accepts)."""
    from samordna.accounts.repository import hash_token
    from samordna.domain.vocabulary import BODY_LEVELS, DEFAULT_BODY_NAMES
    from samordna.store.models import (
        ApiToken,
        Area,
        Body,
        Event,
        Goal,
        Measure,
        MeasureUnit,
        Membership,
        RefCounter,
        StatusReport,
        Unit,
        User,
    )

    today = now.date()

    def put(conn: Any, model: Any, batch: list[dict[str, Any]]) -> None:
        if batch:
            conn.execute(model.__table__.insert(), batch)
            rows[model.__tablename__] = rows.get(model.__tablename__, 0) + len(batch)

    slug = f"omrade-{n}"
    area_id = ids.take("area")
    code = f"B{n}"
    put(
        conn,
        Area,
        [
            dict(
                id=area_id,
                slug=slug,
                name=f"Benk kommune {n} ({size:,} tiltak)".replace(",", " "),
                kind="municipality",
                language="nb",
                code=code,
                created_at=now,
            )
        ],
    )
    unit_ids = []
    units = []
    for name, kind in UNITS:
        uid = ids.take("unit")
        unit_ids.append(uid)
        units.append(dict(id=uid, area_id=area_id, name=name, kind=kind, active=True))
    put(conn, Unit, units)
    users, members, tokens = [], [], []
    people: dict[str, int] = {}
    for role in ROLES:
        uid = ids.take("user")
        people[role] = uid
        email = Dataset.email(slug, role)
        users.append(
            dict(
                id=uid,
                email=email,
                name=f"{role.title()} {n}",
                password_hash=password_hash,
                active=True,
                language=None,
                created_at=now,
            )
        )
        members.append(
            dict(id=ids.take("membership"), user_id=uid, area_id=area_id, role=role, unit_id=None, active=True)
        )
        tokens.append(
            dict(
                id=ids.take("token"),
                user_id=uid,
                token_hash=hash_token(Dataset.token(slug, role)),
                name="benk",
                active=True,
                created_at=now,
            )
        )
    executing: list[int] = []
    for k, unit_id in enumerate(unit_ids):
        uid = ids.take("user")
        executing.append(uid)
        role = "executing" if k == 0 else f"executing{k}"
        people.setdefault("executing", uid)
        users.append(
            dict(
                id=uid,
                email=Dataset.email(slug, role),
                name=f"Utfører {n}.{k}",
                password_hash=password_hash,
                active=True,
                language=None,
                created_at=now,
            )
        )
        members.append(
            dict(
                id=ids.take("membership"),
                user_id=uid,
                area_id=area_id,
                role="executing",
                unit_id=unit_id,
                active=True,
            )
        )
        tokens.append(
            dict(
                id=ids.take("token"),
                user_id=uid,
                token_hash=hash_token(Dataset.token(slug, role)),
                name="benk",
                active=True,
                created_at=now,
            )
        )
    put(conn, User, users)
    put(conn, Membership, members)
    put(conn, ApiToken, tokens)
    goal_ids = []
    goals = []
    for title in GOALS:
        gid = ids.take("goal")
        goal_ids.append(gid)
        goals.append(
            dict(
                id=gid,
                area_id=area_id,
                title=title,
                description="",
                period_from=today.year - 2,
                period_to=today.year + 2,
                priority=rnd.randint(1, 3),
                active=True,
                created_at=now,
                created_by_id=people["coordinator"],
            )
        )
    put(conn, Goal, goals)

    # The bodies that meet, with the default names, as migration 0006 and `add_area` give every area.
    put(
        conn,
        Body,
        [
            dict(
                id=ids.take("body"),
                area_id=area_id,
                level=level,
                name=DEFAULT_BODY_NAMES[level],
                feed_key=secrets.token_urlsafe(24),
            )
            for level in BODY_LEVELS
        ],
    )

    counters: dict[int, int] = {}
    batch: dict[str, list[dict[str, Any]]] = {"measure": [], "unit": [], "report": [], "event": []}
    kept, draws = 0, 0
    while kept < size:
        draws += 1
        if draws > 1000 * size:
            raise RuntimeError(f"keep() accepted {kept} of {draws} measures drawn; wanted {size}")
        kept += _measure(
            rnd,
            ids,
            batch,
            counters,
            now=now,
            today=today,
            area_id=area_id,
            code=code,
            unit_ids=unit_ids,
            goal_ids=goal_ids,
            people=people,
            executing=executing,
            keep=keep,
        )
        if len(batch["event"]) >= CHUNK:
            _flush(conn, put, batch, Measure, MeasureUnit, StatusReport, Event)
    _flush(conn, put, batch, Measure, MeasureUnit, StatusReport, Event)
    put(conn, RefCounter, [dict(area_id=area_id, year=y, last=last) for y, last in sorted(counters.items())])
    return AreaInfo(area_id, slug, f"Benk kommune {n}", size, tuple(unit_ids))


def _flush(conn: Any, put: Any, batch: dict[str, list[dict[str, Any]]], *models: Any) -> None:
    measure, measure_unit, report, event = models
    put(conn, measure, batch["measure"])
    put(conn, measure_unit, batch["unit"])
    put(conn, report, batch["report"])
    put(conn, event, batch["event"])
    for rows in batch.values():
        rows.clear()


def _measure(
    rnd: random.Random,
    ids: _Ids,
    batch: dict[str, list[dict[str, Any]]],
    counters: dict[int, int],
    *,
    now: datetime,
    today: date,
    area_id: int,
    code: str,
    unit_ids: list[int],
    goal_ids: list[int],
    people: dict[str, int],
    executing: list[int],
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> bool:
    """One measure and its history into `batch`; False (and nothing written) when `keep` refuses it."""
    own: dict[str, list[dict[str, Any]]] = {"unit": [], "report": [], "event": []}
    state = rnd.choices(list(STATE_WEIGHTS), weights=list(STATE_WEIGHTS.values()))[0]
    steps: list[str] = []
    for step in PATHS[state]:
        steps.extend(["report_status"] * rnd.randint(0, 6) if step == "*reports" else [step])
    final = state in ("closed", "declined")
    # Older measures are the finished ones; running ones started within the last two years.
    age_days = rnd.randint(200, 1100) if final else rnd.randint(5, 700)
    created = now - timedelta(days=age_days, seconds=rnd.randint(0, 86_399))
    span = (now - created) * (rnd.uniform(0.3, 0.9) if final else rnd.uniform(0.7, 1.0))
    gap = span / (len(steps) + 1)
    year = created.year
    mid = ids.take("measure")
    topic = rnd.choice(TOPICS)
    place = rnd.choice(PLACES)
    age_from = rnd.choice((10, 12, 13, 14, 16))
    m: dict[str, Any] = dict(
        id=mid,
        area_id=area_id,
        ref="",  # given below, once the measure is kept
        title=f"{topic[0].upper()}{topic[1:]} – {place}",
        need_description=(
            f"Vi ser et behov for {topic} i {place}. Flere instanser melder om uro og "
            f"bekymring for unge i området, særlig på kveldstid og i helgene. "
            f"Tiltaket skal beskrives på gruppenivå."
        ),
        knowledge_source=rnd.choice(SOURCES),
        target_group=rnd.choice(TARGETS),
        age_from=age_from,
        age_to=age_from + rnd.choice((3, 4, 6)),
        arena=rnd.choice(ARENAS),
        goal_id=None,
        plan=None,
        success_criteria=None,
        responsible_unit_id=None,
        contact_user_id=None,
        order_text=None,
        due_date=None,
        follow_up_days=None,
        next_follow_up_at=None,
        last_health=None,
        evaluation_effect=None,
        evaluation_method=None,
        evaluation_findings=None,
        evaluation_recommendation=None,
        decision_note=None,
        state="need_identified",
        version=1,
        created_at=created,
        created_by_id=rnd.choice((people["coordinator"], people["coordination"], rnd.choice(executing))),
        updated_at=created,
        updated_by_id=people["coordinator"],
    )
    events = own["event"]
    events.append(
        dict(
            id=ids.take("event"),
            measure_id=mid,
            at=created,
            actor_id=m["created_by_id"],
            trigger="create",
            from_state=None,
            to_state="need_identified",
            comment=None,
            changes=json.dumps({"title": [None, m["title"]], "arena": [None, m["arena"]]}, ensure_ascii=False),
            data="{}",
            version=1,
        )
    )
    at = created
    for step in steps:
        at = at + gap
        changes: dict[str, Any] = {}
        data: dict[str, Any] = {}
        actor = people["coordination"]
        if step == "initiate":
            changes = {
                "goal_id": [None, rnd.choice(goal_ids)],
                "plan": [None, f"Plan for {topic}."],
                "success_criteria": [None, "Færre hendelser og bedre trivsel i Ungdata."],
            }
        elif step == "decline":
            data = {"reason": "Dekkes av andre tiltak."}
        elif step == "assign":
            unit = rnd.choice(unit_ids)
            others = rnd.sample([u for u in unit_ids if u != unit], rnd.choice((0, 0, 1, 1, 2)))
            days = rnd.choice((14, 30, 30, 60))
            due = (at + timedelta(days=rnd.randint(60, 400))).date()
            changes = {
                "responsible_unit_id": [None, unit],
                "order_text": [None, "Gjennomfør tiltaket som avtalt."],
                "due_date": [None, due.isoformat()],
                "follow_up_days": [None, days],
                "next_follow_up_at": [None, (at.date() + timedelta(days=days)).isoformat()],
            }
            if others:
                changes["participating_unit_ids"] = [[], sorted(others)]
                for u in sorted(others):
                    own["unit"].append(dict(measure_id=mid, unit_id=u))
            m.update(
                responsible_unit_id=unit,
                order_text="Gjennomfør tiltaket som avtalt.",
                due_date=due,
                follow_up_days=days,
                contact_user_id=executing[unit_ids.index(unit)],
            )
        elif step in ("start", "report_status"):
            actor = executing[unit_ids.index(m["responsible_unit_id"])]
            if step == "report_status":
                health = rnd.choice(HEALTHS)
                note = rnd.choice(NOTES)
                changes = {"last_health": [m["last_health"], health]} if health != m["last_health"] else {}
                data = {"note": note}
                m["last_health"] = health
                own["report"].append(
                    dict(id=ids.take("report"), measure_id=mid, author_id=actor, at=at, health=health, note=note)
                )
        elif step == "pause":
            data = {"reason": "Venter på midler."}
        elif step == "request_evaluation":
            data = {"note": "Perioden er over."}
        elif step == "submit_evaluation":
            changes = {
                "evaluation_effect": [None, rnd.choice(EFFECTS)],
                "evaluation_method": [None, "Spørreundersøkelse og samtaler med deltakerne."],
                "evaluation_findings": [None, "Flere deltok enn ventet; uroen i området gikk ned."],
                "evaluation_recommendation": [None, rnd.choice(RECOMMENDATIONS)],
            }
        elif step == "close":
            actor = people["steering"]
            changes = {"decision_note": [None, "Avsluttes etter vedtak i styringsgruppen."]}
        for key, (_old, new) in changes.items():
            if key in m and key != "participating_unit_ids":
                m[key] = date.fromisoformat(new) if key in ("due_date", "next_follow_up_at") else new
        if step in ("assign", "start", "report_status"):
            m["next_follow_up_at"] = at.date() + timedelta(days=m["follow_up_days"])
        from_state = m["state"]
        m["state"] = DEST[step]
        m["version"] += 1
        m["updated_at"] = at
        m["updated_by_id"] = actor
        events.append(
            dict(
                id=ids.take("event"),
                measure_id=mid,
                at=at,
                actor_id=actor,
                trigger=step,
                from_state=from_state,
                to_state=m["state"],
                comment=None,
                changes=json.dumps(changes, ensure_ascii=False),
                data=json.dumps(data, ensure_ascii=False),
                version=m["version"],
            )
        )
    assert m["state"] == state, (m["state"], state)
    if keep is not None and not keep(m):
        return False
    counters[year] = counters.get(year, 0) + 1
    m["ref"] = f"{code}-{year}-{counters[year]:03d}"
    batch["measure"].append(m)
    for key, rows in own.items():
        batch[key].extend(rows)
    return True


# ---------------------------------------------------------------- helpers for the benchmarks


def sqlite_copy(src: Path, dst: Path) -> Path:
    """A copy of a SQLite database file made with the online backup API (never a file copy)."""
    import sqlite3

    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()
    return dst


_SHARED: dict[tuple[int, ...], tuple[Path, Dataset]] = {}
CACHE_VERSION = 2  # in the kept file's name: a file from before a change of what is generated (2: bodies) is not used
_TMP: Any = None


def shared_sqlite(sizes: Iterable[int]) -> tuple[Path, Dataset]:
    """One generated SQLite file per set of sizes for this process (the benchmarks copy it before writing)."""
    global _TMP
    import os
    import tempfile
    from dataclasses import asdict

    key = tuple(sizes)
    if key not in _SHARED:
        # SAMORDNA_BENCH_CACHE=DIR keeps the generated file between runs (while working on the benchmarks).
        cache = os.environ.get("SAMORDNA_BENCH_CACHE")
        if cache:
            folder = Path(cache)
            folder.mkdir(parents=True, exist_ok=True)
        else:
            if _TMP is None:
                _TMP = tempfile.TemporaryDirectory(prefix="samordna-bench-data-")
            folder = Path(_TMP.name)
        path = folder / f"data-v{CACHE_VERSION}-{'-'.join(map(str, key))}.sqlite3"
        meta = path.with_suffix(".json")
        if cache and path.exists() and meta.exists():
            raw = json.loads(meta.read_text())
            ds = Dataset(
                url=raw["url"],
                areas=[AreaInfo(**{**a, "unit_ids": tuple(a["unit_ids"])}) for a in raw["areas"]],
                seconds=raw["seconds"],
                rows=raw["rows"],
            )
        else:
            ds = generate(f"sqlite:///{path}", key)
            if cache:
                meta.write_text(json.dumps(asdict(ds)))
        _SHARED[key] = (path, ds)
    return _SHARED[key]


def postgres_base_url() -> str | None:
    """SAMORDNA_TEST_POSTGRES_URL, or the local server the project's machines run, if it answers."""
    import os

    candidates = [
        os.environ.get("SAMORDNA_TEST_POSTGRES_URL", ""),
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    ]
    for url in candidates:
        if not url:
            continue
        try:
            engine = create_engine(url, connect_args={"connect_timeout": 2})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            return url
        except Exception:  # noqa: BLE001 — unreachable or not installed: the caller skips PostgreSQL
            continue
    return None


def fresh_postgres(base: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def drop_postgres(base: str, url: str) -> None:
    from sqlalchemy.engine import make_url

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


# ---------------------------------------------------------------- as a benchmark and a command


def run() -> list[Any]:
    """Generation speed: the 100k-measure set the board and scaling benchmarks use (generated once)."""
    from bench.common import Row

    _path, ds = shared_sqlite(SCALING_SIZES)
    measures = ds.rows["measure"]
    total = sum(ds.rows.values())

    def n(x: int) -> str:
        return f"{x:,}".replace(",", " ")

    return [
        Row(
            NAME,
            f"generate {n(measures)} measures in 3 areas (SQLite, bulk Core)",
            "s",
            (ds.seconds,),
            note=f"{n(total)} rows: {n(ds.rows['event'])} events, {n(ds.rows['status_report'])} reports, "
            f"{n(ds.rows['measure_unit'])} participations; migrations included",
            lower_is_better=True,
        )
    ]


SCALING_SIZES = smoke((1_000, 10_000, 100_000), (20, 40, 80))


def main(argv: list[str] | None = None) -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=1)
    parser.add_argument("--measures", type=int, default=10_000, help="measures per area")
    parser.add_argument("--out", help="SQLite file (default: a temporary file) or a database URL")
    args = parser.parse_args(argv)
    out = args.out or str(Path(tempfile.mkdtemp(prefix="samordna-data-")) / "data.sqlite3")
    url = out if "://" in out else f"sqlite:///{Path(out).resolve()}"
    ds = generate(url, [args.measures] * args.areas)
    print(f"{url}: {args.areas} × {args.measures} measures in {ds.seconds:.1f} s")
    for table, n in sorted(ds.rows.items()):
        print(f"  {table:<14} {n:>10,}")
    print(f"log in as {Dataset.email(ds.areas[0].slug, 'coordinator')} / {PASSWORD}")


if __name__ == "__main__":
    main()
