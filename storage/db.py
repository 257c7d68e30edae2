"""Engines, sessions and schema migrations (Alembic) for Telepasar's database."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from settings import SettingsError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def make_engine(
    database_url: str, *, lock_wait_seconds: float = 5.0, relaxed: bool = False
) -> Engine:
    """Create an engine; a SQLite file gets its folder, WAL mode and foreign keys.

    Every commit waits for the disk, unless `relaxed`: then a commit does not wait (SQLite's
    WAL with `synchronous=NORMAL`, PostgreSQL's `synchronous_commit = off`). A power cut (or
    a crash of the database server) may lose the last few relaxed commits, never corrupt
    anything; a process killed loses none. Only what can be lost that way is written so: a
    menu hop's one write of its conversation (`Database.hop`: the caller redials) and the
    outbox's record of a send (`deliver_due`: the SMS may go twice).

    A statement waits at most `lock_wait_seconds` for a lock another connection holds, then
    fails (SQLite's busy timeout, PostgreSQL's lock_timeout): a caller gets an apology in
    time instead of a hang. SQL parameters are kept out of error messages: they hold phone
    numbers and addresses, which must never reach a log. A URL Telepasar cannot use raises
    SettingsError naming DATABASE_URL.
    """
    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise SettingsError(
            "DATABASE_URL is not a database URL (e.g. sqlite:///instance/telepasar.sqlite3 or "
            "postgresql+psycopg://user:password@host/telepasar)"
        ) from exc
    shown = url.render_as_string(hide_password=True)
    try:
        if url.get_backend_name() == "sqlite":
            _ensure_sqlite_folder(url.database or "")
            engine = create_engine(
                url, connect_args={"timeout": lock_wait_seconds}, hide_parameters=True
            )
            synchronous = "NORMAL" if relaxed else "FULL"
            event.listen(engine, "connect", _sqlite_pragmas(lock_wait_seconds, synchronous))
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        options = {"connect_timeout": max(1, round(lock_wait_seconds))}
        if url.get_backend_name() == "postgresql":
            options["options"] = f"-c lock_timeout={round(lock_wait_seconds * 1000)}"
            if relaxed:
                options["options"] += " -c synchronous_commit=off"
        return create_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args=options)
    except (ArgumentError, ImportError) as exc:
        raise SettingsError(f"DATABASE_URL={shown}: no database driver for it ({exc})") from exc
    except OSError as exc:
        raise SettingsError(
            f"DATABASE_URL={shown}: its folder cannot be created ({exc.strerror or exc})"
        ) from exc


def _ensure_sqlite_folder(database: str) -> None:
    """Create the folder of a SQLite database file (e.g. `instance/`) if it is missing."""
    path = database.removeprefix("file:").split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(lock_wait_seconds: float, synchronous: str) -> Callable[[Any, Any], None]:
    """What every new SQLite connection is told first (see `_set_pragmas`)."""

    def _set_pragmas(dbapi_connection: Any, record: Any) -> None:
        """WAL lets the web gateway read while the worker writes; SQLite needs FKs switched on.

        The sqlite3 module's own transaction handling is switched off (`_sqlite_begin` starts
        transactions instead): it begins one only before a write, so a SAVEPOINT could open,
        and its RELEASE commit, a transaction of its own, and reads would see no stable
        snapshot.
        """
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={round(lock_wait_seconds * 1000)}")
        cursor.execute(f"PRAGMA synchronous={synchronous}")  # FULL: every commit on disk
        cursor.close()

    return _set_pragmas


def _sqlite_begin(connection: Any) -> None:
    """Start every SQLAlchemy transaction with a real BEGIN (see `_sqlite_pragmas`).

    A unit of work that will write begins IMMEDIATE: it takes SQLite's one write lock first
    and so reads what the previous writer committed, instead of failing later on a stale
    snapshot. Two copies of one request then run one after the other.
    """
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")  # its failure (locked) as SQLAlchemy's error


class MustBeDurable(Exception):
    """A hop turned out to write more than its conversation (a language, an order, a
    resumed basket): `Database.hop` answers it again, in a unit of work that waits for the
    disk, from the start."""


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


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration (bound to `engine` if given), without any alembic.ini on disk."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema up to the newest migration."""
    command.upgrade(alembic_config(engine), "head")


@functools.cache
def head_revision() -> str | None:
    """The newest migration this code knows (the schema it needs)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def schema_revision(engine: Engine) -> str | None:
    """The migration the database's schema is at (None: no schema at all)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def probe_write(engine: Engine, *, timeout_seconds: float) -> None:
    """Take a write lock and write a row, then roll back; raises if that fails in time.

    It proves more than a SELECT: a read-only file, a read-only server or a lock held
    elsewhere for longer than `timeout_seconds` all fail here. Nothing is left behind.
    """
    milliseconds = max(1, round(timeout_seconds * 1000))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        try:
            if sqlite:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={milliseconds}")
            else:
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = {milliseconds}")
                # A safety net only: the lock wait above is what the probe measures.
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = {2 * milliseconds}")
            connection.execute(
                text(
                    "INSERT INTO worker_heartbeats (worker_id, started_at, beat_at) "
                    "VALUES (:probe, :at, :at)"
                ),
                {"probe": f"healthz-probe-{uuid.uuid4().hex}", "at": "2000-01-01 00:00:00"},
            )
        finally:
            connection.rollback()
            if sqlite:  # its busy timeout was changed for the probe: not back into the pool
                connection.invalidate()
