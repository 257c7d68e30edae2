"""The few statements of the hot path, run on the database driver itself.

A menu hop reads one row and writes one. Through SQLAlchemy's Session (or even a Core
Connection) each statement costs tens of microseconds of Python around a few microseconds
of SQLite: the events, the execution context, the result object. Here a Core statement is
compiled once per dialect (`Prepared`) and run on a pooled DBAPI connection of an engine
(`Driver`), with the columns' own conversions (JSON, UTC datetimes), each statement alone in
its own transaction. Errors come back as SQLAlchemy's (IntegrityError, OperationalError),
so callers retry a lost race as they do elsewhere. Everything else uses Sessions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    """One statement's SQL for one dialect, its parameters' order and conversions."""

    sql: str
    compiled: SQLCompiler
    names: tuple[str, ...] | None  # the parameters in order (positional drivers), or None
    binds: dict[str, Processor]
    results: tuple[Processor, ...]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        given = self.compiled.construct_params(dict(values))
        converted = {
            name: (process(value) if (process := self.binds.get(name)) else value)
            for name, value in given.items()
        }
        if self.names is None:
            return converted
        return tuple(converted[name] for name in self.names)

    def row(self, raw: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            process(value) if process else value
            for process, value in zip(self.results, raw, strict=True)
        )


class Prepared:
    """A Core statement, compiled the first time each dialect runs it."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, str, str], _Compiled] = {}

    def compiled_for(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver, dialect.paramstyle)
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        if not isinstance(compiled, SQLCompiler) or compiled.escaped_bind_names:
            raise ValueError("a prepared statement needs plain parameter names")
        binds = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }
        columns = getattr(self.statement, "selected_columns", ())
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )
        names = tuple(compiled.positiontup) if compiled.positional else None
        return _Compiled(compiled.string, compiled, names, binds, results)


class Driver:
    """Prepared statements on one engine's pooled DBAPI connections, one transaction each.

    A read is one statement with no transaction around it (a single statement sees one
    snapshot). A write takes the lock first on SQLite (BEGIN IMMEDIATE: it reads what the
    last writer committed) and commits; on PostgreSQL it is one statement in autocommit.
    How the commit reaches the disk is the engine's (`make_engine(relaxed=...)`).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self._sqlite = engine.dialect.name == "sqlite"

    def first(self, prepared: Prepared, **values: Any) -> tuple[Any, ...] | None:
        """The first row of a SELECT, converted, or None."""
        compiled = prepared.compiled_for(self.dialect)
        parameters = compiled.parameters(values)

        def run(cursor: Any) -> tuple[Any, ...] | None:
            cursor.execute(compiled.sql, parameters)
            raw = cursor.fetchone()
            return None if raw is None else compiled.row(tuple(raw))

        return self._on_connection(compiled.sql, run)

    def write(self, prepared: Prepared, **values: Any) -> int:
        """Run an INSERT or UPDATE and commit it; how many rows it touched."""
        compiled = prepared.compiled_for(self.dialect)
        parameters = compiled.parameters(values)

        def run(cursor: Any) -> int:
            if self._sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            cursor.execute(compiled.sql, parameters)
            count = cursor.rowcount
            if self._sqlite:
                cursor.execute("COMMIT")
            return count

        return self._on_connection(compiled.sql, run)

    def _on_connection(self, sql: str, run: Callable[[Any], Any]) -> Any:
        try:
            connection = self.engine.raw_connection()
        except self.dialect.loaded_dbapi.Error as exc:  # the database cannot be reached
            raise self._as_sqlalchemys(sql, exc) from exc
        cursor = None
        try:
            driver_connection = connection.dbapi_connection
            autocommit = not self._sqlite and not driver_connection.autocommit
            if autocommit:  # PostgreSQL: one statement, one round trip
                driver_connection.rollback()  # the pool's ping may have begun one (no-op if not)
                driver_connection.autocommit = True
            try:
                cursor = connection.cursor()
                return run(cursor)
            finally:
                if autocommit:
                    driver_connection.autocommit = False
        except self.dialect.loaded_dbapi.Error as exc:
            self._recover(connection, cursor, exc)
            raise self._as_sqlalchemys(sql, exc) from exc
        finally:
            if cursor is not None:
                cursor.close()
            connection.close()  # back to the pool (which rolls back anything left open)

    def _as_sqlalchemys(self, sql: str, exc: Exception) -> Exception:
        """The driver's error as SQLAlchemy's (IntegrityError, OperationalError, ...), with
        no parameters in its message (they hold phone numbers)."""
        return DBAPIError.instance(
            sql, None, exc, self.dialect.loaded_dbapi.Error, hide_parameters=True
        )

    def _recover(self, connection: Any, cursor: Any, exc: Exception) -> None:
        """After a failure: a connection that is gone is dropped, any other rolled back."""
        if self.dialect.is_disconnect(exc, connection.dbapi_connection, cursor):
            connection.invalidate(exc)
            return
        if self._sqlite and connection.dbapi_connection.in_transaction:
            connection.dbapi_connection.execute("ROLLBACK")
