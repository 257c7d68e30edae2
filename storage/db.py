"""Engines, sessions and schema migrations (Alembic) for Telepasar's database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def make_engine(database_url: str) -> Engine:
    """Create an engine; a SQLite file gets its folder, WAL mode and foreign keys.

    SQL parameters are kept out of error messages: they hold phone numbers and addresses,
    which must never reach a log.
    """
    if database_url.startswith("sqlite"):
        _ensure_sqlite_folder(database_url)
        engine = create_engine(database_url, connect_args={"timeout": 15}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(database_url, pool_pre_ping=True, hide_parameters=True)


def _ensure_sqlite_folder(database_url: str) -> None:
    """Create the folder of a SQLite database file (e.g. `instance/`) if it is missing."""
    path = database_url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets the web gateway read while the worker writes; SQLite needs FKs switched on.

    The sqlite3 module's own transaction handling is switched off (`_sqlite_begin` starts
    transactions instead): it begins one only before a write, so a SAVEPOINT could open, and
    its RELEASE commit, a transaction of its own, and reads would see no stable snapshot.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Start every SQLAlchemy transaction with a real BEGIN (see `_sqlite_pragmas`).

    A unit of work that will write begins IMMEDIATE: it takes SQLite's one write lock first
    and so reads what the previous writer committed, instead of failing later on a stale
    snapshot. Two copies of one request then run one after the other.
    """
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def make_session_factory(engine: Engine, *, writes: bool = True) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit.

    `writes=False` gives sessions that only read (they never wait for SQLite's write lock).
    Other databases ignore the difference: there, conflicts surface as errors to retry.
    """
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if writes else engine
    return sessionmaker(bind, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit when the block ends, roll back if it raises."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to `engine`, without any alembic.ini on disk."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema up to the newest migration."""
    command.upgrade(alembic_config(engine), "head")
