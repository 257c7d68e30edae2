"""`flask --app gateway backup PATH` while orders keep coming, then the copy restored and
checked: every order placed before the backup began is in it, whole.

SQLite is copied with its online backup API; PostgreSQL (TEST_DATABASE_URL) with pg_dump,
restored with pg_restore into a new database.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from domain.orders import OrderLineRequest, OrderRules, place_order
from storage.database import Database
from storage.models import Item, Order, OrderLine
from tests.conftest import MARKET_OPEN

ORDERS_BEFORE = 5


def place_one(database: Database, n: int) -> str:
    """One order of a tomato, placed and committed as a caller's would be; its number."""
    with database.unit_of_work() as session:
        tomato = session.scalars(select(Item).where(Item.code == "B04")).one()
        placed = place_order(
            session,
            phone=f"+62812345{n:05d}",
            lines=[OrderLineRequest(tomato.id, 1 + n % 3)],
            name="Ni Made Sari",
            address="Banjar Kauh",
            channel="ussd",
            rules=OrderRules(),
            now=MARKET_OPEN,
        )
    return placed.number


class Traffic(threading.Thread):
    """Orders placed one after another until stopped; `placed` are the committed ones."""

    def __init__(self, database: Database, first: int) -> None:
        super().__init__(daemon=True)
        self.database, self.numbers = database, itertools.count(first)
        self.placed: list[str] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.placed.append(place_one(self.database, next(self.numbers)))
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            self.error = exc


def orders_in(url: str) -> dict[str, tuple[int, int, int]]:
    """Each order of the database at `url`: its number, total, lines and their sum."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            lines, goods = func.count(OrderLine.id), func.sum(OrderLine.line_total)
            rows = connection.execute(
                select(Order.number, Order.total, lines, goods)
                .join(OrderLine, OrderLine.order_id == Order.id)
                .group_by(Order.id)
            ).all()
    finally:
        engine.dispose()
    return {number: (total, lines, goods) for number, total, lines, goods in rows}


def restore(backup: Path, settings, tmp_path: Path, request) -> str:
    """The backup restored as a new database; its URL."""
    if settings.database_url.startswith("sqlite"):
        restored = tmp_path / "restored.sqlite3"
        shutil.copy(backup, restored)  # a SQLite backup is a database file
        return f"sqlite:///{restored}"
    server = make_url(settings.database_url)
    name = f"telepasar_restored_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    request.addfinalizer(drop)
    target = server.set(database=name, drivername="postgresql", password=None)
    dbname = target.render_as_string(hide_password=False)
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={dbname}", str(backup)],
        env={"PGPASSWORD": str(server.password), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    return server.set(database=name).render_as_string(hide_password=False)


def test_a_backup_under_traffic_restores_with_every_order(app, settings, tmp_path, request):
    if not settings.database_url.startswith("sqlite") and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    database = app.extensions["telepasar_db"]
    before = [place_one(database, n) for n in range(ORDERS_BEFORE)]
    traffic = Traffic(Database(settings.database_url), first=ORDERS_BEFORE)
    traffic.start()
    while len(traffic.placed) < 3 and traffic.is_alive():  # orders are coming in
        traffic.stop.wait(0.01)
    begun = list(traffic.placed)
    backup = tmp_path / "telepasar.backup"

    result = app.test_cli_runner().invoke(args=["backup", str(backup)])
    written = len(traffic.placed)
    while len(traffic.placed) < written + 3 and traffic.is_alive():  # and keep coming after
        traffic.stop.wait(0.01)
    traffic.stop.set()
    traffic.join()
    traffic.database.dispose()

    assert traffic.error is None
    assert result.exit_code == 0, result.output
    assert f"Backup written: {backup}" in result.output
    assert not list(tmp_path.glob("*.partial"))
    live = orders_in(settings.database_url)
    copy = orders_in(restore(backup, settings, tmp_path, request))
    # Every order committed before the backup began is in the copy, with all its lines...
    assert set(before + begun) <= set(copy)
    # ...no order is in the copy that the database does not have, nor any order half there...
    assert {number: live[number] for number in copy} == copy
    assert all(lines == 1 and goods > 0 for _total, lines, goods in copy.values())
    # ...and the copy is the database at one moment: orders placed after it are not.
    assert len(copy) < len(live) == ORDERS_BEFORE + len(traffic.placed)


def test_restore_check_opens_a_backup_and_counts_its_rows(app, settings, tmp_path):
    if not settings.database_url.startswith("sqlite") and shutil.which("pg_restore") is None:
        pytest.skip("pg_restore is not installed")
    database = app.extensions["telepasar_db"]
    for n in range(3):
        place_one(database, n)
    backup = tmp_path / "telepasar.backup"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    copied = backup.read_bytes()

    result = runner.invoke(args=["restore-check", str(backup)])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.split() == ["orders", "3"] for line in lines), result.output
    assert any(line.split() == ["items", "79"] for line in lines), result.output
    assert lines[-1].startswith("Schema at head (") and lines[-1].endswith("3 orders.")
    assert backup.read_bytes() == copied  # opened without being changed
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("telepasar.backup")) == [
        "telepasar.backup"
    ]  # no -wal or -shm left beside it


@pytest.mark.sqlite_only
def test_a_backup_never_overwrites_and_says_why_in_one_line(app, tmp_path):
    runner = app.test_cli_runner()
    taken = tmp_path / "taken.sqlite3"
    taken.write_text("an older backup")

    refused = runner.invoke(args=["backup", str(taken)])
    no_folder = runner.invoke(args=["backup", str(tmp_path / "nowhere" / "b.sqlite3")])

    assert refused.exit_code == 1 and taken.read_text() == "an older backup"
    assert refused.output.strip() == f"Error: {taken} exists already: give the backup a new name"
    assert no_folder.exit_code == 1
    assert no_folder.output.strip().endswith("is not a folder: create it first")


@pytest.mark.sqlite_only
def test_restore_check_refuses_what_is_not_a_backup(app, tmp_path, make_app, settings):
    runner = app.test_cli_runner()
    stranger = tmp_path / "notes.txt"
    stranger.write_text("not a database")
    old = tmp_path / "old.sqlite3"
    engine = create_engine(f"sqlite:///{old}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('0001')"))
    engine.dispose()

    not_one = runner.invoke(args=["restore-check", str(stranger)])
    missing = runner.invoke(args=["restore-check", str(tmp_path / "gone.sqlite3")])
    behind = runner.invoke(args=["restore-check", str(old)])

    assert not_one.exit_code == 1
    assert not_one.output.strip().endswith("is neither a SQLite database nor a pg_dump archive")
    assert missing.output.strip().endswith("gone.sqlite3 does not exist")
    assert behind.exit_code == 1
    assert behind.output.splitlines()[-1].startswith(
        "Error: the copy's schema is at 0001, this code's at "
    )
