"""A database as the application uses it: one engine, units of work, retries of lost races."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from storage.db import MustBeDurable, make_engine, make_session_factory, session_scope

T = TypeVar("T")

# What two requests of one session racing each other look like: the same new row twice, a
# conversation changed under us (version), or SQLite refusing a write on a stale snapshot.
CONFLICTS = (IntegrityError, StaleDataError, OperationalError)


class Database:
    """An engine, its session factory for units of work, and one for sessions that only read."""

    def __init__(self, database_url: str, *, lock_wait_seconds: float = 5.0) -> None:
        self.engine = make_engine(database_url, lock_wait_seconds=lock_wait_seconds)
        self.sessions = make_session_factory(self.engine)
        self.readers = make_session_factory(self.engine, writes=False)
        self.hops = make_session_factory(self.engine, relaxed=True)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session that commits at the end of the block, or rolls back if it raises."""
        with session_scope(self.sessions) as session:
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
        plan: Callable[[Session], tuple[T, Any]],
        durably: Callable[[Session], T],
        *,
        attempts: int = 2,
    ) -> T:
        """A menu hop: `plan` works out the answer from a read alone, holding no lock (on
        SQLite the one write lock is the whole database's), and gives back the one write it
        needs (a callable taking a session, or None); that write is made in a short unit of
        work of its own that does not wait for the disk. A concurrent request of the same
        session makes the write fail, and the hop is worked out again from what that request
        wrote. A hop that must write more (`plan` raises MustBeDurable) is answered by
        `durably` in one durable unit of work, as before.
        """
        for attempt in range(1, attempts + 1):
            try:
                with self.readers() as reader:
                    answer, write = plan(reader)
                if write is not None:
                    with session_scope(self.hops) as session:
                        write(session)
                return answer
            except MustBeDurable:
                return self.run(durably)
            except CONFLICTS:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")
