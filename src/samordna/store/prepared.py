"""Core statements compiled once per dialect and run straight on the DBAPI cursor of a SQLAlchemy connection.

For the few statements of the hottest write (a transition: the caller's token, the measure, the versioned
UPDATE, the event, the status report), SQLAlchemy's per-execution machinery — execution context, event
dispatch, a cursor result with its metadata — costs some twenty times what SQLite itself does for them.
A `Prepared` statement keeps SQLAlchemy for what it is for: the SQL text for the dialect, and the type
processing of every value bound and read (dates and datetimes as SQLite stores them, for instance). It
skips the rest. It runs in the connection's own transaction, on its DBAPI connection: the same SQL, the
same values written and read as `connection.execute(statement, params)`.

What it refuses when a statement is first compiled for a dialect, so nothing can be silently different:
expanding (IN) or literal-execute parameters, escaped parameter names, a RETURNING the statement did not ask
for (build an INSERT with `.inline()`, or PostgreSQL's compiler adds one for the new id; one named with
`.returning(...)` is read with `rows()`, on both engines), and Python-side column defaults that
SQLAlchemy would have filled in (an INSERT must name every value it sets). DBAPI errors come
through as the driver raises them, not wrapped. SQLAlchemy's event hooks and echo do not see these
statements: observe them at the DBAPI level (tests/test_services_transition_path.py does).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import Executable

_REQUIRED = object()


class _Plan:
    """One statement compiled for one dialect: the SQL, how to bind, how to read."""

    __slots__ = ("sql", "binds", "names", "params", "processed", "positional", "columns", "keys", "readers", "dialect")

    def __init__(self, statement: Any, dialect: Dialect, column_keys: Sequence[str] | None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(column_keys) if column_keys else None)
        asked = _returning(statement)
        unsupported = {
            "expanding or literal-execute parameters": compiled.literal_execute_params or compiled.post_compile_params,
            "escaped parameter names": compiled.escaped_bind_names,
            "RETURNING (an INSERT without one needs .inline(): PostgreSQL would return the new id)": (
                getattr(compiled, "effective_returning", None) and not asked
            ),
            "Python-side column defaults": compiled.insert_prefetch or compiled.update_prefetch,
        }
        problems = [what for what, present in unsupported.items() if present]
        if problems:
            raise ValueError(f"cannot prepare {str(compiled)!r}: {', '.join(problems)}")
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        self.positional = bool(compiled.positional)
        names = list(compiled.positiontup or ()) if self.positional else list(by_name)
        # (name in the SQL, key the caller passes, its bind processor, its value when the caller passes none)
        self.binds: list[tuple[str, str, Callable[[Any], Any] | None, Any]] = []
        for name in names:
            bind = by_name[name]
            default = _REQUIRED if bind.required else bind.effective_value
            self.binds.append((name, bind.key, bind.type.dialect_impl(dialect).bind_processor(dialect), default))
        self.names = [name for name, *_rest in self.binds]
        self.params = [key for _name, key, *_rest in self.binds]
        self.processed = [(i, process) for i, (_n, _k, process, _d) in enumerate(self.binds) if process is not None]
        self.sql: str = compiled.string
        self.dialect = dialect
        selected = getattr(statement, "selected_columns", None)
        if selected is None and asked:
            selected = statement.exported_columns  # type: ignore[attr-defined]  # what an INSERT ... RETURNING returns
        self.columns = list(selected) if selected is not None else []
        self.keys: tuple[str, ...] = tuple(selected.keys()) if selected is not None else ()
        # (index in a row, result processor) for the columns that have one; from the first cursor description
        self.readers: list[tuple[int, Callable[[Any], Any]]] | None = None

    def values(self, params: Mapping[str, Any]) -> Any:
        try:
            out = [params[key] for key in self.params]
        except KeyError:  # a parameter SQLAlchemy binds itself, or a missing one
            out = []
            for _name, key, _process, default in self.binds:
                if key in params:
                    out.append(params[key])
                elif default is _REQUIRED:
                    raise KeyError(f"missing value for parameter {key!r} of {self.sql!r}") from None
                else:
                    out.append(default)
        for i, process in self.processed:
            if out[i] is not None:
                out[i] = process(out[i])
        if self.positional:
            return tuple(out)
        return dict(zip(self.names, out, strict=True))

    def reading(self, description: Sequence[Any]) -> list[tuple[int, Callable[[Any], Any]]]:
        if self.readers is None:
            if len(description) != len(self.columns):
                raise ValueError(f"{self.sql!r} returned {len(description)} columns, expected {len(self.columns)}")
            dialect = self.dialect
            processors = [
                column.type.dialect_impl(dialect).result_processor(dialect, desc[1])
                for column, desc in zip(self.columns, description, strict=True)
            ]
            self.readers = [(i, read) for i, read in enumerate(processors) if read is not None]
        return self.readers


def _returning(statement: Any) -> bool:
    """Whether an INSERT, UPDATE or DELETE asks for RETURNING itself (`.returning(...)`)."""
    return bool(getattr(statement, "_returning", ()))


class Prepared:
    """A Core statement to run many times with different parameters (see the module's docstring).

    `column_keys`: for an INSERT or UPDATE built without values, the columns the parameters will set."""

    def __init__(self, statement: Executable, *, column_keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self.column_keys = tuple(column_keys) if column_keys else None
        self._plans: weakref.WeakKeyDictionary[Dialect, _Plan] = weakref.WeakKeyDictionary()
        self._last: _Plan | None = None  # the plan used last: a process has one engine, so nearly always

    def _plan(self, dialect: Dialect) -> _Plan:
        last = self._last
        if last is not None and last.dialect is dialect:
            return last
        plan = self._plans.get(dialect)
        if plan is None:
            plan = self._plans[dialect] = _Plan(self.statement, dialect, self.column_keys)
        self._last = plan
        return plan

    def _run(self, conn: Connection, params: Mapping[str, Any]) -> tuple[_Plan, Any]:
        if not conn.in_transaction():
            # Outside a transaction a DBAPI connection in autocommit mode (SQLite here) would commit each
            # statement on its own: these statements are only ever part of a caller's transaction.
            raise RuntimeError("a prepared statement runs inside the connection's transaction")
        plan = self._plan(conn.dialect)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(plan.sql, plan.values(params))
        except BaseException:
            cursor.close()
            raise
        return plan, cursor

    def rowcount(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run an INSERT, UPDATE or DELETE; the number of rows it touched."""
        _plan, cursor = self._run(conn, params)
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a SELECT (or a statement with RETURNING); its rows as tuples, every value read as SQLAlchemy
        would read it."""
        plan, cursor = self._run(conn, params)
        try:
            rows = cursor.fetchall()
            readers = plan.reading(cursor.description)
        finally:
            cursor.close()
        if not readers:
            return [tuple(r) for r in rows]
        out = []
        for r in rows:
            values = list(r)
            for i, read in readers:
                if values[i] is not None:
                    values[i] = read(values[i])
            out.append(tuple(values))
        return out

    def mappings(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run a SELECT; its rows as dicts keyed like `Row._mapping` (the selected columns' keys)."""
        rows = self.rows(conn, params)
        keys = self._plan(conn.dialect).keys
        return [dict(zip(keys, r, strict=True)) for r in rows]
