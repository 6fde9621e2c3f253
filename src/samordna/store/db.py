"""The engine and transactions: SQLite pragmas, BEGIN IMMEDIATE for writes, PostgreSQL pooling, and work
that must wait until a write has committed (`after_commit`: what is announced to the live boards)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import NullPool, QueuePool
from sqlmodel import Session

READONLY = "samordna_readonly"
log = logging.getLogger(__name__)

# The callbacks of the write transaction open in this context (a request's worker thread, a command): run once
# it has committed, dropped when it rolls back. None outside a write transaction.
_after_commit: ContextVar[list[Callable[[], None]] | None] = ContextVar("samordna_after_commit", default=None)


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the write transaction open here has committed; never when it rolls back. A change is
    announced only when it is there for everyone to read. An exception from a callback is logged, not raised:
    the write has happened, and the caller's answer must say so."""
    pending = _after_commit.get()
    if pending is None:
        raise RuntimeError("after_commit needs a write transaction (Database.write or write_rows)")
    pending.append(callback)


@contextmanager
def _committing() -> Iterator[None]:
    """Collect the after_commit callbacks of the transaction opened inside; run them when it has committed.
    A transaction opened inside another one collects its own (its commit is its own)."""
    pending: list[Callable[[], None]] = []
    token = _after_commit.set(pending)
    try:
        yield
    finally:
        _after_commit.reset(token)
    for callback in pending:  # reached only when the block, its COMMIT included, raised nothing
        try:
            callback()
        except Exception:
            log.exception("after-commit callback failed")


def make_engine(url: str, *, pool_size: int = 5, pooled: bool = True) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys, a busy timeout and immediate write locks.

    Pooled engines use SQLAlchemy's QueuePool: `pool_size` connections kept open per process
    (SAMORDNA_DB_POOL_SIZE), and up to 10 more while requests queue for them. With PostgreSQL and
    `samordna serve --workers N`, the server sees up to N × (pool_size + 10) connections."""
    parsed = make_url(url)
    pool_args: dict = {"pool_size": pool_size, "max_overflow": 10} if pooled else {"poolclass": NullPool}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **pool_args,
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, **pool_args)
    _ping_when_idle(engine)
    return engine


PING_AFTER_IDLE = 10.0  # seconds a pooled PostgreSQL connection may rest before it is tested on checkout


def _ping_when_idle(engine: Engine) -> None:
    """Test a pooled connection before use only when it has rested a while. SQLAlchemy's pool_pre_ping tests it
    at every checkout: one more round trip for each of a page's transactions (5 on a board). A connection used
    a moment ago is alive; one that rested may have been closed by the server, a restart or a firewall, and is
    replaced unseen (DisconnectionError makes the pool take another). A server restart can still fail the
    requests that meet a recently used connection; SQLAlchemy then empties the pool, and the next ones reconnect."""

    @event.listens_for(engine, "checkin")
    def _rested_since(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _test_if_rested(dbapi_connection, record, _proxy):  # type: ignore[no-untyped-def]
        since = record.info.get("checked_in")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("the pooled connection no longer answers") from exc


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        # A write transaction takes the write lock at its start, so concurrent writers queue
        # (busy_timeout) instead of failing when a deferred reader upgrades to a writer. Sent straight to
        # the DBAPI connection: through exec_driver_sql, SQLAlchemy's execution machinery would cost more
        # than the BEGIN itself, on every transaction.
        begin = "BEGIN" if conn.get_execution_options().get(READONLY) else "BEGIN IMMEDIATE"
        conn.connection.dbapi_connection.execute(begin).close()


def connection_of(handle: Session | Connection) -> Connection:
    """The connection a session's transaction runs on (or the connection itself): Core statements run
    there skip the ORM session's per-statement work, in the same transaction."""
    return handle if isinstance(handle, Connection) else handle.connection()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class Database:
    """Hands out sessions: `write()` for one transaction that commits or rolls back, `read()` for reads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._read_engine = engine.execution_options(**{READONLY: True})
        if engine.dialect.name == "postgresql":
            # READ COMMITTED gives each statement a snapshot of its own, inside a transaction or not: a read
            # that is not a snapshot (read_snapshot sets REPEATABLE READ) needs no BEGIN and no COMMIT, two
            # round trips of each of a page's reads.
            self._read_engine = self._read_engine.execution_options(isolation_level="AUTOCOMMIT")
        # SQLite has one writer at a time. Without this lock, the threads of one process that want to write
        # all send BEGIN IMMEDIATE, and all but one sleep in SQLite's busy handler, which wakes them after
        # 1, 2, 5, 10 … 100 ms whether the lock is free or not: CPU spent on polling, and a writer that sleeps
        # on after the lock came free. Queued on a lock in the process, the next writer starts the moment the
        # previous one has committed (bench.inflight). Writers in other processes (a command beside the
        # server) still meet at SQLite's lock, with the busy timeout. PostgreSQL locks rows, not the database.
        lock = threading.RLock() if is_sqlite(engine) else None
        self._one_writer: Callable[[], AbstractContextManager[object]] = (lambda: lock) if lock else nullcontext
        # With one writer at a time, SQLite's writes can all go through one connection, kept open for them and
        # used only under the lock: no pool checkout, Connection object and checkin per write (about 0.05 ms of
        # a transition's CPU). A file database's pool only (QueuePool); an in-memory one has a connection per
        # thread (SingletonThreadPool), which the pool must keep handing out.
        self._keeps_writer = lock is not None and isinstance(engine.pool, QueuePool)
        self._writer: Connection | None = None

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 5) -> Database:
        return cls(make_engine(url, pool_size=pool_size))

    @contextmanager
    def write(self) -> Iterator[Session]:
        with _committing(), self._one_writer(), Session(self.engine, expire_on_commit=False) as session:
            with session.begin():
                yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self._read_engine, expire_on_commit=False) as session:
            with session.begin():
                yield session

    @contextmanager
    def write_rows(self) -> Iterator[Connection]:
        """A write transaction on a plain connection (BEGIN IMMEDIATE on SQLite, as `write()`), committed on
        success and rolled back on any exception: for Core-only work such as a transition, which loads and
        flushes no ORM objects and so has no use for a Session's unit of work."""
        with _committing(), self._one_writer():
            kept = self._kept_writer()
            if kept is None:
                with self.engine.begin() as conn:
                    yield conn
                return
            try:
                with kept.begin():
                    yield kept
            finally:
                if kept.invalidated or kept.get_execution_options():
                    # Lost, or given options a caller set for its own statements (Connection.execution_options
                    # changes the connection itself): the next write starts on a fresh one.
                    self.release_writer()

    def _kept_writer(self) -> Connection | None:
        """Under the one-writer lock: SQLite's kept write connection, opened when there is none; None on
        PostgreSQL and for a write opened inside another one in this thread (it gets a connection of its own)."""
        if not self._keeps_writer:
            return None
        kept = self._writer
        if kept is None or kept.closed:
            kept = self._writer = self.engine.connect()
        elif kept.in_transaction():
            return None
        return kept

    def release_writer(self) -> None:
        """Close SQLite's kept write connection, if one is open (the next write opens another through the pool,
        with the pool's events). Call under the one-writer lock, or when no write can be under way."""
        kept, self._writer = self._writer, None
        if kept is not None:
            try:
                kept.close()
            except Exception:  # a connection that cannot even be closed is gone anyway
                log.warning("could not close the kept SQLite write connection", exc_info=True)

    @contextmanager
    def read_rows(self) -> Iterator[Connection]:
        """A read transaction on a plain connection, for Core statements only (no ORM objects): what
        every page asks (the session, the actor, a board) costs about a tenth of a millisecond less
        per statement than through an ORM Session."""
        with self._read_engine.connect() as connection:
            with connection.begin():
                yield connection

    @contextmanager
    def read_snapshot(self) -> Iterator[Connection]:
        """A read transaction whose statements all see one snapshot of the database: a read of many statements
        that must agree with each other, such as an export read by keyset in chunks (a measure changed halfway
        must be neither skipped nor met twice). SQLite's read transaction already is one (WAL: the snapshot
        of its first read; writers go on meanwhile). On PostgreSQL, READ COMMITTED gives every statement a
        snapshot of its own, so this one runs REPEATABLE READ, read only (it never waits for writers, and
        no writer waits for it)."""
        with self._read_engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with connection.begin():
                yield connection

    def ping(self) -> None:
        """One round trip to the database (the health check); raises when it does not answer."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        with self._one_writer():
            self.release_writer()
        self.engine.dispose()
