"""What a database is sent, seen at the driver: statements through SQLAlchemy and through
`storage.driver` alike (the latter never reach SQLAlchemy's events)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def statements_sent(*engines: Engine) -> Iterator[list[str]]:
    """Every statement the connections of `engines` run while the block runs, in order,
    whitespace folded. SQLite's own trace sees them all (statements inside triggers start
    with `--`); on PostgreSQL each connection's cursors record what they execute."""
    seen: list[str] = []

    def record(sql: Any) -> None:
        seen.append(" ".join(str(sql).split()))

    def checkout(dbapi_connection: Any, record_: Any, proxy: Any) -> None:
        if hasattr(dbapi_connection, "set_trace_callback"):
            dbapi_connection.set_trace_callback(record)
        else:
            plain = getattr(dbapi_connection.cursor_factory, "plain", None)
            plain = plain or dbapi_connection.cursor_factory
            dbapi_connection.cursor_factory = _recording(plain, dbapi_connection, record)

    def checkin(dbapi_connection: Any, record_: Any) -> None:
        if dbapi_connection is None:
            return
        if hasattr(dbapi_connection, "set_trace_callback"):
            dbapi_connection.set_trace_callback(None)
        else:
            factory = dbapi_connection.cursor_factory
            dbapi_connection.cursor_factory = getattr(factory, "plain", factory)

    for engine in engines:
        event.listen(engine.pool, "checkout", checkout)
        event.listen(engine.pool, "checkin", checkin)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine.pool, "checkout", checkout)
            event.remove(engine.pool, "checkin", checkin)


def _recording(plain: type, connection: Any, record: Any) -> type:
    """A cursor class like `plain` (psycopg's) that records each query it executes."""

    class Recording(plain):  # type: ignore[misc, valid-type]
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            record(query if isinstance(query, str | bytes) else query.as_string(connection))
            return super().execute(query, params, **kwargs)

    Recording.plain = plain
    return Recording
