"""A database as the application uses it: one engine, units of work, retries of lost races."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from storage.db import MustBeDurable, make_engine, make_session_factory, session_scope
from storage.driver import Driver, Prepared

T = TypeVar("T")

# What two requests of one session racing each other look like: the same new row twice, a
# conversation changed under us (version), or SQLite refusing a write on a stale snapshot.
CONFLICTS = (IntegrityError, StaleDataError, OperationalError)


class Database:
    """An engine, its session factory for units of work, and one for sessions that only read;
    and, for menu hops, the driver on that engine and on one whose commits do not wait for
    the disk (docs/OPERATIONS.md, Durability)."""

    def __init__(self, database_url: str, *, lock_wait_seconds: float = 5.0) -> None:
        self.engine = make_engine(database_url, lock_wait_seconds=lock_wait_seconds)
        self.sessions = make_session_factory(self.engine)
        self.readers = make_session_factory(self.engine, writes=False)
        url = self.engine.url
        in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
        # A database in memory is one per engine: there, hops share the one (no disk anyway).
        self.relaxed_engine = (
            self.engine
            if in_memory
            else make_engine(database_url, lock_wait_seconds=lock_wait_seconds, relaxed=True)
        )
        self.relaxed_units = make_session_factory(self.relaxed_engine)
        self.driver = Driver(self.engine)
        self.relaxed = Driver(self.relaxed_engine)

    def dispose(self) -> None:
        """Close every pooled connection (of both engines)."""
        self.engine.dispose()
        self.relaxed_engine.dispose()

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session that commits at the end of the block, or rolls back if it raises."""
        with session_scope(self.sessions) as session:
            yield session

    @contextmanager
    def relaxed_unit_of_work(self) -> Iterator[Session]:
        """A unit of work whose commit does not wait for the disk: only for what may be lost
        in a power cut and done again (`make_engine(relaxed=True)`)."""
        with session_scope(self.relaxed_units) as session:
            yield session

    def run(self, work: Callable[[Session], T], *, attempts: int = 2) -> T:
        """Run `work` in a unit of work; if it lost a race with a concurrent request, run it again.

        The second run sees what the winner committed (a repeated USSD request then gets the
        winner's screen), so a provider retry never acts twice.
        """
        for attempt in range(1, attempts + 1):
            try:
                with self.unit_of_work() as session:
                    return work(session)
            except CONFLICTS:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    def hop(
        self,
        plan: Callable[[HopReads], tuple[T, HopWrite | None]],
        durably: Callable[[Session], T],
        *,
        attempts: int = 2,
    ) -> T:
        """A menu hop: `plan` works out the answer from reads alone, holding no lock (on
        SQLite the one write lock is the whole database's), and gives back the one write it
        needs, or None. Its hot reads run on the driver, anything else in a reader session
        opened only if asked (`HopReads`); the write is one statement on the driver, whose
        commit does not wait for the disk. A concurrent request of the same session makes
        the write touch no row, and the hop is worked out again from what that request
        wrote. A hop that must write more (`plan` raises MustBeDurable) is answered by
        `durably` in one unit of work that waits for the disk, as every other.
        """
        for attempt in range(1, attempts + 1):
            try:
                with HopReads(self) as reads:
                    answer, write = plan(reads)
                if write is not None:
                    write.check(self.relaxed.write(write.statement, **write.values))
                return answer
            except MustBeDurable:
                return self.run(durably)
            except CONFLICTS:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")


class HopWrite:
    """A hop's one write: a prepared INSERT (a second one fails: IntegrityError), or an
    UPDATE conditional on what the hop read, which must touch exactly one row."""

    def __init__(self, statement: Prepared, values: dict[str, Any], *, conditional: bool) -> None:
        self.statement = statement
        self.values = values
        self.conditional = conditional

    def check(self, rowcount: int) -> None:
        """Raise StaleDataError when a conditional UPDATE touched no row."""
        if self.conditional and rowcount != 1:
            raise StaleDataError("another request of this session moved it on first")

    def apply_to(self, session: Session) -> None:
        """Make it in a unit of work instead (a durable turn)."""
        self.check(session.execute(self.statement.statement, self.values).rowcount)


class HopReads:
    """What a hop's `plan` reads with: `first` runs a prepared statement on the driver (or,
    for a durable turn, in its unit of work); `session` is a reader session, opened on first
    use, for the reads that are not on every hop."""

    def __init__(self, database: Database | None = None, session: Session | None = None) -> None:
        self._database = database
        self._session = session
        self._opened: Session | None = None

    @classmethod
    def of(cls, session: Session) -> HopReads:
        """The reads of a durable turn: everything in its own unit of work."""
        return cls(session=session)

    @property
    def catalog_key(self) -> object:
        """What a process's catalog is kept by: the database's connection pool."""
        if self._database is not None:
            return self._database.engine.pool
        bind = self.session.get_bind()
        return getattr(getattr(bind, "engine", bind), "pool", bind)

    def first(self, prepared: Prepared, **values: Any) -> tuple[Any, ...] | None:
        if self._database is not None:
            return self._database.driver.first(prepared, **values)
        row = self.session.execute(prepared.statement, values).first()
        return None if row is None else tuple(row)

    @property
    def session(self) -> Session:
        if self._session is None:
            assert self._database is not None
            self._session = self._opened = self._database.readers()
        return self._session

    def __enter__(self) -> HopReads:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._opened is not None:
            self._opened.close()
