"""Test databases on a PostgreSQL server (TEST_DATABASE_URL), one per test, made from a template.

The template is migrated with Alembic and seeded once per run; each test gets a copy made
with `CREATE DATABASE ... TEMPLATE`, dropped (forcefully, whatever still holds it) after.
"""

from __future__ import annotations

import itertools
import os

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from storage.db import make_engine, make_session_factory, session_scope, upgrade_schema
from storage.demo_catalog import load_demo_catalog


class PostgresDatabases:
    def __init__(self, url: str) -> None:
        self.url: URL = make_url(url)
        self.prefix = f"{self.url.database}_{os.getpid()}"
        self.template = f"{self.prefix}_template"
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        self._numbers = itertools.count(1)

    def url_for(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def prepare_template(self) -> None:
        """Create the template database: schema by Alembic, then the demo catalog."""
        self.drop(self.template)
        self._execute(f'CREATE DATABASE "{self.template}"')
        engine = make_engine(self.url_for(self.template))
        upgrade_schema(engine)
        with session_scope(make_session_factory(engine)) as session:
            load_demo_catalog(session)
        engine.dispose()

    def create(self) -> str:
        """A fresh copy of the template; returns its name."""
        name = f"{self.prefix}_{next(self._numbers)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def drop(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self.drop(self.template)
        self.admin.dispose()

    def _execute(self, statement: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(statement))
