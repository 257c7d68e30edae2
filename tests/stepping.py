"""Two PostgreSQL sessions stepped by hand: one verb paused before a statement, others run.

PostgreSQL runs transactions side by side in READ COMMITTED, so a verb that read a row and
then writes it can find the row changed by another transaction that committed in between.
`Paused` runs a verb in a thread of its own, in its own unit of work, and holds it just
before the first statement that matches a pattern, until the test lets it go on.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from storage.database import Database

WAIT_SECONDS = 30


class Paused:
    """`verb(session)` in its own thread and transaction, held before `pattern` once."""

    def __init__(self, database: Database, pattern: str, verb: Callable[[Session], Any]) -> None:
        self.database, self.pattern, self.verb = database, re.compile(pattern), verb
        self.reached, self.go = threading.Event(), threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Paused:
        event.listen(self.database.engine, "before_cursor_execute", self._hold)
        self._thread.start()
        assert self.reached.wait(WAIT_SECONDS), f"the verb never reached {self.pattern.pattern}"
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.go.set()
        self._thread.join(WAIT_SECONDS)
        event.remove(self.database.engine, "before_cursor_execute", self._hold)

    def finish(self) -> Any:
        """Let the verb go on, wait for its commit, and return what it returned."""
        self.go.set()
        self._thread.join(WAIT_SECONDS)
        assert not self._thread.is_alive(), "the paused verb did not finish"
        if self.error is not None:
            raise self.error
        return self.result

    def _run(self) -> None:
        try:
            with self.database.unit_of_work() as session:
                self.result = self.verb(session)
        except BaseException as exc:  # handed to the test by finish()
            self.error = exc
            self.reached.set()

    def _hold(self, connection, cursor, statement, parameters, context, executemany) -> None:
        if threading.current_thread() is not self._thread or self.reached.is_set():
            return
        if self.pattern.search(statement):
            self.reached.set()
            self.go.wait(WAIT_SECONDS)
