"""The gateway's handle on the database: one engine per app, one session per request or job."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy.orm import Session

from settings import Settings
from storage.db import make_engine, make_session_factory, session_scope


class Database:
    """An engine and its session factory."""

    def __init__(self, database_url: str) -> None:
        self.engine = make_engine(database_url)
        self.sessions = make_session_factory(self.engine)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session that commits at the end of the block, or rolls back if it raises."""
        with session_scope(self.sessions) as session:
            yield session


def current_database() -> Database:
    """The database of the app handling the current request or command."""
    return current_app.extensions["telepasar_db"]


def current_time() -> dt.datetime:
    """The current time by the app's clock (aware, UTC)."""
    return current_app.config["TELEPASAR_CLOCK"]()


def current_settings() -> Settings:
    """The settings of the app handling the current request or command."""
    return current_app.config["TELEPASAR_SETTINGS"]
