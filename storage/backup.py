"""Backups: a consistent copy of the database while it serves, and a check that a copy
opens (docs/OPERATIONS.md, Backups).

SQLite is copied with its online backup API in one step: a read transaction, which in WAL
mode never stops the gateway's or the worker's writes, so the copy is the database as it
stood at one moment. PostgreSQL is copied by `pg_dump` (its custom format, read back by
`pg_restore`), which is consistent in the same way. Either is first written beside PATH
under a `.partial` name and renamed when whole: a file of the final name is always whole.

`restore_check` opens a copy without changing it: a SQLite file read-only, a pg_dump
archive restored into a scratch database of the PostgreSQL server the settings name
(created, read and dropped again); it says the schema's migration and each table's rows.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, func, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from storage.db import head_revision, schema_revision
from storage.models import Base

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
SQLITE_BUSY_SECONDS = 30.0  # how long the copy waits for a write that holds the lock


class BackupError(Exception):
    """A backup or its check could not be made: one line saying why and what to do."""


@dataclass(frozen=True)
class Checked:
    """What a copy holds: its schema's migration (and the code's), each table's rows."""

    kind: str  # "SQLite" or "pg_dump"
    revision: str | None
    head: str | None
    rows: dict[str, int]

    @property
    def at_head(self) -> bool:
        return self.revision is not None and self.revision == self.head


def backup(database_url: str, path: Path, say: Callable[[str], None]) -> int:
    """Write a consistent copy of the database at `database_url` to `path` (which must not
    exist); returns its size in bytes."""
    if path.exists():
        raise BackupError(f"{path} exists already: give the backup a new name")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a folder: create it first")
    url = make_url(database_url)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_copy(url, partial, say)
        elif url.get_backend_name() == "postgresql":
            _pg_dump(url, partial, say)
        else:
            raise BackupError(f"no backup for a {url.get_backend_name()} database")
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)
    return path.stat().st_size


def _sqlite_copy(url: URL, target: Path, say: Callable[[str], None]) -> None:
    name = url.database or ""
    if name in ("", ":memory:") or name.startswith("file::memory:"):
        raise BackupError("the database is in memory: there is nothing on disk to back up")
    source_path = Path(name)
    if not source_path.is_file():
        raise BackupError(f"{source_path} does not exist: DATABASE_URL names no database")
    say(f"Copying {source_path} ({_size(source_path.stat().st_size)}) with SQLite's backup API...")
    source = sqlite3.connect(source_path, timeout=SQLITE_BUSY_SECONDS)
    copy = sqlite3.connect(target)
    try:
        # One step: one read transaction, so the copy is the database at one moment (a copy
        # made in steps starts again whenever another process writes between them).
        source.backup(copy, pages=-1)
    except sqlite3.Error as exc:
        raise BackupError(f"the copy failed: {exc}") from exc
    finally:
        copy.close()
        source.close()


def _pg_dump(url: URL, target: Path, say: Callable[[str], None]) -> None:
    say(f"Dumping PostgreSQL database {url.database} with pg_dump (custom format)...")
    _pg_tool("pg_dump", ["--format=custom", "--no-owner", f"--file={target}"], url)


def _pg_tool(tool: str, arguments: list[str], url: URL) -> None:
    """Run a PostgreSQL client tool on the database at `url`. Everything it needs is in
    `url` (host, port, user, database, `sslmode`...) but the password, which goes in its
    own environment's PGPASSWORD: never on a command line another user could read."""
    program = shutil.which(tool)
    if program is None:
        raise BackupError(f"{tool} is not installed (apt-get install postgresql-client)")
    conninfo = url.set(drivername="postgresql", password=None)
    dbname = conninfo.render_as_string(hide_password=False)
    password = {"PGPASSWORD": str(url.password)} if url.password is not None else {}
    done = subprocess.run(
        [program, *arguments, f"--dbname={dbname}"], env=password, capture_output=True, text=True
    )
    if done.returncode != 0:
        words = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        raise BackupError(f"{tool} failed: {words}")


def restore_check(path: Path, database_url: str, say: Callable[[str], None]) -> Checked:
    """Open the copy at `path` without changing it and say what it holds. A pg_dump
    archive is restored into a scratch database on the server of `database_url`."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    with path.open("rb") as file:
        start = file.read(len(SQLITE_MAGIC))
    if start.startswith(SQLITE_MAGIC):
        say(f"{path}: a SQLite database, opened read-only.")
        # immutable: nothing, not even a -shm file, is written beside the copy.
        where = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
        engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(where, uri=True))
        return _read(engine, "SQLite")
    if start.startswith(PG_DUMP_MAGIC):
        with _scratch_database(database_url, say) as url:
            say(f"{path}: a pg_dump archive, restored into the scratch database {url.database}.")
            _pg_tool("pg_restore", ["--no-owner", "--exit-on-error", str(path)], url)
            return _read(create_engine(url), "pg_dump")
    raise BackupError(f"{path} is neither a SQLite database nor a pg_dump archive")


def _read(engine: Engine, kind: str) -> Checked:
    try:
        revision = schema_revision(engine)
        rows = {}
        with engine.connect() as connection:
            present = set(inspect(connection).get_table_names())
            for table in sorted(Base.metadata.tables.values(), key=lambda t: t.name):
                if table.name in present:  # a copy made by older code may lack some
                    rows[table.name] = connection.scalar(select(func.count()).select_from(table))
    except SQLAlchemyError as exc:
        raise BackupError(f"the copy cannot be read: {_first_line(exc)}") from exc
    finally:
        engine.dispose()
    return Checked(kind, revision, head_revision(), rows)


@contextlib.contextmanager
def _scratch_database(database_url: str, say: Callable[[str], None]) -> Iterator[URL]:
    """A new, empty database on the PostgreSQL server of `database_url`, dropped after."""
    server = make_url(database_url)
    if server.get_backend_name() != "postgresql":
        raise BackupError(
            "a pg_dump archive is checked in a scratch database of a PostgreSQL server: "
            "run restore-check with DATABASE_URL set to that server"
        )
    name = f"telepasar_check_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        admin.dispose()
        raise BackupError(
            f"cannot create a scratch database (CREATEDB needed): {_first_line(exc)}"
        ) from exc
    try:
        yield server.set(database=name)
    finally:
        try:
            _drop(admin, name)
            say(f"Scratch database {name} dropped.")
        except SQLAlchemyError as exc:  # said, without hiding why the check itself failed
            say(f"The scratch database {name} could not be dropped ({_first_line(exc)}): "
                f"drop it by hand.")  # fmt: skip
        finally:
            admin.dispose()


def _drop(admin: Engine, name: str) -> None:
    """Drop the scratch database, ending any session still in it (PostgreSQL 13 and later
    do that themselves with FORCE)."""
    with admin.connect() as connection:
        if connection.dialect.server_version_info >= (13,):
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
            {"name": name},
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


def _first_line(exc: SQLAlchemyError) -> str:
    return (str(exc.orig if exc.orig else exc).splitlines() or [type(exc).__name__])[0]


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} kB"
