"""Fixtures shared by all tests: settings, a migrated demo database, the app and its client."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from gateway import create_app
from settings import Settings
from storage.db import make_engine, make_session_factory, session_scope, upgrade_schema
from storage.demo_catalog import load_demo_catalog
from tests.postgres import PostgresDatabases

# Long enough for production settings (settings.MIN_SECRET_KEY_LENGTH), and not the demo's.
TEST_SECRET_KEY = "test-secret-key-0123456789abcdef0123456789"

# Monday 30 November 2026, 10:00 in Amlapura (WITA, UTC+8): every demo market is open.
MARKET_OPEN = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
# The same Monday, 16:00 WITA: the markets closed at 14:00 and open again Tuesday 06:00.
MARKET_CLOSED = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


@dataclass
class FakeClock:
    """A clock the test sets; the app asks it for the time."""

    now: dt.datetime = MARKET_OPEN

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def demo_database_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated with Alembic and seeded with the demo catalog, made once."""
    path = tmp_path_factory.mktemp("template") / "demo.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    with session_scope(make_session_factory(engine)) as session:
        load_demo_catalog(session)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


# Every test that uses the database runs on SQLite, and also on PostgreSQL when
# TEST_DATABASE_URL names a server (as .ci/run does).
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    """The PostgreSQL server of TEST_DATABASE_URL, with a migrated, seeded template."""
    databases = PostgresDatabases(os.environ["TEST_DATABASE_URL"])
    databases.prepare_template()
    yield databases
    databases.close()


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path, demo_database_file: Path) -> Settings:
    """Settings for one test, on its own copy of the demo database."""
    if request.param == "postgresql":
        if request.node.get_closest_marker("sqlite_only"):
            pytest.skip("measures the menus, not the database: run once, on SQLite")
        databases = request.getfixturevalue("postgres_databases")
        name = databases.create()
        request.addfinalizer(lambda: databases.drop(name))
        url = databases.url_for(name)
    else:
        path = tmp_path / "telepasar.sqlite3"
        shutil.copy(demo_database_file, path)
        url = f"sqlite:///{path}"
    # Audio of its own (none): never the audio prompts-synth made on this machine.
    return Settings(database_url=url, secret_key=TEST_SECRET_KEY, audio_dir=str(tmp_path / "audio"))


@pytest.fixture
def app(settings: Settings, clock: FakeClock) -> Iterator[Flask]:
    app = create_app(settings, clock=clock)
    app.config.update(TESTING=True)
    yield app
    app.extensions["telepasar_db"].dispose()


@pytest.fixture
def make_app(settings: Settings, clock: FakeClock) -> Iterator:
    """Build more apps in a test (other settings); their connections close when it ends."""
    apps: list[Flask] = []

    def make(app_settings: Settings) -> Flask:
        apps.append(create_app(app_settings, clock=clock))
        return apps[-1]

    yield make
    for built in apps:
        built.extensions["telepasar_db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session on the app's database, for arranging and checking rows.

    It reads from a snapshot taken at its first query: commit (or roll back) before reading
    again what the app wrote since.
    """
    with app.extensions["telepasar_db"].readers() as session:
        yield session


@pytest.fixture(scope="session")
def synthesized_audio(demo_database_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Placeholder audio for every prompt, number word and name, made once by `prompts-synth`.

    espeak-ng is a system package: CI installs it (.ci/run) and must run these tests; on a
    developer's machine without it they are skipped with the command that installs it.
    """
    if shutil.which("espeak-ng") is None:
        if os.environ.get("CI"):
            pytest.fail("espeak-ng is missing in CI: .ci/run should install it")
        pytest.skip("espeak-ng is not installed (sudo apt-get install espeak-ng)")
    audio_dir = tmp_path_factory.mktemp("audio")
    database = tmp_path_factory.mktemp("synth") / "demo.sqlite3"
    shutil.copy(demo_database_file, database)
    app = create_app(Settings(database_url=f"sqlite:///{database}", audio_dir=str(audio_dir)))
    result = app.test_cli_runner().invoke(args=["prompts-synth"])
    app.extensions["telepasar_db"].dispose()
    assert result.exit_code == 0, result.output
    assert "Done: " in result.output
    return audio_dir
