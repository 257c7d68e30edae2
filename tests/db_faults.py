"""Faults of the database for tests: a write lock held by another process's connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from settings import Settings


@contextmanager
def write_lock_held(settings: Settings) -> Iterator[None]:
    """Hold what another writer would hold: nobody else may write until the block ends.

    SQLite: an open `BEGIN IMMEDIATE` on its own connection (readers still read).
    PostgreSQL: every table locked IN EXCLUSIVE MODE (plain reads still go through).
    """
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = ", ".join(f'"{name}"' for name in inspect(connection).get_table_names())
            connection.exec_driver_sql(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
            try:
                yield
            finally:
                connection.rollback()
    finally:
        engine.dispose()
