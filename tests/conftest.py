"""Shared fixtures: a migrated database per engine (SQLite always, PostgreSQL when configured),
emptied before each test, the services over it, a real HTTP server for API tests, and logged-in
browsers for the web tests (over the live server, or in-process on an app that sees a peer address)."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn
from httpx._transports import default as httpx_default
from litestar import Litestar
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from samordna.app import create_app
from samordna.services import Services
from samordna.settings import Settings
from samordna.store.db import Database, is_sqlite
from samordna.store.migrate import upgrade
from tests.factories import World, build_world
from tests.security_support import browsers, make_app
from tests.web_support import WebClient, give_passwords

ROOT = Path(__file__).resolve().parents[1]


def _one_ssl_context() -> None:
    """Every httpx client (and Litestar's TestClient) builds an SSL context and loads the whole CA bundle into
    it, about 50 ms, even for the plain-HTTP clients of these tests. One default context per process serves
    them all; a client that asks for anything else still gets its own."""
    default = httpx_default.create_ssl_context()
    made = httpx_default.create_ssl_context

    def create_ssl_context(verify: object = True, cert: object = None, trust_env: bool = True) -> ssl.SSLContext:
        if verify is True and cert is None and trust_env:
            return default
        return made(verify=verify, cert=cert, trust_env=trust_env)

    httpx_default.create_ssl_context = create_ssl_context


_one_ssl_context()
# Every server and command a test starts gets a data directory of its own, never the project's var/data: a
# server's start-up sweep removes the files there that its (test) database does not name.
os.environ.setdefault("SAMORDNA_DATA_DIR", tempfile.mkdtemp(prefix="samordna-test-data-"))

PG_URL = os.environ.get("SAMORDNA_TEST_POSTGRES_URL", "")
T = TypeVar("T")
STRICT = os.environ.get("SAMORDNA_TEST_STRICT", "") == "1"
# Every table the models know, dependents first: a new table can never leak rows between tests.
TABLES = [t.name for t in reversed(SQLModel.metadata.sorted_tables) if t.name != "alembic_version"]


def run_async(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """`asyncio.run(main())` in a thread of its own. Playwright's sync API (the browser tests, one browser for the
    session) keeps an event loop running in the main thread of every worker it has served, where asyncio.run
    refuses to start another: a test that runs after a browser test in the same worker would fail."""
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(main()))
        except BaseException as exc:  # noqa: BLE001 — raised again in the test's thread
            failure.append(exc)

    thread = threading.Thread(target=target, name="run_async")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def skip_or_fail(reason: str) -> None:
    """Skip on a laptop without the tool; fail in CI, where skipping is not allowed."""
    if STRICT:
        pytest.fail(f"{reason} (SAMORDNA_TEST_STRICT=1: CI must not skip)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_postgres_url(base: str) -> str:
    """Create an empty database beside `base` and return its URL."""
    name = f"samordna_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str, base: str) -> None:
    name = make_url(url).database
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated with Alembic; tests get copies made with the online backup API."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def engine_name(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not PG_URL:
        skip_or_fail("PostgreSQL not configured: set SAMORDNA_TEST_POSTGRES_URL")
    return request.param


def migrated_database(
    engine_name: str, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, name: str
) -> Iterator[str]:
    """A migrated, empty database of its own for the session: a copy of the migrated SQLite template, or a
    fresh PostgreSQL database (dropped afterwards). Yields its URL."""
    if engine_name == "sqlite":
        path = tmp_path_factory.mktemp(name) / "samordna.sqlite3"
        with sqlite3.connect(sqlite_template) as src, sqlite3.connect(path) as dst:
            src.backup(dst)
        yield f"sqlite:///{path}"
    else:
        url = fresh_postgres_url(PG_URL)
        upgrade(url)
        yield url
        drop_postgres(url, PG_URL)


@pytest.fixture(scope="session")
def database_url(engine_name: str, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from migrated_database(engine_name, sqlite_template, tmp_path_factory, "db")


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("data")  # the attachments' files
    return Settings(database_url=database_url, secret_key="test-secret-" + "x" * 32, data_dir=data_dir)


@pytest.fixture(scope="session")
def session_samordna(settings: Settings) -> Iterator[Services]:
    samordna = Services.build(settings, db=Database.from_url(settings.database_url))
    yield samordna
    samordna.db.dispose()


def empty_tables(db: Database) -> None:
    """DELETE every row, in one transaction, past the triggers that keep the audit tables append-only.

    DELETE beats TRUNCATE on tables this small (on PostgreSQL, measured with a test world and a few
    measures: 2.5 ms against 32 ms). PostgreSQL skips the triggers for a transaction in the replica role
    (the test user is a superuser); SQLite cannot switch triggers off, so they are dropped and made again
    from their own SQL in the same transaction (1 ms more than the DELETEs alone)."""
    with db.engine.begin() as conn:
        if is_sqlite(db.engine):
            triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
            for name, _sql in triggers:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
        else:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
        if is_sqlite(db.engine):
            # The search index follows measure through triggers, which were off for the DELETEs.
            conn.execute(text("INSERT INTO measure_fts (measure_fts) VALUES ('delete-all')"))
            for _name, sql in triggers:
                conn.exec_driver_sql(sql)


@pytest.fixture
def samordna(session_samordna: Services) -> Iterator[Services]:
    """The services over an empty, migrated database."""
    empty_tables(session_samordna.db)
    real_clock = session_samordna.clock.source
    yield session_samordna
    session_samordna.clock.source = real_clock


SNAPSHOT = "_snapshot_"  # the test world's rows, kept beside each table: `_snapshot_<table>`


@pytest.fixture(scope="session")
def world_snapshot(session_samordna: Services) -> World:
    """The test world built once per database and copied aside, table by table, in the same database.

    Building it through the installation functions costs about 40 ms a test; copying its rows back costs a
    few. The ids are the same every time (rows are copied with their keys, and the sequences have moved
    past them), so the one World describes every copy."""
    db = session_samordna.db
    empty_tables(db)
    world = build_world(session_samordna)
    with db.engine.begin() as conn:
        for table in TABLES:
            conn.execute(text(f"DROP TABLE IF EXISTS {SNAPSHOT}{table}"))
            conn.execute(text(f"CREATE TABLE {SNAPSHOT}{table} AS SELECT * FROM {table}"))
    empty_tables(db)
    return world


def restore_world(db: Database) -> None:
    """Copy the test world's rows back into the emptied tables, parents first, in one transaction."""
    with db.engine.begin() as conn:
        for table in reversed(TABLES):
            if table in ("measure_tally", "unit_tally"):
                continue  # kept by the triggers on measure and measure_unit as their rows come back (0011, 0014)
            columns = ", ".join(f'"{c.name}"' for c in SQLModel.metadata.tables[table].columns)
            conn.execute(text(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {SNAPSHOT}{table}"))


@pytest.fixture
def world(samordna: Services, world_snapshot: World) -> World:
    """Two areas with units, goals, one member per role, and API tokens for each."""
    restore_world(samordna.db)
    w = world_snapshot
    return World(
        samordna=samordna,
        areas=dict(w.areas),
        units=dict(w.units),
        goals=dict(w.goals),
        actors=dict(w.actors),
        tokens=dict(w.tokens),
        user_ids=dict(w.user_ids),
    )


LIVE_HEARTBEAT = 0.3  # an idle stream's comment every 0.3 s: short enough for tests/live to see several


class LiveServer:
    """A uvicorn server in a thread over `samordna`. At most one runs over a Services at a time, as in production
    (each worker process has Services of its own). On PostgreSQL a change is announced once, by its own
    transaction's NOTIFY (samordna.live.channels.notify_in, attached once), whatever runs over the Services; in
    memory each app's Publisher feeds only that app's streams. The guard keeps the tests to production's shape."""

    _running: set[int] = set()  # id() of the Services a server runs over

    def __init__(self, samordna: Services, settings: Settings) -> None:
        self.samordna = samordna
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(settings, services=samordna)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", proxy_headers=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        if id(self.samordna) in LiveServer._running:
            raise RuntimeError("a live server already runs over these services: each change would be announced twice")
        LiveServer._running.add(id(self.samordna))
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        LiveServer._running.discard(id(self.samordna))


@pytest.fixture(scope="session")
def live_server(session_samordna: Services, settings: Settings) -> Iterator[LiveServer]:
    """The session's one real HTTP server (see LiveServer: a second one over the same Services would announce each
    change twice), for the API and web tests and the live streams of tests/live, hence its short heartbeat."""
    server = LiveServer(session_samordna, replace(settings, live_heartbeat_seconds=LIVE_HEARTBEAT))
    server.start()
    yield server
    server.stop()


# ---------------------------------------------------------------- logged-in browsers


@pytest.fixture
def web_world(world: World) -> World:
    """The test world, every user with tests.web_support.PASSWORD so they can log in through the form."""
    return give_passwords(world)


@pytest.fixture
def browser(live_server: LiveServer, web_world: World) -> Iterator[Callable[[str], WebClient]]:
    """`browser("coordinator")`: a client on the live server, logged in as that member; all closed at the end."""
    opened: list[WebClient] = []

    def open_as(who: str) -> WebClient:
        b = WebClient.live(live_server.url)
        opened.append(b)
        return b.login(who)

    yield open_as
    for b in opened:
        b.close()


@pytest.fixture
def app(samordna: Services, web_world: World) -> Litestar:
    """The app in-process over the test world; the header x-test-peer sets the client address. Its live streams
    end after a second: the test client reads a whole answer before it returns (tests/live reads them open), and
    its channels stay in memory: each test client runs the app's start-up on an event loop of its own, where a
    PostgreSQL listener started on another loop cannot follow (tests/live tests LISTEN/NOTIFY with real servers)."""
    return make_app(samordna, replace(samordna.settings, live_stream_seconds=1.0))


@pytest.fixture
def open_browser(app: Litestar) -> Iterator[Callable[..., WebClient]]:
    """`open_browser(peer=...)`: a new browser (TestClient, its own cookies) on `app`, not logged in."""
    with browsers(app) as open_:
        yield open_


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `sqlite_only` (SQLite's query plans, for instance) are not run on PostgreSQL at all:
    deselected rather than skipped, since CI treats a skip as a failure."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("engine_name") == "postgres"
        (drop if on_postgres and item.get_closest_marker("sqlite_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
