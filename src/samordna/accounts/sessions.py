"""A Litestar session store in the database, so every worker and machine sees the same sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from anyio.to_thread import run_sync
from litestar.stores.base import Store
from sqlalchemy import bindparam, delete, select, update

from samordna.domain.clock import aware
from samordna.store.db import Database
from samordna.store.models import WebSession

TABLE = WebSession.__table__
SESSION_ROW = select(TABLE.c.data, TABLE.c.expires_at).where(TABLE.c.key == bindparam("key"))  # every request


def _now() -> datetime:
    return datetime.now(UTC)


def _seconds(value: int | timedelta | None) -> int | None:
    return int(value.total_seconds()) if isinstance(value, timedelta) else value


class DatabaseStore(Store):
    """Sessions in the database.

    Litestar stores the session after every response, changed or not; `set` skips the write when the
    bytes are those this process has just read for the key (a read-only page then costs no write
    transaction). The row's expiry is then not pushed forward, which changes nothing: a session ends
    after ABSOLUTE_SECONDS from log-in in any case (web.session)."""

    __slots__ = ("_read", "db")

    def __init__(self, db: Database) -> None:
        self.db = db
        self._read: dict[str, bytes] = {}  # key -> the bytes get() last returned in this process

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        if (data := self._changed(key, value)) is not None:  # unchanged: not even a trip to a worker thread
            await run_sync(self._write, key, data, expires_in)

    def set_sync(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        if (data := self._changed(key, value)) is not None:
            self._write(key, data, expires_in)

    def _changed(self, key: str, value: str | bytes) -> bytes | None:
        """The bytes to write, or None when they are those get() last returned for the key."""
        data = value.encode() if isinstance(value, str) else value
        return None if self._read.pop(key, None) == data else data

    def _write(self, key: str, data: bytes, expires_in: int | timedelta | None) -> None:
        seconds = _seconds(expires_in)
        expires = _now() + timedelta(seconds=seconds) if seconds else None
        with self.db.write() as s:
            found = s.execute(update(TABLE).where(TABLE.c.key == key).values(data=data, expires_at=expires)).rowcount
            if not found:
                s.execute(TABLE.insert().values(key=key, data=data, expires_at=expires))

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await run_sync(self.get_sync, key, renew_for)

    def get_sync(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        with self.db.read_rows() as connection:
            row = connection.execute(SESSION_ROW, {"key": key}).first()
        if row is None:
            return None
        expires = aware(row.expires_at)
        if expires is not None and expires <= _now():
            self.delete_sync(key)
            return None
        seconds = _seconds(renew_for)
        if seconds and expires is not None:
            with self.db.write() as s:
                s.execute(
                    update(TABLE).where(TABLE.c.key == key).values(expires_at=_now() + timedelta(seconds=seconds))
                )
        data = bytes(row.data)
        if len(self._read) > 10_000:  # reads without a set after them (an error): keep it bounded
            self._read.clear()
        self._read[key] = data
        return data

    async def delete(self, key: str) -> None:
        await run_sync(self.delete_sync, key)

    def delete_sync(self, key: str) -> None:
        self._read.pop(key, None)
        with self.db.write() as s:
            s.execute(delete(TABLE).where(TABLE.c.key == key))

    async def delete_all(self) -> None:
        self._read.clear()

        def run() -> None:
            with self.db.write() as s:
                s.execute(delete(TABLE))

        await run_sync(run)

    def delete_expired_sync(self) -> int:
        with self.db.write() as s:
            return s.execute(delete(TABLE).where(TABLE.c.expires_at <= _now())).rowcount

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        def run() -> datetime | None:
            with self.db.read() as s:
                return s.execute(select(TABLE.c.expires_at).where(TABLE.c.key == key)).scalar_one_or_none()

        expires = aware(await run_sync(run))
        return None if expires is None else max(0, int((expires - _now()).total_seconds()))
